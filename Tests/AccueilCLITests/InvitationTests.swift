import Foundation
import TestSupport
import Testing

/// Invitations (issue 18): each attendee's badge code before the event, as a mail-merge folder or
/// as e-mails through a real mail server (a Postfix instance of the tests' own, started by
/// scripts/deps.sh: accueil_start_test_postfix, delivering every message to one Maildir; the
/// sendmail(8) the tests run reaches it through $MAIL_CONFIG). The delivered messages are read
/// with Python's e-mail parser, their QR codes with zbarimg, and the codes used at a self-service
/// station in headless Chromium.
@Suite("Invitations (real Postfix, zbarimg, headless Chromium)", .serialized)
struct InvitationTests {
    /// A roster whose addresses carry `tag`, so a test finds its own mail in the shared Maildir.
    static func roster(_ tag: String) -> String {
        """
        id,first_name,last_name,native_name,organisation,country,role,email,language,delegation
        INV-1,Amina,Benali,,Ville de Lyon,FR,elected_official,amina.\(tag)@lyon.example.org,fr,
        INV-2,Олег,Петров,Олег Петров,Город Казань,RU,delegation,oleg.\(tag)@kazan.example.org,,Délégation russe
        INV-3,Wei,Zhang,张伟,City of Chengdu,CN,speaker,wei.\(tag)@chengdu.example.org,en,
        INV-4,Nour,Haddad,نور حداد,Ville de Tunis,TN,delegation,nour.\(tag)@tunis.example.org,ar,Délégation tunisienne
        INV-5,Jean,Sansmail,,Mairie de Rennes,FR,participant,,fr,
        INV-6,José,Núñez,,Ayuntamiento de Sevilla,ES,participant,josé.\(tag)@sevilla.example.org,es,

        """
    }

    static var maildir: String {
        ProcessInfo.processInfo.environment["ACCUEIL_TEST_MAILDIR"] ?? "/var/lib/accueilmail/Maildir"
    }

    struct Delivered: Decodable {
        struct Part: Decodable {
            var type: String
            var contentID: String
            var disposition: String?
            var fileName: String?
            var path: String

            enum CodingKeys: String, CodingKey {
                case type, disposition, path
                case contentID = "content_id"
                case fileName = "file_name"
            }
        }
        var recipient: String
        var to: String
        var subject: String
        var messageID: String
        var language: String
        var structure: [String]
        var text: String
        var html: String
        var parts: [Part]
        /// For smtp_server.py's messages: whether the session was in TLS and authenticated.
        var tls: Bool?
        var authenticated: Bool?

        enum CodingKeys: String, CodingKey {
            case recipient, to, subject, language, structure, text, html, parts, tls, authenticated
            case messageID = "message_id"
        }
    }

    /// The messages delivered so far whose recipient holds `tag`, parsed by Python's e-mail package.
    static func delivered(_ tag: String, into box: Sandbox, from folder: String = maildir) throws -> [Delivered] {
        let script = packageRoot.appendingPathComponent("Tests/tools/read_mail.py").path
        let out = box.root.appendingPathComponent("mail").path
        let outcome = try runProgram("/usr/bin/python3", [script, folder, tag, out])
        guard outcome.status == 0 else {
            throw RealExportTests.TestFailure("read_mail.py: \(outcome.output.suffix(2000))")
        }
        return try JSONDecoder().decode([Delivered].self, from: Data(outcome.stdout.utf8))
    }

    static func zbar(_ png: String) throws -> [String] {
        try tool("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png]).stdout
            .split(separator: "\n").map(String.init)
    }

    func station(_ tag: String) throws -> Sandbox {
        let box = Sandbox()
        #expect(try box.run(["keys", "create", "--event", "INV26"]).status == 0)
        let imported = try box.run(["roster", "import", try box.file("roster.csv", Self.roster(tag))])
        #expect(imported.status == 0, "\(imported.output)")
        return box
    }

    static let eventOptions = ["--dates", "2027-06-03..2027-06-04", "--venue", "Palais des congrès, Paris"]

    @Test("the mail-merge export: a CSV line per attendee, whose QR text, PNG and PDF all read back as a valid code")
    func export() throws {
        let box = try station(UUID().uuidString.prefix(8).lowercased())
        let out = box.root.appendingPathComponent("merge").path
        let result = try box.run(["invitations", "export", "--out", out] + Self.eventOptions)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("6 QR codes and e-badges"), "\(result.output)")
        // The CSV, read by Python's csv module.
        let read = try runProgram(
            "/usr/bin/python3",
            [
                "-c", "import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))",
                out + "/invitations.csv",
            ])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[String: String]])
        #expect(rows.count == 6)
        #expect(Set(rows.compactMap { $0["id"] }) == ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5", "INV-6"])
        let languages = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"]!, $0["language"]!) })
        // Said on the roster (French or English), else from the country: Arabic from Tunisia gets
        // French, nothing from Russia or Spanish from Spain gets English.
        #expect(
            languages == ["INV-1": "fr", "INV-2": "en", "INV-3": "en", "INV-4": "fr", "INV-5": "fr", "INV-6": "en"])
        for row in rows {
            let id = try #require(row["id"])
            let qr = try #require(row["qr_text"])
            #expect(qr.hasPrefix("AC1:"))
            #expect(try Self.zbar(out + "/" + row["qr_png", default: ""]) == [qr], "\(id) PNG")
            let pdf = out + "/" + row["badge_pdf", default: ""]
            #expect(try qrCodes(inPDF: pdf) == [qr], "\(id) PDF")
            #expect(try tool("pdfinfo", [pdf]).stdout.contains("Pages:           1"))
            let verdict = try box.run(["badge", "verify", qr, "--json"])
            #expect(verdict.status == 0 && verdict.stdout.contains("\"attendee_id\" : \"\(id)\""), "\(verdict.output)")
        }
        // The e-badge speaks the attendee's language: the role, the dates and the instructions.
        let french = try tool("pdftotext", [out + "/INV-1.pdf", "-"]).stdout
        #expect(french.contains("ÉLU·E") && french.contains("3–4 juin 2027") && french.contains("borne"), "\(french)")
        #expect(french.contains("Palais des congrès, Paris"))
        let english = try tool("pdftotext", [out + "/INV-3.pdf", "-"]).stdout
        #expect(english.contains("SPEAKER") && english.contains("June 3–4, 2027") && english.contains("self-service"))
        // A bad --dates is refused in words.
        let bad = try box.run(["invitations", "export", "--out", out, "--dates", "3 juin"])
        #expect(bad.status == 2 && bad.stderr.contains("--dates"), "\(bad.output)")
    }

    @Test(
        "e-mails through Postfix: parsed, their inline QR decoded and verified, used at a self-service station; refusals said; a reissued badge sends the new code"
    )
    func sendAndCheckIn() async throws {
        let tag = "t" + UUID().uuidString.prefix(8).lowercased()
        let box = try station(tag)
        let from = ["--from", "Accueil RGL <accueil@rgl.example.org>"] + Self.eventOptions

        // A dry run says who would get what, and sends nothing.
        let dry = try box.run(["invitations", "send", "--dry-run"] + from)
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.stdout.contains("Would send 4 invitation(s) (2 in French, 2 in English)"), "\(dry.output)")
        #expect(dry.stdout.contains("INV-5") && dry.stdout.contains("no e-mail address"), "\(dry.output)")
        #expect(dry.stdout.contains("INV-6") && dry.stdout.contains("ASCII"), "\(dry.output)")

        // The mail server is missing: nothing is lost, the mails wait.
        let down = try box.run(["invitations", "send", "--sendmail", "/nonexistent/sendmail"] + from)
        #expect(down.status == 11, "\(down.output)")
        #expect(down.stderr.contains("wait in the queue"), "\(down.output)")
        #expect(
            (try box.json(["invitations", "status"]) as? [[String: Any]])?.filter { $0["state"] as? String == "sent" }
                .isEmpty == true)
        #expect(try Self.delivered(tag, into: box).isEmpty)

        let sent = try box.run(["invitations", "send"] + from)
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.stdout.contains("Sent 4 invitation(s)"), "\(sent.output)")
        #expect(sent.stdout.contains("INV-5") && sent.stdout.contains("INV-6"), "\(sent.output)")
        var mails: [Delivered] = []
        #expect(
            try eventually(60) {
                mails = try Self.delivered(tag, into: box)
                return mails.count == 4
            }, "\(mails.map(\.recipient))")
        let byRecipient = Dictionary(grouping: mails, by: \.recipient)
        #expect(byRecipient.count == 4 && byRecipient.values.allSatisfy { $0.count == 1 })

        var codes: [String: String] = [:]
        for mail in mails {
            let names = ["Amina": "INV-1", "Олег": "INV-2", "Wei": "INV-3", "Nour": "INV-4"]
            let id = try #require(names.first { mail.to.contains($0.key) }?.value, "\(mail.to)")
            #expect(mail.structure.prefix(2) == ["multipart/mixed", "multipart/alternative"], "\(mail.structure)")
            #expect(mail.structure.contains("multipart/related") && mail.structure.contains("text/plain"))
            let inline = try #require(mail.parts.first { $0.type == "image/png" }, "\(mail.parts)")
            #expect(inline.disposition == "inline")
            // The HTML shows the inline image by its Content-ID.
            let cid = inline.contentID.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
            #expect(mail.html.contains("cid:\(cid)"), "\(mail.html.prefix(500))")
            let pdf = try #require(mail.parts.first { $0.type == "application/pdf" })
            #expect(pdf.disposition == "attachment")
            let decoded = try Self.zbar(inline.path)
            #expect(decoded.count == 1)
            let code = try #require(decoded.first)
            #expect(try qrCodes(inPDF: pdf.path) == [code])
            let verdict = try box.run(["badge", "verify", code, "--json"])
            #expect(verdict.status == 0 && verdict.stdout.contains("\"attendee_id\" : \"\(id)\""), "\(verdict.output)")
            codes[id] = code
            // In the attendee's language.
            switch id {
            case "INV-1", "INV-4":
                #expect(mail.language == "fr" && mail.subject.hasPrefix("Votre badge"), "\(mail.subject)")
                #expect(mail.text.contains("3–4 juin 2027 — Palais des congrès, Paris"))
            default:
                #expect(mail.language == "en" && mail.subject.hasPrefix("Your badge"), "\(mail.subject)")
                #expect(mail.text.contains("June 3–4, 2027"))
            }
        }
        #expect(byRecipient.keys.contains("oleg.\(tag)@kazan.example.org"))
        #expect(mails.first { $0.to.contains("Олег") }?.to.contains("Петров") == true)

        // Running it again sends nobody a second copy.
        let again = try box.run(["invitations", "send"] + from)
        #expect(again.stdout.contains("Sent 0 invitation(s)"), "\(again.output)")
        #expect(again.stdout.contains("4 already sent"), "\(again.output)")

        // Each code checks its attendee in at a self-service station, which prints their badge.
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        try await withStation(
            box,
            ["--name", "self-1", "--printer", queue, "--mode", "self-service", "--pin", "4321", "--language", "en"]
        ) { browser in
            try await see(browser, "#scan", "confirmation")
            try await browser.burst(try #require(codes["INV-2"]) + "\n")
            try await see(browser, "#answer", "Олег")
            try await see(browser, "#answer", "printing")
            try await browser.burst(try #require(codes["INV-3"]) + "\n")
            try await see(browser, "#answer", "Wei")
            #expect(Cups.pdfs(in: output, count: 2).count == 2)
        }
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["checked_in"] as? Int == 2)

        // Amina loses her e-mail: a reissued badge makes the next run send her the new code, and
        // only her; the old code is refused.
        #expect(try box.run(["badge", "reissue", "INV-1", "--reason", "lost"]).status == 0)
        let reissued = try box.run(["invitations", "send"] + from)
        #expect(reissued.stdout.contains("Sent 1 invitation(s)"), "\(reissued.output)")
        #expect(
            try eventually(60) {
                mails = try Self.delivered(tag, into: box)
                return mails.count == 5
            })
        let newest = try #require(mails.filter { $0.to.contains("Amina") }.first { $0.subject.contains("nouveau") })
        let newImage = try #require(newest.parts.first { $0.type == "image/png" })
        let newCode = try #require(try Self.zbar(newImage.path).first)
        #expect(newCode != codes["INV-1"])
        #expect(try box.run(["badge", "verify", newCode]).status == 0)
        let oldCode = try #require(codes["INV-1"])
        let old = try box.run(["badge", "verify", oldCode, "--json"])
        #expect(old.status == 7 && old.stdout.contains("reissued"), "\(old.output)")
        #expect(newest.text.contains("n'est plus valable"))
    }

    @Test("kill -9 in the middle of a send: the next run finishes it and nobody gets two copies")
    func killedMidRun() throws {
        let tag = "k" + UUID().uuidString.prefix(8).lowercased()
        let box = Sandbox()
        #expect(try box.run(["keys", "create", "--event", "INV26"]).status == 0)
        let count = 150
        var csv = "id,first_name,last_name,country,role,email\n"
        for n in 1...count { csv += "K\(n),Prénom\(n),Nom\(n),FR,participant,p\(n).\(tag)@example.org\n" }
        #expect(try box.run(["roster", "import", try box.file("roster.csv", csv)]).status == 0)
        let log = box.root.appendingPathComponent("send.log").path
        let first = try spawn(
            accueilBinary.path,
            ["invitations", "send", "--data", box.data, "--from", "accueil@rgl.example.org", "--rate", "20"],
            stderr: .file(log))
        // Killed once a good part has left.
        let started = try eventually(60) { try Self.delivered(tag, into: box).count >= 40 }
        // Meanwhile, a second sender on the same data directory is turned away.
        let meanwhile = try box.run(["invitations", "send", "--from", "accueil@rgl.example.org"])
        #expect(meanwhile.status == 2 && meanwhile.stderr.contains("another"), "\(meanwhile.output)")
        first.send(SIGKILL)
        first.wait(timeout: .seconds(10))
        #expect(started)
        let second = try box.run(["invitations", "send", "--from", "accueil@rgl.example.org"])
        #expect(second.status == 0, "\(second.output)")
        // The kill came before the end: the second run had mails left to send.
        let resumed = second.stdout.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(second.stdout.hasPrefix("Sent ") && resumed > 0, "\(second.output)")
        let status = try #require(try box.json(["invitations", "status"]) as? [[String: Any]])
        let states = Dictionary(grouping: status) { $0["state"] as? String ?? "" }.mapValues(\.count)
        let uncertain = states["uncertain", default: 0]
        #expect(states["sent", default: 0] + uncertain == count, "\(states)")
        // At most the mails being handed over at the kill (one per worker).
        #expect(uncertain <= 4, "\(states)")
        var mails: [Delivered] = []
        // Every mail sent is delivered, exactly once; an uncertain one at most once.
        #expect(
            try eventually(60) {
                mails = try Self.delivered(tag, into: box)
                return mails.count >= states["sent", default: 0]
            })
        let perRecipient = Dictionary(grouping: mails, by: \.recipient).mapValues(\.count)
        #expect(perRecipient.values.allSatisfy { $0 == 1 }, "\(perRecipient.filter { $0.value > 1 })")
        #expect(mails.count <= count && mails.count >= count - uncertain)
        for mail in status where mail["state"] as? String == "uncertain" {
            #expect(second.stderr.contains(mail["attendee"] as? String ?? "?"), "\(second.output)")
        }
    }

    @Test(
        "through an SMTP relay (aiosmtpd): STARTTLS then AUTH, the QR read back; a refused recipient said with the server's words; a wrong password or an untrusted certificate stops the run and loses nothing"
    )
    func smtpRelay() throws {
        guard let python = ProcessInfo.processInfo.environment["ACCUEIL_SMTPD_PYTHON"], !python.isEmpty else {
            Issue.record("ACCUEIL_SMTPD_PYTHON is not set: scripts/test installs aiosmtpd (accueil_install_smtpd)")
            return
        }
        let tag = "s" + UUID().uuidString.prefix(8).lowercased()
        let box = Sandbox()
        #expect(try box.run(["keys", "create", "--event", "INV26"]).status == 0)
        let roster = """
            id,first_name,last_name,country,role,email,language
            S1,Léa,Martin,FR,speaker,lea.\(tag)@example.org,fr
            S2,Kofi,Mensah,GH,participant,kofi.\(tag)@example.org,en
            S3,Ana,Refusée,ES,participant,refused.\(tag)@example.org,

            """
        #expect(try box.run(["roster", "import", try box.file("roster.csv", roster)]).status == 0)
        // A certificate for 127.0.0.1 from a throwaway authority the machine does not trust.
        let cert = box.root.appendingPathComponent("relay.pem").path
        let key = box.root.appendingPathComponent("relay.key").path
        let made = try tool(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj",
                "/CN=relay.test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ])
        #expect(made.status == 0, "\(made.output)")
        let out = box.root.appendingPathComponent("relay-out").path
        let log = box.root.appendingPathComponent("relay.log").path
        let server = try spawn(
            python,
            [
                packageRoot.appendingPathComponent("Tests/tools/smtp_server.py").path, cert, key, "relay", "pa:ss w@rd",
                out,
            ],
            stdout: .file(log), stderr: .file(log + ".err"))
        defer {
            server.send(SIGKILL)
            server.wait(timeout: .seconds(10))
        }
        var port = 0
        #expect(
            eventually(30) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                port = Int(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
                return port > 0
            }, "\((try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? "")")
        let from = ["--from", "Accueil <accueil@rgl.example.org>"]
        // Percent-encoded in the URL: a password with ":", " " and "@".
        let relay = "smtp://relay:pa%3Ass%20w%40rd@127.0.0.1:\(port)"

        // The relay's certificate is not trusted: nothing leaves, nothing is lost.
        let untrusted = try box.run(["invitations", "send", "--smtp", relay] + from)
        #expect(untrusted.status == 11 && untrusted.stderr.contains("TLS"), "\(untrusted.output)")
        // A wrong password: the server's 535, the run stops.
        let wrong = try box.run(
            ["invitations", "send", "--smtp", "smtp://relay:nope@127.0.0.1:\(port)", "--smtp-ca-file", cert] + from)
        #expect(wrong.status == 11 && wrong.stderr.contains("535"), "\(wrong.output)")
        #expect(try Self.delivered(tag, into: box, from: out).isEmpty)

        let sent = try box.run(["invitations", "send", "--smtp", relay, "--smtp-ca-file", cert] + from)
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.stdout.contains("Sent 2 invitation(s) through smtp relay 127.0.0.1:\(port)"), "\(sent.output)")
        #expect(sent.stdout.contains("S3") && sent.stdout.contains("550"), "\(sent.output)")
        let status = try #require(try box.json(["invitations", "status"]) as? [[String: Any]])
        #expect(status.first { $0["attendee"] as? String == "S3" }?["state"] as? String == "refused")
        let mails = try Self.delivered(tag, into: box, from: out)
        #expect(mails.count == 2)
        for mail in mails {
            #expect(mail.tls == true && mail.authenticated == true)
            let inline = try #require(mail.parts.first { $0.type == "image/png" })
            let code = try #require(try Self.zbar(inline.path).first)
            let id = mail.recipient.hasPrefix("lea.") ? "S1" : "S2"
            let verdict = try box.run(["badge", "verify", code, "--json"])
            #expect(verdict.status == 0 && verdict.stdout.contains("\"attendee_id\" : \"\(id)\""), "\(verdict.output)")
        }
        #expect(mails.first { $0.recipient.hasPrefix("lea.") }?.subject.hasPrefix("Votre badge") == true)
        #expect(mails.first { $0.recipient.hasPrefix("kofi.") }?.subject.hasPrefix("Your badge") == true)
    }
}
