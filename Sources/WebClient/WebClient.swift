import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// An HTTP/1.1 client on SwiftNIO (its codec, its TLS): what the kiosk's sync, the benchmarks and
/// the tests need, and no more. A request has one deadline that counts from its start (connecting
/// included); connections are kept alive and reused per host; a failure says what happened (the
/// connection was refused, the deadline passed, the link dropped, the certificate was not trusted).
///
/// Why not AsyncHTTPClient: it brings HTTP/2, SOCKS, compression and Apple's transport services,
/// about 70,000 lines of Swift built three times by the test command (release, AddressSanitizer,
/// ThreadSanitizer) for features none of our callers use. See BENCHMARKS.md, "The test command's time".
public final class WebClient: Sendable {
    public struct Configuration: Sendable {
        /// nil: no HTTPS. Otherwise the client's TLS settings (trust roots, verification).
        public var tls: TLSConfiguration?
        /// At most this long to open a connection (the request's deadline may cut it shorter).
        public var connectTimeout: Duration
        /// Idle connections kept per host for the next requests.
        public var idlePerHost: Int

        public init(
            tls: TLSConfiguration? = .makeClientConfiguration(), connectTimeout: Duration = .seconds(10),
            idlePerHost: Int = 8
        ) {
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.idlePerHost = idlePerHost
        }
    }

    let configuration: Configuration
    let sslContext: NIOSSLContext?
    /// Where connections are made: NIO's shared group, or the one given (an event loop, for a
    /// caller whose task runs on that loop, so that its requests never leave that thread).
    let group: any EventLoopGroup
    /// Each request's number: a late cancellation ends its own request, never the next one on its connection.
    static let exchanges = Atomic<UInt64>(0)
    /// Under a pthread mutex (NIOLockedValueBox), which ThreadSanitizer sees; Synchronization's
    /// Mutex is a bare futex on Linux, and ThreadSanitizer took the pool's accesses for a race.
    private let pool = NIOLockedValueBox(Pool())

    private struct Pool {
        var idle: [Host: [any Channel]] = [:]
        /// Every open connection (idle or busy), to close them all at shutdown.
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    struct Host: Hashable, Sendable {
        var tls: Bool
        var name: String
        var port: Int
    }

    public init(configuration: Configuration = .init(), group: (any EventLoopGroup)? = nil) throws {
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
        sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
    }

    /// Closes every connection; requests still running fail with `WebClientError.connectionClosed`.
    public func shutdown() async {
        let channels = pool.withLockedValue { pool in
            pool.closed = true
            pool.idle = [:]
            defer { pool.open = [:] }
            return Array(pool.open.values)
        }
        for channel in channels { try? await channel.close() }
    }

    /// One request. `timeout` bounds the whole exchange, from connecting to the last byte; `limit`
    /// the body kept. With `onBody`, the body is handed over as it comes instead (a stream).
    public func execute(
        _ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
        timeout: Duration, limit: Int = 64 << 20, onBody: (@Sendable (ByteBuffer) -> Void)? = nil
    ) async throws -> WebResponse {
        let target = try Target(url)
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.path, headers: headers)
        if !head.headers.contains(name: "Host") { head.headers.add(name: "Host", value: target.authority) }
        if let body {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        } else if ![.GET, .HEAD, .DELETE, .OPTIONS, .TRACE].contains(method) {
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        let exchange = Exchange(
            id: Self.exchanges.add(1, ordering: .relaxed).newValue, head: head, body: body, deadline: deadline,
            limit: limit, onBody: onBody)
        // A kept connection the server closed a moment ago fails before any answer: a request that
        // changes nothing is sent again, once, on a new connection.
        var retried = false
        while true {
            let (channel, reused) = try await connection(to: target.host, deadline: deadline)
            do {
                let answer = try await send(exchange, on: channel)
                if answer.keepAlive { release(channel, to: target.host) } else { discard(channel) }
                return answer.response
            } catch let error as WebClientError {
                discard(channel)
                if case .connectionClosed(answered: false) = error, reused, !retried,
                    [.GET, .HEAD, .OPTIONS].contains(method)
                {
                    retried = true
                    continue
                }
                throw error
            } catch {
                discard(channel)
                throw error
            }
        }
    }

    private func connection(to host: Host, deadline: NIODeadline) async throws -> (any Channel, reused: Bool) {
        let kept: (any Channel)? = try pool.withLockedValue { pool in
            if pool.closed { throw WebClientError.shutDown }
            while let channel = pool.idle[host]?.popLast() {
                if channel.isActive { return channel }
                pool.open[ObjectIdentifier(channel)] = nil
            }
            return nil
        }
        if let kept { return (kept, true) }
        let left = deadline - .now()
        guard left > .zero else { throw WebClientError.deadlineExceeded }
        let connectTimeout = min(TimeAmount(configuration.connectTimeout), left)
        let sslContext = host.tls ? sslContext : nil
        if host.tls && sslContext == nil { throw WebClientError.invalidURL("https is not enabled for this client") }
        let serverName = host.name
        // The connection's readiness is made before it connects: a handshake refused at once tears the
        // pipeline down, so its handler may be gone by the time `connect` returns.
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let sslContext {
                        // An address is checked against the certificate's IP names; a name is also sent (SNI).
                        let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
                        try handlers.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : serverName))
                    }
                    try handlers.addHTTPClientHandlers()
                    try handlers.addHandler(
                        ExchangeHandler(ready: ready, secure: sslContext != nil, deadline: deadline))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host.name, port: host.port).get()
        } catch ChannelError.connectTimeout {
            ready.fail(WebClientError.connectTimeout)
            throw WebClientError.connectTimeout
        } catch {
            ready.fail(error)
            throw error
        }
        // Over HTTPS, the connection is ready once the server's certificate was checked: a refusal
        // is said as such, not as a connection closed under the request.
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        let accepted = pool.withLockedValue { pool in
            guard !pool.closed else { return false }
            pool.open[ObjectIdentifier(channel)] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            throw WebClientError.shutDown
        }
        return (channel, false)
    }

    private func release(_ channel: any Channel, to host: Host) {
        let keep = pool.withLockedValue { pool in
            guard !pool.closed, channel.isActive, pool.idle[host, default: []].count < configuration.idlePerHost
            else {
                pool.open[ObjectIdentifier(channel)] = nil
                return false
            }
            pool.idle[host, default: []].append(channel)
            return true
        }
        if !keep { channel.close(promise: nil) }
    }

    private func discard(_ channel: any Channel) {
        _ = pool.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
        channel.close(promise: nil)
    }

    private func send(_ exchange: Exchange, on channel: any Channel) async throws -> Answer {
        let promise = channel.eventLoop.makePromise(of: Answer.self)
        channel.eventLoop.execute {
            do {
                try channel.pipeline.syncOperations.handler(type: ExchangeHandler.self).begin(exchange, promise)
            } catch {
                promise.fail(WebClientError.connectionClosed(answered: false))
            }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.eventLoop.execute {
                try? channel.pipeline.syncOperations.handler(type: ExchangeHandler.self).fail(
                    WebClientError.cancelled, exchange: exchange.id)
            }
        }
    }
}

/// What came back: the status, the headers, and the body unless it was streamed to `onBody`.
public struct WebResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public var bytes: Data { Data(body.readableBytesView) }
    public var text: String { String(buffer: body) }
}

public enum WebClientError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// No connection within the connect timeout.
    case connectTimeout
    /// The request's deadline passed.
    case deadlineExceeded
    /// The connection closed before the whole answer; `answered`: some of it had come.
    case connectionClosed(answered: Bool)
    case bodyTooLarge(limit: Int)
    case cancelled
    case shutDown

    public var description: String {
        switch self {
        case .invalidURL(let url): "not an http or https URL: \(url)"
        case .connectTimeout: "connect timeout"
        case .deadlineExceeded: "timed out waiting for the answer"
        case .connectionClosed(let answered):
            answered ? "the connection closed in the middle of the answer" : "the connection closed before any answer"
        case .bodyTooLarge(let limit): "the answer is over \(limit) bytes"
        case .cancelled: "cancelled"
        case .shutDown: "the client was shut down"
        }
    }
}

struct Target {
    var host: WebClient.Host
    var path: String
    var authority: String

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var name = components.host, !name.isEmpty
        else { throw WebClientError.invalidURL(text) }
        let tls = scheme == "https"
        let port = components.port ?? (tls ? 443 : 80)
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        host = .init(tls: tls, name: name, port: port)
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query
        let shown = name.contains(":") ? "[\(name)]" : name
        authority = components.port == nil ? shown : "\(shown):\(port)"
    }
}

struct Exchange: Sendable {
    var id: UInt64
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var deadline: NIODeadline
    var limit: Int
    var onBody: (@Sendable (ByteBuffer) -> Void)?
}

struct Answer: Sendable {
    var response: WebResponse
    var keepAlive: Bool
}

/// One request at a time on its connection; everything here runs on the connection's event loop.
final class ExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    /// Succeeds once requests can be sent: at once over HTTP, after the TLS handshake over HTTPS.
    let ready: EventLoopPromise<Void>
    private let secure: Bool
    private let readyBy: NIODeadline
    private var readyTimer: Scheduled<Void>?
    private var exchange: Exchange?
    private var promise: EventLoopPromise<Answer>?
    private var timer: Scheduled<Void>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var answered = false
    /// Why the connection failed before a request was given (a TLS handshake refused, say).
    private var failure: (any Error)?

    init(ready: EventLoopPromise<Void>, secure: Bool, deadline: NIODeadline) {
        self.ready = ready
        self.secure = secure
        readyBy = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard secure else { return ready.succeed() }
        readyTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: readyBy) { [self] in
            ready.fail(WebClientError.deadlineExceeded)
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        readyTimer?.cancel()
        ready.fail(failure ?? WebClientError.connectionClosed(answered: false))
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            readyTimer?.cancel()
            ready.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func begin(_ exchange: Exchange, _ promise: EventLoopPromise<Answer>) {
        guard let context, self.promise == nil else {
            promise.fail(failure ?? WebClientError.connectionClosed(answered: false))
            return
        }
        guard context.channel.isActive else {
            promise.fail(failure ?? WebClientError.connectionClosed(answered: false))
            return
        }
        self.exchange = exchange
        self.promise = promise
        head = nil
        body.clear()
        answered = false
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.deadline) { [self] in
            fail(WebClientError.deadlineExceeded)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Ends the request (`exchange`: only if it is still that one) with `error`, and closes the
    /// connection (its state is unknown).
    func fail(_ error: any Error, exchange id: UInt64? = nil) {
        guard let promise, id == nil || id == exchange?.id else { return }
        finish()
        promise.fail(error)
        context?.close(promise: nil)
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        promise = nil
        exchange = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange, let promise else { return }
        switch unwrapInboundIn(data) {
        case .head(let received):
            answered = true
            // 100 Continue and the like come before the real answer.
            if (100..<200).contains(received.status.code) && received.status.code != 101 { return }
            head = received
        case .body(var part):
            if let onBody = exchange.onBody {
                onBody(part)
            } else if body.readableBytes + part.readableBytes > exchange.limit {
                fail(WebClientError.bodyTooLarge(limit: exchange.limit))
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            guard let head else { return }
            finish()
            let response = WebResponse(status: head.status, headers: head.headers, body: body)
            body = ByteBuffer()
            promise.succeed(Answer(response: response, keepAlive: head.isKeepAlive && exchange.head.isKeepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The codec's word for an answer cut before its end.
        let error =
            (error as? HTTPParserError) == .invalidEOFState ? WebClientError.connectionClosed(answered: true) : error
        if promise == nil { failure = failure ?? error }
        ready.fail(error)
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ready.fail(failure ?? WebClientError.connectionClosed(answered: false))
        fail(failure ?? WebClientError.connectionClosed(answered: answered))
        context.fireChannelInactive()
    }
}
