import Foundation
import Testing

@testable import AccueilCore

/// Events of every kind, with texts in several scripts, lists, and times that are not whole
/// milliseconds: what the server's projection packs.
func everyKindOfEvent(subject: String = "P-1") -> [Event] {
    let t = Date(timeIntervalSince1970: 1_780_000_000.123_456)
    let person = Attendee(
        id: subject, firstName: "Зоя", lastName: "Ван дер Берг", nativeName: "王小明 · محمد",
        organisation: "Ville de Lyon",
        title: "Maire adjointe", country: "UA", role: .electedOfficial, delegation: "Délégation ukrainienne",
        email: "zoya@example.org", language: "uk", sessions: ["AT-1", "AT-2"], vip: "Ministre", notes: "fauteuil",
        walkIn: true, tickets: ["digest-1", "digest-2"], pending: true)
    // Whole seconds: stored schedule lines are JSON (``EventCodec``), which keeps milliseconds.
    let start = Date(timeIntervalSince1970: 1_780_000_000)
    let session = Session(
        id: "AT-1", title: "Atelier", room: "Salle 2", start: start, end: start + 1200, capacity: 20,
        access: .registered)
    let checkIn = UUID()
    let bodies: [Event.Body] = [
        .attendeeUpserted(person), .attendeeRemoved, .checkedIn,
        .checkInRefused(previousKiosk: "porte-2", previousAt: t - 60.5),
        .checkInUndone(checkIn: checkIn, reason: "erreur de nom"), .badgeReissued(reason: "perdu"),
        .badgePrintRequested(job: UUID(), reason: nil), .badgePrintRequested(job: UUID(), reason: "abîmé"),
        .sessionScheduled(session), .sessionEntered(session: "AT-1", override: nil),
        .sessionEntered(session: "AT-1", override: "salle pleine: superviseur"), .sessionExited(session: "AT-1"),
        .sessionRefused(session: "AT-2", reason: .roomFull),
    ]
    return bodies.enumerated().map { index, body in
        var event = Event(attendeeID: subject, at: t + Double(index), kiosk: "porte-\(index % 3)", body: body)
        event.at = t + Double(index) + 0.000_3  // not a whole millisecond: kept exactly
        return event
    }
}

@Suite("Packed values and events")
struct PackingTests {
    @Test("every kind of event reads back as it was written, with or without its attendee elided")
    func eventsRoundTrip() {
        let events = everyKindOfEvent()
        guard case .attendeeUpserted(let person) = events[0].body else {
            Issue.record("no upsert first")
            return
        }
        for eliding in [nil, person] {
            var writer = PackWriter()
            for event in events { writer.event(event, eliding: eliding) }
            writer.bytes.withUnsafeBufferPointer { bytes in
                var reader = PackReader(bytes: bytes)
                var read: [Event] = []
                while !reader.atEnd, let event = reader.event(subject: "P-1", attendee: eliding) { read.append(event) }
                #expect(!reader.failed)
                #expect(read.count == events.count)
                for (got, wanted) in zip(read, events) { #expect(got == wanted, "\(wanted.type)") }
            }
        }
        // An upsert of someone else is written whole, whoever is given to elide.
        var other = person
        other.firstName = "Autre"
        var writer = PackWriter()
        writer.event(events[0], eliding: other)
        var plain = PackWriter()
        plain.event(events[0])
        #expect(writer.bytes == plain.bytes)
    }

    @Test("an elided upsert without its attendee, and bytes cut anywhere, fail without reading past the end")
    func damagedBytes() {
        let events = everyKindOfEvent()
        guard case .attendeeUpserted(let person) = events[0].body else { return }
        var writer = PackWriter()
        writer.event(events[0], eliding: person)
        writer.bytes.withUnsafeBufferPointer { bytes in
            var reader = PackReader(bytes: bytes)
            #expect(reader.event(subject: "P-1", attendee: nil) == nil)
            #expect(reader.failed)
        }
        var whole = PackWriter()
        for event in events { whole.event(event) }
        for cut in stride(from: 0, to: whole.bytes.count, by: 7) {
            let damaged = Array(whole.bytes.prefix(cut)) + [0xFF, 0xFF, 0xFF]
            damaged.withUnsafeBufferPointer { bytes in
                var reader = PackReader(bytes: bytes)
                var read = 0
                while !reader.atEnd, reader.event(subject: "P-1") != nil { read += 1 }
                #expect(reader.failed, "cut at \(cut)")
                #expect(read < events.count)
                #expect(reader.at <= bytes.count)
            }
        }
    }

    @Test("numbers, texts and times at their limits")
    func values() {
        var writer = PackWriter()
        let numbers = [0, 1, -1, 63, 64, -64, -65, 127, 128, Int.max, Int.min, 1 << 40]
        for number in numbers { writer.number(number) }
        let texts = ["", "é", String(repeating: "ж", count: 300), "a\u{0}b"]
        for text in texts { writer.text(text) }
        writer.optionalText(nil)
        writer.optionalText("")
        let date = Date(timeIntervalSince1970: 1_780_000_000.000_123_4)
        writer.date(date)
        writer.bytes.withUnsafeBufferPointer { bytes in
            var reader = PackReader(bytes: bytes)
            #expect(numbers.map { _ in reader.number() } == numbers)
            #expect(texts.map { _ in reader.text() } == texts)
            #expect(reader.optionalText() == nil)
            #expect(reader.optionalText() == "")
            #expect(reader.date() == date)
            #expect(reader.atEnd && !reader.failed)
            #expect(reader.number() == 0 && reader.failed)
        }
    }
}
