import AccueilCore
import Foundation
import Testing

@testable import RosterFiles

/// A roster read piece by piece (what `roster import --server` sends) must be the roster read
/// whole: the same attendees in the same order, the same rejections, warnings and counts.
@Suite("Rosters read piece by piece")
struct RosterReaderTests {
    /// A pretix-like export without position numbers (an order's tickets numbered in file order,
    /// across pieces), with cancelled and pending rows, rejected rows (missing name, unknown role,
    /// duplicate id, a ticket code twice, a bad e-mail), a line break inside quotes, scripts.
    static func messyExport(rows: Int) -> String {
        var csv = "Order code,Status,Product,Attendee name,Attendee email,Country,Ticket secret\n"
        for i in 0..<rows {
            let order = "ORD\(i / 3)"  // three tickets an order
            let status = i % 17 == 0 ? "canceled" : i % 13 == 0 ? "pending" : "paid"
            let product = i % 11 == 0 ? "Unknown pass" : i % 5 == 0 ? "Speaker" : "Entrée"
            let name =
                i % 19 == 0 ? "" : i % 7 == 0 ? "\"Zoé\nVan der Berg\"" : ["Amina Benali", "Пётр Иванов", "王小明"][i % 3]
            let email = i % 23 == 0 ? "not-an-address" : "p\(i)@example.org"
            let secret = i % 29 == 0 ? "SAME-CODE" : "code\(i)"
            csv += "\(order),\(status),\(product),\(name),\(email),\(["FR", "MA", "Ukraine", ""][i % 4]),\(secret)\n"
        }
        return csv
    }

    static func readInPieces(_ data: Data, _ size: Int, options: RosterOptions) throws -> (
        attendees: [Attendee], codes: [[String]], roster: ParsedRoster
    ) {
        var reader = try RosterFile.open(data, options: options)
        var attendees: [Attendee] = []
        var codes: [[String]] = []
        while let piece = try reader.piece(size) {
            #expect(piece.attendees.count <= size)
            #expect(piece.attendees.count == piece.ticketCodes.count)
            attendees += piece.attendees
            codes += piece.ticketCodes
        }
        return (attendees, codes, reader.roster)
    }

    @Test("pieces of any size hold the whole roster once, in order, with the same rejections and counts")
    func piecesAreTheWhole() throws {
        let options = RosterOptions(preset: .pretix, defaultRole: .participant)
        let data = Data(Self.messyExport(rows: 2_000).utf8)
        let whole = try RosterFile.parse(data, options: options)
        #expect(whole.attendees.count > 1_000)
        #expect(!whole.rejections.isEmpty && whole.skipped > 0 && whole.pending > 0 && !whole.warnings.isEmpty)
        for size in [1, 7, 500, 100_000] {
            let (attendees, codes, roster) = try Self.readInPieces(data, size, options: options)
            #expect(attendees == whole.attendees, "pieces of \(size)")
            #expect(codes == whole.ticketCodes, "pieces of \(size)")
            #expect(roster.attendees.isEmpty)
            #expect(roster.rejections == whole.rejections)
            #expect(roster.warnings == whole.warnings)
            #expect(roster.cancelledIDs == whole.cancelledIDs)
            #expect(roster.roleValues == whole.roleValues)
            #expect(roster.rowCount == whole.rowCount && roster.withTickets == whole.withTickets)
            #expect(roster.skipped == whole.skipped && roster.pending == whole.pending)
            #expect(roster.mappedHeaders == whole.mappedHeaders && roster.unusedHeaders == whole.unusedHeaders)
        }
    }

    @Test("a file the whole read refuses is refused piece by piece too: no header, no id column, a quote never closed")
    func refusedFiles() throws {
        let options = RosterOptions(defaultRole: .participant)
        for text in ["", "last_name\nDupont\n", "id,last_name\n1,Dupont\n2,\"Martin\n3,Durand\n"] {
            let data = Data(text.utf8)
            var wholeError: String?
            do { _ = try RosterFile.parse(data, options: options) } catch { wholeError = error.message }
            var pieceError: String?
            do { _ = try Self.readInPieces(data, 1, options: options) } catch {
                pieceError = (error as? RosterFileError)?.message ?? "\(error)"
            }
            #expect(wholeError != nil, "\(text)")
            #expect(pieceError == wholeError, "\(text)")
        }
    }

    @Test(
        "whatever the encoding and line endings, read in pieces is read whole: UTF-8 with and without BOM, CRLF, CR, no final newline, Windows-1252, UTF-16"
    )
    func encodings() throws {
        let options = RosterOptions(defaultRole: .participant)
        let text =
            "id;last_name;first_name;organisation\n1;Dupont;Zoé;\"Ville de Lyon;\nMétropole\"\n2;Иванов;Пётр;\n3;王;小明;Pékin"
        var variants: [(String, [UInt8])] = []
        for ending in ["\n", "\r\n", "\r"] {
            let lines = text.replacingOccurrences(of: "\n", with: ending)
            variants.append(("UTF-8 \(ending.debugDescription)", Array(lines.utf8)))
            variants.append(
                ("UTF-8 BOM \(ending.debugDescription)", [0xEF, 0xBB, 0xBF] + Array((lines + ending).utf8)))
        }
        let latin = "id;last_name;first_name\r\n1;Dupont;Zoé\r\n2;Lefèvre;Anaïs\r\n"
        variants.append(("Windows-1252", latin.unicodeScalars.map { UInt8($0.value) }))
        variants.append(("UTF-16LE", [0xFF, 0xFE] + latin.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        for (name, bytes) in variants {
            let data = Data(bytes)
            let whole = try RosterFile.parse(data, options: options)
            #expect(whole.attendees.count >= 2, "\(name)")
            let (attendees, _, roster) = try Self.readInPieces(data, 1, options: options)
            #expect(attendees == whole.attendees, "\(name)")
            #expect(roster.rejections == whole.rejections, "\(name)")
            #expect(roster.warnings == whole.warnings, "\(name)")
            #expect(roster.encoding == whole.encoding && roster.delimiter == whole.delimiter, "\(name)")
        }
    }
}
