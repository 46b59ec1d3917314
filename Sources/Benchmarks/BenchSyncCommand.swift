// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import Hummingbird
import Kiosk
import KioskApp
import KioskStore
import Server
import Sync

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `accueil bench sync`: the central server and the kiosks' sync, measured over real HTTP on
/// loopback (the server, its store and the kiosks run in this process; the kiosks use the same
/// client and sync service as `accueil kiosk`).
struct BenchSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Server ingest with concurrent kiosks, check-in propagation, outbox drain, new-kiosk snapshot.",
        discussion: """
            --store picks the central store (default: a SQLite file in a temporary folder; \
            postgres://USER:PASSWORD@HOST:PORT/DB for PostgreSQL: the database should be empty).
            """
    )

    @Option(help: ArgumentHelp("Central store (default: a temporary SQLite file).", valueName: "store"))
    var store: String?
    @Option(help: "Concurrent kiosk clients pushing in the ingest test.") var clients = 8
    @Option(help: "Events each client pushes.") var events = 25_000
    @Option(help: "Events per push.") var batch = 1000
    @Option(help: "Check-ins timed from one kiosk to another.") var propagations = 200
    @Option(help: "Check-ins queued on a kiosk before it comes back online.") var drain = 10_000
    @Option(help: "Attendees in the roster a new kiosk downloads.") var roster = 100_000
    @Flag(help: "Measure only the new kiosk's snapshot (for a large --roster, a million for instance).")
    var snapshotOnly = false
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var store: String
        var ingest_clients: Int
        var ingest_events: Int
        var ingest_seconds: Double
        var ingest_events_per_second: Double
        var propagation_p50_ms: Double
        var propagation_p99_ms: Double
        var propagation_max_ms: Double
        var drain_events: Int
        var drain_seconds: Double
        var snapshot_attendees: Int
        var snapshot_seconds: Double
        var snapshot_bytes: Int
        /// The door's search index built on the new kiosk's store, and a first search.
        var snapshot_index_seconds: Double
        var roster_upload_seconds: Double
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-sync-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spec = store ?? "sqlite:\(scratch.appendingPathComponent("central.sqlite").path)"
        let port = 18_000 + Int(getpid() % 2000)
        let url = URL(string: "http://127.0.0.1:\(port)")!
        try await usingCentralStore(spec) { central in
            let app = try buildApplication(ServerConfiguration(port: port, store: spec), store: central)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                try await waitForHealth(
                    url, every: .milliseconds(100), within: .seconds(10),
                    failure: "the benchmark's server did not start")
                let figures = try await measure(central, url: url, scratch: scratch, spec: spec)
                group.cancelAll()
                report(figures)
            }
        }
    }

    func measure(_ central: any CentralStore, url: URL, scratch: URL, spec: String) async throws -> Figures {
        // Each station its own token, bound to its name; the roster from an organiser's.
        let office = try await central.createToken(kiosk: "bench-import", role: .organiser)
        // 1. Snapshot: the roster imported on the server, a new kiosk starts empty.
        log("Snapshot: \(roster) attendees to a new kiosk…")
        let big = RosterGenerator(seed: 9).attendees(count: roster)
        let client = try SyncClient(server: url, token: office, kiosk: "bench-import")
        let uploadStart = ContinuousClock.now
        // As `roster import --server` sends it: in pieces past 20,000 attendees.
        _ = try await client.uploadRoster(big, removeMissing: false, dryRun: false)
        let upload = (ContinuousClock.now - uploadStart).seconds
        log("  uploaded in \(fmt(upload)) s")
        let expected = try await client.get("api/v1/stats", as: Stats.self).registered
        let fresh = try KioskDatabase(directory: scratch.appendingPathComponent("door-new"))
        let serviceD = try SyncService(
            db: fresh,
            client: try SyncClient(
                server: url, token: try await central.createToken(kiosk: "door-new"), kiosk: "door-new"),
            kiosk: "door-new")
        let snapStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await serviceD.run() }
            try await waitUntil(
                "the new kiosk to get the roster", every: .milliseconds(5), for: .seconds(max(120, roster / 1000))
            ) {
                // The cursor is set once the snapshot is in (cheap to read, unlike a count of a million).
                try fresh.syncCursor() > 0
            }
            group.cancelAll()
        }
        let snapshot = (ContinuousClock.now - snapStart).seconds
        let installed = try fresh.stats().registered
        guard installed == expected else {
            throw CommandFailure(
                message: "benchmark: the new kiosk has \(installed) attendees, the server \(expected)", status: 1)
        }
        let (body, _) = try await URLSession.shared.data(
            for: {
                var request = URLRequest(url: url.appendingPathComponent("api/v1/snapshot"))
                request.setValue("Bearer \(office)", forHTTPHeaderField: "Authorization")
                return request
            }())
        log("  \(expected) attendees (\(body.count / 1_000_000) MB) in \(fmt(snapshot)) s")
        let indexStart = ContinuousClock.now
        let index = try LiveRoster(db: fresh)
        _ = index.search(big[big.count / 2].lastName)
        let indexed = (ContinuousClock.now - indexStart).seconds
        log("  the door's index and a first search: \(fmt(indexed)) s")
        // The other phases' figures stay 0 with --snapshot-only.
        var figures = Figures(
            store: redacted(spec).hasPrefix("postgres") ? "postgresql" : "sqlite", ingest_clients: 0,
            ingest_events: 0, ingest_seconds: 0, ingest_events_per_second: 0, propagation_p50_ms: 0,
            propagation_p99_ms: 0, propagation_max_ms: 0, drain_events: 0, drain_seconds: 0,
            snapshot_attendees: expected, snapshot_seconds: snapshot, snapshot_bytes: body.count,
            snapshot_index_seconds: indexed, roster_upload_seconds: upload)
        if snapshotOnly { return figures }

        // 2. Ingest: `clients` kiosks push check-ins in batches, all at once.
        log("Ingest: \(clients) clients × \(events) events in batches of \(batch)…")
        var batches: [[[WireEvent]]] = []
        for c in 0..<clients {
            let kiosk = "bench-\(c)"
            let all = (0..<events).map { i in
                WireEvent(Event(attendeeID: "A\(c)-\(i)", at: Date(), kiosk: kiosk, body: .checkedIn))
            }
            batches.append(
                stride(from: 0, to: all.count, by: batch).map { Array(all[$0..<min($0 + batch, all.count)]) })
        }
        var tokens: [String] = []
        for c in 0..<clients { tokens.append(try await central.createToken(kiosk: "bench-\(c)")) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                let client = try SyncClient(server: url, token: tokens[c], kiosk: "bench-\(c)")
                let mine = batches[c]
                group.addTask { for b in mine { _ = try await client.push(b) } }
            }
            try await group.waitForAll()
        }
        let ingest = (ContinuousClock.now - start).seconds
        let total = clients * events
        log("  \(total) events in \(fmt(ingest)) s: \(Int(Double(total) / ingest)) events/s")

        // 3. Propagation: a check-in at door A, seen at door B (both following the server).
        log("Propagation: \(propagations) check-ins from one kiosk to another…")
        let people = RosterGenerator(seed: 7).attendees(count: max(propagations, 10))
        let a = try KioskDatabase(directory: scratch.appendingPathComponent("door-a"))
        let b = try KioskDatabase(directory: scratch.appendingPathComponent("door-b"))
        try a.importRoster(people, kiosk: "door-a")
        let serviceA = try SyncService(
            db: a,
            client: try SyncClient(
                server: url, token: try await central.createToken(kiosk: "door-a", role: .organiser), kiosk: "door-a"),
            kiosk: "door-a")
        let serviceB = try SyncService(
            db: b,
            client: try SyncClient(server: url, token: try await central.createToken(kiosk: "door-b"), kiosk: "door-b"),
            kiosk: "door-b")
        var times: [Double] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await serviceA.run() }
            group.addTask { await serviceB.run() }
            // Both have the roster first.
            try await waitUntil("door B to get door A's attendees") {
                try people.allSatisfy { try b.attendee(id: $0.id) != nil }
            }
            for person in people.prefix(propagations) {
                let t0 = ContinuousClock.now
                _ = try a.checkIn(person.id, kiosk: "door-a")
                try await waitUntil("a check-in to reach door B", every: .milliseconds(1)) {
                    try b.attendee(id: person.id)?.checkIn != nil
                }
                times.append((ContinuousClock.now - t0).seconds * 1000)
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...60)))
            }
            group.cancelAll()
        }
        log(
            "  p50 \(fmt(percentile(times, 50))) ms  p99 \(fmt(percentile(times, 99))) ms  max \(fmt(times.max() ?? 0)) ms"
        )

        // 4. Drain: a kiosk back online with `drain` check-ins queued.
        log("Drain: a kiosk back online with \(drain) queued check-ins…")
        let offline = try KioskDatabase(directory: scratch.appendingPathComponent("door-c"))
        let crowd = RosterGenerator(seed: 8).attendees(count: drain)
        try offline.importRoster(crowd, kiosk: "door-c")
        try offline.markSent(try offline.outbox(limit: drain + 10).map(\.seq))  // the roster is not what we time
        for person in crowd { _ = try offline.checkIn(person.id, kiosk: "door-c") }
        let serviceC = try SyncService(
            db: offline,
            client: try SyncClient(server: url, token: try await central.createToken(kiosk: "door-c"), kiosk: "door-c"),
            kiosk: "door-c")
        let drainStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await serviceC.run() }
            try await waitUntil("the outbox to drain", every: .milliseconds(2)) { try offline.outboxCount() == 0 }
            group.cancelAll()
        }
        let drained = (ContinuousClock.now - drainStart).seconds
        log("  \(drain) check-ins uploaded in \(fmt(drained)) s")

        (figures.ingest_clients, figures.ingest_events, figures.ingest_seconds) = (clients, total, ingest)
        figures.ingest_events_per_second = Double(total) / ingest
        (figures.propagation_p50_ms, figures.propagation_p99_ms) = (percentile(times, 50), percentile(times, 99))
        figures.propagation_max_ms = times.max() ?? 0
        (figures.drain_events, figures.drain_seconds) = (drain, drained)
        return figures
    }

    /// Polls `condition` until it holds; past `limit` the benchmark fails, naming what it waited for.
    func waitUntil(
        _ what: String, every pause: Duration = .milliseconds(20), for limit: Duration = .seconds(120),
        _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                throw CommandFailure(message: "benchmark: waited \(limit) for \(what)", status: 1)
            }
            try await Task.sleep(for: pause)
        }
    }

    func report(_ figures: Figures) {
        if json { print(Output.json(figures)) }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
