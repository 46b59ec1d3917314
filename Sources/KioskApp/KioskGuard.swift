import AccueilCore
import Foundation
import HTTPTypes
import Hummingbird
import WebSupport

/// What keeps other web pages away from the kiosk's local API, in the kiosk's own browser.
///
/// - Every request names a host this kiosk answers to (`Host`): loopback names, IP addresses, this
///   machine's name and `--allow-host` names. A page on another site whose name was re-pointed at
///   127.0.0.1 (DNS rebinding) names its own host and is refused, so it cannot read the roster.
/// - A request that changes something (any method but GET and HEAD) must be JSON
///   (`Content-Type: application/json`), come from the kiosk's own origin when the browser says
///   where it comes from (`Origin`), and carry the page token (`X-Accueil-Page`) that only the
///   kiosk's pages know: a form or a `no-cors` fetch from another origin can send none of these.
///
/// The page token is kept in the station's data directory (`page-token`), so that a screen open
/// across a restart of the daemon keeps working.
struct KioskGuard: RouterMiddleware {
    typealias Context = ClientContext
    static let header = HTTPField.Name("X-Accueil-Page")!

    let pageToken: String
    let allowedHosts: Set<String>

    init(pageToken: String, allowedHosts: [String]) {
        self.pageToken = pageToken
        var hosts: Set<String> = ["localhost", "localhost.localdomain"]
        let name = ProcessInfo.processInfo.hostName.lowercased()
        if !name.isEmpty {
            hosts.insert(name)
            if let short = name.split(separator: ".").first { hosts.insert(String(short)) }
        }
        for host in allowedHosts where !host.isEmpty { hosts.insert(host.lowercased()) }
        self.allowedHosts = hosts
    }

    func handle(
        _ request: Request, context: ClientContext, next: (Request, ClientContext) async throws -> Response
    ) async throws -> Response {
        if let refusal = refusal(request) {
            kioskLog.warning(
                "kiosk API request refused",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "why": "\(refusal)",
                    "client": "\(context.client(request))",
                ])
            throw HTTPError(.forbidden, message: refusal)
        }
        return try await next(request, context)
    }

    /// Why the request is refused, nil when it may go on.
    func refusal(_ request: Request) -> String? {
        guard let authority = request.head.authority, let host = Self.host(of: authority)
        else { return "no Host header" }
        guard allows(host: host) else {
            return "this kiosk does not answer to the host \(LogText.escaped(host, limit: 80))"
        }
        if request.method == .get || request.method == .head { return nil }
        if let origin = request.headers[.origin] {
            guard let (originHost, originPort) = Self.origin(origin), originHost == host,
                Self.port(of: authority) == originPort
            else { return "a request from another origin (\(LogText.escaped(origin, limit: 80)))" }
        }
        guard let type = request.headers[.contentType], Self.isJSON(type) else {
            return "the kiosk's API takes JSON only (Content-Type: application/json)"
        }
        guard let token = request.headers[Self.header], Self.same(token, pageToken) else {
            return "not from this kiosk's page (no page token)"
        }
        return nil
    }

    func allows(host: String) -> Bool {
        allowedHosts.contains(host) || host.hasSuffix(".localhost") || Self.isIPAddress(host)
    }

    /// `Host: name:port` → `name`, lower case; `[::1]:8081` → `::1`.
    static func host(of authority: String) -> String? {
        var text = authority.lowercased()
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            return String(text[text.index(after: text.startIndex)..<close])
        }
        if let colon = text.lastIndex(of: ":") { text = String(text[..<colon]) }
        return text.isEmpty ? nil : text
    }

    /// Whether a `Content-Type` names JSON: `application/json`, in any case, with or without
    /// parameters (`; charset=utf-8`). (Without Foundation's `trimmingCharacters`, which goes
    /// through NSString: 1.5 % of the daemon's CPU under load.)
    static func isJSON(_ type: String) -> Bool {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var media = Substring(type)
        if let semicolon = media.firstIndex(of: ";") { media = media[..<semicolon] }
        media = media.drop(while: blank)
        while let last = media.last, blank(last) { media = media.dropLast() }
        return media.lowercased() == "application/json"
    }

    /// `Origin: scheme://name:port` → (`name` in lower case, `port`; nil without one), `[::1]` →
    /// `::1`; nil for what is not an origin (`null`, a path, a user, a port that is not a number).
    /// (Read by hand: `URL(string:)` was 2 % of the daemon's CPU under load.)
    static func origin(_ text: String) -> (host: String, port: Int?)? {
        guard let separator = text.range(of: "://"), !text[..<separator.lowerBound].isEmpty else { return nil }
        let rest = text[separator.upperBound...].lowercased()
        guard !rest.isEmpty, !rest.contains(where: { "/?#@ ".contains($0) }) else { return nil }
        var host = Substring(rest)
        var port: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                port = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        guard let port else { return (String(host), nil) }
        guard let number = Int(port), number >= 0 else { return nil }
        return (String(host), number)
    }

    static func port(of authority: String) -> Int? {
        guard let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") else { return nil }
        return Int(authority[authority.index(after: colon)...])
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }

    /// The station's page token: read from `directory/page-token`, made there the first time.
    static func pageToken(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("page-token")
        if let text = try? String(contentsOf: file, encoding: .utf8), text.trimmed.count >= 32 {
            return text.trimmed
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(token.utf8).write(to: file, options: .atomic)
        chmod(file.path, 0o600)
        return token
    }
}
