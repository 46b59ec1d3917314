import AccueilCore
import Foundation
import KioskStore
import Testing

@testable import Sync

@Suite("Kiosk stores converge through the event log")
struct ConvergenceTests {
    func store() throws -> KioskDatabase {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-sync-\(UUID().uuidString)")
        return try KioskDatabase(directory: url)
    }

    @Test("events cross the wire unchanged; bad ones are refused with a reason")
    func wire() throws {
        let anne = Attendee(id: "A", firstName: "Anne", lastName: "Hidalgo", role: .electedOfficial)
        let events = [
            Event(attendeeID: "A", at: Date(), kiosk: "import", body: .attendeeUpserted(anne)),
            Event(attendeeID: "A", at: Date(), kiosk: "door-1", body: .checkedIn),
            Event(attendeeID: "A", at: Date(), kiosk: "door-1", body: .checkInUndone(checkIn: UUID(), reason: "oops")),
        ]
        for event in events {
            let data = try JSONEncoder().encode(WireEvent(event))
            #expect(try JSONDecoder().decode(WireEvent.self, from: data).event() == event)
        }
        var bad = WireEvent(events[0])
        bad.type = "teleported"
        #expect(throws: SyncError.self) { try bad.event() }
        bad = WireEvent(events[0])
        bad.attendeeID = "B"
        #expect(throws: SyncError.self) { try bad.event() }
        bad = WireEvent(events[1])
        bad.kiosk = ""
        #expect(throws: SyncError.self) { try bad.event() }
    }

    @Test("three doors, offline, the same person at two of them: exchanged in any order, all agree", arguments: 0..<5)
    func threeDoors(round: Int) throws {
        let roster = RosterGenerator(seed: 5).attendees(count: 60)
        let server = try store()  // stands for the central log
        try server.importRoster(roster, kiosk: "server")
        let doors = try (0..<3).map { _ in try store() }
        // Each door starts from the server's roster.
        let rosterEvents = try server.outbox(limit: 10_000).map(\.event)
        for door in doors { try door.applyRemote(rosterEvents) }
        // Offline check-ins: door 0 and door 1 both check in attendee 0; others spread out.
        try doors[0].checkIn(roster[0].id, kiosk: "door-0", at: Date(timeIntervalSince1970: 1_780_000_000))
        try doors[1].checkIn(roster[0].id, kiosk: "door-1", at: Date(timeIntervalSince1970: 1_780_000_060))
        for (i, attendee) in roster.enumerated().dropFirst().prefix(30) {
            try doors[i % 3].checkIn(
                attendee.id, kiosk: "door-\(i % 3)", at: Date(timeIntervalSince1970: 1_780_000_100 + Double(i)))
        }
        try doors[3 % 3].undoCheckIn(roster[3].id, reason: "wrong person", kiosk: "door-0")
        // Everyone sends everything, in a random order, some of it twice; everyone applies all.
        var all: [Event] = rosterEvents
        for door in doors {
            let sent = try door.outbox(limit: 10_000)
            all += sent.map(\.event)
            try door.markSent(sent.map(\.seq))
            #expect(try door.outboxCount() == 0)
        }
        var generator = SystemRandomNumberGenerator()
        for target in doors + [server] {
            var shuffled = all.shuffled(using: &generator)
            shuffled += shuffled.prefix(10)
            for chunk in stride(from: 0, to: shuffled.count, by: 7) {
                try target.applyRemote(Array(shuffled[chunk..<min(chunk + 7, shuffled.count)]))
            }
        }
        let expected = try server.stats()
        #expect(expected.checkedIn == 30)  // 31 people, one undone
        #expect(expected.duplicates == 1)
        let serverRows = try server.attendees().sorted { $0.attendee.id < $1.attendee.id }
        for door in doors {
            var stats = try door.stats()
            stats.outbox = expected.outbox
            #expect(stats == expected)
            #expect(try door.attendees().sorted { $0.attendee.id < $1.attendee.id } == serverRows)
            #expect(try door.verifyConsistency().filter { !$0.hasPrefix("<outbox") } == [])
        }
        let first = try #require(try server.attendee(id: roster[0].id))
        #expect(first.checkIn?.kiosk == "door-0")  // the earliest arrival counts
        #expect(first.duplicates == 1)  // the later one is flagged
    }

    @Test("the sync cursor is kept")
    func cursor() throws {
        let db = try store()
        #expect(try db.syncCursor() == 0)
        try db.setSyncCursor(1234)
        #expect(try db.syncCursor() == 1234)
    }
}
