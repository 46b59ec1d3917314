import AccueilCore
import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An Office Open XML workbook (.xlsx), as Excel, LibreOffice, openpyxl, pretix, Indico and
/// Eventbrite write it: its sheets' names, and any sheet's cells as text rows.
///
/// The ZIP container is read by ZIPFoundation and the XML parts by Foundation's streaming parser
/// (libxml2); shared strings, inline strings, rich text, numbers, booleans and dates are turned
/// into the text a person sees in the cell.
public struct Workbook {
    public struct Sheet: Sendable, Equatable {
        public var name: String
        /// Path of the sheet's part inside the archive ("xl/worksheets/sheet1.xml").
        var part: String
    }

    public let sheets: [Sheet]
    private let archive: Archive
    private let sharedStrings: [String]
    /// Per cell style (the `s` attribute): does its number format show a date?
    private let dateStyles: [Bool]
    /// Dates count from 1904-01-01 (old Mac workbooks) instead of 1899-12-30.
    private let date1904: Bool

    public init(data: Data) throws(RosterFileError) {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw RosterFileError("The workbook is not a readable ZIP archive (\(error)).")
        }
        self.archive = archive
        guard let workbook = try Self.part("xl/workbook.xml", in: archive) else {
            throw RosterFileError("The ZIP archive has no xl/workbook.xml: it is not an Excel workbook (.xlsx).")
        }
        let book = WorkbookParser()
        try Self.parse(workbook, with: book, part: "xl/workbook.xml")
        let relations = RelationsParser()
        if let rels = try Self.part("xl/_rels/workbook.xml.rels", in: archive) {
            try Self.parse(rels, with: relations, part: "xl/_rels/workbook.xml.rels")
        }
        sheets = book.sheets.compactMap { sheet in
            guard let target = relations.targets[sheet.relation] else { return nil }
            // Targets are relative to xl/, or absolute from the archive's root.
            let part = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            return Sheet(name: sheet.name, part: part)
        }
        date1904 = book.date1904

        if let strings = try Self.part("xl/sharedStrings.xml", in: archive) {
            let parser = SharedStringsParser()
            try Self.parse(strings, with: parser, part: "xl/sharedStrings.xml")
            sharedStrings = parser.strings
        } else {
            sharedStrings = []
        }
        if let styles = try Self.part("xl/styles.xml", in: archive) {
            let parser = StylesParser()
            try Self.parse(styles, with: parser, part: "xl/styles.xml")
            dateStyles = parser.cellFormats.map { id in
                Self.builtInDateFormats.contains(id) || parser.customFormats[id].map(Self.isDateFormat) == true
            }
        } else {
            dateStyles = []
        }
    }

    /// The sheet named `name` (compared without case or accents), or why not.
    public func sheet(named name: String) throws(RosterFileError) -> Sheet {
        let wanted = TextFolding.shared.fold(name)
        guard let sheet = sheets.first(where: { TextFolding.shared.fold($0.name) == wanted }) else {
            throw RosterFileError(
                "The workbook has no sheet \"\(name)\"; its sheets are \(sheets.map { "\"\($0.name)\"" }.joined(separator: ", "))."
            )
        }
        return sheet
    }

    /// The sheet's rows, each with its row number; rows with no text at all are left out.
    public func rows(of sheet: Sheet) throws(RosterFileError) -> [CSVRecord] {
        guard let xml = try Self.part(sheet.part, in: archive) else {
            throw RosterFileError("The workbook lists sheet \"\(sheet.name)\" but has no \(sheet.part).")
        }
        let parser = SheetParser(workbook: self)
        try Self.parse(xml, with: parser, part: sheet.part)
        return parser.rows
    }

    // MARK: Cell values

    fileprivate func text(type: String, style: Int, raw: String) -> String {
        switch type {
        case "s":
            guard let index = Int(raw), sharedStrings.indices.contains(index) else { return "" }
            return sharedStrings[index]
        case "b": return raw == "1" ? "TRUE" : "FALSE"
        case "str", "inlineStr", "e": return Self.unescape(raw)
        default:  // "n" or none: a number, perhaps shown as a date
            guard let number = Double(raw) else { return raw }
            if dateStyles.indices.contains(style), dateStyles[style] { return date(number) }
            return Self.numberText(number, raw: raw)
        }
    }

    /// 12345 for "12345" and "1.2345E4"; the shortest exact form otherwise ("0.1", not "0.10000000000000001").
    static func numberText(_ number: Double, raw: String) -> String {
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
        return number.isFinite ? "\(number)" : raw
    }

    /// "2026-06-11", or "2026-06-11 09:30" when the cell has a time of day.
    func date(_ serial: Double) -> String {
        let epoch: Double = date1904 ? -24107 : -25569  // days from the workbook's day 0 to 1970-01-01
        let seconds = ((serial + epoch) * 86400).rounded()
        let parts = Self.utc.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        guard serial.rounded(.down) != serial else { return day }
        let time =
            parts.second == 0
            ? String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
            : String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        return serial < 1 ? time : "\(day) \(time)"
    }

    /// Cell dates carry no time zone: they are read as they are written, in UTC (made once, not per cell).
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Number formats 14–22 and 45–47 are Excel's built-in dates and times.
    static let builtInDateFormats: Set<Int> = Set(14...22).union(45...47)

    /// A custom format shows a date when it has day, month, year, hour or second codes outside
    /// quoted text and brackets ("dd/mm/yyyy", "yyyy-mm-dd hh:mm"; not "0.00" or "[Red]0").
    static func isDateFormat(_ code: String) -> Bool {
        var quoted = false
        var bracket = false
        var previous: Character = " "
        for char in code {
            defer { previous = char }
            if previous == "\\" { continue }
            switch char {
            case "\"": quoted.toggle()
            case "[" where !quoted: bracket = true
            case "]" where !quoted: bracket = false
            case _ where !quoted && !bracket && "dDmMyYhHsS".contains(char): return true
            default: break
            }
        }
        return false
    }

    /// OOXML writes characters XML cannot hold as `_xHHHH_` ("_x000D_" for a carriage return).
    static func unescape(_ text: String) -> String {
        // A byte scan first: Foundation's `contains(_:)` on every cell cost a tenth of an import.
        guard text.utf8.contains(UInt8(ascii: "_")), text.contains("_x") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "_x") {
            result += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let hex = after.prefix(4)
            if hex.count == 4, after.dropFirst(4).first == "_", let value = UInt32(hex, radix: 16),
                let scalar = Unicode.Scalar(value)
            {
                result.unicodeScalars.append(scalar)
                rest = after.dropFirst(5)
            } else {
                result += "_x"
                rest = after
            }
        }
        return result + rest
    }

    // MARK: Parts

    private static func part(_ path: String, in archive: Archive) throws(RosterFileError) -> Data? {
        guard let entry = archive[path] else { return nil }
        var data = Data()
        data.reserveCapacity(Int(clamping: entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in data.append(chunk) }
        } catch {
            throw RosterFileError("The workbook's \(path) cannot be read (\(error)).")
        }
        return data
    }

    private static func parse(_ data: Data, with delegate: some XMLParserDelegate, part: String)
        throws(RosterFileError)
    {
        // From a stream, which the parser reads in small chunks: libxml2 refuses a single chunk over
        // 10 MB ("Huge input lookup"), which a 20,000-row sheet already is.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        guard parser.parse() else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown error"
            throw RosterFileError(
                "The workbook's \(part) is not valid XML (line \(parser.lineNumber), column \(parser.columnNumber): \(reason))."
            )
        }
    }
}

/// Element names without their namespace prefix ("x:row" → "row"): some writers use prefixes.
private func local(_ name: String) -> Substring {
    guard let colon = name.lastIndex(of: ":") else { return Substring(name) }
    return name[name.index(after: colon)...]
}

private final class WorkbookParser: NSObject, XMLParserDelegate {
    var sheets: [(name: String, relation: String)] = []
    var date1904 = false

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(name) {
        case "sheet":
            let relation = attributes.first { local($0.key) == "id" && $0.key != "sheetId" }?.value ?? ""
            sheets.append((attributes["name"] ?? "", relation))
        case "workbookPr":
            date1904 = ["1", "true"].contains(attributes["date1904"] ?? "")
        default: break
        }
    }
}

private final class RelationsParser: NSObject, XMLParserDelegate {
    var targets: [String: String] = [:]

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if local(name) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
            targets[id] = target
        }
    }
}

/// `<si>` items: plain `<t>`, or rich-text runs `<r><t>…</t></r>`; phonetic guides (`<rPh>`) are not text.
private final class SharedStringsParser: NSObject, XMLParserDelegate {
    var strings: [String] = []
    private var current = ""
    private var inText = false
    private var inPhonetic = false

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(name) {
        case "si": current = ""
        case "t": inText = !inPhonetic
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch local(name) {
        case "si": strings.append(Workbook.unescape(current))
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

private final class StylesParser: NSObject, XMLParserDelegate {
    var customFormats: [Int: String] = [:]
    var cellFormats: [Int] = []
    private var inCellXfs = false

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(name) {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap({ Int($0) }) {
                customFormats[id] = attributes["formatCode"] ?? ""
            }
        case "cellXfs": inCellXfs = true
        case "xf" where inCellXfs: cellFormats.append(attributes["numFmtId"].flatMap { Int($0) } ?? 0)
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if local(name) == "cellXfs" { inCellXfs = false }
    }
}

/// `<row r="14"><c r="B14" t="s" s="3"><v>7</v></c>…`; rows and cells may leave out `r`.
private final class SheetParser: NSObject, XMLParserDelegate {
    let workbook: Workbook
    var rows: [CSVRecord] = []
    private var rowNumber = 0
    private var fields: [String] = []
    private var column = 0
    private var type = ""
    private var style = 0
    private var value = ""
    private var collecting = false
    private var inInline = false
    private var inPhonetic = false

    init(workbook: Workbook) { self.workbook = workbook }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(name) {
        case "row":
            rowNumber = attributes["r"].flatMap { Int($0) } ?? rowNumber + 1
            fields = []
            column = 0
        case "c":
            column = attributes["r"].flatMap(Self.columnIndex) ?? column
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap { Int($0) } ?? 0
            value = ""
        case "v": collecting = true
        case "is": inInline = true
        case "rPh": inPhonetic = true
        case "t" where inInline && !inPhonetic: collecting = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { value += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch local(name) {
        case "v", "t": collecting = false
        case "is": inInline = false
        case "rPh": inPhonetic = false
        case "c":
            let text = value.isEmpty ? "" : workbook.text(type: type, style: style, raw: value)
            if !text.isEmpty {
                if fields.count < column { fields += Array(repeating: "", count: column - fields.count) }
                if fields.count == column { fields.append(text) } else { fields[column] = text }
            }
            column += 1
        case "row":
            if fields.contains(where: { !$0.isEmpty }) { rows.append(CSVRecord(line: rowNumber, fields: fields)) }
        default: break
        }
    }

    /// "B14" → 1 (0-based column); nil when there are no letters.
    static func columnIndex(_ reference: String) -> Int? {
        var index = 0
        var letters = 0
        for byte in reference.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): index = index * 26 + Int(byte - UInt8(ascii: "A") + 1)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): index = index * 26 + Int(byte - UInt8(ascii: "a") + 1)
            default:
                return letters > 0 ? index - 1 : nil
            }
            letters += 1
        }
        return letters > 0 ? index - 1 : nil
    }
}
