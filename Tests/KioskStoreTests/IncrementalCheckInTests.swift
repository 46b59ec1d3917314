import AccueilCore
import Foundation
import Testing

@testable import KioskStore

/// The door's check-in updates the attendee's row by what each event changes, instead of folding
/// all their events again. These tests hold it to the fold: after each step, the row equals what
/// folding the attendee's events gives (`verifyConsistency`), and what the check-in returned
/// (the attendee, the print job) equals what the store reads back.
@Suite("Door check-in, row updated in place")
struct IncrementalCheckInTests {
    @Test("every door step leaves the row as the fold of its events, and answers what is stored")
    func agreesWithTheFold() async throws {
        var roster = RosterGenerator(seed: 5).attendees(count: 40)
        roster[3].tickets = ["d1", "d2"]
        roster[4].sessions = ["atelier-1", "pleniere"]
        roster[5].pending = true
        let db = try KioskDatabase(directory: temporaryDirectory())
        try db.importRoster(roster, kiosk: "import")
        let printing = PrintRequest(printer: "door-1", onlyOnce: true)
        let always = PrintRequest(printer: "door-1", onlyOnce: false)

        func check(_ done: DoorCheckIn, _ where: String) throws {
            let stored = try #require(try db.attendee(id: done.attendee.attendee.id))
            #expect(done.attendee == stored, "\(`where`): answered \(done.attendee), stored \(stored)")
            if case .queued(let job) = done.printing {
                #expect(try db.printJob(job.id) == job, "\(`where`): the job answered is not the job stored")
            }
            #expect(try db.verifyConsistency() == [], "\(`where`)")
        }

        for (index, person) in roster.prefix(10).enumerated() {
            let request: PrintRequest? = index % 3 == 0 ? nil : (index % 3 == 1 ? printing : always)
            let first = try await db.doorCheckInGrouped(person.id, kiosk: "door-1", print: request)
            try check(first, "first check-in of \(index)")
            // A second try: refused, and the badge printed once already (or again, `always`).
            try check(try db.doorCheckIn(person.id, kiosk: "door-2", print: request), "second of \(index)")
        }
        // Undone, then in again: an undone check-in stays in the history, the new one is the one.
        let undone = roster[1].id
        try db.undoCheckIn(undone, reason: "wrong person", kiosk: "door-1")
        try check(try db.doorCheckIn(undone, kiosk: "door-1", print: printing), "after an undo")
        // Lost badge (reissued: new version) then a check-in of someone else, a reprint, a walk-in.
        _ = try db.reprint(roster[2].id, reason: "lost", request: printing, kiosk: "door-1")
        try check(try db.doorCheckIn(roster[2].id, kiosk: "door-1", print: always), "after a reissue")
        _ = try db.reprint(roster[12].id, reason: "damaged", request: printing, kiosk: "door-1")
        try check(try db.doorCheckIn(roster[12].id, kiosk: "door-1", print: always), "after a reprint")
        let walkIn = Attendee(id: "walk-in-1", firstName: "Aïcha", lastName: "Benali", role: .participant)
        _ = try db.walkIn(walkIn, kiosk: "door-1", print: printing)
        try check(try db.doorCheckIn(walkIn.id, kiosk: "door-2", print: printing), "a walk-in again")
        // Pending registrations are refused and write nothing.
        let pending = try db.doorCheckIn(roster[5].id, kiosk: "door-1", print: printing)
        #expect(pending.outcome == .pendingRegistration && pending.printing == .notAsked)
        try check(pending, "pending")
        // Many at once through group commit, some twice.
        let ids = roster[20..<40].map(\.id) + roster[20..<25].map(\.id)
        let answers = try await withThrowingTaskGroup(of: DoorCheckIn.self) { group in
            for id in ids { group.addTask { try await db.doorCheckInGrouped(id, kiosk: "door-3", print: printing) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 25)
        #expect(answers.filter { if case .checkedIn = $0.outcome { true } else { false } }.count == 20)
        // Those sent once answer what is stored; the others were changed again by their second try.
        let once = Set(roster[25..<40].map(\.id))
        for answer in answers where once.contains(answer.attendee.attendee.id) {
            try check(answer, "grouped \(answer.attendee.attendee.id)")
        }
        #expect(try db.verifyConsistency() == [])
    }
}
