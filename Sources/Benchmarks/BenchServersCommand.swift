// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import NIOCore
import NIOHTTP1
import Server
import Sync
import Synchronization
import WebClient

/// `accueil bench servers`: several servers on one PostgreSQL database, many long-polling kiosks
/// spread over them, check-ins pushed through every server; how long each check-in takes to reach
/// every kiosk, and whether any was lost, seen twice or out of order. The servers and the
/// simulated kiosks (each a long-poll loop speaking the wire format) run in this process.
struct BenchServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers",
        abstract: "Several servers on one PostgreSQL database: check-ins reaching many long-polling kiosks.",
        discussion: """
            Two phases: light load (--light check-ins, one every 200 ms, each through the next server), then \
            --rate check-ins per second for --seconds. Every simulated kiosk must receive every check-in once, \
            in sequence order. --store names an empty PostgreSQL database.
            """
    )

    @Option(help: ArgumentHelp("The PostgreSQL database (empty).", valueName: "postgres://USER:PASSWORD@HOST:PORT/DB"))
    var store: String
    @Option(help: "Servers on the database.") var servers = 3
    @Option(help: "Simulated kiosks, spread over the servers.") var kiosks = 200
    @Option(help: "Check-ins in the light-load phase.") var light = 50
    @Option(help: "Check-ins per second in the load phase.") var rate = 100.0
    @Option(help: "Length of the load phase, in seconds.") var seconds = 20.0
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Phase: Encodable {
        var checkins: Int
        var rate_per_second: Double
        var deliveries: Int
        var cross_server_p50_ms: Double
        var cross_server_p99_ms: Double
        var all_p50_ms: Double
        var all_p99_ms: Double
        var max_ms: Double
        var lost: Int
        var duplicated: Int
        var out_of_order: Int
        /// From a check-in's push to the first message of a dashboard stream on another server
        /// that counts it (its cursor at or past the check-in's sequence number).
        var dashboard_p50_ms: Double
        var dashboard_p99_ms: Double
    }

    struct Figures: Encodable {
        var servers: Int
        var kiosks: Int
        var light: Phase
        var load: Phase
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func validate() throws {
        guard store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") else {
            throw ValidationError("--store must be a PostgreSQL database (several servers share it)")
        }
        guard servers >= 1, kiosks >= 1, rate > 0, seconds > 0 else {
            throw ValidationError("--servers, --kiosks, --rate and --seconds must be positive")
        }
    }

    /// What one simulated kiosk saw: when each check-in arrived, and what went wrong.
    struct Seen: Sendable {
        var server: Int
        var arrivals: [UUID: ContinuousClock.Instant] = [:]
        var sequence: [UUID: Int64] = [:]
        var duplicated = 0
        var outOfOrder = 0
    }

    /// The check-ins pushed, by id: when the push was sent and through which server.
    actor Ledger {
        var sent: [UUID: (at: ContinuousClock.Instant, server: Int)] = [:]
        var failed = 0
        func record(_ id: UUID, at: ContinuousClock.Instant, server: Int) { sent[id] = (at, server) }
        func failure() { failed += 1 }
    }

    func run() async throws {
        try await withStores(servers) { stores in try await run(stores) }
    }

    /// `count` stores on the one spec (one per server: each its own pool and `LISTEN` connection),
    /// open for as long as `body` runs.
    func withStores(_ count: Int, opened: [any CentralStore] = [], _ body: ([any CentralStore]) async throws -> Void)
        async throws
    {
        guard opened.count < count else { return try await body(opened) }
        try await usingCentralStore(store) { central in
            try await withStores(count, opened: opened + [central], body)
        }
    }

    func run(_ stores: [any CentralStore]) async throws {
        let base = 19_000 + Int(getpid() % 1000) * 4
        let http = try WebClient(
            configuration: .init(tls: nil, connectTimeout: .seconds(5), idlePerHost: kiosks + 64))
        do {
            let figures = try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, central) in stores.enumerated() {
                    let app = try buildApplication(
                        ServerConfiguration(port: base + i, store: store), store: central)
                    group.addTask { try await app.run() }
                }
                for i in 0..<servers { try await waitForServer(http, port: base + i) }
                let figures = try await measure(stores[0], http: http, base: base)
                group.cancelAll()
                return figures
            }
            if json { print(Output.json(figures)) }
        } catch {
            await http.shutdown()
            throw error
        }
        await http.shutdown()
    }

    func waitForServer(_ http: WebClient, port: Int) async throws {
        for _ in 0..<100 {
            if let response = try? await http.execute(
                .GET, "http://127.0.0.1:\(port)/api/v1/health", timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure(message: "the benchmark's server on port \(port) did not start", status: 1)
    }

    func measure(_ central: any CentralStore, http: WebClient, base: Int) async throws -> Figures {
        var kioskTokens: [String] = []
        for k in 0..<kiosks { kioskTokens.append(try await central.createToken(kiosk: "bench-kiosk-\(k)")) }
        var pusherTokens: [String] = []
        for s in 0..<servers { pusherTokens.append(try await central.createToken(kiosk: "bench-door-\(s)")) }
        let password = "bench-password-\(UUID().uuidString)"
        try await central.saveOrganiser(try .make(name: "bench", password: password, canSeeNames: false))
        let cookie = try await signIn(http, port: base, password: password)
        log("\(servers) servers, \(kiosks) kiosks long-polling (kiosk k on server k mod \(servers))")
        let lightPhase = try await phase(
            count: light, perSecond: 5, central: central, http: http, base: base, kioskTokens: kioskTokens,
            pusherTokens: pusherTokens, cookie: cookie, name: "light load")
        let loadPhase = try await phase(
            count: Int(rate * seconds), perSecond: rate, central: central, http: http, base: base,
            kioskTokens: kioskTokens, pusherTokens: pusherTokens, cookie: cookie, name: "load")
        return Figures(servers: servers, kiosks: kiosks, light: lightPhase, load: loadPhase)
    }

    func phase(
        count: Int, perSecond: Double, central: any CentralStore, http: WebClient, base: Int,
        kioskTokens: [String], pusherTokens: [String], cookie: String, name: String
    ) async throws -> Phase {
        log("\(name): \(count) check-ins at \(fmt(perSecond))/s…")
        let start = try await central.latestSequence()
        let ledger = Ledger()
        let servers = servers
        // An organiser's dashboard on the last server (signed in through the first).
        let dashboard = Task {
            try await watchDashboard(
                http, port: base + servers - 1, cookie: cookie, until: .seconds(60 + Double(count) / perSecond))
        }
        let seen = try await withThrowingTaskGroup(of: Seen?.self) { group in
            for (k, token) in kioskTokens.enumerated() {
                group.addTask {
                    try await listen(
                        http: http, port: base + k % servers, token: token, server: k % servers, since: start,
                        expected: count)
                }
            }
            // Let every long poll reach its server before the first check-in.
            try await Task.sleep(for: .seconds(1))
            group.addTask {
                try await push(
                    count: count, perSecond: perSecond, http: http, base: base, tokens: pusherTokens, ledger: ledger)
                return nil
            }
            var seen: [Seen] = []
            for try await result in group { if let result { seen.append(result) } }
            return seen
        }
        let sent = await ledger.sent
        var cross: [Double] = []
        var all: [Double] = []
        var lost = 0
        for kiosk in seen {
            for (id, pushed) in sent {
                guard let arrived = kiosk.arrivals[id] else {
                    lost += 1
                    continue
                }
                let ms = (arrived - pushed.at).seconds * 1000
                all.append(ms)
                if pushed.server != kiosk.server { cross.append(ms) }
            }
        }
        dashboard.cancel()
        let shown = (try? await dashboard.value) ?? []
        var sequence: [UUID: Int64] = [:]
        for kiosk in seen { sequence.merge(kiosk.sequence) { a, _ in a } }
        var onDashboard: [Double] = []
        for (id, pushed) in sent {
            guard let seq = sequence[id], let first = shown.first(where: { $0.cursor >= seq }) else { continue }
            onDashboard.append((first.at - pushed.at).seconds * 1000)
        }
        let failed = await ledger.failed
        let result = Phase(
            checkins: sent.count, rate_per_second: perSecond, deliveries: all.count,
            cross_server_p50_ms: percentile(cross, 50), cross_server_p99_ms: percentile(cross, 99),
            all_p50_ms: percentile(all, 50), all_p99_ms: percentile(all, 99), max_ms: all.max() ?? 0,
            lost: lost, duplicated: seen.reduce(0) { $0 + $1.duplicated },
            out_of_order: seen.reduce(0) { $0 + $1.outOfOrder }, dashboard_p50_ms: percentile(onDashboard, 50),
            dashboard_p99_ms: percentile(onDashboard, 99))
        log(
            "  \(sent.count) check-ins (\(failed) pushes failed) × \(seen.count) kiosks: cross-server p50 \(fmt(result.cross_server_p50_ms)) ms, p99 \(fmt(result.cross_server_p99_ms)) ms; all p99 \(fmt(result.all_p99_ms)) ms, max \(fmt(result.max_ms)) ms; lost \(lost), twice \(result.duplicated), out of order \(result.out_of_order); on a dashboard on another server p50 \(fmt(result.dashboard_p50_ms)) ms, p99 \(fmt(result.dashboard_p99_ms)) ms (\(onDashboard.count) of \(sent.count))"
        )
        return result
    }

    /// One check-in every 1/`perSecond` s, each through the next server, each its own request (a
    /// slow answer does not hold the next one back).
    func push(
        count: Int, perSecond: Double, http: WebClient, base: Int, tokens: [String], ledger: Ledger
    ) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let servers = servers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                try await clock.sleep(until: start + .seconds(Double(n) / perSecond))
                let server = n % servers
                group.addTask {
                    let event = WireEvent(
                        Event(attendeeID: "BENCH-\(n)", at: Date(), kiosk: "bench-door-\(server)", body: .checkedIn))
                    let body = ByteBuffer(
                        data: try JSONEncoder().encode(PushRequest(kiosk: "bench-door-\(server)", events: [event])))
                    await ledger.record(event.id, at: clock.now, server: server)
                    let response = try? await http.execute(
                        .POST, "http://127.0.0.1:\(base + server)/api/v1/events",
                        headers: ["Authorization": "Bearer \(tokens[server])", "Content-Type": "application/json"],
                        body: body, timeout: .seconds(30))
                    if response?.status != .ok { await ledger.failure() }
                }
            }
            try await group.waitForAll()
        }
    }

    /// A kiosk's long-poll loop until it has `expected` check-ins (or 60 s without one).
    func listen(http: WebClient, port: Int, token: String, server: Int, since: Int64, expected: Int) async throws
        -> Seen
    {
        var seen = Seen(server: server)
        var cursor = since
        var lastSeq = since
        var quietSince = ContinuousClock.now
        while seen.arrivals.count < expected, ContinuousClock.now - quietSince < .seconds(60) {
            guard
                let response = try? await http.execute(
                    .GET, "http://127.0.0.1:\(port)/api/v1/events?since=\(cursor)&limit=1000&wait=20",
                    headers: ["Authorization": "Bearer \(token)"], timeout: .seconds(30)),
                response.status == .ok,
                let page = try? JSONDecoder().decode(PullResponse.self, from: response.bytes)
            else {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            let now = ContinuousClock.now
            for event in page.events {
                if let seq = event.seq {
                    if seq <= lastSeq { seen.outOfOrder += 1 }
                    lastSeq = max(lastSeq, seq)
                }
                if seen.arrivals[event.id] != nil { seen.duplicated += 1 } else { seen.arrivals[event.id] = now }
                if let seq = event.seq { seen.sequence[event.id] = seq }
            }
            if !page.events.isEmpty { quietSince = now }
            cursor = page.cursor
        }
        return seen
    }

    /// Signs the organiser in through the server on `port`: the session cookie.
    func signIn(_ http: WebClient, port: Int, password: String) async throws -> String {
        let response = try await http.execute(
            .POST, "http://127.0.0.1:\(port)/dashboard/login",
            headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "name=bench&password=\(password)"), timeout: .seconds(30))
        guard let cookie = response.headers["Set-Cookie"].first?.split(separator: ";").first else {
            throw CommandFailure(message: "benchmark: the dashboard sign-in failed (\(response.status))", status: 1)
        }
        return String(cookie)
    }

    /// The dashboard's stream on `port`: when each message came, and the cursor it was at.
    func watchDashboard(_ http: WebClient, port: Int, cookie: String, until limit: Duration) async throws
        -> [(at: ContinuousClock.Instant, cursor: Int64)]
    {
        struct Cursor: Decodable { var cursor: Int64 }
        struct Watch {
            var shown: [(at: ContinuousClock.Instant, cursor: Int64)] = []
            var pending = Data()
        }
        let watch = Mutex(Watch())
        // The stream is read until the deadline ends it.
        _ = try? await http.execute(
            .GET, "http://127.0.0.1:\(port)/api/v1/dashboard/stream", headers: ["Cookie": cookie],
            timeout: limit + .seconds(1)
        ) { chunk in
            let now = ContinuousClock.now
            watch.withLock { watch in
                watch.pending.append(contentsOf: chunk.readableBytesView)
                while let end = watch.pending.firstRange(of: Data("\n\n".utf8)) {
                    let message = watch.pending[watch.pending.startIndex..<end.lowerBound]
                    watch.pending.removeSubrange(watch.pending.startIndex..<end.upperBound)
                    if message.starts(with: Data("data: ".utf8)),
                        let view = try? JSONDecoder().decode(Cursor.self, from: Data(message.dropFirst(6)))
                    {
                        watch.shown.append((now, view.cursor))
                    }
                }
            }
        }
        return watch.withLock { $0.shown }
    }
}
