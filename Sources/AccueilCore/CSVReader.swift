import Foundation

/// The text encodings found in registration exports.
public enum TextEncodingGuess: String, Sendable, Codable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 (BOM)"
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"
    case windows1252 = "Windows-1252"
}

/// Decodes the bytes of an export whatever its encoding: UTF-8 with or without BOM, UTF-16 with
/// a BOM or without one (detected by its zero bytes), else Windows-1252 as French Excel writes it.
public enum TextDecoder {
    public static func decode(_ data: [UInt8]) -> (text: String, encoding: TextEncodingGuess) {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (decodeUTF8OrCP1252(data[3...]).text, .utf8BOM)
        }
        if data.starts(with: [0xFF, 0xFE]) { return (decodeUTF16(data[2...], littleEndian: true), .utf16LE) }
        if data.starts(with: [0xFE, 0xFF]) { return (decodeUTF16(data[2...], littleEndian: false), .utf16BE) }
        // UTF-16 without a BOM: ASCII text leaves every other byte zero.
        if data.count >= 4 {
            let sample = data.prefix(512)
            var evenZeros = 0
            var oddZeros = 0
            for (i, byte) in sample.enumerated() where byte == 0 {
                if i % 2 == 0 { evenZeros += 1 } else { oddZeros += 1 }
            }
            let half = sample.count / 2
            if oddZeros > half / 2 && evenZeros == 0 { return (decodeUTF16(data[...], littleEndian: true), .utf16LE) }
            if evenZeros > half / 2 && oddZeros == 0 { return (decodeUTF16(data[...], littleEndian: false), .utf16BE) }
        }
        return decodeUTF8OrCP1252(data[...])
    }

    /// The encoding of bytes that are UTF-8 (with a BOM, which is then taken off, or without), nil
    /// for anything `decode` would read otherwise (UTF-16, Windows-1252). Checked in place: a large
    /// file is not copied into a string to be read.
    public static func validUTF8(_ bytes: inout [UInt8]) -> TextEncodingGuess? {
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        if !bom, bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.prefix(512).contains(0) {
            return nil
        }
        do {
            let span = bytes.span
            guard (try? UTF8Span(validating: bom ? span.extracting(3...) : span)) != nil else { return nil }
        }
        if bom { bytes.removeFirst(3) }
        return bom ? .utf8BOM : .utf8
    }

    private static func decodeUTF8OrCP1252(_ bytes: ArraySlice<UInt8>) -> (text: String, encoding: TextEncodingGuess) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, .utf8) }
        return (decodeWindows1252(bytes), .windows1252)
    }

    private static func decodeUTF16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            let a = UInt16(bytes[index])
            let b = UInt16(bytes[index + 1])
            units.append(littleEndian ? (b << 8 | a) : (a << 8 | b))
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Windows-1252: Latin-1 except for 0x80–0x9F, where it puts €, curly quotes, Œ, œ, Ÿ…
    private static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152,
        0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
        0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func decodeWindows1252(_ bytes: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value: UInt32 = (0x80...0x9F).contains(byte) ? cp1252High[Int(byte) - 0x80] : UInt32(byte)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }
}

/// One record of a CSV file, with the physical line it starts on (1-based), so that errors can
/// name the line a person sees in their editor even when quoted fields hold newlines.
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// An RFC 4180 reader that also takes what spreadsheets really write: `,`, `;` or tab delimiters
/// (detected from the header line), CRLF, LF or CR line ends, quoted fields holding delimiters,
/// doubled quotes and newlines, stray quotes inside unquoted fields, and blank lines (skipped).
public struct CSVReader: Sendable {
    public let delimiter: UInt8

    public init(delimiter: UInt8) { self.delimiter = delimiter }

    /// Picks the delimiter that splits the first line (outside quotes) into the most fields.
    public static func detectDelimiter(_ text: String) -> UInt8 { detectDelimiter(utf8: text.utf8) }

    /// The same, on UTF-8 bytes.
    public static func detectDelimiter(utf8: some Sequence<UInt8>) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var inQuotes = false
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if inQuotes { continue }
            if byte == 0x0A || byte == 0x0D { break }
            if counts[byte] != nil { counts[byte]! += 1 }
        }
        let best = counts.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }!
        return best.value == 0 ? UInt8(ascii: ",") : best.key
    }

    /// Reads every record. Throws only for a quote left open at the end of the file.
    public func records(_ text: String) throws(CSVError) -> [CSVRecord] {
        var reader = CSVRecords(text, delimiter: delimiter)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }
}

/// The records of a CSV text one at a time, as they are asked for (``CSVReader/records(_:)`` reads
/// them all): a roster of a million rows is read piece by piece without its rows all in memory.
public struct CSVRecords: Sendable {
    private let bytes: [UInt8]
    private let delimiter: UInt8
    private var i = 0
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var line = 1
    private var recordLine = 1
    private var inQuotes = false
    private var quoteOpenedAt = 0
    private var fieldWasQuoted = false
    private var previousWasCR = false

    public init(_ text: String, delimiter: UInt8) {
        self.init(utf8: Array(text.utf8), delimiter: delimiter)
    }

    /// On UTF-8 bytes (``TextDecoder/validUTF8(_:)``), without a copy of them as text.
    public init(utf8 bytes: [UInt8], delimiter: UInt8) {
        self.bytes = bytes
        self.delimiter = delimiter
    }

    /// The next record; nil at the end. Throws only for a quote left open at the end of the file.
    public mutating func next() throws(CSVError) -> CSVRecord? {
        let quote = UInt8(ascii: "\"")
        let count = bytes.count
        // One newline past the end closes the last record.
        while i <= count {
            let byte = i < count ? bytes[i] : 0x0A
            if inQuotes {
                if byte == quote {
                    if i + 1 < count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if byte == 0x0A {
                        if !previousWasCR { line += 1 }
                    } else if byte == 0x0D {
                        line += 1
                    }
                    previousWasCR = byte == 0x0D
                    field.append(byte)
                }
                i += 1
                continue
            }
            var ended: CSVRecord?
            switch byte {
            case quote where field.isEmpty && !fieldWasQuoted:
                inQuotes = true
                fieldWasQuoted = true
                quoteOpenedAt = line
            case delimiter:
                endField()
            case 0x0D:
                ended = endRecord()
                line += 1
                if i + 1 < count && bytes[i + 1] == 0x0A { i += 1 }
                recordLine = line
            case 0x0A:
                ended = endRecord()
                line += 1
                recordLine = line
            default:
                field.append(byte)
            }
            previousWasCR = false
            i += 1
            if let ended { return ended }
        }
        if inQuotes {
            throw CSVError(line: quoteOpenedAt, message: "a quoted field opened here is never closed")
        }
        return nil
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        fieldWasQuoted = false
    }

    /// The record just ended, or nil for an empty line.
    private mutating func endRecord() -> CSVRecord? {
        endField()
        defer { fields.removeAll(keepingCapacity: true) }
        if fields.count == 1 && fields[0].isEmpty { return nil }
        return CSVRecord(line: recordLine, fields: fields)
    }
}

/// Writes CSV as spreadsheets read it: comma-separated, quoted where needed, one line per record.
public enum CSVWriter {
    /// One CSV line (RFC 4180): a field with a comma, semicolon, quote, CR or LF is quoted.
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\n"
    }

    /// One line of a report meant to be opened in a spreadsheet: quoted like `line`, and a field a
    /// spreadsheet would read as a formula is made text (`spreadsheetSafe`).
    public static func reportLine(_ fields: [String]) -> String {
        fields.map { quote(spreadsheetSafe($0)) }.joined(separator: ",") + "\n"
    }

    static func quote(_ field: String) -> String {
        // Scalars, not Characters: "\r\n" is one Character and equals neither "\r" nor "\n".
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" })
        else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// OWASP's advice against CSV injection: a field starting with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return (after any spaces) is prefixed with `'`, which spreadsheets show as text, so
    /// `=HYPERLINK(…)`, `+cmd|…`, `-2+3` or `@SUM(…)` in a name is shown, never evaluated. The
    /// full-width forms (`＝`, `＋`, `－`, `＠`), which some spreadsheets also take, count too.
    public static func spreadsheetSafe(_ field: String) -> String {
        guard let first = field.unicodeScalars.first(where: { $0 != " " }) else { return field }
        switch first {
        case "=", "+", "-", "@", "\t", "\r", "\n", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}": return "'" + field
        default: return field
        }
    }
}
