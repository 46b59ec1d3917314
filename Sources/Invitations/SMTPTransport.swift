import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Mails through an SMTP relay (the organisers' provider), named by a URL:
///
/// - `smtp://USER:PASSWORD@HOST:587`: submission with STARTTLS, which is required (a server that
///   does not offer it is refused: the password never travels in clear);
/// - `smtps://USER:PASSWORD@HOST:465`: TLS from the first byte;
/// - `smtp+plain://HOST:25`: no TLS and no password, for a relay on this machine or the event's
///   own network only.
///
/// Authentication is AUTH PLAIN (RFC 4954), after TLS. One connection per mail: a dropped
/// connection costs one mail's retry, never a batch's. A refusal of the recipient or of the
/// message (5xx) refuses that mail with the server's words; anything else that goes wrong
/// (connection, TLS, authentication, 4xx) is temporary: the run stops and the mail waits.
public struct SMTPTransport: MailTransport {
    public enum Security: Sendable { case startTLS, tls, none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// Extra certificate authorities (PEM) to trust, e.g. the event's own.
    public var caFile: String?
    /// The name this machine gives in EHLO.
    public var heloName: String
    public var timeout: TimeAmount

    public init(url text: String, caFile: String? = nil, timeout: TimeAmount = .seconds(60)) throws(MailError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { throw .badSender("the SMTP relay \"\(Self.redacted(text))\" is not smtp://USER:PASSWORD@HOST:PORT") }
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .tls
        case "smtp+plain": security = .none
        default:
            throw .badSender("the SMTP relay's scheme \"\(scheme)\" is not smtp (STARTTLS), smtps (TLS) or smtp+plain")
        }
        self.host = host
        self.port = url.port ?? (security == .tls ? 465 : security == .none ? 25 : 587)
        self.username = url.user.flatMap { $0.removingPercentEncoding ?? $0 }
        self.password = url.password.flatMap { $0.removingPercentEncoding ?? $0 }
        if security == .none && username != nil {
            throw .badSender("smtp+plain sends no password: use smtp:// (STARTTLS) or smtps:// with a user")
        }
        self.caFile = caFile
        self.heloName = ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName
        self.timeout = timeout
    }

    /// The URL with its password hidden, for messages.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }

    public var description: String { "smtp relay \(host):\(port)" }

    public func send(_ message: MailMessage, envelopeFrom: String, recipient: String) throws(MailError) {
        let session: Session
        do { session = try Session(self) } catch { throw .temporary("\(description): \(error)") }
        defer { session.close() }
        try session.deliver(message, from: envelopeFrom, to: recipient)
    }

    /// What a TLS connection to the relay is made with: the context (its trust roots) and the name
    /// its certificate must carry (none for an address: the certificate's IP addresses are checked).
    struct TLSSetup: Sendable {
        let context: NIOSSLContext
        let hostname: String?

        func handler() throws -> NIOSSLClientHandler {
            try NIOSSLClientHandler(context: context, serverHostname: hostname)
        }
    }

    func tlsSetup() throws -> TLSSetup {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            configuration.trustRoots = .file(caFile)
        }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return TLSSetup(context: try NIOSSLContext(configuration: configuration), hostname: isAddress ? nil : host)
    }

    /// One SMTP conversation.
    final class Session {
        let relay: SMTPTransport
        let channel: any Channel
        /// Why the connection broke, as the pipeline saw it (a TLS certificate refused…).
        let broken = Note()

        init(_ relay: SMTPTransport) throws {
            self.relay = relay
            let tls = relay.security == .tls ? try relay.tlsSetup() : nil
            let broken = self.broken
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(15))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(try tls.handler()) }
                        try channel.pipeline.syncOperations.addHandler(ReplyReader(broken: broken))
                    }
                }
            channel = try bootstrap.connect(host: relay.host, port: relay.port).wait()
        }

        func close() {
            _ = try? channel.close().wait()
        }

        /// The next reply; a reply whose code is not in `expected` is a failure, refused (5xx) or
        /// temporary.
        @discardableResult
        func reply(_ expected: Set<Int>, after step: String, refusable: Bool = false) throws(MailError) -> Reply {
            let channel = self.channel
            let timeout = relay.timeout
            let reply: Reply
            do {
                reply = try channel.eventLoop.flatSubmit {
                    do {
                        return try channel.pipeline.syncOperations.handler(type: ReplyReader.self)
                            .next(on: channel.eventLoop, timeout: timeout)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }.wait()
            } catch {
                throw .temporary("\(relay.description), \(step): \(broken.text ?? "\(error)")")
            }
            guard expected.contains(reply.code) else {
                let said = "\(relay.description) answered \(step) with \(reply.code) \(reply.text)"
                if refusable && reply.code >= 500 { throw .refused(said) }
                throw .temporary(said)
            }
            return reply
        }

        func write(_ text: String) throws(MailError) { try write(Data(text.utf8)) }

        func write(_ data: Data) throws(MailError) {
            do {
                try channel.writeAndFlush(channel.allocator.buffer(bytes: data)).wait()
            } catch {
                throw .temporary("\(relay.description): the connection broke: \(broken.text ?? "\(error)")")
            }
        }

        @discardableResult
        func command(_ line: String, _ expected: Set<Int>, step: String? = nil, refusable: Bool = false)
            throws(MailError) -> Reply
        {
            try write(line + "\r\n")
            return try reply(
                expected, after: step ?? String(line.prefix { $0 != " " && $0 != ":" }), refusable: refusable)
        }

        func deliver(_ message: MailMessage, from: String, to recipient: String) throws(MailError) {
            try reply([220], after: "the greeting")
            var hello = try command("EHLO \(relay.heloName)", [250])
            if relay.security == .startTLS {
                guard hello.lines.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw .temporary(
                        "\(relay.description) does not offer STARTTLS: the password would travel in clear (use smtps:// or another relay)"
                    )
                }
                try command("STARTTLS", [220])
                do {
                    let setup = try relay.tlsSetup()
                    let channel = self.channel
                    try channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.addHandler(try setup.handler(), position: .first)
                    }.wait()
                } catch {
                    throw .temporary("\(relay.description): TLS: \(error)")
                }
                hello = try command("EHLO \(relay.heloName)", [250], step: "EHLO after STARTTLS")
            }
            if let username = relay.username {
                let token = Data("\0\(username)\0\(relay.password ?? "")".utf8).base64EncodedString()
                try command("AUTH PLAIN \(token)", [235], step: "AUTH (user \(username))")
            }
            try command("MAIL FROM:<\(from)>", [250])
            try command("RCPT TO:<\(recipient)>", [250, 251], refusable: true)
            try command("DATA", [354])
            try write(Self.dotStuffed(message.rendered(crlf: true)))
            try write(".\r\n")
            try reply([250], after: "the message", refusable: true)
            _ = try? command("QUIT", [221])
        }

        /// A line that starts with a dot gets a second one (RFC 5321 4.5.2).
        static func dotStuffed(_ data: Data) -> Data {
            var out = Data(capacity: data.count + 64)
            var lineStart = true
            for byte in data {
                if lineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                out.append(byte)
                lineStart = byte == 0x0A
            }
            if !lineStart { out.append(contentsOf: [0x0D, 0x0A]) }
            return out
        }
    }

    /// One reply: its code and its lines (without the code).
    struct Reply: Sendable {
        var code: Int
        var lines: [String]
        var text: String { lines.joined(separator: " ") }
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String { "no answer in time" }
    }

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    /// A text one thread writes and another reads.
    final class Note: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String?
        var text: String? {
            get { lock.withLock { value } }
            set { lock.withLock { value = value ?? newValue } }
        }
    }

    /// Reads replies ("250-first", "250 last") and hands each to the oldest waiting request.
    final class ReplyReader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let broken: Note
        init(broken: Note) { self.broken = broken }

        private var pending = Data()
        private var lines: [String] = []
        private var replies: [Reply] = []
        private var waiting: [(id: Int, promise: EventLoopPromise<Reply>)] = []
        private var nextID = 0
        private var failure: (any Error)?

        func next(on loop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<Reply> {
            if !replies.isEmpty { return loop.makeSucceededFuture(replies.removeFirst()) }
            if let failure { return loop.makeFailedFuture(failure) }
            let promise = loop.makePromise(of: Reply.self)
            nextID += 1
            let id = nextID
            waiting.append((id, promise))
            let bound = NIOLoopBound(self, eventLoop: loop)
            loop.scheduleTask(in: timeout) {
                let reader = bound.value
                if let index = reader.waiting.firstIndex(where: { $0.id == id }) {
                    reader.waiting.remove(at: index).promise.fail(Timeout())
                }
            }
            return promise.futureResult
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
            while let newline = pending.firstIndex(of: 0x0A) {
                var line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                let code = Int(line.prefix(3)) ?? 0
                let rest = line.count > 4 ? String(line.dropFirst(4)) : ""
                lines.append(rest)
                // "250-…" continues; "250 …" (or a bare "250") ends the reply.
                if line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                let reply = Reply(code: code, lines: lines)
                lines = []
                if waiting.isEmpty {
                    replies.append(reply)
                } else {
                    waiting.removeFirst().promise.succeed(reply)
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            fail(Closed())
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let tls = error as? NIOSSLError {
                broken.text =
                    "TLS: \(tls) (is the relay's certificate signed by an authority this machine trusts? see smtp_ca_file)"
            } else {
                broken.text = "\(error)"
            }
            fail(error)
            context.close(promise: nil)
        }

        private func fail(_ error: any Error) {
            failure = failure ?? error
            for (_, promise) in waiting { promise.fail(error) }
            waiting = []
        }
    }
}
