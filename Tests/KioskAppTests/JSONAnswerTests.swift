import AccueilCore
import Foundation
import KioskStore
import Testing

@testable import KioskApp

/// The door's answers written by `JSONOut` are the JSON `JSONEncoder` gives for the same values.
struct JSONAnswerTests {
    /// Both encodings parsed back: the same JSON value (member order aside). Records both texts
    /// when they differ.
    func same(_ value: some JSONWritable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var out = JSONOut()
        value.write(to: &out)
        let encoded = try JSONEncoder().encode(value)
        // Each parsed, then written again with sorted keys: equal texts, equal values.
        func canonical(_ data: Data) throws -> String {
            let value = try JSONSerialization.jsonObject(with: data)
            return String(
                decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(
            try canonical(Data(out.bytes)) == canonical(encoded),
            "JSONOut: \(String(decoding: out.bytes, as: UTF8.self))\nJSONEncoder: \(String(decoding: encoded, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    /// Names nobody here wrote the way they come: quotes, backslashes, every control character,
    /// separators, right-to-left marks, emoji, CJK, Arabic, Cyrillic, NUL.
    static let awkward: [String] = [
        "", "O'Brien \"Bob\"", #"C:\temp\n"#, "line\nbreak\r\ttab", "\u{0}nul", "\u{1F}\u{7F}\u{80}\u{9F}",
        "\u{2028}\u{2029}\u{200B}\u{202E}", "محمد بن سلمان", "王小明", "Достоевский", "Ñúñez-Öztürk", "👩🏽‍💼 🇫🇷",
        "/slashes/ </script>", String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }),
    ]

    @Test("an attendee's JSON, the door's answer and a search's: as JSONEncoder writes them")
    func sameAsEncoder() throws {
        var people = RosterGenerator(seed: 31).attendees(count: 300)
        for (i, text) in Self.awkward.enumerated() {
            people[i].firstName = text
            people[i].lastName = Self.awkward[(i + 3) % Self.awkward.count]
            people[i].organisation = text + text
            people[i].sessions = [text, "plenary"]
            people[i].vip = text
            people[i].pending = i % 2 == 0
            people[i].walkIn = i % 3 == 0
        }
        let kinds: [MatchKind?] = [nil, .exact, .prefix, .fuzzy]
        var answers: [AttendeeJSON] = []
        for (i, person) in people.enumerated() {
            let checkIn =
                i % 3 == 0
                ? nil
                : CheckInRecord(
                    eventID: .timeOrdered(), at: Date(timeIntervalSince1970: 1_780_000_000 + Double(i) * 37.123),
                    kiosk: Self.awkward[i % Self.awkward.count])
            let json = AttendeeJSON(
                attendee: person, checkIn: checkIn, duplicates: i % 4, match: kinds[i % kinds.count],
                score: i % 5 == 0 ? nil : i * 7 - 100)
            try same(json)
            answers.append(json)
            let door = DoorAnswer(
                status: "checked_in", message: person.listName, attendee: i % 7 == 0 ? nil : json,
                printState: i % 2 == 0 ? "pending" : nil, printMessage: i % 4 == 0 ? Self.awkward[i % 14] : nil)
            try same(door)
        }
        try same(SearchAnswer(query: "\"x\\", results: answers))
        try same(SearchAnswer(query: "", results: []))
    }

    @Test("dates as formatted(.iso8601) writes them, fractions of a second cut")
    func iso8601() {
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 0.999, 951_782_400, 1_780_000_000.5, 4_102_444_799.999, -1].map(
            Date.init(timeIntervalSince1970:))
        for _ in 0..<2_000 {
            dates.append(Date(timeIntervalSince1970: .random(in: 0..<4_102_444_800, using: &generator)))
        }
        for date in dates { #expect(date.iso8601 == date.formatted(.iso8601), "\(date.timeIntervalSince1970)") }
    }
}
