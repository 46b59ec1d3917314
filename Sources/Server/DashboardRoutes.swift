import AccueilCore
import CentralStorage
import Foundation
import Hummingbird
import Logging
import WebSupport

/// The organisers' dashboard: `/dashboard` (a sign-in form, then the page), its figures at
/// `GET /api/v1/dashboard` and live at `GET /api/v1/dashboard/stream` (server-sent events: a new
/// message whenever an event arrives, and every 5 s for the kiosks' timers). Only a signed-in
/// organiser opens them: kiosk tokens and anonymous requests get 401, and names appear only for
/// organisers allowed to see them.
func addDashboardRoutes(
    to router: Router<ClientContext>, store: any CentralStore, projection: CentralProjection,
    registry: KioskRegistry, notifier: ChangeNotifier, offlineAfter: TimeInterval, eventName: String,
    secureCookies: Bool
) {
    let sessions = OrganiserSessions(store: store)
    let throttle = SignInThrottle()
    let cache = DashboardCache()
    let logger = Logger(label: "accueil.dashboard")

    @Sendable func organiser(_ request: Request) async throws -> OrganiserSessions.Session {
        // A removed account's sessions end at once.
        guard let session = try await sessions.session(request), try await store.organiser(named: session.name) != nil
        else { throw HTTPError(.unauthorized, message: "sign in to the dashboard first (/dashboard)") }
        return session
    }

    /// The view as of now, or one computed less than half a second ago (its cursor says which).
    /// Dashboards asking at the same moment share one computation.
    @Sendable func view(names: Bool) async throws -> (data: Data, cursor: Int64, fresh: Bool) {
        try await cache.view(names: names) {
            let (totals, schedule, cursor) = try await projection.dashboard()
            let kiosks = try await registry.entries()
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let view = DashboardView.make(
                totals: totals, sessions: schedule, cursor: cursor, kiosks: kiosks, names: names,
                offlineAfter: offlineAfter)
            return ((try? encoder.encode(view)) ?? Data("{}".utf8), cursor)
        }
    }

    addReportRoutes(to: router, projection: projection, eventName: eventName, authorise: organiser)

    addAssetRoutes(to: router, under: "/dashboard/assets", DashboardPage.assets)

    router.get("/dashboard") { request, _ -> Response in
        guard let session = try await sessions.session(request) else { return html(DashboardPage.login(error: nil)) }
        return html(DashboardPage.page(organiser: session.name, names: session.canSeeNames, eventName: eventName))
    }

    router.post("/dashboard/login") { request, context -> Response in
        let body = try await request.body.collect(upTo: 16 << 10)
        let form = DashboardPage.signIn(String(buffer: body))
        let name = String(form.name.prefix(128))
        let client = context.client(request)
        let refused = "Nom ou mot de passe incorrect / Wrong name or password"
        @Sendable func throttled(_ wait: Int) async -> Response {
            if let quiet = await throttle.throttledLine(account: name, client: client) {
                logger.notice(
                    "dashboard sign-in throttled",
                    metadata: [
                        "organiser": "\(name)", "client": "\(client)", "retry_after": "\(wait)",
                        "throttled_since_last_line": "\(quiet)",
                    ])
            }
            var response = html(
                DashboardPage.login(
                    error: "Trop d'essais : réessayez dans \(wait) s / Too many attempts: try again in \(wait) s"))
            response.status = .tooManyRequests
            response.headers[.retryAfter] = String(wait)
            return response
        }
        let wait = await throttle.wait(account: name, client: client)
        guard wait == 0 else { return await throttled(wait) }
        // An unknown name is checked against a decoy account: it takes as long as a wrong password.
        let account = try await store.organiser(named: name)
        let password = form.password
        await throttle.acquire()
        // Attempts that queued while the account or client got locked are turned away too.
        let waited = await throttle.wait(account: name, client: client)
        guard waited == 0 else {
            await throttle.release()
            return await throttled(waited)
        }
        let accepted = await SignInThrottle.check(password, against: account ?? .decoy) && account != nil
        await throttle.release()
        guard let account, accepted else {
            await throttle.failed(account: name, client: client)
            logger.notice("dashboard sign-in refused", metadata: ["organiser": "\(name)", "client": "\(client)"])
            try await Task.sleep(for: .milliseconds(500))
            var response = html(DashboardPage.login(error: refused))
            response.status = .unauthorized
            return response
        }
        await throttle.succeeded(account: name, client: client)
        let token = try await sessions.open(account)
        logger.info("dashboard sign-in", metadata: ["organiser": "\(account.name)", "client": "\(client)"])
        // Secure when the browser reached us over HTTPS (our own TLS, or a proxy on this machine that says so).
        let https =
            secureCookies
            || (request.headers[.init("X-Forwarded-Proto")!] == "https"
                && ["127.0.0.1", "::1"].contains(context.remoteAddress?.ipAddress ?? ""))
        return Response(
            status: .seeOther,
            headers: [
                .location: "/dashboard",
                .setCookie:
                    "\(OrganiserSessions.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
                    + (https ? "; Secure" : ""),
            ])
    }

    router.post("/dashboard/logout") { request, _ -> Response in
        try await sessions.close(request)
        return Response(
            status: .seeOther,
            headers: [.location: "/dashboard", .setCookie: "\(OrganiserSessions.cookie)=; Path=/; Max-Age=0"])
    }

    router.get("/api/v1/dashboard") { request, _ -> Response in
        let session = try await organiser(request)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: try await view(names: session.canSeeNames).data)))
    }

    router.get("/api/v1/dashboard/stream") { request, _ -> Response in
        let session = try await organiser(request)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no"],
            body: .init { writer in
                var sentCursor: Int64 = -1
                var sentAt = Date.distantPast
                while !Task.isCancelled {
                    let seen = await notifier.generation
                    let (data, cursor, fresh) = try await view(names: session.canSeeNames)
                    // Something new, or the kiosks' timers to refresh every 5 s.
                    if cursor != sentCursor || Date().timeIntervalSince(sentAt) >= 5 {
                        var message = Data("data: ".utf8)
                        message.append(data)
                        message.append(contentsOf: Array("\n\n".utf8))
                        try await writer.write(ByteBuffer(data: message))
                        sentCursor = cursor
                        sentAt = Date()
                    }
                    // At most two messages a second per dashboard, however fast events arrive; a
                    // view behind the log is followed by a fresh one half a second later.
                    // Only the shared view reads the store: a stream never catches up by itself. A
                    // view taken from the cache may predate `seen`: look again once it expired.
                    try await Task.sleep(for: .milliseconds(500))
                    if fresh { await notifier.wait(after: seen, seconds: 5) }
                }
                try await writer.finish(nil)
            })
    }
}

/// One view computed at most every half second and shared by every open dashboard: 50 of them
/// asking at once wait for the same computation instead of making 50.
actor DashboardCache {
    private var cached: [Bool: (cursor: Int64, at: ContinuousClock.Instant, data: Data)] = [:]
    private var inflight: [Bool: Task<(data: Data, cursor: Int64), any Error>] = [:]

    /// A view less than half a second old (`fresh` false), else the one being computed, else a new one.
    func view(names: Bool, compute: @escaping @Sendable () async throws -> (data: Data, cursor: Int64))
        async throws -> (data: Data, cursor: Int64, fresh: Bool)
    {
        if let hit = cached[names], ContinuousClock.now - hit.at < .milliseconds(500) {
            return (hit.data, hit.cursor, false)
        }
        if let running = inflight[names] {
            let made = try await running.value
            return (made.data, made.cursor, true)
        }
        let task = Task { try await compute() }
        inflight[names] = task
        defer { inflight[names] = nil }
        let made = try await task.value
        cached[names] = (made.cursor, ContinuousClock.now, made.data)
        return (made.data, made.cursor, true)
    }
}

func html(_ page: String) -> Response {
    Response(
        status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(string: page)))
}
