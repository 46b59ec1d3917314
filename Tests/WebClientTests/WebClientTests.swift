import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport
import Testing
import Tooling
import WebClient

/// A loopback server that does what each test tells it, byte by byte, on plain sockets: the
/// faults a real link or a dying server produce (silence, a cut answer, a kept connection closed).
final class ScriptedServer: Sendable {
    let fd: Int32
    let port: UInt16
    let accepted = Atomic<Int>(0)

    /// `script` runs on a thread of its own for each connection (its descriptor, its number from 1).
    init(_ script: @escaping @Sendable (_ connection: Int32, _ number: Int) -> Void) {
        (fd, port) = listenOnLoopback()
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 { return }
                let number = accepted.add(1, ordering: .relaxed).newValue
                Thread.detachNewThread {
                    script(connection, number)
                    close(connection)
                }
            }
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Reads one request (head and a Content-Length body); false at the end of the connection.
    static func readRequest(_ connection: Int32) -> Bool {
        var received = [UInt8]()
        var byte: UInt8 = 0
        while !received.suffix(4).elementsEqual("\r\n\r\n".utf8) {
            guard read(connection, &byte, 1) == 1 else { return false }
            received.append(byte)
        }
        let head = String(decoding: received, as: UTF8.self).lowercased()
        var length = 0
        if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        var body = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let n = body.withUnsafeMutableBytes { read(connection, $0.baseAddress! + got, length - got) }
            guard n > 0 else { return false }
            got += n
        }
        return true
    }

    static func send(_ connection: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        // MSG_NOSIGNAL: a client that hung up makes this fail, not kill the test process (SIGPIPE).
        _ = bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    static func ok(_ body: String, close: Bool = false) -> String {
        "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\(close ? "Connection: close\r\n" : "")\r\n\(body)"
    }
}

/// Requests a scripted server has read in full, counted by its scripts.
final class RequestCount: Sendable {
    private let count = Atomic<Int>(0)

    func read(_ connection: Int32) -> Bool {
        guard ScriptedServer.readRequest(connection) else { return false }
        count.add(1, ordering: .relaxed)
        return true
    }

    /// Waits (a few seconds at most) until `expected` requests were read: the client has sent them.
    func wait(for expected: Int) async throws {
        for _ in 0..<500 where count.load(ordering: .relaxed) < expected {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

@Suite("The HTTP client: kept connections, one deadline, faults said for what they are")
struct WebClientTests {
    let client: WebClient

    init() throws { client = try WebClient(configuration: .init(tls: nil, connectTimeout: .seconds(2))) }

    @Test("requests one after another share one connection, and their bodies and headers arrive whole")
    func keepAlive() async throws {
        let server = ScriptedServer { connection, number in
            while ScriptedServer.readRequest(connection) {
                ScriptedServer.send(connection, ScriptedServer.ok("answer from connection \(number)"))
            }
        }
        defer { server.stop() }
        for _ in 0..<5 {
            let response = try await client.execute(.GET, server.url + "/x?y=1", timeout: .seconds(5))
            #expect(response.status == .ok)
            #expect(response.text == "answer from connection 1")
        }
        let posted = try await client.execute(
            .POST, server.url + "/events", headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: "{\"a\":1}"), timeout: .seconds(5))
        #expect(posted.text == "answer from connection 1")
        #expect(server.accepted.load(ordering: .relaxed) == 1)
        await client.shutdown()
    }

    @Test("an answer with Connection: close is not reused: the next request opens a new connection")
    func connectionClose() async throws {
        let server = ScriptedServer { connection, number in
            if ScriptedServer.readRequest(connection) {
                ScriptedServer.send(connection, ScriptedServer.ok("\(number)", close: true))
            }
        }
        defer { server.stop() }
        for expected in 1...3 {
            let response = try await client.execute(.GET, server.url + "/", timeout: .seconds(5))
            #expect(response.text == "\(expected)")
        }
        await client.shutdown()
    }

    @Test("a server that accepts and never answers: the request fails at its deadline, not later")
    func silentServer() async throws {
        let requests = RequestCount()
        let server = ScriptedServer { connection, _ in
            _ = requests.read(connection)
            sleep(5)
        }
        defer { server.stop() }
        let start = ContinuousClock.now
        await #expect(throws: WebClientError.deadlineExceeded) {
            try await client.execute(.GET, server.url + "/", timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        // Shutting the client down ends the requests it is running (a sync client replaced after an
        // outage, whose connections may be dead).
        let shared = client
        let waiting = Task { try await shared.execute(.GET, server.url + "/", timeout: .seconds(30)) }
        try await requests.wait(for: 2)
        await client.shutdown()
        await #expect(throws: WebClientError.connectionClosed(answered: false)) { try await waiting.value }
        await #expect(throws: WebClientError.shutDown) {
            try await client.execute(.GET, server.url + "/", timeout: .seconds(5))
        }
    }

    @Test("an answer cut in the middle is an error, not a short body")
    func cutAnswer() async throws {
        let server = ScriptedServer { connection, _ in
            if ScriptedServer.readRequest(connection) {
                ScriptedServer.send(connection, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            }
        }
        defer { server.stop() }
        await #expect(throws: WebClientError.connectionClosed(answered: true)) {
            try await client.execute(.GET, server.url + "/", timeout: .seconds(5))
        }
        await client.shutdown()
    }

    @Test("a kept connection the server dropped: a GET is sent again on a new one, a POST is not")
    func staleConnection() async throws {
        // Each connection answers its first request, then closes on the next one without answering.
        let server = ScriptedServer { connection, number in
            if ScriptedServer.readRequest(connection) {
                ScriptedServer.send(connection, ScriptedServer.ok("\(number)"))
            }
            _ = ScriptedServer.readRequest(connection)
        }
        defer { server.stop() }
        #expect(try await client.execute(.GET, server.url + "/", timeout: .seconds(5)).text == "1")
        #expect(try await client.execute(.GET, server.url + "/", timeout: .seconds(5)).text == "2")
        await #expect(throws: WebClientError.connectionClosed(answered: false)) {
            try await client.execute(.POST, server.url + "/", body: ByteBuffer(string: "x"), timeout: .seconds(5))
        }
        #expect(server.accepted.load(ordering: .relaxed) == 2)
        await client.shutdown()
    }

    @Test("a body over the limit is refused; a streamed body comes in pieces as it is sent")
    func bodies() async throws {
        let server = ScriptedServer { connection, _ in
            while ScriptedServer.readRequest(connection) {
                ScriptedServer.send(connection, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for piece in ["first", "second", "third"] {
                    ScriptedServer.send(connection, String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n")
                    usleep(50_000)
                }
                ScriptedServer.send(connection, "0\r\n\r\n")
            }
        }
        defer { server.stop() }
        await #expect(throws: WebClientError.bodyTooLarge(limit: 8)) {
            try await client.execute(.GET, server.url + "/", timeout: .seconds(5), limit: 8)
        }
        let pieces = Mutex<[String]>([])
        let streamed = try await client.execute(.GET, server.url + "/", timeout: .seconds(5)) { piece in
            pieces.withLock { $0.append(String(buffer: piece)) }
        }
        #expect(streamed.body.readableBytes == 0)
        #expect(pieces.withLock { $0 } == ["first", "second", "third"])
        await client.shutdown()
    }

    @Test("a refused connection and a cancelled request say so at once")
    func refusedAndCancelled() async throws {
        let (fd, port) = listenOnLoopback()
        close(fd)
        do {
            _ = try await client.execute(.GET, "http://127.0.0.1:\(port)/", timeout: .seconds(5))
            Issue.record("a closed port answered")
        } catch {
            #expect("\(error)".contains("refused"), "\(error)")
        }
        let requests = RequestCount()
        let server = ScriptedServer { connection, _ in
            _ = requests.read(connection)
            sleep(5)
        }
        defer { server.stop() }
        let shared = client
        let request = Task { try await shared.execute(.GET, server.url + "/", timeout: .seconds(30)) }
        try await requests.wait(for: 1)
        let start = ContinuousClock.now
        request.cancel()
        await #expect(throws: WebClientError.cancelled) { try await request.value }
        #expect(ContinuousClock.now - start < .seconds(2))
        await #expect(throws: WebClientError.invalidURL("ftp://example.org/")) {
            try await client.execute(.GET, "ftp://example.org/", timeout: .seconds(5))
        }
        await client.shutdown()
    }
}

/// An HTTPS server on loopback (NIOSSL's server side) that answers "ok" to every request, with a
/// certificate for 127.0.0.1 signed by a throwaway CA (`makeLoopbackCertificates`).
final class TLSServer: Sendable {
    let channel: any Channel
    /// The server's own thread: its handshakes never hold up the client's event loops, which the
    /// other tests' deadlines run on.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let caFile: String
    var url: String { "https://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    init() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("webclient-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try makeLoopbackCertificates(in: dir, authority: "WebClient test CA")
        caFile = "\(dir)/ca.pem"
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile("\(dir)/server.pem").map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: "\(dir)/server.key", format: .pem))))
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AnswerOK())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    final class AnswerOK: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok, headers: ["Content-Length": "2", "Content-Type": "text/plain"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

@Suite("The HTTP client over HTTPS: trust decided by the handshake, and said as such")
struct WebClientTLSTests {
    @Test(
        "a certificate the client does not trust is refused as a certificate problem, every time; the CA's client is answered"
    )
    func untrustedAndTrusted() async throws {
        let server = try await TLSServer()
        // The system's roots only: the throwaway CA is not among them. The refusal must come back as
        // the handshake's error (NIOSSLError), never as a connection problem. Before 2026-12-02 a
        // refusal that tore the connection down before the client looked at it came back as
        // ChannelPipelineError.notFound (a red CI run); shown here with a delay put after connecting.
        let untrusted = try WebClient(
            configuration: .init(tls: .makeClientConfiguration(), connectTimeout: .seconds(5)))
        // Many at once, as a loaded station would.
        let url = server.url + "/"
        let failures = await withTaskGroup(of: String?.self) { group in
            for attempt in 1...16 {
                group.addTask {
                    do {
                        let response = try await untrusted.execute(.GET, url, timeout: .seconds(20))
                        return "attempt \(attempt): an untrusted server answered \(response.status)"
                    } catch {
                        return error is NIOSSLError ? nil : "attempt \(attempt): \(String(reflecting: error))"
                    }
                }
            }
            return await group.compactMap { $0 }.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(failures.isEmpty, "\(failures.count) of 16: \(failures.prefix(3))")
        await untrusted.shutdown()

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(server.caFile)
        let trusting = try WebClient(configuration: .init(tls: tls, connectTimeout: .seconds(5)))
        for _ in 1...3 {
            let response = try await trusting.execute(.GET, server.url + "/", timeout: .seconds(10))
            #expect(response.status == .ok && response.text == "ok")
        }
        await trusting.shutdown()
        try await server.stop()
    }
}
