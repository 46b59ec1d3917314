import AccueilCore
import Foundation
import Testing
import Tooling

@testable import RosterFiles

/// Excel workbooks as other programs write them: openpyxl (what pretix's own Excel exporters use)
/// and LibreOffice. Neither is ours; the files are made fresh by the real programs in each run.
@Suite("Excel workbooks", .serialized)
struct WorkbookTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-xlsx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func python(_ script: String) throws {
        let file = directory.appendingPathComponent("make.py")
        try Data(script.utf8).write(to: file)
        let outcome = try runProgram("/usr/bin/python3", [file.path], timeout: .seconds(60))
        #expect(outcome.status == 0, "\(outcome.output)")
        guard outcome.status == 0 else { throw CancellationError() }
    }

    /// Converts files with LibreOffice, in a profile of its own (so that runs do not share one).
    func soffice(_ format: String, _ files: [URL], filter: String? = nil) throws {
        var arguments = [
            "-env:UserInstallation=file://\(directory.path)/lo-profile", "--headless", "--convert-to", format,
            "--outdir", directory.path,
        ]
        if let filter { arguments += ["--infilter=\(filter)"] }
        let outcome = try runProgram("/usr/bin/soffice", arguments + files.map(\.path), timeout: .seconds(240))
        #expect(outcome.status == 0, "\(outcome.output)")
    }

    @Test("a pretix-style workbook from openpyxl: several sheets, numbers, dates, empty cells, scripts")
    func openpyxlWorkbook() throws {
        let path = directory.appendingPathComponent("pretix.xlsx").path
        try python(
            """
            import datetime, openpyxl
            wb = openpyxl.Workbook()
            orders = wb.active
            orders.title = "Orders"
            orders.append(["Event slug", "Order code", "Order total", "Status", "Email"])
            orders.append(["rencontre", "QX3RT", 0, "paid", "buyer@mairie.example"])
            ws = wb.create_sheet("Order positions")
            ws.append(["Event slug", "Order code", "Position ID", "Status", "Email", "Phone number", "Order date",
                       "Product", "Price", "Attendee name", "Attendee name: Given name", "Attendee name: Family name",
                       "Attendee email", "Attendee company", "Country", "State", "Ticket secret", "Order locale"])
            ws.append(["rencontre", "QX3RT", 1, "paid", "buyer@mairie.example", 33612345678, datetime.date(2026, 5, 1),
                       "Entrée / Admission", 0.0, "Amina Benali", "Amina", "Benali", "amina@ville.example",
                       "Ville de Lyon", "FR", None, "k3v9q2m8", "fr"])
            ws.append(["rencontre", "QX3RT", 2, "paid", "buyer@mairie.example", None, datetime.date(2026, 5, 1),
                       "Speaker", 12.5, "محمد الأمين", "محمد", "الأمين", None, "Ville de Tunis", "TN", None, "k3v9q2m9", "ar"])
            ws.append([None] * 18)
            ws.append(["rencontre", "ZZ9AB", 1, "canceled", "x@example.org", None, datetime.date(2026, 5, 2),
                       "Entrée / Admission", 0, "Gone Person", "Gone", "Person", None, None, "DE", None, "zz", "de"])
            ws.append(["rencontre", "BAD01", 1, "paid", "y@example.org", None, datetime.datetime(2026, 5, 2, 9, 30),
                       "Press", 0, "Wrong Country", "Wrong", "Country", None, None, "Atlantis", None, "yy", "en"])
            wb.create_sheet("Order fees").append(["Event slug", "Order code", "Fee type"])
            wb.save(r"\(path)")
            """)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try RosterFile.kind(of: data) == .xlsx)
        // openpyxl writes its text as inline strings (LibreOffice, below, as shared strings).
        #expect(!RosterFile.zipEntryNames(data).contains("xl/sharedStrings.xml"))
        let workbook = try Workbook(data: data)
        #expect(workbook.sheets.map(\.name) == ["Orders", "Order positions", "Order fees"])
        let rows = try workbook.rows(of: workbook.sheet(named: "order POSITIONS"))
        #expect(rows.map(\.line) == [1, 2, 3, 5, 6])  // the empty row 4 is left out, numbers kept
        #expect(rows[1].fields[2] == "1" && rows[1].fields[5] == "33612345678" && rows[1].fields[6] == "2026-05-01")
        #expect(rows[2].fields[8] == "12.5" && rows[2].fields.count >= 15 && rows[2].fields[12] == "")
        #expect(rows[4].fields[6] == "2026-05-02 09:30")

        // The preset finds pretix's "Order positions" sheet by itself.
        let roster = try RosterFile.parse(data, options: RosterOptions(preset: .pretix))
        #expect(roster.sheet == "Order positions")
        #expect(roster.attendees.map(\.id) == ["QX3RT-1", "QX3RT-2"])
        #expect(roster.attendees[1].lastName == "الأمين" && roster.attendees[1].role == .speaker)
        #expect(roster.attendees[0].organisation == "Ville de Lyon" && roster.skipped == 1)
        #expect(
            roster.rejections.map(\.description) == [
                "sheet Order positions, row 6, column 15 (Country): unknown country (give an ISO 3166 code or a French or English name): \"Atlantis\""
            ])

        // --sheet picks another sheet; a sheet that is not there is named with the ones that are.
        #expect(throws: RosterFileError.self) { try RosterFile.parse(data, sheet: "Orders", options: RosterOptions()) }
        do {
            _ = try RosterFile.parse(data, sheet: "Participants", options: RosterOptions())
            Issue.record("an unknown sheet was read")
        } catch {
            #expect(error.message.contains("\"Orders\", \"Order positions\", \"Order fees\""))
        }
    }

    @Test("LibreOffice's .xlsx of a roster reads as the CSV does; its .ods, .xls and PDF are refused by name")
    func libreOffice() throws {
        let attendees = RosterGenerator(seed: 11).attendees(count: 300)
        let csv = directory.appendingPathComponent("roster.csv")
        try Data(RosterGenerator.csv(attendees).utf8).write(to: csv)
        // Comma-separated, double quotes, UTF-8 (76), from row 1; every column as text (2) would hide the
        // number cells, so LibreOffice guesses types as it does for a person opening the file.
        try soffice("xlsx", [csv], filter: "CSV:44,34,76,1")
        let xlsx = try Data(contentsOf: directory.appendingPathComponent("roster.xlsx"))
        #expect(RosterFile.zipEntryNames(xlsx).contains("xl/sharedStrings.xml"))
        let fromWorkbook = try RosterFile.parse(xlsx, options: RosterOptions())
        let fromCSV = try RosterFile.parse(try Data(contentsOf: csv), options: RosterOptions())
        #expect(fromWorkbook.rejections == [] && fromWorkbook.sheet == "roster")
        #expect(fromWorkbook.attendees == fromCSV.attendees)

        for (format, words) in [
            ("ods", "OpenDocument spreadsheet (.ods)"), ("xls:MS Excel 97", "Excel 97–2003"), ("pdf", "PDF"),
        ] {
            try soffice(format, [directory.appendingPathComponent("roster.xlsx")])
            let name = "roster." + format.prefix { $0 != ":" }
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            do {
                _ = try RosterFile.parse(data, options: RosterOptions())
                Issue.record("\(name) was read as a roster")
            } catch {
                #expect(error.message.contains(words), "\(name): \(error.message)")
            }
        }
    }

    @Test("files that are no roster are named, not read as CSV")
    func notRosters() throws {
        let cases: [(String, [UInt8])] = [
            ("ZIP archive", [0x50, 0x4B, 0x05, 0x06] + Array(repeating: 0, count: 18)),
            ("gzip", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0]),
            ("web page", Array("<!DOCTYPE html><html><body>Login</body></html>".utf8)),
            ("binary file", [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0]),
        ]
        for (words, bytes) in cases {
            do {
                _ = try RosterFile.parse(Data(bytes), options: RosterOptions())
                Issue.record("a \(words) was read as a roster")
            } catch {
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
        // UTF-16 CSV has NUL bytes and is still CSV.
        #expect(try RosterFile.kind(of: Data([0xFF, 0xFE, 0x69, 0x00, 0x64, 0x00])) == .csv)
    }

    @Test("our own writer's inline strings read back exactly, escapes included")
    func inlineStrings() throws {
        let rows = [
            ["id", "name", "role", "notes"], ["A<1>", "Zoë & \"Max\"", "press", "line_x000D_break"],
            ["B2", "李伟", "", "speaker"],
        ]
        let data = try WorkbookWriter.xlsx(sheet: "Roster", rows: rows)
        let workbook = try Workbook(data: data)
        let read = try workbook.rows(of: workbook.sheets[0])
        #expect(
            read.map(\.fields) == [
                rows[0], ["A<1>", "Zoë & \"Max\"", "press", "line\rbreak"], ["B2", "李伟", "", "speaker"],
            ])
        #expect(WorkbookWriter.columnName(0) == "A" && WorkbookWriter.columnName(27) == "AB")
    }

    @Test("cell values: dates in both date systems, number formats, booleans, OOXML escapes")
    func cellValues() {
        #expect(Workbook.isDateFormat("dd/mm/yyyy") && Workbook.isDateFormat("yyyy-mm-dd hh:mm"))
        #expect(
            !Workbook.isDateFormat("0.00") && !Workbook.isDateFormat("[Red]0") && !Workbook.isDateFormat("\"day\" 0"))
        #expect(Workbook.numberText(12345, raw: "1.2345E4") == "12345")
        #expect(Workbook.numberText(0.1, raw: "0.10000000000000001") == "0.1")
        #expect(Workbook.unescape("a_x000A_b_x_c") == "a\nb_x_c")
    }
}
