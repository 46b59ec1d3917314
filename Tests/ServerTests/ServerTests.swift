import AccueilCore
import Foundation
import Hummingbird
import KioskStore
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import CentralStorage
@testable import Server
@testable import Sync

/// The two central stores; every test here runs on both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh, empty central store of `kind`, open while `body` runs. PostgreSQL: a new database on
/// the server named by $ACCUEIL_TEST_POSTGRES (scripts/test starts one and sets it); without it
/// the test fails, it is never skipped.
func withFreshStore(_ kind: StoreKind, _ body: (any CentralStore) async throws -> Void) async throws {
    switch kind {
    case .sqlite:
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "central-\(UUID().uuidString)/central.sqlite"
        ).path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try await withCentralStore("sqlite:\(path)", body)
    case .postgres:
        try await withCentralStore(try await freshPostgresDatabase(), body)
    }
}

/// The central server on `store` as `accueil server` runs it: its routes, and its work besides
/// them (the fold at start, other servers' signals) as the application's service.
func serverApplication(
    store: any CentralStore, maxBodyBytes: Int = 16 << 20, secureCookies: Bool = false
) -> some ApplicationProtocol {
    let server = buildServer(store: store, maxBodyBytes: maxBodyBytes, secureCookies: secureCookies)
    return Application(router: server.router, services: server.services)
}

/// The URL of a new, empty database on the PostgreSQL server named by $ACCUEIL_TEST_POSTGRES.
func freshPostgresDatabase() async throws -> String {
    let admin = try #require(
        ProcessInfo.processInfo.environment["ACCUEIL_TEST_POSTGRES"],
        "set ACCUEIL_TEST_POSTGRES=postgres://USER:PASSWORD@HOST:PORT/postgres (scripts/test does)")
    var components = try #require(URLComponents(string: admin))
    let name = "accueil_t_\(UUID().uuidString.prefix(8).lowercased())"
    let client = PostgresClient(
        configuration: .init(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "",
            password: components.password, database: "postgres", tls: .disable),
        backgroundLogger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        group.cancelAll()
    }
    components.path = "/\(name)"
    return try #require(components.string)
}

@Suite("Central server: sync API, on SQLite and on PostgreSQL")
struct ServerTests {
    func body(_ value: some Encodable) throws -> ByteBuffer { ByteBuffer(data: try JSONEncoder().encode(value)) }

    func events(_ n: Int, kiosk: String = "door-1") -> [WireEvent] {
        (0..<n).map { i in
            let attendee = Attendee(id: "A\(i)", lastName: "Name \(i)", role: .participant)
            return WireEvent(
                Event(attendeeID: attendee.id, at: Date(), kiosk: kiosk, body: .attendeeUpserted(attendee)))
        }
    }

    @Test("without a valid token: 401 and nothing changes", arguments: StoreKind.allCases)
    func auth(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let token = try await store.createToken(kiosk: "door-1")
            let app = serverApplication(store: store)
            try await app.test(.live) { client in
                let push = try body(PushRequest(kiosk: "door-1", events: events(3)))
                try await client.execute(uri: "/api/v1/events", method: .post, body: push) {
                    #expect($0.status == .unauthorized)
                }
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer nope"], body: push
                ) {
                    #expect($0.status == .unauthorized)
                }
                try await client.execute(uri: "/api/v1/events?since=0", method: .get) {
                    #expect($0.status == .unauthorized)
                }
                #expect(try await store.latestSequence() == 0)
                try await store.revokeTokens(kiosk: "door-1")
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(token)"], body: push
                ) {
                    #expect($0.status == .unauthorized)
                }
            }
        }
    }

    @Test(
        "a batch is stored once however often it is sent; changes come back in order after a cursor",
        arguments: StoreKind.allCases)
    func idempotentPushAndPull(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let token = try await store.createToken(kiosk: "door-1", role: .organiser)
            let app = serverApplication(store: store)
            let batch = events(50)
            try await app.test(.live) { client in
                let headers: HTTPFields = [.authorization: "Bearer \(token)"]
                for expected in [PushResponse(accepted: 50, duplicates: 0), PushResponse(accepted: 0, duplicates: 50)] {
                    try await client.execute(
                        uri: "/api/v1/events", method: .post, headers: headers,
                        body: try body(PushRequest(kiosk: "door-1", events: batch))
                    ) {
                        #expect($0.status == .ok)
                        let decoded = try JSONDecoder().decode(PushResponse.self, from: Data(buffer: $0.body))
                        #expect(decoded == expected)
                    }
                }
                try await client.execute(uri: "/api/v1/events?since=0&limit=20", method: .get, headers: headers) {
                    let page = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body))
                    #expect(page.events.map(\.id) == batch.prefix(20).map(\.id))
                    #expect(page.cursor == 20 && page.more)
                }
                try await client.execute(uri: "/api/v1/events?since=40&limit=20", method: .get, headers: headers) {
                    let page = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body))
                    #expect(page.events.count == 10 && page.cursor == 50 && !page.more)
                }
            }
        }
    }

    @Test(
        "malformed JSON (400), unknown event types and wrong ids (422), too large batches (413): no partial write",
        arguments: StoreKind.allCases)
    func refusals(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let token = try await store.createToken(kiosk: "door-1", role: .organiser)
            let app = serverApplication(store: store, maxBodyBytes: 1 << 20)
            try await app.test(.live) { client in
                let headers: HTTPFields = [.authorization: "Bearer \(token)"]
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: headers, body: ByteBuffer(string: "{\"kiosk\": ")
                ) {
                    #expect($0.status == .badRequest)
                }
                var batch = events(5)
                batch[3].type = "teleported"
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: headers,
                    body: try body(PushRequest(kiosk: "door-1", events: batch))
                ) {
                    #expect($0.status == .unprocessableContent)
                    #expect(String(buffer: $0.body).contains("unknown event type"))
                }
                batch = events(5)
                batch[1].attendeeID = "someone-else"
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: headers,
                    body: try body(PushRequest(kiosk: "door-1", events: batch))
                ) {
                    #expect($0.status == .unprocessableContent)
                }
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: headers,
                    body: try body(PushRequest(kiosk: "door-1", events: events(SyncLimits.maxBatch + 1)))
                ) {
                    #expect($0.status == .contentTooLarge)
                }
                #expect(try await store.latestSequence() == 0)
            }
        }
    }

    @Test("a long poll returns as soon as another kiosk pushes", arguments: StoreKind.allCases)
    func longPoll(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let reader = try await store.createToken(kiosk: "door-2")
            let writer = try await store.createToken(kiosk: "door-1", role: .organiser)
            let app = serverApplication(store: store)
            try await app.test(.live) { client in
                let waiting = Task {
                    var count = 0
                    try await client.execute(
                        uri: "/api/v1/events?since=0&wait=30", method: .get,
                        headers: [.authorization: "Bearer \(reader)"]
                    ) {
                        count = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body)).events.count
                    }
                    return (count, ContinuousClock.now)
                }
                try await Task.sleep(for: .milliseconds(200))
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(writer)"],
                    body: try body(PushRequest(kiosk: "door-1", events: events(1)))
                ) {
                    #expect($0.status == .ok)
                }
                let pushed = ContinuousClock.now
                let (count, answered) = try await waiting.value
                #expect(count == 1)
                // Woken by the push, not by the end of its 30 s wait. Timed from the push's answer, not
                // from the start: on a loaded machine (the sanitizer stage) the push itself took 5 s once.
                #expect(answered - pushed < .seconds(5), "answered \(answered - pushed) after the push")
            }
        }
    }

    @Test(
        "8 kiosks push overlapping batches at once while a reader follows: every event stored once, read once, in order",
        arguments: StoreKind.allCases)
    func concurrentPushes(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let all = (0..<8).map { k in events(400, kiosk: "door-\(k)") }
            let total = all.reduce(0) { $0 + $1.count }
            // The reader pulls pages as the writers go; a cursor must never pass an event committed later.
            async let seen: [WireEvent] = {
                var seen: [WireEvent] = []
                var cursor: Int64 = 0
                let deadline = ContinuousClock.now + .seconds(60)
                while seen.count < total && ContinuousClock.now < deadline {
                    let page = try await store.changes(since: cursor, limit: 97)
                    seen += page.events
                    cursor = page.cursor
                    if page.events.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                }
                return seen
            }()
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for (k, kioskEvents) in all.enumerated() {
                    group.addTask {
                        var accepted = 0
                        // Each kiosk sends its events in batches of 50, every batch twice, and also
                        // re-sends its neighbour's first batch (a relay), all at the same time as the others.
                        for start in stride(from: 0, to: kioskEvents.count, by: 50) {
                            let batch = Array(kioskEvents[start..<min(start + 50, kioskEvents.count)])
                            accepted += try await store.ingest(batch, from: "door-\(k)").accepted
                            accepted += try await store.ingest(batch, from: "door-\(k)").accepted
                        }
                        accepted += try await store.ingest(Array(all[(k + 1) % 8].prefix(50)), from: "door-\(k)")
                            .accepted
                        return accepted
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == total)
            let read = try await seen
            #expect(read.count == total)
            #expect(Set(read.map(\.id)).count == total)
            let seqs = read.compactMap(\.seq)
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
            #expect(try await store.latestSequence() >= Int64(total))
        }
    }

    @Test("the snapshot written in pieces is the snapshot, whatever the size of the pieces; an empty one too")
    func snapshotInPieces() async throws {
        try await withFreshStore(.sqlite) { store in
            let empty = CentralProjection(store: store)
            var bytes = Data()
            try await empty.snapshotSource().write(batch: 3) { bytes.append(contentsOf: $0.readableBytesView) }
            #expect(try JSONDecoder().decode(Snapshot.self, from: bytes) == Snapshot(cursor: 0, roster: [], events: []))
            let events = historyWithSessionAndLateComer()
            _ = try await store.ingest(events.map { WireEvent($0) }, from: "door-1")
            let projection = CentralProjection(store: store)
            let reference = try await projection.snapshot()
            #expect(reference.roster.count == 40 && reference.events.count > 40)
            for batch in [1, 2, 7, 40, 2_000] {
                var bytes = Data()
                var pieces = 0
                try await projection.snapshotSource().write(batch: batch) {
                    bytes.append(contentsOf: $0.readableBytesView)
                    pieces += 1
                }
                #expect(try JSONDecoder().decode(Snapshot.self, from: bytes) == reference, "batch \(batch)")
                #expect(batch > 40 || pieces > 40 / batch, "batch \(batch): \(pieces) pieces")
            }
        }
    }

    /// `history()`, with a session as well as attendees, and a subject with no roster row (a
    /// check-in before its upsert).
    func historyWithSessionAndLateComer() -> [Event] {
        var events = history()
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        let session = Session(
            id: "AT-1", title: "Atelier", room: "Salle 2", start: t, end: t + 3600, capacity: 10, access: .open)
        events.append(
            Event(attendeeID: Session.subject(session.id), at: t, kiosk: "import", body: .sessionScheduled(session)))
        events.append(Event(attendeeID: "LATE", at: t, kiosk: "door-1", body: .checkedIn))
        return events
    }

    /// A small event's worth of history: roster versions, a removal and a return, check-ins at two
    /// doors, an undo, a refusal, a reissue, a print; shuffled.
    func history() -> [Event] {
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        var events: [Event] = []
        for i in 0..<40 {
            let id = "P\(i)"
            var person = Attendee(
                id: id, firstName: "Prénom \(i)", lastName: "Nom \(i)", country: i % 3 == 0 ? "FR" : "MA",
                role: i % 4 == 0 ? .embassy : .participant)
            events.append(Event(attendeeID: id, at: t, kiosk: "import", body: .attendeeUpserted(person)))
            person.title = "Maire"
            events.append(Event(attendeeID: id, at: t + 60, kiosk: "import", body: .attendeeUpserted(person)))
            if i % 5 == 0 { events.append(Event(attendeeID: id, at: t + 30, kiosk: "import", body: .attendeeRemoved)) }
            if i % 7 == 0 { events.append(Event(attendeeID: id, at: t + 90, kiosk: "import", body: .attendeeRemoved)) }
            if i % 2 == 0 {
                let checkIn = Event(attendeeID: id, at: t + 100 + Double(i), kiosk: "door-1", body: .checkedIn)
                events.append(checkIn)
                if i % 6 == 0 {
                    events.append(Event(attendeeID: id, at: t + 200, kiosk: "door-2", body: .checkedIn))
                }
                if i % 8 == 0 {
                    events.append(
                        Event(
                            attendeeID: id, at: t + 300, kiosk: "door-1",
                            body: .checkInUndone(checkIn: checkIn.id, reason: "x")))
                }
                if i % 10 == 0 {
                    events.append(
                        Event(
                            attendeeID: id, at: t + 400, kiosk: "door-3",
                            body: .checkInRefused(previousKiosk: "door-1", previousAt: t + 100)))
                }
            }
            if i % 9 == 0 {
                events.append(Event(attendeeID: id, at: t + 500, kiosk: "door-1", body: .badgeReissued(reason: "lost")))
            }
        }
        return events.shuffled()
    }

    @Test(
        "stats and the snapshot follow the log: a kiosk started from the snapshot agrees with one that applied every event",
        arguments: StoreKind.allCases)
    func statsAndSnapshot(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let token = try await store.createToken(kiosk: "door-1")
            let history = history()
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let app = serverApplication(store: store)
            try await app.test(.live) { client in
                // In two halves, with stats asked in between: the projection catches up each time.
                let half = history.count / 2
                for part in [history[..<half], history[half...]] {
                    _ = try await store.ingest(part.map { WireEvent($0) }, from: "door-1")
                    try await client.execute(uri: "/api/v1/stats", method: .get, headers: headers) {
                        #expect($0.status == .ok)
                    }
                }
                let expected = Stats(states: AttendeeState.foldAll(history).values)
                #expect(expected.duplicates > 0 && expected.refusedAttempts > 0 && expected.checkedIn > 0)
                try await client.execute(uri: "/api/v1/stats", method: .get, headers: headers) {
                    let stats = try JSONDecoder().decode(Stats.self, from: Data(buffer: $0.body))
                    #expect(stats == expected)
                }
                try await client.execute(uri: "/api/v1/snapshot", method: .get, headers: headers) { response in
                    let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(buffer: response.body))
                    #expect(snapshot.cursor == Int64(history.count) || kind == .postgres)
                    #expect(snapshot.roster.count == 40)  // one roster row each: older versions left out
                    let fromSnapshot = try KioskDatabase(
                        directory: FileManager.default.temporaryDirectory.appendingPathComponent(
                            "snap-\(UUID().uuidString)"))
                    try fromSnapshot.applyRemote(try snapshot.allEvents())
                    let fromLog = try KioskDatabase(
                        directory: FileManager.default.temporaryDirectory.appendingPathComponent(
                            "log-\(UUID().uuidString)")
                    )
                    try fromLog.applyRemote(history)
                    var a = try fromSnapshot.stats()
                    var b = try fromLog.stats()
                    (a.outbox, b.outbox) = (0, 0)
                    #expect(a == b)
                    #expect(a.registered == expected.registered && a.checkedIn == expected.checkedIn)
                }
            }
        }
    }

    @Test(
        "a roster uploaded to the server: added, then unchanged the second time, updated and removed as the file says",
        arguments: StoreKind.allCases)
    func rosterUpload(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let token = try await store.createToken(kiosk: "organiser", role: .organiser)
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let people = RosterGenerator(seed: 3).attendees(count: 50)
            let edited: [Attendee] = {
                var edited = Array(people.dropLast(5))
                edited[0].title = "Ambassadeur"
                return edited
            }()
            let app = serverApplication(store: store)
            try await app.test(.live) { client in
                func upload(_ attendees: [Attendee], removeMissing: Bool = false, dryRun: Bool = false) async throws
                    -> ImportSummary
                {
                    try await client.execute(
                        uri: "/api/v1/roster", method: .post, headers: headers,
                        body: try body(RosterUpload(attendees: attendees, removeMissing: removeMissing, dryRun: dryRun))
                    ) { try JSONDecoder().decode(ImportSummary.self, from: Data(buffer: $0.body)) }
                }
                #expect(try await upload(people, dryRun: true).added == 50)
                #expect(try await store.latestSequence() == 0)
                #expect(try await upload(people).added == 50)
                let unchanged = try await upload(people)
                #expect(unchanged.unchanged == 50 && unchanged.added == 0 && unchanged.updated == 0)
                let sequence = try await store.latestSequence()
                let changed = try await upload(edited, removeMissing: true)
                #expect(changed.updated == 1 && changed.removed == 5 && changed.unchanged == 44)
                #expect(try await store.latestSequence() == sequence + 6)
                try await client.execute(uri: "/api/v1/stats", method: .get, headers: headers) {
                    let stats = try JSONDecoder().decode(Stats.self, from: Data(buffer: $0.body))
                    #expect(stats.registered == 45)
                }
            }
        }
    }
}

@Suite("A new central SQLite store opened by several processes at once")
struct CentralConcurrentOpenTests {
    @Test("six openers of one new central store all succeed (20 rounds)")
    func concurrentOpens() throws {
        for _ in 0..<20 {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("central-\(UUID().uuidString)")
            let path = folder.appendingPathComponent("central.sqlite").path
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do { _ = try SQLiteCentralStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
            }
            let seen = failures.withLock { $0 }
            #expect(seen.isEmpty, "\(seen)")
            try FileManager.default.removeItem(at: folder)
        }
    }
}
