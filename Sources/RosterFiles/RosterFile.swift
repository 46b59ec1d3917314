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
            let chosen: Workbook.Sheet
            if let sheet {
                chosen = try workbook.sheet(named: sheet)
            } else if let usual = options.preset?.sheetNames.lazy.compactMap({ try? workbook.sheet(named: $0) }).first {
                chosen = usual
            } else if let first = workbook.sheets.first {
                chosen = first
            } else {
                throw RosterFileError("The workbook has no sheet.")
            }
            return try RosterParser.parse(sheet: chosen.name, rows: workbook.rows(of: chosen), options: options)
        }
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
