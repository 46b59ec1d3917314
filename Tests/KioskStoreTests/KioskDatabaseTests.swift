import AccueilCore
import Foundation
import GRDB
import StoreSupport
import Synchronization
import Testing

@testable import KioskStore

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Kiosk store")
struct KioskDatabaseTests {
    let roster = RosterGenerator(seed: 11).attendees(count: 300)

    func store() throws -> KioskDatabase { try KioskDatabase(directory: temporaryDirectory()) }

    @Test("importing the same roster twice changes nothing the second time")
    func reimportIsIdempotent() throws {
        let db = try store()
        let first = try db.importRoster(roster, kiosk: "import")
        #expect(first.added == 300 && first.updated == 0)
        let eventsAfterFirst = try db.allEvents().count
        let second = try db.importRoster(roster, kiosk: "import")
        #expect(second.unchanged == 300 && second.added == 0 && second.updated == 0)
        #expect(try db.allEvents().count == eventsAfterFirst)
        #expect(try db.verifyConsistency() == [])
    }

    @Test("an updated roster updates changed attendees and never touches check-ins")
    func updateKeepsCheckIns() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let id = roster[5].id
        guard case .checkedIn(let record) = try db.checkIn(id, kiosk: "door-1") else {
            Issue.record("not checked in")
            return
        }
        var changed = roster
        changed[5].title = "Maire de Quimper"
        changed[6].organisation = "Ville de Brest"
        let summary = try db.importRoster(changed, kiosk: "import")
        #expect(summary.updated == 2 && summary.unchanged == 298)
        let after = try #require(try db.attendee(id: id))
        #expect(after.attendee.title == "Maire de Quimper")
        #expect(after.checkIn == record)
        #expect(try db.verifyConsistency() == [])
    }

    @Test("missing attendees stay unless --remove-missing; removal keeps their history")
    func removeMissing() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        try db.checkIn(roster[0].id, kiosk: "door-1")
        let shorter = Array(roster.dropFirst(10))
        #expect(try db.importRoster(shorter, kiosk: "import").removed == 0)
        #expect(try db.stats().registered == 300)
        let dry = try db.importRoster(shorter, removeMissing: true, dryRun: true, kiosk: "import")
        #expect(dry.removed == 10)
        #expect(try db.stats().registered == 300)
        #expect(try db.importRoster(shorter, removeMissing: true, kiosk: "import").removed == 10)
        #expect(try db.stats().registered == 290)
        #expect(try db.events(attendeeID: roster[0].id).contains { $0.body == .checkedIn })
        #expect(throws: StoreError.self) { try db.checkIn(roster[0].id, kiosk: "door-1") }
        // Back in the next file: restored, with their check-in.
        #expect(try db.importRoster(roster, kiosk: "import").updated == 10)
        #expect(try db.attendee(id: roster[0].id)?.checkIn != nil)
        #expect(try db.verifyConsistency() == [])
    }

    @Test("a dry run writes nothing")
    func dryRun() throws {
        let db = try store()
        let summary = try db.importRoster(roster, dryRun: true, kiosk: "import")
        #expect(summary.added == 300)
        #expect(try db.stats().registered == 0)
        #expect(try db.allEvents().isEmpty)
    }

    @Test("a second check-in is refused, logged as a duplicate attempt, and the first one stands")
    func duplicateCheckIn() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let id = roster[1].id
        let nine = Date(timeIntervalSince1970: 1_780_000_000)
        guard case .checkedIn(let first) = try db.checkIn(id, kiosk: "door-2", at: nine) else {
            Issue.record("first check-in refused")
            return
        }
        #expect(try db.checkIn(id, kiosk: "door-1", at: nine.addingTimeInterval(60)) == .alreadyCheckedIn(first))
        let stats = try db.stats()
        #expect(stats.checkedIn == 1 && stats.refusedAttempts == 1 && stats.duplicates == 0)
        #expect(try db.events(attendeeID: id).map(\.type) == ["attendee.upserted", "checkin", "checkin.refused"])
        #expect(try db.verifyConsistency() == [])
    }

    @Test("unknown ids are refused and change nothing")
    func unknown() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let before = try db.allEvents().count
        #expect {
            try db.checkIn("NOPE", kiosk: "door-1")
        } throws: { ($0 as? StoreError)?.kind == .unknownAttendee }
        #expect(try db.allEvents().count == before)
    }

    @Test("undo reverses a check-in, keeps both in the history, and allows a new check-in")
    func undo() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let id = roster[2].id
        #expect { try db.undoCheckIn(id, reason: "x", kiosk: "door-1") } throws: {
            ($0 as? StoreError)?.kind == .notCheckedIn
        }
        try db.checkIn(id, kiosk: "door-1")
        try db.undoCheckIn(id, reason: "wrong person", kiosk: "door-1")
        #expect(try db.attendee(id: id)?.checkIn == nil)
        #expect(try db.stats().checkedIn == 0)
        guard case .checkedIn = try db.checkIn(id, kiosk: "door-1") else {
            Issue.record("check-in after undo refused")
            return
        }
        #expect(
            try db.events(attendeeID: id).map(\.type) == ["attendee.upserted", "checkin", "checkin.undone", "checkin"])
        #expect(try db.verifyConsistency() == [])
    }

    @Test("a walk-in is registered, marked and checked in at once, and survives a roster re-import")
    func walkIn() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let id = try db.nextWalkInID(kiosk: "door-1")
        #expect(id == "W-door-1-1")
        try db.walkIn(Attendee(id: id, firstName: "Zoé", lastName: "Nouvelle", role: .press), kiosk: "door-1")
        let record = try #require(try db.attendee(id: id))
        #expect(record.attendee.walkIn && record.checkIn != nil)
        #expect(try db.nextWalkInID(kiosk: "door-1") == "W-door-1-2")
        #expect(try db.nextWalkInID(kiosk: "door-2") == "W-door-2-1")
        #expect { try db.walkIn(Attendee(id: id, lastName: "Other"), kiosk: "door-1") } throws: {
            ($0 as? StoreError)?.kind == .idTaken
        }
        try db.importRoster(roster, kiosk: "import")
        #expect(try db.stats().walkIns == 1)
        #expect(try db.stats().registered == 301)
    }

    @Test("every change sits in the outbox, in the same transaction as the change")
    func outbox() throws {
        let db = try store()
        try db.importRoster(Array(roster.prefix(10)), kiosk: "import")
        try db.checkIn(roster[0].id, kiosk: "door-1")
        try db.checkIn(roster[0].id, kiosk: "door-1")
        #expect(try db.outboxCount() == 12)
        #expect(try db.allEvents().count == 12)
    }

    @Test("two handles on one directory (two processes) see each other's check-ins")
    func twoHandles() throws {
        let directory = temporaryDirectory()
        let a = try KioskDatabase(directory: directory)
        let b = try KioskDatabase(directory: directory)
        try a.importRoster(roster, kiosk: "import")
        try a.checkIn(roster[3].id, kiosk: "door-1")
        guard case .alreadyCheckedIn(let previous) = try b.checkIn(roster[3].id, kiosk: "door-2") else {
            Issue.record("second handle did not see the check-in")
            return
        }
        #expect(previous.kiosk == "door-1")
    }

    @Test("stats count by role and country")
    func stats() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        for attendee in roster.prefix(40) { try db.checkIn(attendee.id, kiosk: "door-1") }
        let stats = try db.stats()
        #expect(stats.registered == 300 && stats.checkedIn == 40)
        #expect(stats.byRole.values.map(\.registered).reduce(0, +) == 300)
        #expect(stats.byRole.values.map(\.checkedIn).reduce(0, +) == 40)
        let expectedFR = roster.filter { $0.country == "FR" }.count
        #expect(stats.byCountry["FR"]?.registered == expectedFR)
    }

    @Test("the search snapshot reflects check-ins")
    func snapshot() throws {
        let db = try store()
        try db.importRoster(roster, kiosk: "import")
        let target = roster[7]
        try db.checkIn(target.id, kiosk: "door-1")
        let snapshot = try db.snapshot()
        let result = try #require(snapshot.search(target.id).first)
        #expect(result.record.attendee.id == target.id)
        #expect(result.record.checkIn?.kiosk == "door-1")
        #expect(
            snapshot.search(target.lastName + " " + target.firstName).contains { $0.record.attendee.id == target.id })
    }
}

@Suite("Kiosk store: session doors")
struct SessionDoorStoreTests {
    let now = Date()
    var roster: [Attendee] {
        var people = RosterGenerator(seed: 5).attendees(count: 40)
        people[0].role = .participant
        people[0].sessions = ["AT-1"]
        people[1].role = .staff
        people[2].role = .participant
        people[2].sessions = []
        return people
    }

    func store(capacity: Int = 3, access: SessionAccess = .open, starts: TimeInterval = -600) throws -> KioskDatabase {
        let db = try KioskDatabase(directory: temporaryDirectory())
        try db.importRoster(roster, kiosk: "import")
        let session = Session(
            id: "AT-1", title: "Atelier", room: "Salle 2", start: now.addingTimeInterval(starts),
            end: now.addingTimeInterval(starts + 3600), capacity: capacity, access: access)
        #expect(try db.importSessions([session], kiosk: "import").added == 1)
        #expect(try db.importSessions([session], kiosk: "import").unchanged == 1)
        return db
    }

    @Test("entries up to capacity, then refused with the reason; an exit frees a seat; an override is logged")
    func capacity() throws {
        let db = try store(capacity: 3)
        let ids = roster.map(\.id)
        for (i, id) in ids.prefix(3).enumerated() {
            let scan = try db.sessionScan(attendeeID: id, session: "AT-1", kiosk: "room-a", at: now)
            #expect(scan.outcome == .entered && scan.occupancy == i + 1)
        }
        let full = try db.sessionScan(attendeeID: ids[3], session: "AT-1", kiosk: "room-b", at: now)
        #expect(full.outcome == .refused(.roomFull) && full.occupancy == 3 && !full.admitted)
        // The same badge twice within seconds is one entry, not an exit.
        let bounce = try db.sessionScan(
            attendeeID: ids[0], session: "AT-1", kiosk: "room-a", at: now.addingTimeInterval(1))
        #expect(bounce.outcome == .alreadyInside && bounce.occupancy == 3)
        // A second scan later at a two-way door is an exit.
        let out = try db.sessionScan(
            attendeeID: ids[0], session: "AT-1", kiosk: "room-a", at: now.addingTimeInterval(60))
        #expect(out.outcome == .exited && out.occupancy == 2)
        #expect(try db.sessionScan(attendeeID: ids[3], session: "AT-1", kiosk: "room-b", at: now).outcome == .entered)
        // Full again: a supervisor lets one more in, and the log says why.
        let forced = try db.sessionScan(
            attendeeID: ids[4], session: "AT-1", kiosk: "room-b", override: "supervisor: interpreter", at: now)
        #expect(forced.outcome == .enteredOverride(refused: .roomFull, reason: "supervisor: interpreter"))
        #expect(forced.occupancy == 4)
        let logged = try db.events(attendeeID: ids[4]).map(\.body)
        #expect(logged.contains(.sessionEntered(session: "AT-1", override: "supervisor: interpreter")))
        #expect(
            try db.events(attendeeID: ids[3]).map(\.body).contains(.sessionRefused(session: "AT-1", reason: .roomFull)))
        // An exit station records exits only.
        let exit = try db.sessionScan(attendeeID: ids[1], session: "AT-1", kiosk: "room-x", direction: .exit, at: now)
        #expect(exit.outcome == .exited && exit.occupancy == 3)
        // An entrance never turns a second scan into an exit.
        let again = try db.sessionScan(
            attendeeID: ids[2], session: "AT-1", kiosk: "room-a", direction: .entry, at: now.addingTimeInterval(90))
        #expect(again.outcome == .alreadyInside)
        #expect(try db.occupancies() == ["AT-1": 3])
        #expect(try db.verifyConsistency() == [])
    }

    @Test("access rules, doors not open yet, session over, unknown people and sessions")
    func refusals() throws {
        let db = try store(capacity: 0, access: .registered)
        let people = roster
        #expect(try db.sessionScan(attendeeID: people[0].id, session: "AT-1", kiosk: "k", at: now).outcome == .entered)
        #expect(
            try db.sessionScan(attendeeID: people[2].id, session: "AT-1", kiosk: "k", at: now).outcome
                == .refused(.notRegistered))
        // Staff pass the rule.
        #expect(try db.sessionScan(attendeeID: people[1].id, session: "AT-1", kiosk: "k", at: now).outcome == .entered)
        #expect(
            try db.sessionScan(attendeeID: "NOBODY", session: "AT-1", kiosk: "k", at: now).outcome
                == .refused(.notOnRoster))
        #expect(throws: StoreError.self) { try db.sessionScan(attendeeID: people[0].id, session: "NOPE", kiosk: "k") }
        let early = try store(capacity: 0, starts: 3600)
        #expect(
            try early.sessionScan(attendeeID: people[0].id, session: "AT-1", kiosk: "k", at: now).outcome
                == .refused(.notOpenYet))
        let late = try store(capacity: 0, starts: -7200)
        #expect(
            try late.sessionScan(attendeeID: people[0].id, session: "AT-1", kiosk: "k", at: now).outcome
                == .refused(.sessionOver))
    }

    @Test(
        "two micro-workshops in one room: the room's count carries over, exits are always taken, a supervisor clears"
    )
    func roomAcrossSessions() throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        try db.importRoster(roster, kiosk: "import")
        // MICRO-14 until now + 60 s, then MICRO-15 in the same room, limited to 3 (registered only).
        let m14 = Session(
            id: "MICRO-14", title: "Micro 14", room: "Salon B", start: now.addingTimeInterval(-1140),
            end: now.addingTimeInterval(60), capacity: 4, access: .open)
        let m15 = Session(
            id: "MICRO-15", title: "Micro 15", room: "Salon B", start: now.addingTimeInterval(60),
            end: now.addingTimeInterval(1260), capacity: 3, access: .registered)
        try db.importSessions([m14, m15], kiosk: "import")
        let ids = roster.map(\.id)
        for id in ids[10..<14] {
            #expect(try db.sessionScan(attendeeID: id, session: "MICRO-14", kiosk: "door", at: now).outcome == .entered)
        }
        // MICRO-15 begins: the 4 are still inside, and count against its limit.
        let later = now.addingTimeInterval(120)
        #expect(try db.occupancy(session: "MICRO-15") == 4)
        #expect(try db.carriedOver(into: "MICRO-15").count == 4)
        let newcomer = try db.sessionScan(attendeeID: ids[1], session: "MICRO-15", kiosk: "door", at: later)
        #expect(newcomer.outcome == .refused(.roomFull) && newcomer.occupancy == 4)
        // A MICRO-14 person leaving at MICRO-15's door: an exit, not "not registered for this session".
        let leaving = try db.sessionScan(attendeeID: ids[10], session: "MICRO-15", kiosk: "door", at: later)
        #expect(leaving.outcome == .exited && leaving.occupancy == 3)
        // An exit door takes anyone's exit.
        let exitDoor = try db.sessionScan(
            attendeeID: ids[11], session: "MICRO-15", kiosk: "exit", direction: .exit, at: later)
        #expect(exitDoor.outcome == .exited && exitDoor.occupancy == 2)
        #expect(
            try db.sessionScan(attendeeID: ids[1], session: "MICRO-15", kiosk: "door", at: later).outcome == .entered)
        #expect(try db.occupancy(session: "MICRO-15") == 3)
        // The two who stayed left without scanning: a supervisor clears them, and exits are logged.
        #expect(try db.clearCarriedOver(into: "MICRO-15", kiosk: "door", at: later) == 2)
        #expect(try db.occupancy(session: "MICRO-15") == 1)
        #expect(try db.events(attendeeID: ids[12]).map(\.body).last == .sessionExited(session: "MICRO-14"))
        #expect(try db.verifyConsistency() == [])
    }

    @Test("entering another session moves the person there: they no longer count in the first room")
    func moving() throws {
        let db = try store(capacity: 0)
        let other = Session(
            id: "AT-2", title: "Autre", room: "Salle 3", start: now.addingTimeInterval(-60),
            end: now.addingTimeInterval(3600))
        try db.importSessions([other], kiosk: "import")
        let id = roster[5].id
        try db.sessionScan(attendeeID: id, session: "AT-1", kiosk: "a", at: now)
        try db.sessionScan(attendeeID: id, session: "AT-2", kiosk: "b", at: now.addingTimeInterval(5))
        #expect(try db.occupancies() == ["AT-2": 1])
        #expect(try db.attendee(id: id)?.attended == ["AT-1", "AT-2"])
    }

    @Test("a door that follows a room serves its back-to-back micro-workshops one after the other")
    func followsRoom() throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let micro = (0..<3).map { i in
            Session(
                id: "MICRO-\(i + 1)", title: "Micro \(i + 1)", room: "Salon B",
                start: t.addingTimeInterval(Double(i) * 1200),
                end: t.addingTimeInterval(Double(i + 1) * 1200), capacity: 15)
        }
        let elsewhere = Session(id: "OTHER", title: "Other", room: "Salle 2", start: t, end: t.addingTimeInterval(3600))
        try db.importSessions(micro + [elsewhere], kiosk: "import")
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(-3600)) == nil)
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(-600))?.id == "MICRO-1")
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(600))?.id == "MICRO-1")
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(1200))?.id == "MICRO-2")
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(3000))?.id == "MICRO-3")
        #expect(try db.currentSession(room: "Salon B", at: t.addingTimeInterval(3600)) == nil)
    }

    @Test("two doors of one room count together through the log: the room is full across both")
    func twoDoors() throws {
        let a = try store(capacity: 2)
        let b = try KioskDatabase(directory: temporaryDirectory())
        // Door B starts empty and gets roster and schedule from door A's log, as sync brings them.
        try b.applyRemote(try a.allEvents())
        #expect(try b.session(id: "AT-1")?.capacity == 2)
        try a.sessionScan(attendeeID: roster[0].id, session: "AT-1", kiosk: "door-a", at: now)
        try b.sessionScan(attendeeID: roster[1].id, session: "AT-1", kiosk: "door-b", at: now)
        // Before they exchange, each door knows one person inside.
        #expect(try a.occupancy(session: "AT-1") == 1 && b.occupancy(session: "AT-1") == 1)
        try b.applyRemote(try a.outbox().map(\.event))
        try a.applyRemote(try b.outbox().map(\.event))
        #expect(try a.occupancy(session: "AT-1") == 2 && b.occupancy(session: "AT-1") == 2)
        #expect(
            try b.sessionScan(attendeeID: roster[2].id, session: "AT-1", kiosk: "door-b", at: now).outcome
                == .refused(.roomFull))
        // (Events applied from the other door are in neither outbox: the consistency check counts them apart.)
        #expect(try a.verifyConsistency().filter { !$0.hasPrefix("<outbox") } == [])
        #expect(try b.verifyConsistency().filter { !$0.hasPrefix("<outbox") } == [])
    }
}

@Suite("Opening a new store from many processes at once")
struct ConcurrentOpenTests {
    @Test("six openers of one new store all succeed and agree on its schema (20 rounds)")
    func concurrentOpens() throws {
        for _ in 0..<20 {
            let directory = temporaryDirectory()
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do {
                    let db = try KioskDatabase(directory: directory)
                    _ = try db.stats()
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            let seen = failures.withLock { $0 }
            #expect(seen.isEmpty, "\(seen)")
            try FileManager.default.removeItem(at: directory)
        }
    }
}

@Suite("Print queue: a printer away")
struct PrintQueueDeferTests {
    @Test("the queue's counts (kept by triggers) and newest jobs agree with a scan of the queue, whatever happens")
    func countsAgree() throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let people = RosterGenerator(seed: 8).attendees(count: 60)
        try db.importRoster(people, kiosk: "import")
        func scanned() throws -> [String: Int] {
            try db.read { db in
                try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM print_jobs GROUP BY state")
                        .map { ($0[0] as String, $0[1] as Int) })
            }
        }
        func check(_ step: String) throws {
            #expect(try db.printJobCounts() == scanned(), "\(step)")
            let summary = try db.printSummary()
            let all = try db.printJobs(limit: 1_000)
            #expect(summary.last == all.first, "\(step): the newest job")
            let waiting = all.filter { ["pending", "failed"].contains($0.state) }
            #expect(summary.trouble == waiting.first?.lastError, "\(step): the trouble")
        }
        try check("empty")
        var clock = Date()
        for (i, person) in people.prefix(40).enumerated() {
            clock = clock.addingTimeInterval(0.01)
            _ = try db.checkIn(person.id, kiosk: "door-1", at: clock, print: PrintRequest(printer: i < 30 ? "a" : "b"))
        }
        try check("queued")
        let jobs = try db.printJobs(limit: 100)
        try db.updatePrintJobs(
            jobs.prefix(10).map { PrintJobUpdate(id: $0.id, state: "submitted", cupsJob: 7) }
                + jobs.dropFirst(10).prefix(5).map { PrintJobUpdate(id: $0.id, state: "printed") }
                + jobs.dropFirst(15).prefix(3).map {
                    PrintJobUpdate(id: $0.id, state: "failed", error: "out of paper", attempted: true)
                })
        try check("submitted, printed, failed")
        _ = try db.holdPrintJobs(printer: "a", error: "unreachable", now: clock.addingTimeInterval(5))
        _ = try db.retryPrintJobs(now: clock.addingTimeInterval(6))
        _ = try db.reroutePrintJobs(from: "b", to: "c", now: clock.addingTimeInterval(7))
        try check("deferred, retried, rerouted")
        _ = try db.reprint(people[0].id, reason: "damaged", request: PrintRequest(printer: "a"), kiosk: "door-1")
        try check("a reprint")
        _ = try db.purgePersonalData()
        try check("after the purge")
    }

    @Test(
        "a printer away: its jobs held in one statement, not rewritten again; the printer's next try backs off; released when back"
    )
    func holdForPrinter() throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let people = RosterGenerator(seed: 5).attendees(count: 40)
        try db.importRoster(people, kiosk: "import")
        let start = Date()
        for person in people.prefix(20) {
            _ = try db.checkIn(person.id, kiosk: "door-1", at: start, print: PrintRequest(printer: "away"))
        }
        for person in people[20..<30] {
            _ = try db.checkIn(person.id, kiosk: "door-1", at: start, print: PrintRequest(printer: "there"))
        }
        var now = start.addingTimeInterval(1)
        #expect(try db.printersWithDuePrintJobs(now: now) == ["away", "there"])
        #expect(try db.duePrintJobs(printer: "away", now: now).count == 20)

        // Away: all 20 held at once, their attempt counted and the reason written; nothing due on
        // it any more, whatever the time; the other printer's jobs untouched.
        #expect(try db.holdPrintJobs(printer: "away", error: "the printer is unreachable", now: now) == 20)
        let held = try db.printJobs(states: ["pending"], limit: 100).filter { $0.printer == "away" }
        #expect(held.count == 20)
        #expect(held.allSatisfy { $0.attempts == 1 && $0.lastError == "the printer is unreachable" })
        #expect(held.allSatisfy { $0.nextAttemptAt == .distantFuture })
        #expect(try db.printersWithDuePrintJobs(now: now.addingTimeInterval(3_600)) == ["there"])
        #expect(try db.duePrintJobs(printer: "there", now: now).allSatisfy { $0.attempts == 0 && $0.lastError == nil })

        // The printer's next tries: 1 s, 2 s, 4 s… up to a minute (the spooler's other retries').
        var waits: [TimeInterval] = []
        for failure in 1...8 {
            let wait = PrintJob.retryWait(attempts: failure)
            waits.append(wait)
            #expect(try db.printersToTryAgain(now: now.addingTimeInterval(wait - 0.01)).isEmpty, "try \(failure)")
            #expect(try db.printersToTryAgain(now: now.addingTimeInterval(wait + 0.01)) == ["away"], "try \(failure)")
            now = now.addingTimeInterval(wait + 0.01)
            // Still away at its next try, with two new badges due meanwhile: only those are written.
            let newcomers = people[(30 + 2 * (failure - 1)) % 40..<(30 + 2 * (failure - 1)) % 40 + 2]
            for person in newcomers where failure <= 5 {
                _ = try db.checkIn(person.id, kiosk: "door-2", at: now, print: PrintRequest(printer: "away"))
            }
            let before = try db.printJobs(limit: 1_000).filter { $0.printer == "away" && $0.attempts > 0 }
            let waiting = try db.holdPrintJobs(printer: "away", error: "still unreachable", now: now)
            let after = try db.printJobs(limit: 1_000).filter { $0.printer == "away" }
            #expect(waiting == after.count, "try \(failure): every job of the printer waits for it")
            for job in before {
                #expect(after.first { $0.id == job.id } == job, "try \(failure): a job held before is not rewritten")
            }
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60])
        // Back: released, all due at once; the printer no longer waited for.
        #expect(try db.releasePrintJobs(printer: "away", now: now) == 30)
        #expect(try db.duePrintJobs(printer: "away", now: now).count == 30)
        #expect(try db.printersToTryAgain(now: now.addingTimeInterval(3_600)).isEmpty)
        #expect(try db.releasePrintJobs(printer: "away", now: now) == 0)
    }
}

@Suite("Durable commits")
struct DurableCommitTests {
    /// GRDB's `DatabasePool` sets its writer to `synchronous = NORMAL` after `prepareDatabase` has
    /// run: a commit then reached only the page cache. Every store opened by `SQLiteFile` (the
    /// kiosk's, the central one on SQLite, the mail queue) has it set back to FULL.
    @Test("every SQLite store's writer syncs its log at each commit (synchronous = FULL)")
    func writerIsFull() async throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        #expect(try SQLiteFile.synchronousLevel(db.writer) == SQLiteFile.fullSynchronous)
        // Still so after writes through the group commit and the plain writer.
        let person = RosterGenerator(seed: 4).attendees(count: 1)
        try db.importRoster(person, kiosk: "k")
        _ = try await db.doorCheckInGrouped(person[0].id, kiosk: "k", print: nil)
        #expect(try SQLiteFile.synchronousLevel(db.writer) == SQLiteFile.fullSynchronous)

        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (a)") }
        let path = temporaryDirectory().appendingPathComponent("other.sqlite").path
        let pool = try SQLiteFile.open(path: path, migrator: migrator)
        #expect(try SQLiteFile.synchronousLevel(pool) == SQLiteFile.fullSynchronous)
        #expect(try await pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }
}

@Suite("The write-ahead log under steady reads")
struct WALLimitTests {
    /// A store with `count` attendees imported, its checkpoints done; and its file's path.
    func imported(_ count: Int, seed: UInt64) throws -> (KioskDatabase, String, [Attendee]) {
        let directory = temporaryDirectory()
        let db = try KioskDatabase(directory: directory)
        let people = RosterGenerator(seed: seed).attendees(count: count)
        try db.importRoster(people, kiosk: "import")
        db.walLimit.settle()
        return (db, directory.appendingPathComponent(KioskDatabase.fileName).path, people)
    }

    @Test(
        "the writer's commits do not checkpoint; past its limit the log starts again, cut back, however busy the readers"
    )
    func logStartsAgain() throws {
        let (db, path, people) = try imported(3_000, seed: 9)
        func write(_ person: Attendee) throws {
            try db.writer.write { db in
                try db.execute(sql: "UPDATE attendees SET refused = refused + 1 WHERE id = ?", arguments: [person.id])
            }
        }
        // Commits that do not ask the checkpointer: nothing checkpoints them, so the log holds
        // every frame (SQLite's default would have started it again past 1,000 pages).
        for person in people.prefix(1_500) { try write(person) }
        let bound: Int64 = 256 << 10
        let limit = WALLimit(path: path, writer: db.writer, limit: bound, restartEvery: .milliseconds(100))
        #expect(limit.logSize > 1_500 * 4096, "the log kept every commit: \(limit.logSize) bytes")
        // A reader that never stops: searches and counts from another thread, as a door's.
        let stop = Atomic<Bool>(false)
        let reader = Thread {
            while !stop.load(ordering: .relaxed) { _ = try? db.stats() }
        }
        reader.start()
        defer { stop.store(true, ordering: .relaxed) }
        // Asked after commits, the checkpointer copies the log and waits for the readers of the
        // moment (RESTART: over the limit), 20 ms at most, else again later; the next commit then
        // writes the log from its beginning and cuts the file back to twice the limit (kept, so
        // that later commits write over it).
        let kept = WALLimit.keptFile(bound)
        var tries = 0
        while limit.logSize > kept && tries < 20 {
            limit.afterCommit()
            limit.settle()
            try write(people[tries])
            tries += 1
            if limit.logSize > kept { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(limit.logSize <= kept, "cut back after \(tries) tries: \(limit.logSize)")
        #expect(tries <= 5, "cut back after \(tries) tries")
        // And the log is written from its beginning: with checkpoints asked after its commits, as
        // the stores do, it keeps starting again past the limit and its file stays within twice it.
        for (index, person) in people.dropFirst(100).prefix(300).enumerated() {
            try write(person)
            limit.afterCommit()
            if index % 10 == 9 { limit.settle() }
        }
        #expect(limit.logSize <= kept, "after 300 more commits: \(limit.logSize)")
    }

    @Test("the writer keeps statement journals in memory, readers and VACUUM use files")
    func journalsInMemory() throws {
        let (db, _, people) = try imported(200, seed: 5)
        func tempStore(_ value: Int?) -> String { ["default", "file", "memory"][value ?? 0] }
        // 2 = MEMORY: a grouped check-in's savepoint journal never becomes a file in /var/tmp.
        #expect(
            tempStore(try db.writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA temp_store") })
                == "memory")
        // A reader's large sort may still spill to disk.
        #expect(tempStore(try db.writer.read { try Int.fetchOne($0, sql: "PRAGMA temp_store") }) == "default")
        // A purge's VACUUM copies the database to a file, and leaves the writer as it was.
        for person in people.prefix(20) { _ = try db.checkIn(person.id, kiosk: "door-1") }
        _ = try db.purgePersonalData()
        #expect(
            tempStore(try db.writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA temp_store") })
                == "memory")
    }

    @Test(
        "at a door that never pauses, the committer starts the log again itself between its groups; nothing is lost"
    )
    func busyDoorRestartsTheLog() async throws {
        // A small limit, so that the log passes it many times over.
        let directory = temporaryDirectory()
        let db = try KioskDatabase(directory: directory, logLimit: 64 << 10)
        let people = RosterGenerator(seed: 12).attendees(count: 2_400)
        try db.importRoster(people, kiosk: "import")
        db.walLimit.settle()
        // A reader that never stops, as a door's searches and polls.
        let stop = Atomic<Bool>(false)
        let reader = Thread {
            while !stop.load(ordering: .relaxed) { _ = try? db.stats() }
        }
        reader.start()
        defer { stop.store(true, ordering: .relaxed) }
        // Eight doors checking people in without a pause, so the committer is (nearly) never idle:
        // a RESTART from the checkpointer's own connection would have to catch the writer's lock in
        // a gap between two groups. Until the committer has made three, or everyone is in.
        let doors = 8
        let acknowledged = await withTaskGroup(of: Int.self) { group in
            for door in 0..<doors {
                group.addTask {
                    var done = 0
                    for person in stride(from: door, to: people.count, by: doors).map({ people[$0] }) {
                        if db.walLimit.restarts.load(ordering: .relaxed) >= 3 { break }
                        let result = try? await db.doorCheckInGrouped(person.id, kiosk: "door-\(door)", print: nil)
                        if result?.status == "checked_in" { done += 1 }
                    }
                    return done
                }
            }
            return await group.reduce(0, +)
        }
        stop.store(true, ordering: .relaxed)
        #expect(
            db.walLimit.restarts.load(ordering: .relaxed) >= 3,
            "RESTARTs made by the committer: \(db.walLimit.restarts.load(ordering: .relaxed)) in \(acknowledged) check-ins"
        )
        // Every acknowledged check-in is in the store, once; the file is whole.
        #expect(try db.eventCounts(type: "checkin").values.reduce(0, +) == acknowledged)
        #expect(try await db.writer.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    @Test("the door's check-ins are checkpointed beside them: their pages reach the database file")
    func checkpointedBeside() async throws {
        let (db, path, people) = try imported(1_000, seed: 4)
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        let before = size(path)
        for person in people.prefix(600) {
            _ = try await db.doorCheckInGrouped(person.id, kiosk: "door-1", print: nil)
        }
        db.walLimit.settle()
        // The check-ins' new pages (600 events, their index and outbox rows: about 25) are in the file:
        // a checkpoint copied them there; without one they would be only in the log.
        #expect(size(path) >= before + 16 * 4096, "the database file grew: \(before) → \(size(path)) bytes")
    }
}

@Suite("Kiosk store: the outbox counted")
struct OutboxCountTests {
    @Test("the outbox's count is its size through queueing, sending, setting aside, requeueing, a migration")
    func outboxCounted() throws {
        let (db, _, people) = try WALLimitTests().imported(300, seed: 6)
        func agree(_ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let queued = try db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? -1 }
            #expect(try db.outboxCount() == queued, "\(step)", sourceLocation: sourceLocation)
            #expect(try db.stats().outbox == queued, "\(step)", sourceLocation: sourceLocation)
            #expect(
                try db.verifyConsistency().filter { $0.hasPrefix("<counted") } == [], sourceLocation: sourceLocation)
        }
        try agree("imported")
        let before = try db.outboxCount()
        for person in people.prefix(40) { _ = try db.checkIn(person.id, kiosk: "door-1") }
        try agree("40 check-ins")
        #expect(try db.outboxCount() == before + 40)
        let queued = try db.outbox(limit: 100).map(\.seq)
        try db.markSent(Array(queued.prefix(30)))
        try agree("30 sent")
        try db.markSent(Array(queued.prefix(30)))
        try agree("the same 30 acknowledged again")
        for seq in queued[30..<40] { try db.setAside(seq, reason: "refused", version: "0.9") }
        try agree("10 set aside")
        #expect(try db.requeueSetAside(notVersion: "0.9") == 0)
        #expect(try db.requeueSetAside() == 10)
        try agree("10 queued again")
        // A store made before the count: migration v9 counts what its outbox holds.
        try db.writer.write { db in
            try db.execute(sql: "UPDATE outbox_count SET n = -5")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v9: outbox counted'")
            try db.execute(
                sql: "DROP TRIGGER outbox_counted_insert; DROP TRIGGER outbox_counted_delete; DROP TABLE outbox_count")
        }
        let path = db.writer.path
        let again = try KioskDatabase(directory: URL(fileURLWithPath: path).deletingLastPathComponent())
        #expect(
            try again.outboxCount() == (try db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") })
        )
    }
}
