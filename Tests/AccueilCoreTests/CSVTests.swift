import Foundation
import Testing

@testable import AccueilCore

@Suite("CSV reading")
struct CSVTests {
    func records(_ text: String) throws -> [CSVRecord] {
        try CSVReader(delimiter: CSVReader.detectDelimiter(text)).records(text)
    }

    @Test("delimiters are detected from the header", arguments: [(",", ","), (";", ";"), ("\t", "\t")])
    func delimiters(delimiter: String, expected: String) throws {
        let text =
            ["id", "last_name", "role"].joined(separator: delimiter) + "\n"
            + ["1", "Dupont, Jean", "élu"].map { $0.contains(",") && delimiter == "," ? "\"\($0)\"" : $0 }
            .joined(separator: delimiter)
        #expect(CSVReader.detectDelimiter(text) == UInt8(ascii: Unicode.Scalar(expected)!))
        let rows = try records(text)
        #expect(rows.count == 2)
        #expect(rows[1].fields == ["1", "Dupont, Jean", "élu"])
    }

    @Test("quoted fields hold newlines, delimiters and doubled quotes; lines are counted as an editor shows them")
    func quotedNewlines() throws {
        let text = "id,notes,role\r\n1,\"first line\r\nsecond, \"\"quoted\"\"\",speaker\r\n\r\n2,plain,press\r\n"
        let rows = try records(text)
        #expect(rows.map(\.line) == [1, 2, 5])
        #expect(rows[1].fields[1] == "first line\r\nsecond, \"quoted\"")
        #expect(rows[2].fields == ["2", "plain", "press"])
    }

    @Test("old Mac line ends and a missing final newline")
    func crLineEnds() throws {
        let rows = try records("a;b\r1;2\r3;4")
        #expect(rows.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(rows.map(\.line) == [1, 2, 3])
    }

    @Test("an unclosed quote names the line where it opened")
    func unclosedQuote() {
        #expect(throws: CSVError(line: 3, message: "a quoted field opened here is never closed")) {
            _ = try records("id,name\n1,ok\n2,\"never closed\n3,x\n")
        }
    }

    @Test("encodings: UTF-8 with and without BOM, UTF-16 LE/BE with and without BOM, Windows-1252")
    func encodings() {
        let text = "id;nom\n1;Hélène Œuvray €\n"
        let utf8 = Array(text.utf8)
        #expect(TextDecoder.decode(utf8) == (text, .utf8))
        #expect(TextDecoder.decode([0xEF, 0xBB, 0xBF] + utf8) == (text, .utf8BOM))
        let le = text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be = text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(TextDecoder.decode([0xFF, 0xFE] + le) == (text, .utf16LE))
        #expect(TextDecoder.decode([0xFE, 0xFF] + be) == (text, .utf16BE))
        #expect(TextDecoder.decode(le) == (text, .utf16LE))
        #expect(TextDecoder.decode(be) == (text, .utf16BE))
        // Windows-1252: é = E9, Œ = 8C, € = 80.
        let cp1252: [UInt8] =
            Array("id;nom\n1;H".utf8) + [0xE9] + Array("l".utf8) + [0xE8] + Array("ne ".utf8) + [0x8C]
            + Array("uvray ".utf8) + [0x80, 0x0A]
        #expect(TextDecoder.decode(cp1252) == (text, .windows1252))
    }
}
