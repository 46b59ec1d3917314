import AccueilCore
import Foundation
import Hummingbird
import Logging
import TestSupport
import Testing

@testable import CentralStorage
@testable import Server
@testable import Sync

/// The server's projection packed, saved and read back: it must say exactly what a fold of the
/// whole log says, and a checkpoint that is not this log's must never be used.
@Suite("The projection, packed and checkpointed")
struct ProjectionCheckpointTests {
    /// `count` attendees with every kind of event (several roster versions, removals and returns,
    /// check-ins at two doors, undos, refusals, reissues, prints, session entries, exits and
    /// refusals), three sessions scheduled twice, and check-ins of people not on the roster;
    /// times shuffled, every `seed` a different history.
    static func history(count: Int, seed: Int, idPrefix: String = "A") -> [Event] {
        var random = SeededRandom(seed: UInt64(seed))
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        var events: [Event] = []
        for s in 0..<3 {
            for version in 0..<2 {
                let session = Session(
                    id: "S\(s)", title: "Atelier \(s) v\(version)", room: "Salle \(s)", start: t + Double(3600 * s),
                    end: t + Double(3600 * s + 1200), capacity: 10 + version, access: s == 0 ? .open : .registered)
                events.append(
                    Event(
                        attendeeID: Session.subject(session.id), at: t + Double(version * 10 + seed), kiosk: "import",
                        body: .sessionScheduled(session)))
            }
        }
        let scripts = ["Zoé", "Зоя", "王小明", "محمد", "Ngọc", "O'Brien"]
        for i in 0..<count {
            let id = "\(idPrefix)\(i)"
            var person = Attendee(
                id: id, firstName: scripts[i % scripts.count], lastName: "Nom \(i)", nativeName: i % 4 == 0 ? "王" : "",
                organisation: "Ville \(i % 17)", country: ["FR", "MA", "UA", "", "SN"][i % 5],
                role: Role.allCases[i % Role.allCases.count], delegation: i % 3 == 0 ? "Délégation \(i % 7)" : "",
                sessions: i % 2 == 0 ? ["S1"] : [], vip: i % 11 == 0 ? "Ministre" : "", walkIn: i % 13 == 0,
                tickets: i % 5 == 0 ? ["d\(i)"] : [])
            let offset = Double(random.next() % 1000)
            events.append(Event(attendeeID: id, at: t + offset, kiosk: "import", body: .attendeeUpserted(person)))
            if random.next() % 3 == 0 {
                person.title = "Maire"
                events.append(
                    Event(attendeeID: id, at: t + offset + 5, kiosk: "import", body: .attendeeUpserted(person)))
            }
            if random.next() % 7 == 0 {
                events.append(Event(attendeeID: id, at: t + offset + 2, kiosk: "import", body: .attendeeRemoved))
            }
            guard random.next() % 4 != 0 else { continue }
            let checkIn = Event(attendeeID: id, at: t + 2000 + Double(i), kiosk: "door-\(i % 2)", body: .checkedIn)
            events.append(checkIn)
            switch random.next() % 8 {
            case 0:
                events.append(Event(attendeeID: id, at: t + 2100 + Double(i), kiosk: "door-1", body: .checkedIn))
            case 1:
                events.append(
                    Event(
                        attendeeID: id, at: t + 2200, kiosk: "door-0",
                        body: .checkInUndone(checkIn: checkIn.id, reason: "erreur")))
            case 2:
                events.append(
                    Event(
                        attendeeID: id, at: t + 2300, kiosk: "door-1",
                        body: .checkInRefused(previousKiosk: "door-0", previousAt: checkIn.at)))
            case 3:
                events.append(
                    Event(attendeeID: id, at: t + 2400, kiosk: "door-0", body: .badgeReissued(reason: "perdu")))
            default: break
            }
            events.append(
                Event(
                    attendeeID: id, at: t + 2001 + Double(i), kiosk: "door-0",
                    body: .badgePrintRequested(job: UUID(), reason: random.next() % 5 == 0 ? "abîmé" : nil)))
            if random.next() % 2 == 0 {
                events.append(
                    Event(
                        attendeeID: id, at: t + 4000, kiosk: "s1-door",
                        body: .sessionEntered(session: "S1", override: random.next() % 6 == 0 ? "plein: accord" : nil)))
                if random.next() % 2 == 0 {
                    events.append(
                        Event(attendeeID: id, at: t + 4500, kiosk: "s1-door", body: .sessionExited(session: "S1")))
                }
            }
            if random.next() % 9 == 0 {
                events.append(
                    Event(
                        attendeeID: id, at: t + 4100, kiosk: "s2-door",
                        body: .sessionRefused(session: "S2", reason: .roomFull)
                    ))
            }
        }
        for late in 0..<3 {
            events.append(Event(attendeeID: "\(idPrefix)LATE\(late)", at: t + 50, kiosk: "door-0", body: .checkedIn))
        }
        // Shuffled: the store's order is arrival, not time.
        for index in events.indices.reversed() where index > 0 {
            events.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        return events
    }

    static func ingest(_ events: [Event], into store: any CentralStore) async throws {
        for start in stride(from: 0, to: events.count, by: 1000) {
            _ = try await store.ingest(
                events[start..<min(start + 1000, events.count)].map { WireEvent($0) }, from: "door-0")
        }
    }

    /// Every attendee's state in the projection is the fold of all their events in `log`; every
    /// answer of the two projections is the same.
    static func expectAgree(
        _ projection: CentralProjection, _ reference: CentralProjection, log: [Event],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (states, sessions, cursor) = try await projection.current()
        let (referenceStates, referenceSessions, referenceCursor) = try await reference.current()
        #expect(cursor == referenceCursor, sourceLocation: sourceLocation)
        #expect(sessions == referenceSessions, sourceLocation: sourceLocation)
        let bySubject = Dictionary(grouping: log, by: \.attendeeID)
        var compared = 0
        for (id, events) in bySubject where Session.id(ofSubject: id) == nil {
            let truth = AttendeeState.fold(events)
            #expect(states[id] == truth, "\(id)", sourceLocation: sourceLocation)
            #expect(referenceStates[id] == truth, "\(id)", sourceLocation: sourceLocation)
            compared += 1
        }
        #expect(Array(states.values).count == compared, sourceLocation: sourceLocation)
        let stats = try await projection.stats()
        #expect(stats == Stats(states: Array(referenceStates.values)), sourceLocation: sourceLocation)
        #expect(stats == (try await reference.stats()), sourceLocation: sourceLocation)
        #expect(try await projection.snapshot() == (try await reference.snapshot()), sourceLocation: sourceLocation)
        let tallies = try await projection.tallies()
        let referenceTallies = try await reference.tallies()
        #expect(tallies.counters == referenceTallies.counters, sourceLocation: sourceLocation)
        #expect(tallies.refusals == referenceTallies.refusals, sourceLocation: sourceLocation)
        let view = DashboardView.make(
            totals: try await projection.dashboard().totals, sessions: sessions, cursor: cursor, kiosks: [:],
            names: true, offlineAfter: 120, now: Date(timeIntervalSince1970: 1_780_010_000))
        let referenceView = DashboardView.make(
            totals: try await reference.dashboard().totals, sessions: sessions, cursor: cursor, kiosks: [:],
            names: true, offlineAfter: 120, now: Date(timeIntervalSince1970: 1_780_010_000))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(view) == (try encoder.encode(referenceView)), sourceLocation: sourceLocation)
    }

    static func keeper(_ path: String, _ projection: CentralProjection, _ store: any CentralStore) -> CheckpointKeeper {
        CheckpointKeeper(path: path, projection: projection, store: store, logger: Logger(label: "test"))
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("projection-\(UUID().uuidString).checkpoint").path
    }

    @Test(
        "read back from its checkpoint, the projection says what a fold of the whole log says, then and after more events",
        arguments: StoreKind.allCases)
    func restoredAgrees(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let first = Self.history(count: 400, seed: 1)
            try await Self.ingest(first, into: store)
            let written = CentralProjection(store: store)
            try await written.catchUp()
            let path = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let writer = Self.keeper(path, written, store)
            await writer.saveIfDue(force: true)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(!FileManager.default.fileExists(atPath: path + ".new-\(getpid())"))

            let restored = CentralProjection(store: store)
            #expect(await Self.keeper(path, restored, store).restore() == true)
            #expect(await restored.cursor == (try await store.latestSequence()))
            try await Self.expectAgree(restored, CentralProjection(store: store), log: first)

            // A request that comes while a checkpoint is read waits for it, instead of folding the
            // log beside it; a projection that has read the log is not overwritten.
            let loading = CentralProjection(store: store, loading: true)
            let asked = Task { try await loading.stats() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await loading.cursor == 0)
            let content = try ProjectionCheckpoint.read(from: path).content
            #expect(await loading.restore(content))
            await loading.endLoading()
            #expect(try await asked.value == (try await written.stats()))
            #expect(await !written.restore(content))

            // More of everything, to people already there and new ones: both follow.
            let more = Self.history(count: 150, seed: 2) + Self.history(count: 60, seed: 3, idPrefix: "B")
            try await Self.ingest(more, into: store)
            try await Self.expectAgree(restored, CentralProjection(store: store), log: first + more)
            // Saved again and read back once more.
            await Self.keeper(path, restored, store).saveIfDue(force: true)
            let again = CentralProjection(store: store)
            #expect(await Self.keeper(path, again, store).restore() == true)
            try await Self.expectAgree(again, written, log: first + more)
        }
    }

    @Test("a checkpoint taken while a catch-up waits for its next page holds every event its cursor says it read")
    func checkpointMidCatchUp() async throws {
        try await withFreshStore(.sqlite) { store in
            let log = Self.history(count: 8_000, seed: 8)
            try await Self.ingest(log, into: store)
            let latest = try await store.latestSequence()
            #expect(latest > 30_000)  // several pages of 10,000
            let projection = CentralProjection(store: store)
            let catchingUp = Task { try await projection.catchUp() }
            // Taken between two pages: the cursor is past events read and not folded yet.
            var middle: ProjectionCheckpoint.Content?
            while middle == nil, await projection.cursor != latest {
                let content = await projection.checkpointContent()
                if content.cursor > 0 && content.cursor < latest { middle = content }
                await Task.yield()
            }
            try await catchingUp.value
            let taken = try #require(middle, "no checkpoint was taken between two pages")
            let path = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ProjectionCheckpoint.write(taken, epoch: try await store.logEpoch(), to: path)
            let restored = CentralProjection(store: store)
            #expect(await Self.keeper(path, restored, store).restore() == true)
            try await Self.expectAgree(restored, projection, log: log)
        }
    }

    @Test("catch-ups called at once while doors push: each sees what was stored before it, each event is counted once")
    func overlappingCatchUps() async throws {
        try await withFreshStore(.sqlite) { store in
            let log = Self.history(count: 3_000, seed: 9)
            let (first, rest) = (Array(log.prefix(log.count / 2)), Array(log.dropFirst(log.count / 2)))
            try await Self.ingest(first, into: store)
            let projection = CentralProjection(store: store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.ingest(rest, into: store) }  // doors pushing meanwhile
                for _ in 0..<24 {
                    group.addTask {
                        for _ in 0..<4 {
                            let stored = try await store.latestSequence()
                            try await projection.catchUp()
                            let cursor = await projection.cursor
                            #expect(cursor >= stored, "caught up to \(cursor), \(stored) were stored before the call")
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await projection.catchUp()
            // The counters too: an event added twice would count twice.
            try await Self.expectAgree(projection, CentralProjection(store: store), log: log)
        }
    }

    @Test(
        "a checkpoint that is not this log's is never used: torn, damaged, another store's, ahead, older version, after a purge"
    )
    func refusedCheckpoints() async throws {
        try await withFreshStore(.sqlite) { store in
            let log = Self.history(count: 120, seed: 4)
            try await Self.ingest(log, into: store)
            let projection = CentralProjection(store: store)
            try await projection.catchUp()
            let path = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            await Self.keeper(path, projection, store).saveIfDue(force: true)
            let good = try Data(contentsOf: URL(fileURLWithPath: path))

            func refused(_ bytes: Data?, _ why: Comment) async throws {
                if let bytes { try bytes.write(to: URL(fileURLWithPath: path)) }
                let fresh = CentralProjection(store: store)
                #expect(await Self.keeper(path, fresh, store).restore() == false, why)
                #expect(!FileManager.default.fileExists(atPath: path), "\(why): kept")
                // And the server goes on from the log, as if there were none.
                try await Self.expectAgree(fresh, projection, log: log)
            }
            var flipped = good
            flipped[good.count / 2] ^= 0x40
            try await refused(flipped, "a byte changed")
            try await refused(good.prefix(good.count - 100), "torn")
            try await refused(Data("not a checkpoint".utf8), "not one")
            var version = good
            version[8] = 99
            try await refused(version, "another version")
            try? FileManager.default.removeItem(atPath: path)
            try await refused(nil, "missing")

            // Another store whose log is as long but not the same.
            try await withFreshStore(.sqlite) { other in
                try await Self.ingest(Self.history(count: 120, seed: 4), into: other)  // same shape, other ids
                #expect(try await other.latestSequence() == (try await store.latestSequence()))
                let theirs = CentralProjection(store: other)
                try await theirs.catchUp()
                await Self.keeper(path, theirs, other).saveIfDue(force: true)
            }
            try await refused(nil, "another store's")

            // Ahead of the store: written after more events that this store does not have.
            try await withFreshStore(.sqlite) { ahead in
                try await Self.ingest(log, into: ahead)
                try await Self.ingest(Self.history(count: 10, seed: 5, idPrefix: "C"), into: ahead)
                let theirs = CentralProjection(store: ahead)
                try await theirs.catchUp()
                await Self.keeper(path, theirs, ahead).saveIfDue(force: true)
            }
            try await refused(nil, "ahead of the store")

            // After a purge the events say less than the checkpoint: it must go.
            try good.write(to: URL(fileURLWithPath: path))
            #expect(await Self.keeper(path, CentralProjection(store: store), store).restore() == true)
            _ = try await store.purgePersonalData()
            let purged = CentralProjection(store: store)
            #expect(await Self.keeper(path, purged, store).restore() == false)
            let names = try await purged.snapshot().roster.map(\.attendee.firstName)
            #expect(!names.contains("Зоя"), "names of the purged store came back")
        }
    }

    @Test("the server writes its checkpoint once folded and when it stops, and starts from it")
    func serverKeepsItsCheckpoint() async throws {
        try await withFreshStore(.sqlite) { store in
            let path = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await Self.ingest(Self.history(count: 50, seed: 6), into: store)
            let token = try await store.createToken(kiosk: "door-0", role: .door)
            func app() -> some ApplicationProtocol {
                let server = buildServer(store: store, checkpoint: path)
                return Application(router: server.router, services: server.services)
            }
            let stats: Stats = try await app().test(.live) { client in
                var ready = false
                for _ in 0..<100 where !ready {
                    ready = try await client.execute(uri: "/api/v1/health", method: .get).status == .ok
                    if !ready { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(ready)
                // Events after the fold reach the file when the server stops.
                try await Self.ingest(Self.history(count: 20, seed: 7, idPrefix: "D"), into: store)
                let answer = try await client.execute(
                    uri: "/api/v1/stats", method: .get, headers: [.authorization: "Bearer \(token)"])
                return try JSONDecoder().decode(Stats.self, from: Data(buffer: answer.body))
            }
            let saved = try ProjectionCheckpoint.read(from: path)
            #expect(saved.content.cursor == (try await store.latestSequence()))
            #expect(stats.registered > 50)

            let restored = CentralProjection(store: store)
            #expect(await Self.keeper(path, restored, store).restore() == true)
            #expect(try await restored.stats() == stats)
            try await app().test(.live) { client in
                var answer = try await client.execute(uri: "/api/v1/health", method: .get)
                for _ in 0..<100 where answer.status != .ok {
                    try await Task.sleep(for: .milliseconds(50))
                    answer = try await client.execute(uri: "/api/v1/health", method: .get)
                }
                let again = try await client.execute(
                    uri: "/api/v1/stats", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(try JSONDecoder().decode(Stats.self, from: Data(buffer: again.body)) == stats)
            }
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing history can be made again.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
