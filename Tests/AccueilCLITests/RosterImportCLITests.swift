import AccueilCore
import Foundation
import Testing
import Tooling

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let demoRoster = packageRoot.appendingPathComponent("demo/roster.csv").path

@Suite("accueil roster import")
struct RosterImportCLITests {
    @Test("the demo roster imports whole, and importing it again changes nothing")
    func demo() throws {
        let box = Sandbox()
        let first = try #require(try box.json(["roster", "import", demoRoster]) as? [String: Any])
        #expect(first["added"] as? Int == 800)
        #expect(first["rejected"] as? Int == 0)
        let second = try #require(try box.json(["roster", "import", demoRoster]) as? [String: Any])
        #expect(second["added"] as? Int == 0 && second["updated"] as? Int == 0 && second["unchanged"] as? Int == 800)
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["registered"] as? Int == 800)
        // The model event: French authorities and 20+ foreign countries, every role present.
        let byCountry = try #require(stats["by_country"] as? [String: Any])
        #expect(byCountry.count >= 21)
        let byRole = try #require(stats["by_role"] as? [String: [String: Int]])
        #expect(Set(byRole.keys) == Set(Role.allCases.map(\.rawValue)))
        #expect(byRole.values.allSatisfy { ($0["registered"] ?? 0) > 0 })
    }

    @Test("Windows-1252, semicolons and French headers, as French Excel saves them")
    func frenchExcel() throws {
        let box = Sandbox()
        // "Hélène Œuvray", Élue, Côte d'Ivoire in Windows-1252.
        var bytes = Array("Identifiant;Prénom;Nom;Rôle;Pays;Fonction\r\n".utf8)
        bytes = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars.map { UInt8($0.value) })  // to Latin-1
        bytes +=
            Array("X1;H".utf8) + [0xE9] + Array("l".utf8) + [0xE8] + Array("ne;".utf8) + [0x8C] + Array("uvray;".utf8)
            + [0xC9] + Array("lue;C".utf8) + [0xF4] + Array("te d'Ivoire;Maire\r\n".utf8)
        let path = try box.file("excel.csv", bytes)
        let result = try box.run(["roster", "import", path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("Windows-1252"))
        let found = try #require(try box.json(["search", "helene oeuvray"]) as? [String: Any])
        let first = try #require((found["results"] as? [[String: Any]])?.first)
        #expect(first["first_name"] as? String == "Hélène")
        #expect(first["last_name"] as? String == "Œuvray")
        #expect(first["role"] as? String == "elected_official")
        #expect(first["country"] as? String == "CI")
    }

    @Test("UTF-16 with BOM and tabs; UTF-8 with BOM, quoted newlines and trailing empty columns")
    func unicodeExports() throws {
        let box = Sandbox()
        let text = "id\tfirst_name\tlast_name\tnative_name\trole\n1\tYoussef\tEl Amrani\tيوسف العمراني\tdélégation\n"
        let utf16: [UInt8] =
            [0xFF, 0xFE] + text.utf16.flatMap { (unit: UInt16) -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let a = try box.run(["roster", "import", try box.file("utf16.csv", utf16)])
        #expect(a.status == 0, "\(a.output)")
        let csv =
            "\u{FEFF}id,last_name,notes,role,,\n2,Wang,\"line one\nline two, with comma\",speaker,,\n3,Petrov,,press,,\n"
        let b = try box.run(["roster", "import", try box.file("bom.csv", csv)])
        #expect(b.status == 0, "\(b.output)")
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["registered"] as? Int == 3)
        let arabic = try #require(try box.json(["search", "يوسف"]) as? [String: Any])
        #expect((arabic["results"] as? [[String: Any]])?.first?["id"] as? String == "1")
    }

    @Test("bad rows: exit 3, each named with line, column and reason; good rows imported")
    func badRows() throws {
        let box = Sandbox()
        let path = try box.file(
            "bad.csv",
            "id,first_name,last_name,role,country\n1,Anne,Hidalgo,élue,FR\n2,Jean,Dupont,astronaute,FR\n3,,,press,FR\n1,Dup,Licate,press,FR\n4,Ana,Lopez,press,Atlantis\n5,Ok,Row,speaker,ES\n"
        )
        let result = try box.run(["roster", "import", path])
        #expect(result.status == 3)
        #expect(result.stdout.contains("line 3, column 4 (role): unknown role"))
        #expect(result.stdout.contains("line 4, column 3 (last_name): missing name"))
        #expect(result.stdout.contains("line 5, column 1 (id): duplicate id, already on line 2"))
        #expect(result.stdout.contains("line 6, column 5 (country): unknown country"))
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["registered"] as? Int == 2)

        let json = try #require(try box.json(["roster", "import", path]) as? [String: Any])
        let rejections = try #require(json["rejections"] as? [[String: Any]])
        #expect(rejections.map { $0["line"] as? Int } == [3, 4, 5, 6])
        #expect(rejections.first?["column_name"] as? String == "role")
    }

    @Test("--strict imports nothing when a row is bad (exit 2); --dry-run writes nothing")
    func strictAndDryRun() throws {
        let box = Sandbox()
        let path = try box.file("strict.csv", "id,last_name,role\n1,Hidalgo,élue\n2,Dupont,astronaute\n")
        #expect(try box.run(["roster", "import", "--strict", path]).status == 2)
        let dry = try box.run([
            "roster", "import", "--dry-run", try box.file("ok.csv", "id,last_name,role\n1,Hidalgo,élue\n"),
        ])
        #expect(dry.status == 0 && dry.stdout.contains("Would import 1: 1 added"))
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["registered"] as? Int == 0)
    }

    @Test("usage errors and unreadable files exit 2 and say why")
    func usageErrors() throws {
        let box = Sandbox()
        let missing = try box.run(["roster", "import", box.root.appendingPathComponent("nope.csv").path])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read"))
        let noRole = try box.run(["roster", "import", try box.file("norole.csv", "id,last_name\n1,Dupont\n")])
        #expect(noRole.status == 2 && noRole.stderr.contains("No role column"))
        let badMap = try box.run(["roster", "import", "--map", "Nom=surname", try box.file("x.csv", "id\n")])
        #expect(badMap.status == 2 && badMap.stderr.contains("--map"))
        #expect(try box.run(["roster", "import"]).status == 2)
        #expect(try box.run(["roster", "import", "--preset", "nonsense", "x.csv"]).status == 2)
    }

    @Test("an updated file updates the changed attendee and keeps their check-in; --remove-missing removes")
    func updates() throws {
        let box = Sandbox()
        let v1 = try box.file("v1.csv", "id,last_name,title,role\n1,Hidalgo,Maire,élue\n2,Dupont,,press\n")
        try box.run(["roster", "import", v1])
        #expect(try box.run(["checkin", "1"]).status == 0)
        let v2 = try box.file("v2.csv", "id,last_name,title,role\n1,Hidalgo,Maire de Paris,élue\n")
        let update = try #require(try box.json(["roster", "import", v2]) as? [String: Any])
        #expect(update["updated"] as? Int == 1 && update["removed"] as? Int == 0)
        let anne = try #require(
            ((try box.json(["search", "1"]) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        #expect(anne["title"] as? String == "Maire de Paris" && anne["checked_in"] as? Bool == true)
        let removal = try #require(try box.json(["roster", "import", "--remove-missing", v2]) as? [String: Any])
        #expect(removal["removed"] as? Int == 1)
        #expect(try box.run(["checkin", "2"]).status == 5)
    }

    @Test("presets read pretix, Eventbrite and Indico exports")
    func presets() throws {
        let box = Sandbox()
        let pretix = try box.file(
            "pretix.csv",
            "Event slug,Order code,Position ID,Status,Email,Product,Attendee name,Attendee email,Company,Country\nev,ABC12,1,Paid,b@example.org,Intervenant,Anne Hidalgo,anne@example.org,Ville de Paris,FR\n"
        )
        #expect(try box.run(["roster", "import", "--preset", "pretix", pretix]).status == 0)
        let eventbrite = try box.file(
            "eb.csv",
            "Order #,First Name,Last Name,Email,Ticket Type,Attendee #,Company,Job Title\n1,Jean,Dupont,j@example.org,Presse,77,AFP,Journaliste\n"
        )
        #expect(try box.run(["roster", "import", "--preset", "eventbrite", eventbrite]).status == 0)
        let indico = try box.file(
            "indico.csv",
            "ID,Title,First Name,Last Name,Email,Affiliation,Position,Country\n9,Dr,Ana,López,a@example.org,Univ,Prof,Spain\n"
        )
        #expect(try box.run(["roster", "import", "--preset", "indico", indico]).status == 0)
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        let byRole = try #require(stats["by_role"] as? [String: [String: Int]])
        #expect(
            byRole["speaker"]?["registered"] == 1 && byRole["press"]?["registered"] == 1
                && byRole["participant"]?["registered"] == 1)
        #expect(((try box.json(["search", "ABC12-1"]) as? [String: Any])?["count"] as? Int) ?? 0 >= 1)
    }

    @Test("a French pretix export imports with --preset alone; ticket names are reported with their role")
    func pretixFrenchByPresetAlone() throws {
        let box = Sandbox()
        // pretix 2026.8 "Order positions" headers in a French event (its fr catalogue), trimmed of
        // price, seat and invoice columns.
        let csv = try box.file(
            "commandes.csv",
            """
            Titre de l'événement,Code de commande,ID de la position,Statut,E-Mail,Produit,Nom du participant,Nom du participant: Prénom,Nom du participant: Nom de famille,E-mail du participant,Entreprise du participant,Pays,État,Secret du billet,Langue de la commande
            rencontre,QX3RT,1,Payé,acheteur@mairie.example,Entrée / Admission,Amina Benali,Amina,Benali,amina@ville.example,Ville de Lyon,FR,ARA,k3v9q2m8,fr
            rencontre,QX3RT,2,Payé,acheteur@mairie.example,Entrée / Admission,Li Wei,Li,Wei,,Ville de Chengdu,CN,,k3v9q2m9,fr
            rencontre,ZZ9AB,1,annulé,x@example.org,Entrée / Admission,Parti Ailleurs,Parti,Ailleurs,,,DE,,zz,de
            rencontre,PEND1,1,en attente,y@example.org,Presse,Pas Encore,Pas,Encore,,,BE,,yy,fr

            """)
        // The ticket secrets are kept as digests under the station's ticket key.
        #expect(try box.run(["keys", "create"]).status == 0)
        let result = try box.run(["roster", "import", "--preset", "pretix", csv])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("\"Entrée / Admission\" → participant, 2 rows (no role in the name: default"))
        #expect(result.stdout.contains("skipped 1 cancelled") && result.stdout.contains("1 pending registrations"))
        #expect(
            result.stdout.contains("imported as pending")
                && result.stdout.contains("3 attendees with registration tickets"))
        #expect(!result.stdout.contains("looks like"), "\(result.stdout)")
        let amina = try #require(
            ((try box.json(["search", "Benali"]) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        #expect(amina["organisation"] as? String == "Ville de Lyon" && amina["id"] as? String == "QX3RT-1")
        // The secret is a credential: never printed; scanned, it finds its attendee.
        #expect(!result.output.contains("k3v9q2m8"))
        #expect(try box.run(["checkin", "k3v9q2m9"]).stdout.contains("(QX3RT-2)"))
        #expect(try box.run(["checkin", "yy"]).status == 7)
    }

    @Test("an Excel workbook imports through the binary; rejections name the sheet and row; a PDF is named")
    func workbookThroughTheBinary() throws {
        let box = Sandbox()
        let xlsx = box.root.appendingPathComponent("inscrits.xlsx").path
        let script = try box.file(
            "make.py",
            """
            import openpyxl
            wb = openpyxl.Workbook()
            wb.active.title = "Lisez-moi"
            wb.active.append(["Export du 1er mai"])
            ws = wb.create_sheet("Inscrits")
            ws.append(["Identifiant", "Prénom", "Nom", "Rôle", "Pays"])
            ws.append([1001, "Hélène", "Œuvray", "Élue", "FR"])
            ws.append([1002, "Jean", "Dupont", "astronaute", "FR"])
            wb.save(r"\(xlsx)")
            """)
        let made = try runProgram("/usr/bin/python3", [script])
        #expect(made.status == 0, "\(made.output)")
        let result = try box.run(["roster", "import", "--sheet", "Inscrits", xlsx])
        #expect(result.status == 3, "\(result.output)")
        #expect(result.stdout.contains("(sheet \"Inscrits\")"))
        #expect(result.stdout.contains("rejected: sheet Inscrits, row 3, column 4 (Rôle): unknown role"))
        #expect(((try box.json(["search", "1001"]) as? [String: Any])?["count"] as? Int) == 1)

        let pdf = try box.file("export.pdf", "%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n")
        let refused = try box.run(["roster", "import", pdf])
        #expect(refused.status == 2 && refused.stderr.contains("This is a PDF document"), "\(refused.output)")
    }
}
