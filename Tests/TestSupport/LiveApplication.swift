import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import WebClient

/// How an application is tried by the tests: served on a loopback port of its own, with its
/// services, and asked through a real HTTP client (sockets, the HTTP codec, keep-alive), as a
/// browser or a kiosk would.
public enum TestingSetup: Sendable {
    case live
}

/// One answer, in the terms the routes use (HTTPTypes).
public struct TestResponse: Sendable {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    public let body: ByteBuffer
}

/// Sends requests to the application under test.
public struct TestClient: Sendable {
    let web: WebClient
    public let port: Int

    /// Sends one request and hands its answer to `testCallback`.
    @discardableResult public func execute<Return>(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        testCallback: (TestResponse) async throws -> Return = { $0 }
    ) async throws -> Return {
        var sent = HTTPHeaders()
        for field in headers { sent.add(name: field.name.rawName, value: field.value) }
        let answer = try await web.execute(
            HTTPMethod(rawValue: method.rawValue), "http://127.0.0.1:\(port)\(uri)", headers: sent, body: body,
            timeout: .seconds(60), limit: 256 << 20)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPResponse.Status(code: Int(answer.status.code), reasonPhrase: answer.status.reasonPhrase)
        return try await testCallback(TestResponse(status: status, headers: fields, body: answer.body))
    }
}

extension ApplicationProtocol {
    /// Runs the application on a free loopback port for the length of `test`, then shuts it down
    /// gracefully (its services included) and waits for it.
    public func test<Value>(
        _ setup: TestingSetup, _ test: @Sendable (TestClient) async throws -> Value
    ) async throws -> Value {
        let (ports, reached) = AsyncStream.makeStream(of: Int.self)
        let served = LiveApplication(base: self, reached: reached)
        let web = try WebClient(configuration: .init(tls: nil))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(
                configuration: .init(services: [served], gracefulShutdownSignals: [], logger: served.logger))
            group.addTask {
                defer { reached.finish() }
                try await serviceGroup.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // It stopped before serving: its own error, if it gave one.
                try await group.next()
                throw LiveApplicationError.notServing
            }
            do {
                let value = try await test(TestClient(web: web, port: port))
                await web.shutdown()
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                return value
            } catch {
                await web.shutdown()
                await serviceGroup.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

public struct LiveApplicationError: Error {
    static let notServing = LiveApplicationError()
}

/// The application under test, listening on 127.0.0.1 and a port the system picks, and saying
/// which once it serves.
struct LiveApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Base.Responder

    let base: Base
    let reached: AsyncStream<Int>.Continuation

    var responder: Responder { get async throws { try await base.responder } }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration.with(address: .hostname("127.0.0.1", port: 0)) }
    var logger: Logger { base.logger }
    var services: [any Service] { base.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

    @Sendable func onServerRunning(_ channel: any Channel) async {
        await base.onServerRunning(channel)
        if let port = channel.localAddress?.port { reached.yield(port) }
        reached.finish()
    }
}
