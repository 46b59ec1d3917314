import AccueilCore
import Foundation
import Testing

/// Registration tickets as their systems encode them, read alike at import and at a scan.
@Suite("Registration ticket codes")
struct TicketCodeTests {
    static let secret = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    static var secretBase64: String {
        withUnsafeBytes(of: UUID(uuidString: secret)!.uuid) { Data($0) }.base64EncodedString()
    }

    @Test("Indico's ticket QR (version 2, compact; version 1, verbose) reads as its check-in secret")
    func indico() {
        // get_ticket_qr_code_data: {"i": [2, url without https://, b64(secret)]}, JSON without spaces.
        let compact = #"{"i":[2,"indico.example.org/event","\#(Self.secretBase64)"]}"#
        #expect(TicketCode.normalised(compact) == Self.secret)
        // The site-access plugin adds keys of its own: the secret is still found.
        let withPlugin = #"{"i":[2,"indico.example.org","\#(Self.secretBase64)"],"a":"https://adams.example"}"#
        #expect(TicketCode.normalised(withPlugin) == Self.secret)
        // An accompanying person's ticket carries a fourth element: not the registrant's ticket.
        let companion = #"{"i":[2,"indico.example.org","\#(Self.secretBase64)","\#(Self.secretBase64)"]}"#
        #expect(TicketCode.normalised(companion) != Self.secret)
        // Before Indico 3.3: the secret in clear, upper or lower case.
        let verbose =
            #"{"registrant_id": 12, "checkin_secret": "\#(Self.secret.uppercased())", "event_id": "7", "server_url": "https://indico.example.org", "version": 1}"#
        #expect(TicketCode.normalised(verbose) == Self.secret)
        // The secret as a column holds it (the check-in API's checkin_secret), in any case.
        #expect(TicketCode.normalised(" \(Self.secret.uppercased()) ") == Self.secret)
    }

    @Test("pretix secrets and Eventbrite barcodes are compared as they are, spaces aside")
    func others() {
        #expect(TicketCode.normalised("  az9u4mymhqktrbupmwkvv6xmgds5dk3\n") == "az9u4mymhqktrbupmwkvv6xmgds5dk3")
        #expect(TicketCode.normalised("AZ9u4") == "AZ9u4")
        #expect(TicketCode.normalised("1234567890123456001") == "1234567890123456001")
        #expect(TicketCode.normalised("   ") == nil)
        // JSON that is no Indico ticket is a code like any other.
        #expect(TicketCode.normalised(#"{"x":1}"#) == #"{"x":1}"#)
    }

    @Test("a cell may list several codes (a reissued ticket); an Indico QR text is one")
    func cells() {
        #expect(TicketCode.codes(inCell: "aaa111; bbb222 | ccc333,aaa111") == ["aaa111", "bbb222", "ccc333"])
        #expect(TicketCode.codes(inCell: #"{"i":[2,"x","\#(Self.secretBase64)"]}"#) == [Self.secret])
        #expect(TicketCode.codes(inCell: "") == [])
    }

    @Test("the import reads ticket columns by their names, refuses a code on two rows, never repeats a code")
    func parsing() throws {
        let csv = """
            id,name,role,Code billet
            1,Anne Martin,press,SECRET-ONE SECRET-TWO
            2,Li Wei,participant,
            3,Omar Haddad,participant,SECRET-TWO
            4,Ana Souza,participant,\(String(repeating: "x", count: 30))\u{7}
            """
        let roster = try RosterParser.parse(Array(csv.utf8))
        #expect(roster.attendees.map(\.id) == ["1", "2"])
        #expect(roster.ticketCodes == [["SECRET-ONE", "SECRET-TWO"], []])
        #expect(roster.rejections.map(\RowRejection.line) == [4, 5])
        #expect(roster.rejections[0].reason == "the same ticket code as line 2" && roster.rejections[0].value == "")
        #expect(roster.rejections[1].columnName == "Code billet" && roster.rejections[1].value == "")
        #expect(!roster.rejections.map(\RowRejection.description).joined().contains("SECRET"))

        // Only digests leave the importer.
        var sealed = roster
        sealed.sealTickets { "digest(\($0))" }
        #expect(
            sealed.ticketCodes == [] && sealed.attendees[0].tickets == ["digest(SECRET-ONE)", "digest(SECRET-TWO)"])
        #expect(sealed.withTickets == 1)

        for header in ["Barcode", "Ticket code", "Code-barres", "Secret du billet", "checkin_secret", "QR code"] {
            let one = try RosterParser.parse(Array("id,name,role,\(header)\n1,A B,press,C0DE\n".utf8))
            #expect(one.ticketCodes == [["C0DE"]], "\(header)")
        }
    }

    @Test("tickets and the pending mark survive the attendee's JSON and only appear when set")
    func attendeeJSON() throws {
        var a = Attendee(id: "X1", lastName: "Martin", role: .press)
        #expect(!a.json.contains("tickets") && !a.json.contains("pending"))
        a.tickets = ["00ff", "11ee"]
        a.pending = true
        let back = try JSONDecoder().decode(Attendee.self, from: Data(a.json.utf8))
        #expect(back == a)
        let coded = try JSONDecoder().decode(Attendee.self, from: try JSONEncoder().encode(a))
        #expect(coded == a)
        #expect(a.anonymized.tickets == [] && !a.anonymized.pending)
    }
}
