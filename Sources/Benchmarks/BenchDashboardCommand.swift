// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import Hummingbird
import Kiosk
import Server
import Sync
import Tooling

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `accueil bench dashboard`: the organisers' dashboard on a large event, in headless Chromium.
struct BenchDashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract:
            "Dashboard first load on a large log, check-in to dashboard latency, ingestion with 50 dashboards open.",
        discussion: """
            Fills a central store with --attendees attendees and --events events in all (roster, \
            check-ins, badge prints, session entries and exits, refusals), runs the server in this \
            process and measures: the server's first fold of the log (cold start), the dashboard's \
            first load in headless Chromium (signed in, from navigation to the figures drawn), the \
            time from a kiosk's push to the new count on an open dashboard, and check-in ingestion \
            from 4 kiosks without and with 50 dashboards streaming.
            """
    )

    @Option(help: ArgumentHelp("Central store (default: a temporary SQLite file).", valueName: "store"))
    var store: String?
    @Option(help: "Attendees.") var attendees = 100_000
    @Option(help: "Events in the log, in all.") var events = 1_000_000
    @Option(help: "Check-ins timed from a kiosk's push to the open dashboard.") var propagations = 100
    @Option(help: "Dashboards open during the ingestion test.") var dashboards = 50
    @Option(help: "Events each of the 4 kiosks pushes in the ingestion test.") var ingest = 25_000
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var attendees: Int
        var events: Int
        var fill_seconds: Double
        var cold_fold_seconds: Double
        var first_load_median_ms: Double
        var first_load_max_ms: Double
        var dashboard_json_bytes: Int
        var propagation_p50_ms: Double
        var propagation_p99_ms: Double
        var propagation_max_ms: Double
        var ingest_alone_events_per_second: Double
        var ingest_with_dashboards_events_per_second: Double
        var dashboards: Int
        var ingest_slowdown_percent: Double
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-dash-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spec = store ?? "sqlite:\(scratch.appendingPathComponent("central.sqlite").path)"

        // 1. The log: a roster, a schedule, and the events of a busy event.
        log("Filling the central store: \(attendees) attendees, \(events) events…")
        let fillStart = ContinuousClock.now
        var fill = 0.0
        try await usingCentralStore(spec) { central in
            try await self.fill(central)
            fill = (ContinuousClock.now - fillStart).seconds
            try await central.saveOrganiser(
                try OrganiserAccount.make(name: "bench", password: "bench-password", canSeeNames: true))
        }
        log("  filled in \(fmt(fill)) s")

        let port = 19_000 + Int(getpid() % 2000)
        let url = URL(string: "http://127.0.0.1:\(port)")!
        try await usingCentralStore(spec) { central in
            let token = try await central.createToken(kiosk: "bench-door")
            let started = ContinuousClock.now
            let app = try buildApplication(ServerConfiguration(port: port, store: spec), store: central)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                // 2. Cold: from the server's start to its first dashboard answer (the log folded).
                let cookie = try await signIn(url)
                let cold = try await firstAnswer(url, cookie: cookie, since: started)
                log("  cold start: the server folds the log and answers in \(fmt(cold)) s")
                let figures = try await measure(
                    url: url, port: port, token: token, cookie: cookie, cold: cold, fill: fill, central: central)
                group.cancelAll()
                report(figures)
            }
        }
    }

    /// Roster, 50 sessions, then check-ins, prints and session scans up to `events`.
    func fill(_ central: any CentralStore) async throws {
        let roster = RosterGenerator(seed: 17).attendees(count: attendees)
        var rng = SeededGenerator(seed: 17)
        let now = Date()
        let sessions = (0..<50).map { i in
            Session(
                id: "S\(i)", title: "Session \(i)", room: "Room \(i % 12)", start: now.addingTimeInterval(-3600),
                end: now.addingTimeInterval(3600), capacity: 300)
        }
        var batch: [WireEvent] = []
        var count = 0
        func add(_ event: Event) async throws {
            batch.append(WireEvent(event))
            count += 1
            if batch.count == SyncLimits.maxBatch {
                _ = try await central.ingest(batch, from: "bench-fill")
                batch.removeAll(keepingCapacity: true)
            }
        }
        for session in sessions {
            try await add(
                Event(
                    attendeeID: Session.subject(session.id), at: now, kiosk: "import", body: .sessionScheduled(session))
            )
        }
        for a in roster { try await add(Event(attendeeID: a.id, at: now, kiosk: "import", body: .attendeeUpserted(a))) }
        let arrived = roster.prefix(attendees * 85 / 100)
        for (i, a) in arrived.enumerated() {
            let at = now.addingTimeInterval(-7200 + Double(i) * 7200 / Double(arrived.count))
            let door = "door-\(i % 8)"
            try await add(Event(attendeeID: a.id, at: at, kiosk: door, body: .checkedIn))
            try await add(
                Event(
                    attendeeID: a.id, at: at, kiosk: door, body: .badgePrintRequested(job: UUID.random(), reason: nil)))
        }
        while count < events {
            let a = arrived[Int.random(in: 0..<arrived.count, using: &rng)]
            let session = "S\(Int.random(in: 0..<50, using: &rng))"
            let at = now.addingTimeInterval(-Double.random(in: 0..<3600, using: &rng))
            let body: Event.Body =
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: .sessionRefused(session: session, reason: .notRegistered)
                case 1...4: .sessionExited(session: session)
                default: .sessionEntered(session: session, override: nil)
                }
            try await add(Event(attendeeID: a.id, at: at, kiosk: "room-\(session)", body: body))
        }
        if !batch.isEmpty { _ = try await central.ingest(batch, from: "bench-fill") }
    }

    /// Signs in as the bench's organiser; returns the session cookie.
    func signIn(_ url: URL) async throws -> String {
        for _ in 0..<600 {
            var request = URLRequest(url: url.appendingPathComponent("dashboard/login"))
            request.httpMethod = "POST"
            request.httpBody = Data("name=bench&password=bench-password".utf8)
            let delegate = NoRedirect()
            let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
            if let (_, response) = try? await session.data(for: request),
                let http = response as? HTTPURLResponse,
                let cookie = http.value(forHTTPHeaderField: "Set-Cookie")?.split(separator: ";").first
            {
                return String(cookie)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure(message: "cannot sign in to the benchmark's server", status: 1)
    }

    /// Waits for the server's health to say the log is folded, asking every 50 ms, then for its
    /// first dashboard. (A request left waiting on URLSession through the whole fold kept
    /// libdispatch's manager thread waking in a loop, which took CPU from the fold on two cores.)
    func firstAnswer(_ url: URL, cookie: String, since started: ContinuousClock.Instant) async throws -> Double {
        try await waitForHealth(
            url, every: .milliseconds(50), within: .seconds(600),
            failure: "the server did not fold its log in 10 minutes")
        var request = URLRequest(url: url.appendingPathComponent("api/v1/dashboard"))
        request.setValue(cookie, forHTTPHeaderField: "Cookie")
        request.timeoutInterval = 600
        let (_, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw CommandFailure(message: "the dashboard did not answer", status: 1)
        }
        return (ContinuousClock.now - started).seconds
    }

    func measure(
        url: URL, port: Int, token: String, cookie: String, cold: Double, fill: Double, central: any CentralStore
    ) async throws -> Figures {
        let browser: Browser
        do { browser = try await Browser(windowSize: "1400,1000") } catch {
            throw CommandFailure(message: "\(error)", status: 1)
        }
        do {
            // 3. First load in the browser, warm server: navigation to the figures drawn.
            log("First load in headless Chromium…")
            try await browser.open("\(url.absoluteString)/dashboard")
            try await browser.type("#name", "bench")
            try await browser.type("#password", "bench-password")
            try await browser.click("#signin")
            _ = try await browser.waitFor("#registered", containing: String(attendees), seconds: 120)
            var loads: [Double] = []
            for _ in 0..<7 {
                try await browser.open("\(url.absoluteString)/dashboard?\(UUID.random())")
                var drawn: Double?
                for _ in 0..<2000 where drawn == nil {
                    drawn = try await browser.script("return window.__drawnAt || null") as? Double
                    if drawn == nil { try await Task.sleep(for: .milliseconds(5)) }
                }
                loads.append(drawn ?? .infinity)
            }
            loads = Array(loads.dropFirst(2)).sorted()
            let size = try await browser.script("return JSON.stringify(window.__view).length") as? Int ?? 0
            log(
                "  median \(fmt(percentile(loads, 50))) ms, max \(fmt(loads.last ?? 0)) ms (\(size / 1024) KB of figures)"
            )

            // 4. A kiosk's push to the new count on the open dashboard.
            log("Propagation: \(propagations) check-ins to the open dashboard…")
            let client = try SyncClient(server: url, token: token, kiosk: "bench-door")
            let newcomers = RosterGenerator(seed: 99).attendees(count: propagations).map {
                var a = $0
                a.id = "NEW-" + a.id
                return a
            }
            // The newcomers come from the organisers (their token), their check-ins from the door.
            let office = try SyncClient(
                server: url, token: try await central.createToken(kiosk: "import", role: .organiser), kiosk: "import")
            _ = try await office.push(
                newcomers.map {
                    WireEvent(Event(attendeeID: $0.id, at: Date(), kiosk: "import", body: .attendeeUpserted($0)))
                })
            try await Task.sleep(for: .seconds(2))
            let base = try await browser.script("return window.__view.total.checked_in") as? Int ?? 0
            _ = try await browser.script("window.__seen = []; return 0;")
            var sent: [Double] = []
            for (i, a) in newcomers.enumerated() {
                sent.append(Date().timeIntervalSince1970 * 1000)
                _ = try await client.push([
                    WireEvent(Event(attendeeID: a.id, at: Date(), kiosk: "bench-door", body: .checkedIn))
                ])
                _ = i
                try await Task.sleep(for: .milliseconds(Int.random(in: 80...400)))
            }
            try await Task.sleep(for: .seconds(2))
            let seen = (try await browser.script("return window.__seen") as? [[Double]]) ?? []
            var latencies: [Double] = []
            for (i, at) in sent.enumerated() {
                let wanted = Double(base + i + 1)
                if let first = seen.first(where: { $0[0] >= wanted }) {
                    latencies.append(first[1] - at)
                } else {
                    latencies.append(.infinity)
                }
            }
            latencies.sort()
            log("  p50 \(fmt(percentile(latencies, 50))) ms, p99 \(fmt(percentile(latencies, 99))) ms")
            await browser.quit()

            // 5. Ingestion, alone and with dashboards streaming.
            // Alternating rounds (alone, with dashboards…), medians compared: the machine's noise
            // hits both sides alike.
            log(
                "Ingestion: 4 kiosks × \(ingest) check-ins, alone and with \(dashboards) dashboards streaming, 3 rounds each…"
            )
            var tokens: [String] = []
            for k in 0..<4 { tokens.append(try await central.createToken(kiosk: "bench-ingest-\(k)")) }
            var aloneRates: [Double] = []
            var togetherRates: [Double] = []
            var received = 0
            for round in 0..<3 {
                aloneRates.append(try await ingestRate(url: url, tokens: tokens, round: 2 * round))
                let readers = try (0..<dashboards).map { _ in try SSEReader(port: port, cookie: cookie) }
                try await Task.sleep(for: .seconds(1))
                togetherRates.append(try await ingestRate(url: url, tokens: tokens, round: 2 * round + 1))
                received += readers.map(\.messages).reduce(0, +)
                for reader in readers { reader.close() }
                log(
                    "  round \(round + 1): \(Int(aloneRates.last!)) events/s alone, \(Int(togetherRates.last!)) with dashboards"
                )
            }
            let alone = percentile(aloneRates.sorted(), 50)
            let together = percentile(togetherRates.sorted(), 50)
            log("  medians \(Int(alone)) / \(Int(together)) events/s (\(received) dashboard messages received)")
            let loaded = cold
            return Figures(
                attendees: attendees, events: events, fill_seconds: fill, cold_fold_seconds: loaded,
                first_load_median_ms: percentile(loads, 50), first_load_max_ms: loads.last ?? 0,
                dashboard_json_bytes: size, propagation_p50_ms: percentile(latencies, 50),
                propagation_p99_ms: percentile(latencies, 99), propagation_max_ms: latencies.last ?? 0,
                ingest_alone_events_per_second: alone, ingest_with_dashboards_events_per_second: together,
                dashboards: dashboards, ingest_slowdown_percent: max(0, (alone - together) / alone * 100))
        } catch {
            await browser.quit()
            throw error
        }
    }

    /// Check-ins of new attendee ids pushed by 4 kiosks at once, in batches of 500; events per second.
    func ingestRate(url: URL, tokens: [String], round: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, token) in tokens.enumerated() {
                let client = try SyncClient(server: url, token: token, kiosk: "bench-ingest-\(k)")
                let count = ingest
                group.addTask {
                    for first in stride(from: 0, to: count, by: 500) {
                        let batch = (first..<min(first + 500, count)).map { i in
                            WireEvent(
                                Event(
                                    attendeeID: "R\(round)-K\(k)-\(i)", at: Date(), kiosk: "bench-ingest-\(k)",
                                    body: .checkedIn))
                        }
                        _ = try await client.push(batch)
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(4 * ingest) / (ContinuousClock.now - start).seconds
    }

    func report(_ f: Figures) {
        if json {
            print(Output.json(f))
            return
        }
        print("dashboard, \(f.attendees) attendees, \(f.events) events (SQLite unless --store)")
        print("cold start: log folded and first answer   \(fmt(f.cold_fold_seconds)) s")
        print(
            "first load in Chromium (warm)             median \(fmt(f.first_load_median_ms)) ms  max \(fmt(f.first_load_max_ms)) ms"
        )
        print(
            "check-in → open dashboard                 p50 \(fmt(f.propagation_p50_ms)) ms  p99 \(fmt(f.propagation_p99_ms)) ms  max \(fmt(f.propagation_max_ms)) ms"
        )
        print(
            "ingestion alone / with \(f.dashboards) dashboards        \(Int(f.ingest_alone_events_per_second)) / \(Int(f.ingest_with_dashboards_events_per_second)) events/s (slowdown \(fmt(f.ingest_slowdown_percent)) %)"
        )
    }

    func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// Keeps URLSession from following the sign-in's redirect, so that its cookie can be read.
final class NoRedirect: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// A dashboard's event stream read on a socket by a thread of its own, counting messages.
final class SSEReader: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var count = 0

    init(port: Int, cookie: String) throws {
        guard let fd = connectToLoopback(port: UInt16(port)) else {
            throw CommandFailure(message: "cannot connect a dashboard stream", status: 1)
        }
        self.fd = fd
        let request =
            "GET /api/v1/dashboard/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: \(cookie)\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return }
                let messages = buffer[..<n].split(separator: 0x0A, omittingEmptySubsequences: false).filter {
                    $0.starts(with: Array("data: ".utf8))
                }.count
                lock.lock()
                count += messages
                lock.unlock()
            }
        }
    }

    var messages: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }
}
