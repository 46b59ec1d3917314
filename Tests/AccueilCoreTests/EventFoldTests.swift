import Foundation
import Testing

@testable import AccueilCore

@Suite("Event log fold")
struct EventFoldTests {
    let anne = Attendee(id: "A", firstName: "Anne", lastName: "Hidalgo", role: .electedOfficial)
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    func log() -> [Event] {
        var renamed = anne
        renamed.title = "Maire de Paris"
        let first = Event(attendeeID: "A", at: t0.addingTimeInterval(60), kiosk: "door-1", body: .checkedIn)
        let second = Event(attendeeID: "A", at: t0.addingTimeInterval(90), kiosk: "door-2", body: .checkedIn)
        let late = Event(attendeeID: "A", at: t0.addingTimeInterval(300), kiosk: "door-3", body: .checkedIn)
        return [
            Event(attendeeID: "A", at: t0, kiosk: "import", body: .attendeeUpserted(anne)),
            first, second, late,
            Event(
                attendeeID: "A", at: t0.addingTimeInterval(120), kiosk: "door-1",
                body: .checkInRefused(previousKiosk: "door-1", previousAt: first.at)),
            Event(
                attendeeID: "A", at: t0.addingTimeInterval(200), kiosk: "door-3",
                body: .checkInUndone(checkIn: late.id, reason: "wrong person")),
            Event(attendeeID: "A", at: t0.addingTimeInterval(400), kiosk: "server", body: .attendeeUpserted(renamed)),
        ]
    }

    @Test("earliest check-in counts, concurrent ones are duplicates, undo cancels its own check-in")
    func fold() {
        let events = log()
        let state = AttendeeState.fold(events)
        #expect(state.checkIn?.kiosk == "door-1")
        #expect(state.duplicateCheckIns.map(\.kiosk) == ["door-2"])
        #expect(state.refusedAttempts == 1)
        #expect(state.undoCount == 1)
        #expect(state.attendee?.title == "Maire de Paris")
    }

    @Test("any order of arrival gives the same state", arguments: 0..<50)
    func orderIndependent(seed: Int) {
        let events = log()
        var generator = SystemRandomNumberGenerator()
        var shuffled = events.shuffled(using: &generator)
        if seed % 2 == 0 { shuffled += shuffled.prefix(3) }  // re-delivered events count once
        #expect(AttendeeState.fold(shuffled) == AttendeeState.fold(events))
    }

    @Test("payloads round-trip through the codec")
    func codec() throws {
        for event in log() {
            let body = try EventCodec.body(type: event.type, payload: EventCodec.payload(event.body))
            #expect(body == event.body)
        }
        var odd = anne
        odd.notes = "line 1\nline 2\t\"quoted\" \\ back\u{01} é 王"
        odd.sessions = ["A", "B|C"]
        #expect(try EventCodec.body(type: "attendee.upserted", payload: odd.json) == .attendeeUpserted(odd))
        #expect(throws: EventCodec.DecodingError.self) { try EventCodec.body(type: "teleported", payload: nil) }
        #expect(throws: EventCodec.DecodingError.self) { try EventCodec.body(type: "attendee.upserted", payload: "{") }
    }

    @Test("a badge's payload, written without an encoder, is the encoder's bytes")
    func printPayloadAsTheEncoderWritesIt() throws {
        struct PrintRequested: Codable {
            var job: UUID
            var reason: String?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let ids = (0..<500).map { _ in UUID.timeOrdered() } + (0..<500).map { _ in UUID() }
        for job in ids {
            let expected = String(decoding: try encoder.encode(PrintRequested(job: job)), as: UTF8.self)
            let written = EventCodec.payload(.badgePrintRequested(job: job, reason: nil))
            #expect(written == expected)
            #expect(
                try EventCodec.body(type: "badge.print_requested", payload: written)
                    == .badgePrintRequested(job: job, reason: nil))
        }
        // With a reason (a reprint): the encoder's, reason included.
        let reprint = EventCodec.payload(.badgePrintRequested(job: ids[0], reason: "perdu / lost \"vite\""))
        #expect(
            reprint
                == String(
                    decoding: try encoder.encode(PrintRequested(job: ids[0], reason: "perdu / lost \"vite\"")),
                    as: UTF8.self))
    }

    @Test("new events' ids are version 7: unique, and in the order they were made, as text too")
    func timeOrderedIDs() {
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        // Ten ids a millisecond, every other millisecond (the middle of it: no rounding at its edges).
        let ids = (0..<20_000).map { UUID.timeOrdered(at: start + Double($0 / 10) * 0.002 + 0.0005) }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.uuid.6 >> 4 == 7, "version: \(id)")
            #expect(id.uuid.8 >> 6 == 0b10, "variant: \(id)")
        }
        // A later millisecond sorts after, as the store's text index sorts them.
        for (a, b) in zip(ids, ids.dropFirst(10)) { #expect(a.uuidString < b.uuidString) }
        // The first 48 bits are the milliseconds since 1970.
        let first = ids[0].uuid
        let ms = [first.0, first.1, first.2, first.3, first.4, first.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(ms == 1_780_000_000_000)
        #expect(Event(attendeeID: "A", at: start, kiosk: "k", body: .checkedIn).id.uuid.6 >> 4 == 7)
        // Random ids stay version 4, with the same variant.
        let random = UUID.random().uuid
        #expect(random.6 >> 4 == 4 && random.8 >> 6 == 0b10)
    }
}
