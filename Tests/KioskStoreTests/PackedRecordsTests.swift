import AccueilCore
import Foundation
import Testing

@testable import KioskStore

@Suite("Packed attendee records")
struct PackedRecordsTests {
    /// Records with every field set in some and empty in others: scripts, long texts, lists,
    /// check-ins and presences with times that are not whole milliseconds, large and zero counts.
    func varied(_ count: Int) -> [AttendeeRecord] {
        let roster = RosterGenerator(seed: 11).attendees(count: count)
        let names = [
            "Ольга Петрова", "محمد بن سلمان", "王小明", "Nguyễn Thị Hương", "", "x", String(repeating: "é", count: 300),
        ]
        return roster.enumerated().map { i, generated in
            var a = generated
            a.nativeName = names[i % names.count]
            a.notes = i % 3 == 0 ? "" : "note \(i) \(names[(i + 1) % names.count])"
            a.sessions = Array(["AT-1", "PL-2", "MW-\(i)"].prefix(i % 4))
            a.tickets = i % 5 == 0 ? ["d\(i)", "e\(i)"] : []
            a.walkIn = i % 7 == 0
            a.pending = i % 11 == 0
            let checkIn =
                i % 2 == 0
                ? CheckInRecord(
                    eventID: UUID(), at: Date(timeIntervalSince1970: 1_780_000_000.123_456 + Double(i)),
                    kiosk: "door-\(i % 6)") : nil
            let inside =
                i % 3 == 1
                ? Presence(session: "MW-\(i)", since: Date(timeIntervalSince1970: 1_780_000_100.5), kiosk: "salle")
                : nil
            return AttendeeRecord(
                attendee: a, checkIn: checkIn, duplicates: i % 4, refusedAttempts: i % 9 == 0 ? 1_000_000 : 0,
                removed: i % 13 == 0, badgeVersion: 1 + i % 3, prints: i, reprints: i % 2,
                inside: inside, attended: i % 3 == 1 ? ["MW-\(i)", "PL-2"] : [])
        }
    }

    @Test("every record reads back exactly as it was packed, and the attendees view agrees")
    func roundTrip() {
        let records = varied(500)
        var packed = PackedRecords(records)
        packed.trim()
        #expect(packed.count == records.count)
        #expect(Array(packed) == records)
        #expect(Array(packed.attendees) == records.map(\.attendee))
        #expect(PackedRecords().isEmpty)
    }

    @Test("a generated roster, packed, takes less room than its records' inline part alone")
    func smaller() {
        let records = RosterGenerator(seed: 5).attendees(count: 20_000).enumerated().map { i, attendee in
            AttendeeRecord(
                attendee: attendee,
                checkIn: i % 2 == 0 ? CheckInRecord(eventID: UUID(), at: Date(), kiosk: "door-1") : nil)
        }
        var packed = PackedRecords(records)
        packed.trim()
        // As values: the struct inline, plus the strings too long to be kept inline (not counted).
        let inline = MemoryLayout<AttendeeRecord>.stride * records.count
        #expect(packed.footprint < inline, "packed \(packed.footprint) bytes, \(inline) inline alone")
    }

    @Test("a snapshot over packed records finds, by search, id and ticket, what one over the records does")
    func snapshotAgrees() {
        let records = varied(300).filter { !$0.removed }
        let values = RosterSnapshot(records: records)
        let packed = RosterSnapshot(packed: PackedRecords(records))
        for record in records.prefix(50) {
            #expect(packed.record(id: record.attendee.id) == record)
            for digest in record.attendee.tickets { #expect(packed.record(ticket: digest) == record) }
            let query = record.attendee.lastName
            #expect(
                packed.search(query).map(\.record) == values.search(query).map(\.record), "\(query)")
        }
    }
}
