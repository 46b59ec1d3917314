import Foundation
import Testing

@testable import AccueilCore

@Suite("Roster parsing")
struct RosterParserTests {
    func parse(_ text: String, _ options: RosterOptions = RosterOptions()) throws -> ParsedRoster {
        try RosterParser.parse(Array(text.utf8), options: options)
    }

    @Test("French headers in any order and case, trailing empty columns, sessions and country names")
    func frenchHeaders() throws {
        let roster = try parse(
            """
            Rôle;NOM;Prénom;Pays;Collectivité;Fonction;Identifiant;Sessions;Courriel;;;
            Élue;Hidalgo;Anne;France;Ville de Paris;Maire de Paris;P-1;PLEN-OUV| ATELIER-2 ;anne@example.org;;;
            ambassade;Sato;Aiko;Japon;Ambassade du Japon;;P-2;;;;;
            """)
        #expect(roster.rejections == [])
        #expect(roster.delimiter == ";")
        #expect(roster.attendees.count == 2)
        let anne = roster.attendees[0]
        #expect(anne.id == "P-1" && anne.firstName == "Anne" && anne.lastName == "Hidalgo")
        #expect(anne.role == .electedOfficial && anne.country == "FR" && anne.title == "Maire de Paris")
        #expect(anne.organisation == "Ville de Paris" && anne.email == "anne@example.org")
        #expect(anne.sessions == ["PLEN-OUV", "ATELIER-2"])
        #expect(roster.attendees[1].role == .embassy && roster.attendees[1].country == "JP")
    }

    @Test("each bad row is rejected with its line, column and reason; good rows are kept")
    func rejections() throws {
        let roster = try parse(
            """
            id,first_name,last_name,role,country,email
            1,Anne,Hidalgo,elected_official,FR,anne@example.org
            2,Jean,Dupont,astronaute,FR,
            3,,,speaker,FR,
            1,Anne,Again,press,FR,
            4,Ana,Lopez,press,Atlantis,
            ,Sans,Id,press,FR,
            5,Bad,Mail,press,FR,not-an-address
            6,No,Role,,FR,
            "7","Multi
            Line","Name",partner,DE,
            8,Ok,Last,partner,DE,
            """)
        #expect(roster.attendees.map(\.id) == ["1", "7", "8"])
        #expect(roster.lines == [2, 10, 12])
        let summary = roster.rejections.map { "\($0.line):\($0.column):\($0.columnName):\($0.reason.prefix(16))" }
        #expect(
            summary == [
                "3:4:role:unknown role (ex", "4:3:last_name:missing name", "5:1:id:duplicate id, al",
                "6:5:country:unknown country ", "7:1:id:missing id", "8:6:email:not an e-mail ad",
                "9:4:role:missing role",
            ])
        #expect(roster.rejections[2].reason == "duplicate id, already on line 2")
        // A line break inside a quoted name becomes a space, and is said.
        #expect(roster.attendees[1].firstName == "Multi Line")
        #expect(roster.warnings.map { "\($0.line):\($0.column)" } == ["10:2"])
        #expect(roster.rejections[0].value == "astronaute")
        #expect(roster.rejections[0].description.hasPrefix("line 3, column 4 (role): unknown role"))
    }

    @Test("a default role fills empty role cells; a role map reads ticket names")
    func defaultAndMappedRoles() throws {
        let roster = try parse(
            "id,name,role\n1,Anne Hidalgo,\n2,Jean Dupont,Billet Gold\n",
            RosterOptions(roleMap: ["billet gold": .partner], defaultRole: .participant))
        #expect(roster.attendees.map(\.role) == [.participant, .partner])
        #expect(roster.attendees[0].firstName == "Anne" && roster.attendees[0].lastName == "Hidalgo")
    }

    @Test("--map names foreign headers")
    func headerMap() throws {
        let roster = try parse(
            "Matricule,Apellido,Categoria\nA1,García,prensa\n",
            RosterOptions(
                headerMap: ["Matricule": .id, "Apellido": .lastName, "Categoria": .role], roleMap: ["prensa": .press]))
        #expect(roster.attendees.first?.lastName == "García")
        #expect(roster.attendees.first?.role == .press)
    }

    @Test("a file without an id, name or role column is refused as a whole")
    func missingColumns() {
        #expect(throws: RosterFileError.self) { try parse("first_name,role\nAnne,press\n") }
        #expect(throws: RosterFileError.self) { try parse("id,role\n1,press\n") }
        #expect(throws: RosterFileError.self) { try parse("id,last_name\n1,Dupont\n") }
        #expect(throws: RosterFileError.self) { try parse("") }
    }

    @Test("pretix order positions export")
    func pretix() throws {
        let roster = try parse(
            """
            Event slug,Order code,Position ID,Status,Email,Phone number,Order date,Order time,Product,Variation,Price,Tax rate,Tax rule,Tax value,Attendee name,Attendee name: Given name,Attendee name: Family name,Attendee email,Company,Address,ZIP code,City,Country,State,Voucher,Pseudonymization ID,Order comment,Company,Invoice address name,Country
            rencontre,ABC12,1,Paid,buyer@example.org,,2026-05-01,10:00:00,Speaker,,0.00,0,,0,Anne Hidalgo,Anne,Hidalgo,anne@example.org,Ville de Paris,,,,FR,,,XYZ,Needs a ramp,Other Co,Buyer,DE
            rencontre,ABC12,2,Paid,buyer@example.org,,2026-05-01,10:00:00,Press pass,,0.00,0,,0,Jean Dupont,Jean,Dupont,,AFP,,,,FR,,,XYZ,,,,
            rencontre,DEF34,1,Canceled,x@example.org,,2026-05-01,10:00:00,Speaker,,0.00,0,,0,Gone Person,Gone,Person,,,,,,FR,,,XYZ,,,,
            """, RosterOptions(preset: .pretix))
        #expect(roster.rejections == [])
        #expect(roster.skipped == 1)
        #expect(roster.attendees.map(\.id) == ["ABC12-1", "ABC12-2"])
        #expect(roster.attendees[0].role == .speaker && roster.attendees[0].email == "anne@example.org")
        #expect(roster.attendees[0].organisation == "Ville de Paris" && roster.attendees[0].country == "FR")
        #expect(roster.attendees[0].notes == "Needs a ramp")
        #expect(roster.attendees[1].role == .press && roster.attendees[1].email == "buyer@example.org")
    }

    @Test("Eventbrite attendee summary report")
    func eventbrite() throws {
        let roster = try parse(
            """
            Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Barcode #,Order Type,Total Paid,Attendee Status,Company,Job Title,Work Country
            111,2026-05-01,Anne,Hidalgo,anne@example.org,1,Intervenant,9001,900100,Free Order,0,Attending,Ville de Paris,Maire,France
            112,2026-05-01,Old,Ticket,old@example.org,1,Participant,9002,900200,Free Order,0,Cancelled,,,
            """, RosterOptions(preset: .eventbrite))
        #expect(roster.attendees.map(\.id) == ["9001"])
        #expect(roster.attendees[0].title == "Maire" && roster.attendees[0].role == .speaker)
        #expect(roster.skipped == 1)
    }

    @Test("Indico registrations export: no role column, everyone a participant, ids prefixed")
    func indico() throws {
        let roster = try parse(
            """
            ID,Title,First Name,Last Name,Email,Affiliation,Position,Country,Registration state
            42,Dr,Ana,López,ana@example.org,Universidad de Sevilla,Professor,ES,complete
            """, RosterOptions(preset: .indico))
        let ana = try #require(roster.attendees.first)
        #expect(ana.id == "indico-42" && ana.title == "Professor" && ana.organisation == "Universidad de Sevilla")
        #expect(ana.role == .participant && ana.country == "ES")
    }

    @Test("the generated demo roster parses without a single rejection")
    func generatedRoster() throws {
        let attendees = RosterGenerator(seed: 7).attendees(count: 3000)
        let roster = try RosterParser.parse(Array(RosterGenerator.csv(attendees).utf8))
        #expect(roster.rejections == [])
        #expect(roster.attendees == attendees)
    }
}
