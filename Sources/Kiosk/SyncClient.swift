import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Sync
import Synchronization
import WebClient

/// The kiosk's side of `/api/v1/`: push a batch, pull changes (long poll), fetch a snapshot.
/// Failures come back as `SyncError.transport` in words staff can act on.
///
/// Over HTTPS the server's certificate is checked against the system's trusted authorities, or,
/// with `caFile`, against that authority only (a self-signed event server's CA, pinned).
public struct SyncClient: Sendable {
    public let server: URL
    let token: String
    let kiosk: String
    let client: WebClient
    let caFile: String?
    /// This client's connections are its own (`withFreshConnections`), to shut down when replaced.
    let owned: Bool

    public init(server: URL, token: String, kiosk: String, caFile: String? = nil) throws(SyncError) {
        self.server = server
        self.token = token
        self.kiosk = kiosk
        self.caFile = caFile
        client = try Self.client(caFile: caFile)
        owned = false
    }

    private init(server: URL, token: String, kiosk: String, caFile: String?, client: WebClient) {
        self.server = server
        self.token = token
        self.kiosk = kiosk
        self.caFile = caFile
        self.client = client
        owned = true
    }

    /// The same client on a pool of new connections: after an outage, connections opened before or
    /// during it may be dead without anyone knowing (nothing resets them), and a request given one
    /// would wait out its whole deadline.
    public func withFreshConnections() throws(SyncError) -> SyncClient {
        SyncClient(
            server: server, token: token, kiosk: kiosk, caFile: caFile,
            client: try Self.makeClient(caFile: caFile, probe: false))
    }

    /// Closes this client's connections, if they are its own.
    public func shutdown() async {
        if owned { await client.shutdown() }
    }

    /// One HTTP client per trust setting, for the life of the process (they hold connection pools).
    private static let clients = Mutex<[String: WebClient]>([:])

    static func client(caFile: String?) throws(SyncError) -> WebClient {
        let key = caFile ?? ""
        if let known = clients.withLock({ $0[key] }) { return known }
        let made = try makeClient(caFile: caFile, probe: false)
        return clients.withLock { clients in
            if let other = clients[key] { return other }
            clients[key] = made
            return made
        }
    }

    /// A client of its own (not cached): the probe's, so that each probe opens a fresh connection
    /// and never waits behind requests stuck on a connection that died silently.
    static func makeClient(caFile: String?, probe: Bool) throws(SyncError) -> WebClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !roots.isEmpty else { throw SyncError.invalid("no certificate in \(caFile)") }
                tls.trustRoots = .certificates(roots)
            } catch let error as SyncError {
                throw error
            } catch {
                throw .invalid("cannot read the CA certificate \(caFile): \(error)")
            }
        }
        // A refused connection or a bad certificate is said at once (the sync loop retries, with
        // backoff), not after the request's whole deadline.
        do {
            return try WebClient(
                configuration: .init(tls: tls, connectTimeout: .seconds(probe ? 2 : 10), idlePerHost: 4))
        } catch {
            throw .invalid("cannot set up TLS: \(error)")
        }
    }

    func url(_ path: String, _ query: [String: String] = [:]) -> URL {
        var components = URLComponents(url: server.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map(URLQueryItem.init) }
        return components.url!
    }

    public func push(_ events: [WireEvent]) async throws(SyncError) -> PushResponse {
        let body: Data
        do { body = try JSONEncoder().encode(PushRequest(kiosk: kiosk, events: events)) } catch {
            throw .invalid("cannot encode the batch: \(error)")
        }
        // A batch is at most a few MB on a local network: past 15 s the link is down, not slow.
        return try await exchange(url("api/v1/events"), method: .POST, body: body, timeout: 15)
    }

    /// Changes after `since`; with `wait` > 0 the server holds the request until something arrives.
    public func pull(since: Int64, limit: Int = 1000, wait: Int = 0) async throws(SyncError) -> PullResponse {
        try await exchange(
            url("api/v1/events", ["since": String(since), "limit": String(limit), "wait": String(wait)]),
            method: .GET, body: nil, timeout: TimeInterval(wait + 5))
    }

    /// Is the server there? `GET /api/v1/health` with a short deadline (the link probe).
    public func health(timeout: TimeInterval) async throws(SyncError) {
        let probe = try Self.makeClient(caFile: caFile, probe: true)
        var failure: SyncError?
        do {
            let response = try await probe.execute(
                .GET, url("api/v1/health").absoluteString, timeout: .milliseconds(Int64(timeout * 1000)),
                limit: 1 << 16)
            if response.status.code != 200 {
                failure = .transport("the server at \(server) answered HTTP \(response.status.code) to a probe")
            }
        } catch {
            failure = .transport(Self.words(for: error, server: server, pinned: caFile != nil))
        }
        await probe.shutdown()
        if let failure { throw failure }
    }

    public func get<T: Decodable>(
        _ path: String, _ query: [String: String] = [:], as: T.Type, timeout: TimeInterval = 60
    )
        async throws(SyncError) -> T
    {
        try await exchange(url(path, query), method: .GET, body: nil, timeout: timeout)
    }

    public func post<T: Decodable>(_ path: String, body: Data, as: T.Type, timeout: TimeInterval = 120)
        async throws(SyncError) -> T
    {
        try await exchange(url(path), method: .POST, body: body, timeout: timeout)
    }

    func exchange<T: Decodable>(_ url: URL, method: HTTPMethod, body: Data?, timeout: TimeInterval)
        async throws(SyncError) -> T
    {
        let (status, data) = try await send(url, method: method, body: body, timeout: timeout)
        guard status == 200 else {
            let text = String(decoding: data.prefix(300), as: UTF8.self)
            let words = Self.words(status: Int(status), body: text, kiosk: kiosk)
            if [400, 413, 422].contains(status) { throw .refused(status: Int(status), why: words) }
            throw .transport(words)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .transport("the server at \(server) answered something unexpected (\(error))")
        }
    }

    /// The event's badge keyring for this station (JSON), nil when the server has none (404).
    public func keyring() async throws(SyncError) -> Data? {
        let (status, data) = try await send(url("api/v1/keys"), method: .GET, body: nil, timeout: 15)
        if status == 404 { return nil }
        guard status == 200 else {
            throw .transport(
                Self.words(status: Int(status), body: String(decoding: data.prefix(300), as: UTF8.self), kiosk: kiosk))
        }
        return data
    }

    func send(_ url: URL, method: HTTPMethod, body: Data?, timeout: TimeInterval) async throws(SyncError) -> (
        UInt, Data
    ) {
        var headers = HTTPHeaders([("Authorization", "Bearer \(token)")])
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let status: UInt
        let data: Data
        do {
            let response = try await client.execute(
                method, url.absoluteString, headers: headers, body: body.map { ByteBuffer(bytes: $0) },
                timeout: .milliseconds(Int64(timeout * 1000)), limit: 1 << 30)
            status = response.status.code
            data = response.bytes
        } catch {
            throw .transport(Self.words(for: error, server: server, pinned: caFile != nil))
        }
        return (status, data)
    }

    static func words(for error: any Error, server: URL, pinned: Bool = false) -> String {
        let port = server.port ?? (server.scheme == "https" ? 443 : 80)
        let host = server.host.map { "\($0):\(port)" } ?? server.absoluteString
        let text = String(describing: error)
        if error is NIOSSLError || error is NIOSSLExtraError || text.contains("handshakeFailed")
            || text.contains("CERTIFICATE_VERIFY_FAILED")
        {
            return pinned
                ? "the server at \(host) has a certificate the event's CA (--ca-file) did not sign: \(text)"
                : "the server at \(host) has a certificate this kiosk does not trust (a self-signed event server? give its CA with --ca-file): \(text)"
        }
        switch error as? WebClientError {
        case .deadlineExceeded, .connectTimeout: return "the server at \(host) did not answer in time"
        case .cancelled: return "cancelled"
        case .connectionClosed: return "the network is down or the connection to \(host) was lost"
        case .bodyTooLarge(let limit): return "the server at \(host) answered more than \(limit) bytes"
        default: break
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111")
            || text.contains("ECONNREFUSED")
        {
            return "the server at \(host) refuses connections (is it running?)"
        }
        if text.contains("dnsAError") || text.contains("dnsAAAAError") || text.contains("resolution") {
            return "the server's name \(server.host ?? "") is unknown on this network"
        }
        if text.contains("timed out") || text.contains("Timeout") || text.contains("timeout") {
            return "the server at \(host) did not answer in time"
        }
        return "cannot reach the server at \(host): \(text)"
    }

    static func words(status: Int, body: String, kiosk: String) -> String {
        switch status {
        case 401:
            "the server refused this kiosk's token (wrong or revoked): make a new one with `accueil token create --kiosk \(kiosk)`"
        case 413: "the server refused a batch as too large: \(body)"
        case 400, 422: "the server refused the data (\(status)): \(body)"
        case 500...599: "the server had an error (\(status)): \(body)"
        default: "unexpected answer from the server (HTTP \(status)): \(body)"
        }
    }
}
