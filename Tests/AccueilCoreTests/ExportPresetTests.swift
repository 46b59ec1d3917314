import Foundation
import Testing

@testable import AccueilCore

/// Exports laid out as the registration systems write them. The headers are copied from the
/// exporters' source and message catalogues, not invented: pretix 2026.8
/// (`base/exporters/orderlist.py` `iterate_positions`, `plugins/checkinlists/exporters.py`
/// `CSVCheckinList`, `locale/fr|de/LC_MESSAGES/django.po`), Indico (`registration/util.py`
/// `generate_spreadsheet_from_registrations`), Eventbrite's attendee report.
@Suite("Registration systems' exports")
struct ExportPresetTests {
    /// pretix "Order data" → "Order positions", English, with the "Given name / Family name" scheme
    /// and one question ("Dietary requirements").
    static let pretixPositionsEN = [
        "Event slug", "Event name", "Order code", "Position ID", "Status", "Email", "Phone number", "Order date",
        "Order time", "Product", "Product ID", "Variation", "Variation ID", "Price", "Tax rate", "Tax rule",
        "Tax value", "Attendee name", "Attendee name: Given name", "Attendee name: Family name", "Attendee email",
        "Attendee company", "Address", "ZIP code", "City", "Country", "State", "Voucher", "Voucher budget usage",
        "Voucher tag", "Pseudonymization ID", "Ticket secret", "Seat ID", "Seat name", "Seat zone", "Seat row",
        "Seat number", "Blocked", "Valid from", "Valid until", "Order comment", "Follow-up date",
        "Add-on to position ID", "Dietary requirements", "Invoice address company", "Invoice address name",
        "Invoice address name: Given name", "Invoice address name: Family name", "Invoice address street",
        "Invoice address ZIP code", "Invoice address city", "Invoice address country", "Invoice address state",
        "VAT ID", "Sales channel", "Order locale", "Email address verified", "External customer ID",
        "Check-in lists", "Payment providers", "Position order link",
    ]

    /// The same in an event whose locale is French (pretix's fr catalogue).
    static let pretixPositionsFR = [
        "Titre de l'événement", "Nom de l'événement", "Code de commande", "ID de la position", "Statut", "E-Mail",
        "Numéro de téléphone", "Date de commande", "Heure de la commande", "Produit", "ID produit", "Variante",
        "ID de la variante", "Prix", "Taux de TVA", "Règle fiscale", "Montant de la TVA", "Nom du participant",
        "Nom du participant: Prénom", "Nom du participant: Nom de famille", "E-mail du participant",
        "Entreprise du participant", "Adresse", "Code postal", "Ville", "Pays", "État", "Bon d'achat",
        "Utilisation du budget des bons", "Étiquette du bon", "ID pseudonyme", "Secret du billet", "ID du siège",
        "Nom du siège", "Zone du siège", "Rangée de sièges", "Numéro de siège", "Bloqué", "Valable depuis",
        "Valable jusqu'à", "Commentaire de commande", "Date de suivi", "Add-on à l'ID de position",
        "Régime alimentaire", "Adresse de facturation de l'entreprise", "Nom de l'adresse de facturation",
        "Nom de l'adresse de facturation: Prénom", "Nom de l'adresse de facturation: Nom de famille",
        "Adresse de facturation (rue)", "Adresse de facturation (code postal)", "Adresse de facturation (ville)",
        "Adresse de facturation (pays)", "Adresse de facturation (état)", "Numéro de TVA", "Canal de vente",
        "Langue de la commande", "Adresse e-mail vérifiée", "ID client externe", "Listes d'enregistrement",
        "Moyens de paiement", "Lien de commande de la position",
    ]

    static func file(_ headers: [String], _ rows: [[String: String]]) -> [UInt8] {
        let english = pretixPositionsEN
        var lines = [CSVWriter.line(headers)]
        for values in rows {
            var cells = Array(repeating: "", count: headers.count)
            for (name, value) in values {
                guard let index = english.firstIndex(of: name) else { fatalError("no header \(name)") }
                cells[index] = value
            }
            lines.append(CSVWriter.line(cells))
        }
        return Array(lines.joined().utf8)
    }

    static let pretixRows: [[String: String]] = [
        [
            "Order code": "QX3RT", "Position ID": "1", "Status": "paid", "Email": "buyer@mairie.example",
            "Product": "Entrée / Admission", "Attendee name": "Amina Benali", "Attendee name: Given name": "Amina",
            "Attendee name: Family name": "Benali", "Attendee email": "amina@ville.example",
            "Attendee company": "Ville de Lyon", "Country": "FR", "State": "ARA", "Order locale": "fr",
            "Invoice address company": "Mairie (facturation)", "Ticket secret": "k3v9q2m8xw7rj4",
        ],
        [
            "Order code": "QX3RT", "Position ID": "2", "Status": "paid", "Email": "buyer@mairie.example",
            "Product": "Intervenant·e / Speaker", "Attendee name": "Олег Петров", "Attendee name: Given name": "Олег",
            "Attendee name: Family name": "Петров", "Attendee company": "Город Казань", "Country": "RU",
        ],
        [
            "Order code": "ZZ9AB", "Position ID": "1", "Status": "canceled", "Product": "Entrée / Admission",
            "Attendee name": "Gone Person", "Country": "DE",
        ],
        [
            "Order code": "PEND1", "Position ID": "1", "Status": "pending", "Product": "Entrée / Admission",
            "Attendee name": "Not Yet Paid", "Country": "BE",
        ],
        [
            "Order code": "FEE01", "Position ID": "1", "Status": "canceled (paid fee)",
            "Product": "Entrée / Admission", "Attendee name": "Paid A Fee", "Country": "IT",
        ],
    ]

    @Test("pretix order positions in English: ticket names take the default role, attendee fields win")
    func pretixEnglish() throws {
        let roster = try RosterParser.parse(
            Self.file(Self.pretixPositionsEN, Self.pretixRows), options: RosterOptions(preset: .pretix))
        #expect(roster.rejections == [])
        // The pending order is imported marked pending (the door refuses it); cancelled ones are skipped.
        #expect(roster.attendees.map(\.id) == ["QX3RT-1", "QX3RT-2", "PEND1-1"])
        #expect(roster.attendees.map(\.pending) == [false, false, true])
        #expect(roster.skipped == 2 && roster.pending == 1)
        // The ticket secret is read as the attendee's ticket code.
        #expect(roster.ticketCodes == [["k3v9q2m8xw7rj4"], [], []])
        let amina = roster.attendees[0]
        #expect(amina.role == .participant && amina.email == "amina@ville.example")
        #expect(amina.organisation == "Ville de Lyon" && amina.country == "FR" && amina.firstName == "Amina")
        let oleg = roster.attendees[1]
        #expect(oleg.role == .speaker && oleg.lastName == "Петров" && oleg.email == "buyer@mairie.example")
        #expect(
            roster.roleValues.map { "\($0.value)=\($0.role.rawValue):\($0.source.rawValue)" }.sorted() == [
                "Entrée / Admission=participant:default", "Intervenant·e / Speaker=speaker:recognised",
            ])
        // Nothing that looks like a roster field was left unread.
        #expect(roster.warnings.filter { $0.reason.contains("looks like") } == [])
    }

    @Test("pretix in French: \"E-Mail\" is the buyer's, \"État\" is no status, companies are read")
    func pretixFrench() throws {
        let roster = try RosterParser.parse(
            Self.file(Self.pretixPositionsFR, Self.pretixRows.map { $0.mapValues(Self.frenchStatus) }),
            options: RosterOptions(preset: .pretix, defaultRole: .delegation))
        #expect(roster.rejections == [])
        #expect(roster.attendees.map(\.id) == ["QX3RT-1", "QX3RT-2", "PEND1-1"] && roster.attendees[2].pending)
        #expect(roster.ticketCodes.first == ["k3v9q2m8xw7rj4"])
        #expect(roster.attendees[0].email == "amina@ville.example" && roster.attendees[0].role == .delegation)
        #expect(roster.attendees[0].organisation == "Ville de Lyon" && roster.attendees[0].language == "fr")
        #expect(roster.attendees[1].organisation == "Город Казань")
        #expect(roster.skipped == 2 && roster.pending == 1)
    }

    static func frenchStatus(_ value: String) -> String {
        ["paid": "Payé", "canceled": "annulé", "pending": "en attente", "canceled (paid fee)": "annulé (frais payés)"][
            value] ?? value
    }

    @Test("pretix in German, pending registrations accepted on request")
    func pretixGerman() throws {
        let german = [
            "Bestellnummer", "Position", "Status", "E-Mail", "Produkt", "Name Teilnehmer*in",
            "E-Mail Teilnehmer*in", "Teilnehmer*innen-Firma", "Land", "Bundesstaat", "Ticket-Code",
        ]
        let csv = """
            \(german.joined(separator: ","))
            AB12C,1,bezahlt,k@stadt.example,Eintritt,Karl Müller,karl@stadt.example,Stadt Köln,DE,NRW,s3cr3t
            AB12C,2,ausstehend,k@stadt.example,Presse,Eva Weiß,,Rheinische Post,DE,NRW,s3cr3u
            XY34Z,1,storniert,x@stadt.example,Eintritt,Weg Weg,,,DE,,s3cr3v
            """
        let strict = try RosterParser.parse(Array(csv.utf8), options: RosterOptions(preset: .pretix))
        #expect(strict.attendees.map(\.id) == ["AB12C-1", "AB12C-2"] && strict.pending == 1 && strict.skipped == 1)
        #expect(strict.attendees.map(\.pending) == [false, true] && strict.ticketCodes == [["s3cr3t"], ["s3cr3u"]])
        #expect(strict.attendees[0].organisation == "Stadt Köln" && strict.attendees[0].lastName == "Müller")
        let lenient = try RosterParser.parse(
            Array(csv.utf8), options: RosterOptions(preset: .pretix, acceptPending: true))
        #expect(lenient.attendees.map(\.id) == ["AB12C-1", "AB12C-2"] && !lenient.attendees[1].pending)
        #expect(lenient.attendees[1].role == .press && lenient.attendees[1].email == "k@stadt.example")
    }

    @Test("pretix check-in list: no position ids, so an order's tickets are numbered in file order")
    func pretixCheckinList() throws {
        let csv = """
            Order code,Attendee name,Attendee name: Given name,Attendee name: Family name,Product,Price,Checked in,Checked out,Automatically checked in,Paid,Secret,Email,Phone number,Company,Voucher code,Order date,Order time,Requires special attention,Comment,Check-in text,Seat ID,Seat name,Seat zone,Seat row,Seat number,Blocked,Valid from,Valid until,Address,ZIP code,City,Country,State
            A1B2C,Li Wei,Li,Wei,Delegation,0.00,,,No,Yes,abcsecret1,li@example.cn,,City of Chengdu,,2026-05-02,10:00:00,No,,Protocol: minister,,,,,,,,,,,,CN,
            A1B2C,李伟 Junior,李伟,Junior,Delegation,0.00,,,No,Yes,abcsecret2,li@example.cn,,City of Chengdu,,2026-05-02,10:00:00,No,,,,,,,,,,,,,,CN,
            D3E4F,Ana Souza,Ana,Souza,Participant,0.00,,,No,No,abcsecret3,ana@example.br,,,,2026-05-02,10:00:00,No,,,,,,,,,,,,,,BR,
            """
        let roster = try RosterParser.parse(Array(csv.utf8), options: RosterOptions(preset: .pretix))
        #expect(roster.rejections == [])
        #expect(roster.attendees.map(\.id) == ["A1B2C-1", "A1B2C-2", "D3E4F-1"])
        #expect(roster.attendees.map(\.pending) == [false, false, true])
        #expect(roster.ticketCodes == [["abcsecret1"], ["abcsecret2"], ["abcsecret3"]])
        #expect(roster.attendees[0].vip == "Protocol: minister" && roster.attendees[0].role == .delegation)
        #expect(roster.attendees[1].organisation == "City of Chengdu" && roster.pending == 1)
    }

    @Test("Eventbrite: Not Attending and refunded attendees are skipped, in English and French")
    func eventbriteStatuses() throws {
        let english = try RosterParser.parse(
            Array(
                """
                Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Group,Order Type,Currency,Total Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status,Job Title,Company,Barcode #
                1402,2026-05-01,Anne,Martin,anne@example.org,1,General Admission,3000001,,Free Order,EUR,0,0,0,Attending,Maire,Ville de Nantes,3000001001
                1403,2026-05-01,Paul,Durand,paul@example.org,1,General Admission,3000002,,Free Order,EUR,0,0,0,Not Attending,,,3000002001
                1404,2026-05-01,Zoe,Leroy,zoe@example.org,1,Press,3000003,,Free Order,EUR,0,0,0,Checked In,,Le Monde,3000003001
                1405,2026-05-01,Tom,Petit,tom@example.org,1,General Admission,3000004,,Paid,EUR,20,1,1,Refunded,,,3000004001
                """.utf8), options: RosterOptions(preset: .eventbrite))
        #expect(english.attendees.map(\.id) == ["3000001", "3000003"] && english.skipped == 2)
        // "Barcode #" is what the ticket's QR code carries.
        #expect(english.ticketCodes == [["3000001001"], ["3000003001"]])
        #expect(english.attendees[0].role == .participant && english.attendees[1].role == .press)
        #expect(english.attendees[0].title == "Maire" && english.attendees[0].organisation == "Ville de Nantes")
        let french = try RosterParser.parse(
            Array(
                """
                N° de commande;Date de la commande;Prénom;Nom;E-mail;Quantité;Type de billet;N° de participant;Statut du participant;Société
                1402;2026-05-01;Anne;Martin;anne@example.org;1;Entrée générale;3000001;Participe;Ville de Nantes
                1403;2026-05-01;Paul;Durand;paul@example.org;1;Entrée générale;3000002;Ne participe pas;
                """.utf8), options: RosterOptions(preset: .eventbrite))
        #expect(french.attendees.map(\.id) == ["3000001"] && french.skipped == 1)
        #expect(french.attendees[0].organisation == "Ville de Nantes" && french.attendees[0].lastName == "Martin")
    }

    @Test("Indico: ids are prefixed, Pending and Awaiting payment wait, Withdrawn is skipped")
    func indicoStates() throws {
        let csv = """
            ID,Name,Title,First Name,Last Name,Email Address,Affiliation,Position,Country,Registration date,Registration state,Price,Checked in
            1,Ana López,Dr,Ana,López,ana@example.org,Universidad de Sevilla,Professor,Spain,2026-04-01T10:00:00,Completed,0,False
            2,Bo Chen,,Bo,Chen,bo@example.org,Tsinghua,,China,2026-04-01T10:00:00,Pending,0,False
            3,Cy Dee,,Cy,Dee,cy@example.org,,,,2026-04-01T10:00:00,Awaiting payment,10,False
            4,Di Eff,,Di,Eff,di@example.org,,,,2026-04-01T10:00:00,Withdrawn,0,False
            """
        let roster = try RosterParser.parse(Array(csv.utf8), options: RosterOptions(preset: .indico))
        #expect(roster.attendees.map(\.id) == ["indico-1", "indico-2", "indico-3"])
        #expect(roster.attendees.map(\.pending) == [false, true, true])
        #expect(roster.attendees[0].title == "Professor" && roster.attendees[0].country == "ES")
        #expect(roster.pending == 2 && roster.skipped == 1)
        let all = try RosterParser.parse(Array(csv.utf8), options: RosterOptions(preset: .indico, acceptPending: true))
        #expect(all.attendees.map(\.id) == ["indico-1", "indico-2", "indico-3"])
    }

    @Test("a column that looks like a roster field but is not read gets a warning")
    func lookalikeColumns() throws {
        let roster = try RosterParser.parse(
            Array("id,name,role,Attendee company,Work e-mail\n1,Anne Martin,press,AFP,anne@afp.example\n".utf8))
        #expect(
            roster.warnings.map { "\($0.column):\($0.reason.split(separator: " ").prefix(3).joined(separator: " "))" }
                == [
                    "4:looks like organisation", "5:looks like email",
                ])
        #expect(roster.warnings[0].description.contains("--map \"Attendee company=organisation\""))
    }

    @Test("a generic CSV keeps refusing a role it does not know")
    func genericRoleStillChecked() throws {
        let roster = try RosterParser.parse(Array("id,name,role\n1,Anne Martin,astronaute\n".utf8))
        #expect(roster.rejections.first?.reason.hasPrefix("unknown role") == true)
    }
}
