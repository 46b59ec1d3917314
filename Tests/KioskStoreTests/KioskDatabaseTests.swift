import AccueilCore
import Foundation
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
        let id = try db.nextWalkInID()
        #expect(id == "W-1")
        try db.walkIn(Attendee(id: id, firstName: "Zoé", lastName: "Nouvelle", role: .press), kiosk: "door-1")
        let record = try #require(try db.attendee(id: id))
        #expect(record.attendee.walkIn && record.checkIn != nil)
        #expect(try db.nextWalkInID() == "W-2")
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
