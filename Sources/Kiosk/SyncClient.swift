import Foundation
import Sync

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The kiosk's side of `/api/v1/`: push a batch, pull changes (long poll), fetch a snapshot.
/// Failures come back as `SyncError.transport` in words staff can act on.
public struct SyncClient: Sendable {
    public let server: URL
    let token: String
    let kiosk: String
    let session: URLSession

    public init(server: URL, token: String, kiosk: String) {
        self.server = server
        self.token = token
        self.kiosk = kiosk
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    func url(_ path: String, _ query: [String: String] = [:]) -> URL {
        var components = URLComponents(url: server.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map(URLQueryItem.init) }
        return components.url!
    }

    public func push(_ events: [WireEvent]) async throws(SyncError) -> PushResponse {
        var request = URLRequest(url: url("api/v1/events"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        do {
            request.httpBody = try JSONEncoder().encode(PushRequest(kiosk: kiosk, events: events))
        } catch {
            throw .invalid("cannot encode the batch: \(error)")
        }
        return try await exchange(request, timeout: 60)
    }

    /// Changes after `since`; with `wait` > 0 the server holds the request until something arrives.
    public func pull(since: Int64, limit: Int = 1000, wait: Int = 0) async throws(SyncError) -> PullResponse {
        let request = URLRequest(
            url: url("api/v1/events", ["since": String(since), "limit": String(limit), "wait": String(wait)]))
        return try await exchange(request, timeout: TimeInterval(wait + 30))
    }

    public func get<T: Decodable>(
        _ path: String, _ query: [String: String] = [:], as: T.Type, timeout: TimeInterval = 60
    )
        async throws(SyncError) -> T
    {
        try await exchange(URLRequest(url: url(path, query)), timeout: timeout)
    }

    public func post<T: Decodable>(_ path: String, body: Data, as: T.Type, timeout: TimeInterval = 120)
        async throws(SyncError) -> T
    {
        var request = URLRequest(url: url(path))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        return try await exchange(request, timeout: timeout)
    }

    func exchange<T: Decodable>(_ request: URLRequest, timeout: TimeInterval) async throws(SyncError) -> T {
        var request = request
        request.timeoutInterval = timeout
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw .transport(Self.words(for: error, server: server))
        }
        guard let http = response as? HTTPURLResponse else { throw .transport("no HTTP answer from \(server)") }
        guard http.statusCode == 200 else {
            let body = String(decoding: data.prefix(300), as: UTF8.self)
            throw .transport(Self.words(status: http.statusCode, body: body, kiosk: kiosk))
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .transport("the server at \(server) answered something unexpected (\(error))")
        }
    }

    static func words(for error: any Error, server: URL) -> String {
        let host = server.host.map { "\($0):\(server.port.map(String.init) ?? "80")" } ?? server.absoluteString
        guard let url = error as? URLError else { return "cannot reach the server at \(host): \(error)" }
        switch url.code {
        case .cannotConnectToHost: return "the server at \(host) refuses connections (is it running?)"
        case .timedOut: return "the server at \(host) did not answer in time"
        case .cannotFindHost, .dnsLookupFailed:
            return "the server's name \(server.host ?? "") is unknown on this network"
        case .notConnectedToInternet, .networkConnectionLost:
            return "the network is down or the connection to \(host) was lost"
        case .cancelled: return "cancelled"
        default: return "cannot reach the server at \(host): \(url.localizedDescription) (\(url.code.rawValue))"
        }
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
