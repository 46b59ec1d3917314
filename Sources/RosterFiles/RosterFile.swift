import AccueilCore
import Foundation
import ZIPFoundation

/// A registration export as a file: CSV or an Excel workbook (.xlsx), told apart by their bytes,
/// not their name. Anything else is refused with what it is.
public enum RosterFile {
    public enum Kind: Equatable, Sendable {
        case csv
        case xlsx
    }

    /// What the bytes are; throws with a person's words for a file that is no roster at all.
    public static func kind(of data: Data) throws(RosterFileError) -> Kind {
        let head = Array(data.prefix(8))
        func starts(_ bytes: [UInt8]) -> Bool { head.starts(with: bytes) }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            // A ZIP archive: which Office (or other) document is it?
            let names = zipEntryNames(data)
            if names.contains("xl/workbook.xml") { return .xlsx }
            if names.contains("content.xml"), containsASCII(data, "application/vnd.oasis.opendocument.spreadsheet") {
                throw RosterFileError(
                    "This is an OpenDocument spreadsheet (.ods), not CSV or Excel: save it as .xlsx or CSV (UTF-8) and import that."
                )
            }
            if names.contains("word/document.xml") {
                throw RosterFileError("This is a Word document (.docx), not a roster: export the list as CSV or .xlsx.")
            }
            if names.contains("content.xml") {
                throw RosterFileError(
                    "This is an OpenDocument file, not a spreadsheet: export the list as CSV or .xlsx.")
            }
            throw RosterFileError("This is a ZIP archive, not a roster: unpack it and import the CSV or .xlsx inside.")
        }
        if starts(Array("%PDF".utf8)) {
            throw RosterFileError(
                "This is a PDF document, not a roster: export the list as CSV or .xlsx from the registration system.")
        }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw RosterFileError(
                "This is an Excel 97–2003 workbook (.xls) or another old Office file: open it and save it as .xlsx or CSV (UTF-8)."
            )
        }
        if starts([0x1F, 0x8B]) {
            throw RosterFileError("This is a gzip-compressed file: decompress it (gunzip) and import the CSV or .xlsx.")
        }
        let text = String(decoding: data.prefix(512), as: UTF8.self).lowercased()
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("<!doctype html") || trimmed.hasPrefix("<html") {
            throw RosterFileError("This is a web page (HTML), not a roster: download the export itself (CSV or .xlsx).")
        }
        if trimmed.hasPrefix("<?xml"), text.contains("urn:schemas-microsoft-com:office:spreadsheet") {
            throw RosterFileError("This is an Excel 2003 XML spreadsheet: open it and save it as .xlsx or CSV (UTF-8).")
        }
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            throw RosterFileError("This is JSON, not a roster: export the list as CSV or .xlsx.")
        }
        // NUL bytes outside UTF-16 text: some other binary file.
        let sample = data.prefix(4096)
        let utf16 = starts([0xFF, 0xFE]) || starts([0xFE, 0xFF])
        if !utf16, sample.contains(0) {
            throw RosterFileError("This is a binary file, not CSV or an Excel workbook (.xlsx).")
        }
        return .csv
    }

    /// Reads a roster from a CSV file or from a workbook's sheet: `sheet` names it, else the preset's
    /// usual sheet (pretix's "Order positions"), else the first.
    public static func parse(_ data: Data, sheet: String? = nil, options: RosterOptions) throws(RosterFileError)
        -> ParsedRoster
    {
        switch try kind(of: data) {
        case .csv:
            if let sheet { throw RosterFileError("--sheet \"\(sheet)\" is for Excel workbooks; this file is CSV.") }
            return try RosterParser.parse(Array(data), options: options)
        case .xlsx:
            let workbook = try Workbook(data: data)
            let chosen = try chooseSheet(of: workbook, sheet, options: options)
            return try RosterParser.parse(sheet: chosen.name, rows: workbook.rows(of: chosen), options: options)
        }
    }

    /// Opens a roster file to be read piece by piece (``RosterReader``): the same rows, rejections
    /// and counts as ``parse(_:sheet:options:)``, without every attendee in memory at once.
    public static func open(_ data: Data, sheet: String? = nil, options: RosterOptions) throws(RosterFileError)
        -> RosterReader
    {
        switch try kind(of: data) {
        case .csv:
            if let sheet { throw RosterFileError("--sheet \"\(sheet)\" is for Excel workbooks; this file is CSV.") }
            // UTF-8 (nearly every export) is read as it is; other encodings are decoded first.
            var bytes = [UInt8](data)
            let encoding: TextEncodingGuess
            let delimiter: UInt8
            var records: CSVRecords
            if let utf8 = TextDecoder.validUTF8(&bytes) {
                encoding = utf8
                delimiter = CSVReader.detectDelimiter(utf8: bytes.prefix(1 << 20))
                records = CSVRecords(utf8: bytes, delimiter: delimiter)
            } else {
                let (text, decoded) = TextDecoder.decode(bytes)
                encoding = decoded
                delimiter = CSVReader.detectDelimiter(text)
                records = CSVRecords(text, delimiter: delimiter)
            }
            bytes = []
            let header: CSVRecord?
            do { header = try records.next() } catch {
                throw RosterFileError("The file is not valid CSV: \(error.description).")
            }
            guard let header else { throw RosterFileError("The file is empty: no header line.") }
            let parser = try RosterRowParser(
                header: header, options: options, encoding: encoding,
                delimiter: Character(Unicode.Scalar(delimiter)), sheet: nil)
            return RosterReader(parser: parser, records: records)
        case .xlsx:
            // A workbook is unzipped whole: its rows are in memory, its attendees come in pieces.
            let workbook = try Workbook(data: data)
            let chosen = try chooseSheet(of: workbook, sheet, options: options)
            let rows = try workbook.rows(of: chosen)
            guard let header = rows.first else {
                throw RosterFileError("The sheet \"\(chosen.name)\" is empty: no header row.")
            }
            let parser = try RosterRowParser(
                header: header, options: options, encoding: .utf8, delimiter: ",", sheet: chosen.name)
            return RosterReader(parser: parser, sheetRows: rows)
        }
    }

    /// The sheet named by `sheet`, else the preset's usual sheet (pretix's "Order positions"), else the first.
    private static func chooseSheet(of workbook: Workbook, _ sheet: String?, options: RosterOptions)
        throws(RosterFileError) -> Workbook.Sheet
    {
        if let sheet { return try workbook.sheet(named: sheet) }
        if let usual = options.preset?.sheetNames.lazy.compactMap({ try? workbook.sheet(named: $0) }).first {
            return usual
        }
        guard let first = workbook.sheets.first else { throw RosterFileError("The workbook has no sheet.") }
        return first
    }

    /// File names in a ZIP archive (enough to tell Office documents apart); empty when unreadable.
    static func zipEntryNames(_ data: Data) -> Set<String> {
        do {
            let archive = try Archive(data: data, accessMode: .read, pathEncoding: nil)
            return Set(archive.map(\.path))
        } catch {
            return []
        }
    }

    private static func containsASCII(_ data: Data, _ text: String) -> Bool {
        data.prefix(256).range(of: Data(text.utf8)) != nil
    }
}

/// A roster file read piece by piece (``RosterFile/open(_:sheet:options:)``): each piece is the
/// attendees of the next rows; ``roster`` holds what was read so far besides them (rejections,
/// warnings, counts, cancelled ids).
public struct RosterReader {
    private var parser: RosterRowParser
    /// A CSV file's records, read as asked for; else a sheet's rows and the next one's index.
    private var records: CSVRecords?
    private let sheetRows: [CSVRecord]
    private var nextRow = 1

    init(parser: RosterRowParser, records: CSVRecords) {
        self.parser = parser
        self.records = records
        sheetRows = []
    }

    init(parser: RosterRowParser, sheetRows: [CSVRecord]) {
        self.parser = parser
        self.sheetRows = sheetRows
    }

    /// The attendees of the next rows, at most `count` (with their ticket codes as read), or nil
    /// once the file is read. Throws at the end of a CSV file whose last quote is never closed.
    public mutating func piece(_ count: Int) throws(RosterFileError) -> (
        attendees: [Attendee], ticketCodes: [[String]]
    )? {
        while parser.roster.attendees.count < count, let record = try nextRecord() { parser.add(record) }
        guard !parser.roster.attendees.isEmpty else { return nil }
        let piece = parser.takePiece()
        return (piece.attendees, piece.ticketCodes)
    }

    /// What was read so far besides the attendees handed out.
    public var roster: ParsedRoster { parser.finished() }

    private mutating func nextRecord() throws(RosterFileError) -> CSVRecord? {
        if records != nil {
            do { return try records?.next() } catch {
                throw RosterFileError("The file is not valid CSV: \(error.description).")
            }
        }
        guard nextRow < sheetRows.count else { return nil }
        defer { nextRow += 1 }
        return sheetRows[nextRow]
    }
}
