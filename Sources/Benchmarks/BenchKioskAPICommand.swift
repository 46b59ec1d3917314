// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskStore
import NIOCore
import NIOHTTP1
import NIOPosix
import Tooling
import WebClient
import WebSupport

/// `accueil bench kiosk-api`: the kiosk daemon under the load of busy door screens. Starts
/// `accueil kiosk` (this same binary) on a generated roster, then `--clients` clients call its API
/// as browsers do — check-ins (half of them with a badge to print), undos, reprints, searches,
/// scans, status and stats polling — for `--seconds`. Every answer is checked (status, JSON, the
/// fields the screens read); the daemon's memory is sampled; at the end every acknowledged
/// check-in must be in the store exactly once. Exits 1 when anything is wrong: it is also the
/// suite's soak test.
struct BenchKioskAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk-api",
        abstract: "The kiosk daemon's API under concurrent door-screen load: throughput, latency, memory, ledger.")

    @Option(help: "Concurrent clients.") var clients = 16
    @Option(help: "How long to run, in seconds.") var seconds = 30.0
    @Option(help: "Attendees in the generated roster.") var count = 20_000
    @Option(
        help: """
            door: the door screens' mix; checkins: only check-ins (for the throughput figure); health: only \
            GET /api/v1/health (the floor: what HTTP alone costs the daemon and the clients on this machine).
            """)
    var mix: Mix = .door
    @Option(help: ArgumentHelp("Work in this directory (emptied first) instead of a temporary one.", valueName: "dir"))
    var data: String?
    @Flag(help: "Print the figures as JSON.") var json = false

    func log(_ text: String) { if !json { Output.err(text) } }

    enum Mix: String, ExpressibleByArgument, CaseIterable, Sendable { case door, checkins, health }

    struct Figures: Encodable {
        var clients: Int
        var seconds: Double
        var attendees: Int
        var requests: Int
        var requests_per_second: Double
        var checkins_acknowledged: Int
        var checkins_per_second: Double
        var checkin_p50_ms: Double
        var checkin_p99_ms: Double
        var checkin_max_ms: Double
        var request_p99_ms: Double
        var by_route: [String: Int]
        var rss_start_mb: Double
        var rss_end_mb: Double
        var rss_max_mb: Double
        /// The daemon's resident memory at the end of each tenth of the run, in MB: flat once the
        /// roster is in memory, or growing.
        var rss_tenths_mb: [Double]
        /// CPU time (user + system) per request: the daemon's, and the bench's own clients'.
        var daemon_cpu_us_per_request: Double
        var clients_cpu_us_per_request: Double
        /// CPU time of the daemon's committer thread per request of the check-in route: the one
        /// thread every grouped check-in's statements and commit run on, in turn (0 when it never
        /// started: a quiet door commits on the caller's thread). Less noisy than the rate on a
        /// shared machine, and what bounds the rate at a busy door.
        var committer_cpu_us_per_checkin: Double
        var daemon_alive: Bool
        var bad_answers: Int
        var first_bad_answers: [String]
        var ledger_checked: Int
        var ledger_mismatches: [String]
        /// What the one-client figure is held against, measured before the load on the same
        /// machine: one round trip to the daemon's no-op route (`GET /api/v1/health`) with the
        /// bench's own HTTP client, and one 32 KiB write and `fdatasync` in the store's folder
        /// (p50 of each). The target for one client: a check-in's p50 within twice their sum.
        var round_trip_p50_ms: Double
        var fdatasync_p50_ms: Double
        var one_client_target_ms: Double
        /// The same reference measured during the load, at one client only: the client makes one
        /// round trip to `GET /api/v1/health` and one 32 KiB write and `fdatasync` in the store's
        /// folder after every `referenceEvery`-th check-in, in the same seconds as the check-ins and
        /// under the same background (the store's checkpoints, the machine's other work). Nil with
        /// more clients, where a round trip waits behind the others' check-ins.
        var round_trip_during_p50_ms: Double?
        var fdatasync_during_p50_ms: Double?
        var one_client_target_during_ms: Double?
        var ok: Bool
    }

    /// What one client saw.
    struct Tally: Sendable {
        var requests = 0
        var byRoute: [String: Int] = [:]
        var checkinMs: [Double] = []
        var allMs: [Double] = []
        var bad: [String] = []
        var badCount = 0
        /// Acknowledged check-ins (answers "checked_in") per attendee.
        var acknowledged: [String: Int] = [:]
        /// The daemon's resident memory, sampled: seconds since the start, MB.
        var rssSamples: [(seconds: Double, mb: Double)] = []
        /// The reference measured during the load (one client only): round trips to the no-op
        /// route and 32 KiB writes + `fdatasync`, in milliseconds.
        var referenceRoundTripMs: [Double] = []
        var referenceFdatasyncMs: [Double] = []

        mutating func merge(_ other: Tally) {
            requests += other.requests
            byRoute.merge(other.byRoute, uniquingKeysWith: +)
            checkinMs += other.checkinMs
            allMs += other.allMs
            bad += other.bad.prefix(max(0, 10 - bad.count))
            badCount += other.badCount
            acknowledged.merge(other.acknowledged, uniquingKeysWith: +)
            rssSamples += other.rssSamples
            referenceRoundTripMs += other.referenceRoundTripMs
            referenceFdatasyncMs += other.referenceFdatasyncMs
        }
    }

    func run() async throws {
        let directory =
            data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-api-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if data == nil { try? FileManager.default.removeItem(at: directory) } }
        let store = directory.appendingPathComponent("data")
        let db = try KioskDatabase(directory: store)
        let attendees = RosterGenerator(seed: 7).attendees(count: count)
        _ = try db.importRoster(attendees, kiosk: "bench")
        // Badge keys, as a station has them: without, "check in and print" is refused (409).
        try Keyring.create(event: "BENCH", eventName: "Bench").save(to: store)
        let ids = attendees.map(\.id)
        log("\(count) attendees imported; starting the kiosk daemon…")

        let logFile = directory.appendingPathComponent("kiosk.log").path
        // A printer that does not exist: badges queue (in the check-in's transaction) and wait,
        // as they would with the printer unplugged; nothing is sent to the machine's cupsd.
        let (kiosk, port) = try await BenchKioskCommand.startKiosk(
            ["kiosk", "--data", store.path, "--name", "bench", "--listen", "127.0.0.1:0", "--printer", "bench-absent"],
            logFile: logFile,
            environment: ProcessInfo.processInfo.environment.merging(
                ["SWIFT_BACKTRACE": "enable=no", "CUPS_SERVER": "/nonexistent/cups.sock"], uniquingKeysWith: { $1 }))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let base = "http://127.0.0.1:\(port)"
        // The door page's token: the kiosk refuses changes without it (KioskGuard).
        guard let pageToken = kioskPageToken(port: UInt16(port)) else {
            throw CommandFailure(message: "bench: the kiosk's page has no page token", status: 1)
        }
        // Each client is one task on one of NIO's event loops, with its own connection on that loop
        // (`Pinned`): its requests never change threads. From Swift's global executor, with the
        // connections on the loops, each request crossed threads twice, and the clients took more
        // of the daemon's two cores than the measure needs (8 clients, check-ins: 158–173 µs of CPU
        // a request, against 124–149 µs pinned). The daemon's own figures do not depend on it.
        let pinned = try (0..<clients).map { _ in try Pinned() }
        let roundTrip = try await pinned[0].run { http in try await Self.roundTripMs(http: http, base: base) }
        let probe = try FdatasyncProbe(in: store)
        let fdatasyncMs = try probe.p50(times: 200)
        let target = 2 * (roundTrip + fdatasyncMs)

        let rssStart = Self.rss(pid: kiosk.pid)
        let pid = kiosk.pid
        let daemonCPUStart = Self.cpuSeconds(pid: pid)
        let ownCPUStart = Self.cpuSeconds(pid: getpid())
        let committerCPUStart = Self.committerCPUSeconds(pid: pid)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        log("\(clients) clients for \(seconds) s on \(base) (\(mix.rawValue))…")
        let started = ContinuousClock.now
        let tally = await withTaskGroup(of: Tally.self) { group in
            for client in 0..<clients {
                let one = pinned[client]
                group.addTask(executorPreference: one.executor) {
                    await Self.client(
                        client, of: clients, base: base, pageToken: pageToken, http: one.http, ids: ids, mix: mix,
                        reference: clients == 1 ? probe : nil, until: deadline)
                }
            }
            group.addTask {
                var sampler = Tally()
                while ContinuousClock.now < deadline {
                    sampler.rssSamples.append((Self.seconds(since: started), Self.rss(pid: pid)))
                    try? await Task.sleep(for: .milliseconds(500))
                }
                return sampler
            }
            var all = Tally()
            for await one in group { all.merge(one) }
            return all
        }
        let elapsed = Self.seconds(since: started)
        let daemonCPU = Self.cpuSeconds(pid: pid) - daemonCPUStart
        let ownCPU = Self.cpuSeconds(pid: getpid()) - ownCPUStart
        let committerCPU = Self.committerCPUSeconds(pid: pid) - committerCPUStart
        for one in pinned { await one.http.shutdown() }
        let alive = kiosk.poll() == nil
        let rssEnd = Self.rss(pid: kiosk.pid)
        // The last sample in each tenth of the run (the end's own for the last tenth).
        let tenths = (1...10).map { tenth in
            tenth == 10
                ? rssEnd : tally.rssSamples.last { $0.seconds <= elapsed * Double(tenth) / 10 }?.mb ?? rssStart
        }

        // The ledger: each "checked_in" answer is one check-in event in the store, no more, no less.
        var mismatches: [String] = []
        let stored = try db.eventCounts(type: "checkin")
        for id in Set(stored.keys).union(tally.acknowledged.keys).sorted() where stored[id] != tally.acknowledged[id] {
            if mismatches.count < 10 {
                mismatches.append("\(id): \(tally.acknowledged[id] ?? 0) acknowledged, \(stored[id] ?? 0) in the store")
            }
        }
        let checkins = tally.acknowledged.values.reduce(0, +)
        let during =
            tally.referenceRoundTripMs.isEmpty || tally.referenceFdatasyncMs.isEmpty
            ? nil
            : (
                roundTrip: percentile(tally.referenceRoundTripMs, 50),
                fdatasync: percentile(tally.referenceFdatasyncMs, 50)
            )
        let figures = Figures(
            clients: clients, seconds: elapsed, attendees: count, requests: tally.requests,
            requests_per_second: Double(tally.requests) / elapsed, checkins_acknowledged: checkins,
            checkins_per_second: Double(checkins) / elapsed, checkin_p50_ms: percentile(tally.checkinMs, 50),
            checkin_p99_ms: percentile(tally.checkinMs, 99), checkin_max_ms: tally.checkinMs.max() ?? 0,
            request_p99_ms: percentile(tally.allMs, 99), by_route: tally.byRoute, rss_start_mb: rssStart,
            rss_end_mb: rssEnd, rss_max_mb: tally.rssSamples.map(\.mb).reduce(max(rssStart, rssEnd), max),
            rss_tenths_mb: tenths,
            daemon_cpu_us_per_request: daemonCPU * 1e6 / Double(max(1, tally.requests)),
            clients_cpu_us_per_request: ownCPU * 1e6 / Double(max(1, tally.requests)),
            committer_cpu_us_per_checkin: committerCPU * 1e6 / Double(max(1, tally.byRoute["/api/v1/checkin"] ?? 0)),
            daemon_alive: alive,
            bad_answers: tally.badCount,
            first_bad_answers: tally.bad, ledger_checked: stored.count, ledger_mismatches: mismatches,
            round_trip_p50_ms: roundTrip, fdatasync_p50_ms: fdatasyncMs, one_client_target_ms: target,
            round_trip_during_p50_ms: during?.roundTrip, fdatasync_during_p50_ms: during?.fdatasync,
            one_client_target_during_ms: during.map { 2 * ($0.roundTrip + $0.fdatasync) },
            ok: alive && tally.badCount == 0 && mismatches.isEmpty && checkins > 0)
        if json {
            print(Output.json(figures))
        } else {
            let fmt = { (v: Double) in String(format: "%.1f", v) }
            print("kiosk API, \(clients) clients, \(fmt(elapsed)) s, \(count) attendees, mix \(mix.rawValue)")
            print(
                "requests: \(tally.requests) (\(fmt(figures.requests_per_second))/s), p99 \(fmt(figures.request_p99_ms)) ms"
            )
            let fmt2 = { (v: Double) in String(format: "%.2f", v) }
            print(
                "check-ins acknowledged: \(checkins) (\(fmt(figures.checkins_per_second))/s), p50 \(fmt2(figures.checkin_p50_ms)) ms, p99 \(fmt(figures.checkin_p99_ms)) ms, max \(fmt(figures.checkin_max_ms)) ms"
            )
            print(
                "reference, before the load: round trip to GET /api/v1/health p50 \(fmt2(roundTrip)) ms, 32 KiB write + fdatasync p50 \(fmt2(fdatasyncMs)) ms; one-client target 2 × their sum = \(fmt2(target)) ms"
            )
            if let during, let duringTarget = figures.one_client_target_during_ms {
                print(
                    "reference, during the load (after every \(Self.referenceEvery)th check-in, \(tally.referenceRoundTripMs.count) of each): round trip p50 \(fmt2(during.roundTrip)) ms, 32 KiB write + fdatasync p50 \(fmt2(during.fdatasync)) ms; one-client target 2 × their sum = \(fmt2(duringTarget)) ms"
                )
            }
            print("daemon RSS: start \(fmt(rssStart)) MB, max \(fmt(figures.rss_max_mb)) MB, end \(fmt(rssEnd)) MB")
            let byTenth = tenths.map { String(format: "%.0f", $0) }.joined(separator: " ")
            print("daemon RSS by tenth of the run, MB: \(byTenth)")
            print(
                "CPU per request: daemon \(Int(figures.daemon_cpu_us_per_request)) µs (\(fmt(daemonCPU / elapsed)) cores), clients \(Int(figures.clients_cpu_us_per_request)) µs (\(fmt(ownCPU / elapsed)) cores)"
            )
            print(
                "committer thread: \(Int(figures.committer_cpu_us_per_checkin)) µs of CPU a check-in (\(fmt(committerCPU / elapsed)) cores)"
            )
            print(
                "daemon alive: \(alive); bad answers: \(tally.badCount); ledger: \(stored.count) attendees checked, \(mismatches.count) mismatches"
            )
            for line in tally.bad { print("  bad answer: \(line)") }
            for line in mismatches { print("  ledger: \(line)") }
        }
        if !figures.ok { throw ExitCode(1) }
    }

    /// One door screen's worth of requests until `deadline`.
    static func client(
        _ index: Int, of clients: Int, base: String, pageToken: String, http: WebClient, ids: [String], mix: Mix,
        reference: FdatasyncProbe? = nil, until deadline: ContinuousClock.Instant
    ) async -> Tally {
        var tally = Tally()
        var random = SeededGenerator(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var mine: [String] = []
        // Each client works on its own slice for check-ins, and on anyone for the rest, so that
        // races on one attendee happen too (two doors, one person).
        let slice = ids.count / clients
        while ContinuousClock.now < deadline {
            let roll =
                switch mix {
                case .checkins: 0
                case .health: -1
                case .door: Int(random.next() % 100)
                }
            let id =
                random.next() % 10 == 0
                ? ids[Int(random.next() % UInt64(ids.count))]
                : ids[index * slice + Int(random.next() % UInt64(max(slice, 1)))]
            let route: String
            let method: HTTPMethod
            var body: Body? = nil
            switch roll {
            case ..<0: (route, method) = ("/api/v1/health", .GET)
            case 0..<30:
                (route, method) = ("/api/v1/checkin", .POST)
                body = Body(id: id, print: random.next() % 2 == 0)
            case 30..<40 where !mine.isEmpty:
                (route, method) = ("/api/v1/undo", .POST)
                body = Body(id: mine.removeLast(), reason: "bench: wrong person")
            case 40..<45:
                (route, method) = ("/api/v1/reprint", .POST)
                body = Body(id: id, reason: "damaged")
            case 45..<65:
                let query = String(id.suffix(3))
                (route, method) = ("/api/v1/search?q=\(query)", .GET)
            case 65..<75:
                (route, method) = ("/api/v1/scan", .POST)
                body = Body(text: id)
            case 75..<85: (route, method) = ("/api/v1/status", .GET)
            case 85..<92: (route, method) = ("/api/v1/stats", .GET)
            default: (route, method) = ("/api/v1/attendees/\(id)", .GET)
            }
            var headers = HTTPHeaders()
            var bytes: ByteBuffer? = nil
            if let body {
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "X-Accueil-Page", value: pageToken)
                bytes = ByteBuffer(bytes: body.json)
            }
            let start = ContinuousClock.now
            let name = "/" + route.prefix { $0 != "?" }.split(separator: "/").prefix(3).joined(separator: "/")
            tally.requests += 1
            tally.byRoute[name, default: 0] += 1
            do {
                let response = try await http.execute(
                    method, base + route, headers: headers, body: bytes, timeout: .seconds(30))
                let ms =
                    Double((ContinuousClock.now - start).components.attoseconds) / 1e15
                    + Double((ContinuousClock.now - start).components.seconds) * 1000
                tally.allMs.append(ms)
                let object: [String: Any]
                switch check(route: name, status: Int(response.status.code), response.bytes, body: body) {
                case .failure(let problem):
                    tally.badCount += 1
                    if tally.bad.count < 10 { tally.bad.append("\(route): \(problem.text)") }
                    continue
                case .success(let answer): object = answer
                }
                if name == "/api/v1/checkin" {
                    tally.checkinMs.append(ms)
                    if let reference, tally.checkinMs.count % referenceEvery == 0 {
                        await Self.sampleReference(into: &tally, http: http, base: base, probe: reference)
                    }
                    if object["status"] as? String == "checked_in" {
                        tally.acknowledged[id, default: 0] += 1
                        mine.append(id)
                    }
                }
            } catch {
                tally.badCount += 1
                if tally.bad.count < 10 { tally.bad.append("\(route): no answer (\(error))") }
            }
        }
        return tally
    }

    /// A client's event loop, its connection's (a `WebClient` making its connections there), and
    /// an executor that runs the client's task on that loop.
    struct Pinned: Sendable {
        let http: WebClient
        let executor: EventLoopTaskExecutor

        init() throws {
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            http = try WebClient(
                configuration: .init(tls: nil, connectTimeout: .seconds(5), idlePerHost: 1), group: loop)
            executor = EventLoopTaskExecutor(loop)
        }

        func run<T: Sendable>(_ body: @Sendable (WebClient) async throws -> T) async throws -> T {
            try await withTaskExecutorPreference(executor) { try await body(http) }
        }
    }

    /// What a client sends: written straight into JSON bytes (Foundation's `JSONSerialization` of a
    /// `[String: Any]` was a tenth of the clients' CPU, taken from the daemon's two cores).
    struct Body {
        var id: String?
        var print: Bool?
        var reason: String?
        var text: String?

        var json: [UInt8] {
            var out = JSONOut(capacity: 96)
            out.beginObject()
            out.member("id", id)
            if let print { out.member("print", print) }
            out.member("reason", reason)
            out.member("text", text)
            out.endObject()
            return out.bytes
        }
    }

    /// Why an answer is not one the screens can use.
    struct Problem: Error {
        var text: String
    }

    /// The answer, parsed once, or why it is not one the screens can use.
    static func check(route: String, status: Int, _ data: Data, body: Body?) -> Result<[String: Any], Problem> {
        if route == "/api/v1/health" {
            return status == 200 && data == Data("ok".utf8)
                ? .success([:])
                : .failure(Problem(text: "HTTP \(status): \(String(decoding: data.prefix(200), as: UTF8.self))"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .failure(
                Problem(text: "HTTP \(status), not a JSON object: \(String(decoding: data.prefix(200), as: UTF8.self))")
            )
        }
        if let problem = problem(route: route, status: status, object, body: body) {
            return .failure(Problem(text: problem))
        }
        return .success(object)
    }

    /// Why a parsed answer is not one the screens can use, or nil.
    static func problem(route: String, status: Int, _ object: [String: Any], body: Body?) -> String? {
        func strings(_ keys: [String]) -> String? {
            for key in keys where !(object[key] is String) { return "\(key) missing or not text: \(object)" }
            return nil
        }
        switch route {
        case "/api/v1/checkin":
            guard status == 200 else { return "HTTP \(status): \(object)" }
            if let problem = strings(["status", "message"]) { return problem }
            guard ["checked_in", "already_checked_in"].contains(object["status"] as? String) else {
                return "unexpected status \(object)"
            }
            if let state = object["print_state"] {
                guard ["pending", "already_printed"].contains(state as? String), object["print_message"] is String
                else {
                    return "bad print_state/print_message: \(object)"
                }
            } else if body?.print == true {
                return "asked to print, no print_state: \(object)"
            }
            guard let attendee = object["attendee"] as? [String: Any],
                attendee["id"] as? String == body?.id
            else { return "attendee missing or another one: \(object)" }
        case "/api/v1/undo":
            guard status == 200 else { return "HTTP \(status): \(object)" }
            guard ["undone", "not_checked_in"].contains(object["status"] as? String) else {
                return "unexpected \(object)"
            }
        case "/api/v1/reprint":
            guard status == 200 else { return "HTTP \(status): \(object)" }
            guard object["status"] as? String == "reprint_queued", object["print_state"] as? String == "pending" else {
                return "unexpected \(object)"
            }
        case "/api/v1/search":
            guard status == 200, object["results"] is [Any] else { return "HTTP \(status): \(object)" }
        case "/api/v1/scan":
            guard status == 200, object["status"] as? String == "found" else { return "HTTP \(status): \(object)" }
        case "/api/v1/status":
            guard status == 200, object["outbox"] is NSNumber, object["kiosk"] is String else {
                return "HTTP \(status): \(object)"
            }
        case "/api/v1/stats":
            guard status == 200, object["registered"] is NSNumber else { return "HTTP \(status): \(object)" }
        default:
            guard status == 200, object["id"] is String else { return "HTTP \(status): \(object)" }
        }
        return nil
    }

    /// p50 of one round trip to the daemon's no-op route (`GET /api/v1/health`), one request
    /// after another on one connection of `http`, after a warm-up, in milliseconds.
    static func roundTripMs(http: WebClient, base: String, times: Int = 2_000) async throws -> Double {
        var ms: [Double] = []
        for index in 0..<(times + 200) {
            let start = ContinuousClock.now
            let response = try await http.execute(.GET, base + "/api/v1/health", timeout: .seconds(10))
            guard response.status == .ok else {
                throw CommandFailure(message: "bench: /api/v1/health answered \(response.status)", status: 1)
            }
            if index >= 200 { ms.append(seconds(since: start) * 1000) }
        }
        return percentile(ms, 50)
    }

    /// How often the one client measures the reference during the load: after every this many
    /// check-ins (a round trip and a write + `fdatasync`, each about a quarter of a check-in).
    static let referenceEvery = 5

    /// One sample of the reference during the load: a round trip to the no-op route, then one
    /// write + `fdatasync` (not counted as requests). A failed round trip is not a sample.
    ///
    /// The round trip first: it is sent when the next check-in would have been, so it finds the
    /// daemon as a check-in does (just done with the last answer). Sent after the sync instead,
    /// it found the daemon's thread asleep for a third of a millisecond and took 0.32–0.37 ms
    /// against 0.18–0.28 ms (BENCHMARKS.md): a reference easier to meet, and less like the
    /// check-in's own round trip.
    static func sampleReference(into tally: inout Tally, http: WebClient, base: String, probe: FdatasyncProbe) async {
        let start = ContinuousClock.now
        if let response = try? await http.execute(.GET, base + "/api/v1/health", timeout: .seconds(10)),
            response.status == .ok
        {
            tally.referenceRoundTripMs.append(seconds(since: start) * 1000)
        }
        if let ms = try? probe.sample() { tally.referenceFdatasyncMs.append(ms) }
    }

    /// One 32 KiB write and `fdatasync` in a folder (a WAL commit's size for a few check-ins),
    /// over and over the same 256 KiB of a file of its own: what one durable commit costs the
    /// machine's disk at the moment, without SQLite.
    final class FdatasyncProbe: @unchecked Sendable {
        // Used by one task at a time: before the load, then by the one client.
        private let fd: Int32
        private let path: String
        private var index = 0
        private let block = [UInt8](repeating: 0x5A, count: 32 * 1024)

        init(in directory: URL) throws {
            path = directory.appendingPathComponent("fdatasync-probe").path
            fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
            guard fd >= 0 else { throw CommandFailure(message: "bench: cannot open \(path)", status: 1) }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// One write + `fdatasync`, in milliseconds.
        func sample() throws -> Double {
            let start = ContinuousClock.now
            let offset = off_t(index % 8 * block.count)
            index += 1
            let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
            guard written == block.count, fdatasync(fd) == 0 else {
                throw CommandFailure(message: "bench: cannot write and sync \(path)", status: 1)
            }
            return BenchKioskAPICommand.seconds(since: start) * 1000
        }

        /// p50 of `times` samples.
        func p50(times: Int) throws -> Double { percentile(try (0..<times).map { _ in try sample() }, 50) }
    }

    /// CPU time a process has used (user + system), in seconds, from `/proc/PID/stat` (0 when it is
    /// gone).
    static func cpuSeconds(pid: pid_t) -> Double { cpuSeconds(stat: "/proc/\(pid)/stat") }

    /// CPU time the daemon's committer thread has used, in seconds (0 before it starts).
    static func committerCPUSeconds(pid: pid_t) -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            if comm.trimmingCharacters(in: .newlines) == KioskDatabase.committerThreadName {
                return cpuSeconds(stat: "/proc/\(pid)/task/\(task)/stat")
            }
        }
        return 0
    }

    /// User + system CPU time from a `stat` file of `/proc` (a process's or a thread's).
    static func cpuSeconds(stat path: String) -> Double {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Resident memory of a process, in MB (0 when it is gone).
    static func rss(pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }
}
