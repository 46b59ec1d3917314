import Foundation
import Testing

@testable import AccueilCore

/// The roster import's fuzzing, in a short form that runs with the suite (issue 14): malformed
/// files of many shapes, made from a good one.
@Suite("Fuzzing: malformed roster files")
struct RosterFuzzTests {
    static let good = """
        id,first_name,last_name,native_name,organisation,role,country,email,notes
        A1,Anne,Hidalgo,,Ville de Paris,elected_official,FR,anne@example.org,"two
        lines"
        A2,Xiaoming,Wang,王小明,Pékin,delegation,CN,,
        A3,Олена,Шевченко,,Київ,embassy,UA,olena@example.org,
        A4,محمد,العلوي,,الرباط,speaker,MA,,
        """

    /// 49 shapes a real file takes when something went wrong on the way.
    static func shapes() -> [(String, [UInt8])] {
        let text = good
        let bytes = Array(text.utf8)
        var random = SeededGenerator(seed: 49)
        var shapes: [(String, [UInt8])] = [
            ("empty", []), ("only a BOM", [0xEF, 0xBB, 0xBF]),
            ("header only", Array(text.split(separator: "\n")[0].utf8)),
            ("unclosed quote", Array((text + "\nA5,\"Open,Quote,x,y,participant,FR,,\n").utf8)),
            ("NUL bytes", bytes.map { $0 == UInt8(ascii: ",") && random.chance(0.1) ? 0 : $0 }),
            ("UTF-16", Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
            ("Latin-1 bytes", bytes.map { $0 > 0x7F ? 0xE9 : $0 }),
            ("CR only", Array(text.replacingOccurrences(of: "\n", with: "\r").utf8)),
            ("semicolons", Array(text.replacingOccurrences(of: ",", with: ";").utf8)),
            ("tabs", Array(text.replacingOccurrences(of: ",", with: "\t").utf8)),
            ("duplicate headers", Array(text.replacingOccurrences(of: "native_name", with: "last_name").utf8)),
            ("no id column", Array(text.replacingOccurrences(of: "id,", with: "x,").utf8)),
            ("escape codes", Array(text.replacingOccurrences(of: "Anne", with: "An\u{1B}[2Jne").utf8)),
            ("bidi override in an id", Array(text.replacingOccurrences(of: "A2", with: "A\u{202E}2").utf8)),
            ("zero-width in an id", Array(text.replacingOccurrences(of: "A3", with: "A\u{200B}3").utf8)),
            (
                "huge field",
                Array(text.replacingOccurrences(of: "Pékin", with: String(repeating: "x", count: 10_000)).utf8)
            ),
            ("huge id", Array(text.replacingOccurrences(of: "A4", with: String(repeating: "9", count: 1_000)).utf8)),
            ("10,000 columns", Array((text + "\n" + String(repeating: ",", count: 10_000)).utf8)),
            ("only quotes", Array(String(repeating: "\"", count: 999).utf8)),
            ("invalid UTF-8", bytes + [0xFF, 0xFE, 0xC3]),
        ]
        // And random damage: bytes flipped, cut, repeated, lines shuffled.
        while shapes.count < 49 {
            var damaged = bytes
            switch random.next() % 4 {
            case 0: for _ in 0..<8 { damaged[random.index(damaged)] = UInt8(truncatingIfNeeded: random.next()) }
            case 1: damaged = Array(damaged.prefix(random.index(damaged)))
            case 2:
                let at = random.index(damaged)
                damaged.insert(contentsOf: damaged[at...].prefix(50), at: at)
            default:
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                lines.swapAt(random.index(lines), random.index(lines))
                damaged = Array(lines.joined(separator: "\n").utf8)
            }
            shapes.append(("random damage \(shapes.count)", damaged))
        }
        return shapes
    }

    @Test("49 malformed shapes: a clear error or rows with line and column, never a crash, never an unsafe id")
    func malformedRosters() throws {
        let shapes = Self.shapes()
        #expect(shapes.count == 49)
        var (fileErrors, rows, rejected, warnings) = (0, 0, 0, 0)
        for (name, data) in shapes {
            do {
                let parsed = try RosterParser.parse(data, options: RosterOptions(defaultRole: .participant))
                rows += parsed.attendees.count
                rejected += parsed.rejections.count
                warnings += parsed.warnings.count
                for attendee in parsed.attendees {
                    #expect(!attendee.id.isEmpty && attendee.id.utf8.count <= EventLimits.maxIDBytes, "\(name)")
                    #expect(!LogText.needsEscaping(attendee.id), "\(name): unsafe id \(LogText.escaped(attendee.id))")
                    for field in [attendee.firstName, attendee.lastName, attendee.organisation] {
                        #expect(!field.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(name)")
                    }
                }
                for rejection in parsed.rejections { #expect(rejection.line >= 2, "\(name): \(rejection)") }
            } catch {
                fileErrors += 1
                #expect(!error.message.isEmpty, "\(name)")
            }
        }
        print(
            "roster fuzzing: 49 shapes, \(fileErrors) refused as a whole, \(rows) rows imported, \(rejected) rejected with line and column, \(warnings) warnings"
        )
        // The named shapes that must be caught.
        let byName = Dictionary(uniqueKeysWithValues: shapes.map { ($0.0, $0.1) })
        let escape = try RosterParser.parse(byName["escape codes"]!)
        #expect(escape.rejections.contains { $0.line == 2 && $0.reason.contains("U+001B") })
        let bidi = try RosterParser.parse(byName["bidi override in an id"]!)
        #expect(bidi.rejections.contains { $0.line == 4 && $0.column == 1 && $0.reason.contains("U+202E") })
        let duplicate = try RosterParser.parse(byName["duplicate headers"]!)
        #expect(duplicate.warnings.contains { $0.line == 1 && $0.column == 4 })
    }
}
