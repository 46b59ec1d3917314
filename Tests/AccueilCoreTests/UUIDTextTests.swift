import AccueilCore
import Foundation
import Testing

@Suite("UUID text without snprintf and sscanf")
struct UUIDTextTests {
    @Test("written as Foundation writes it, read back as Foundation reads it, for random, time-ordered and edge ids")
    func agreesWithFoundation() {
        var ids = (0..<2_000).map { _ in UUID() } + (0..<2_000).map { _ in UUID.timeOrdered() }
        ids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        ids.append(
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        ids.append(
            UUID(uuid: (0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10))
        )
        for id in ids {
            #expect(id.text == id.uuidString)
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString.lowercased()) == id)
            // Not contiguous UTF-8 storage: a substring of a bridged or sliced text.
            #expect(UUID(text: ("x" + id.uuidString + "y").dropFirst().dropLast()) == id)
        }
    }

    @Test("malformed text is refused, stricter than Foundation (whose sscanf takes a sign or a space for a digit)")
    func refusesWhatFoundationRefuses() {
        let good = "0123ABCD-4567-89EF-ABCD-0123456789AB"
        var bad = [
            "", good.dropLast().description, good + "0", " " + good, good + " ",
            good.replacingOccurrences(of: "-", with: ""), good.replacingOccurrences(of: "-", with: "_"),
            "0123ABC-D4567-89EF-ABCD-0123456789AB", "0123ABCG-4567-89EF-ABCD-0123456789AB",
            "0123ABCD-4567-89EF-ABCD-0123456789Ä", "{0123ABCD-4567-89EF-ABCD-0123456789AB}",
            "0123ABCD-4567-89EF-ABCD-0123456789A\u{0}",
        ]
        // Every character of a good id replaced by each non-hex ASCII character in turn.
        let others = (32..<127).map { Character(Unicode.Scalar(UInt8($0))) }.filter { !$0.isHexDigit }
        for position in [0, 7, 8, 9, 13, 20, 35] {
            for other in others {
                var chars = Array(good)
                if chars[position] == "-" && other == "-" { continue }
                chars[position] = other
                bad.append(String(chars))
            }
        }
        for text in bad { #expect(UUID(text: text) == nil, "\(text)") }
        // What Foundation lets through on Linux, refused here: a sign or a space where a hex digit goes.
        for text in ["+123ABCD-4567-89EF-ABCD-0123456789AB", "0123ABCD- 567-89EF-ABCD-0123456789AB"] {
            #expect(UUID(text: text) == nil, "\(text)")
        }
        #expect(UUID(text: good) != nil)
    }
}
