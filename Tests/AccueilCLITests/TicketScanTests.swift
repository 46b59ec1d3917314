import Foundation
import TestSupport
import Testing
import Tooling

/// The tickets registration systems e-mail, scanned at the doors in headless Chromium (issue 15):
/// exports laid out as pretix, Eventbrite and Indico write them, imported through the server, and
/// each kind of ticket read at a door station that got the roster and the event's keys by sync,
/// and at a self-service station that prints the badge through a real cupsd.
@Suite("Registration tickets at the doors (real processes, headless Chromium)", .serialized)
struct TicketScanTests {
    /// pretix's default secret generator: 32 characters from its unambiguous alphabet.
    static func pretixSecret() -> String {
        String((0..<32).map { _ in "abcdefghjkmnpqrstuvwxyz23456789".randomElement()! })
    }

    /// Indico 3.3's ticket QR for a check-in secret (`get_ticket_qr_code_data`), as its JSON is written.
    static func indicoQR(_ secret: String) -> String {
        let bytes = withUnsafeBytes(of: UUID(uuidString: secret)!.uuid) { Data($0) }
        return #"{"i":[2,"indico.example.org","\#(bytes.base64EncodedString())"]}"#
    }

    struct Exports {
        let pretixPaid = pretixSecret()
        let pretixCancelled = pretixSecret()
        let eventbriteBarcode = "3000001001"
        let indicoSecret = UUID().uuidString.lowercased()
        let indicoPendingSecret = UUID().uuidString.lowercased()

        /// The files, in each system's own column names (pretix "Order positions" in English; the
        /// Eventbrite attendee report; an Indico registrations export with the check-in secret added).
        func write(to box: Sandbox, cancelled: Bool = false) throws -> [(preset: String, path: String)] {
            let pretix = """
                Order code,Position ID,Status,Email,Product,Attendee name: Given name,Attendee name: Family name,Attendee email,Attendee company,Country,Ticket secret
                R0001,1,paid,achats@lyon.example,Entrée / Admission,Amina,Benali,amina@lyon.example,Ville de Lyon,FR,\(pretixPaid)
                R0002,1,\(cancelled ? "canceled" : "paid"),achats@kazan.example,Entrée / Admission,Олег,Петров,,Город Казань,RU,\(pretixCancelled)

                """
            let eventbrite = """
                Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Attendee Status,Job Title,Company,Barcode #
                1402,2026-05-01,Ngozi,Okafor,ngozi@lagos.example,1,General Admission,3000001,Attending,Mayor,Lagos State,\(eventbriteBarcode)

                """
            let indico = """
                ID,Name,First Name,Last Name,Email Address,Affiliation,Country,Registration state,Check-in secret
                1,Ana López,Ana,López,ana@sevilla.example,Ayuntamiento de Sevilla,Spain,Completed,\(indicoSecret)
                2,Bo Chen,Bo,Chen,bo@chengdu.example,City of Chengdu,China,Pending,\(indicoPendingSecret)

                """
            return [
                ("pretix", try box.file("pretix.csv", pretix)),
                ("eventbrite", try box.file("eventbrite.csv", eventbrite)),
                ("indico", try box.file("indico.csv", indico)),
            ]
        }
    }

    /// A station's folder with the event's keys and the three exports imported locally.
    func localStation() throws -> (Sandbox, Exports) {
        let box = Sandbox()
        #expect(try box.run(["keys", "create", "--event", "TIX26"]).status == 0)
        let exports = Exports()
        for (preset, path) in try exports.write(to: box) {
            let imported = try box.run(["roster", "import", "--preset", preset, path])
            #expect(imported.status == 0, "\(imported.output)")
        }
        return (box, exports)
    }

    @Test(
        "each ticket kind opens its attendee's card at a door synced from the server; pending and cancelled ones are refused in words"
    )
    func doorScreen() async throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        #expect(try accueil(["keys", "create", "--store", server.store, "--event", "TIX26"]).status == 0)
        func token(_ kiosk: String, _ role: String) throws -> String {
            let made = try accueil(["token", "create", "--kiosk", kiosk, "--role", role, "--store", server.store])
            return try #require(made.stdout.split(separator: "\n").last.map(String.init))
        }
        let office = try token("office", "organiser")
        let exports = Exports()
        for (preset, path) in try exports.write(to: root) {
            let imported = try root.run([
                "roster", "import", "--preset", preset, path, "--server", server.url, "--token", office,
            ])
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.stdout.contains("registration tickets"), "\(imported.output)")
        }
        // The server keeps digests only.
        let central = try Data(contentsOf: root.root.appendingPathComponent("central.sqlite"))
        for code in [exports.pretixPaid, exports.eventbriteBarcode, exports.indicoSecret] {
            #expect(central.range(of: Data(code.utf8)) == nil)
        }

        let door = try KioskProcess(
            "door-1", server: server.url, token: try token("door-1", "door"), extra: ["--language", "en"])
        defer { door.kill9() }
        #expect(try eventually(60) { try door.stats()["registered"] as? Int == 5 }, "\(door.log)")
        // The ticket key came with the keyring.
        #expect(
            eventually(60) {
                let keys = try? Data(
                    contentsOf: URL(fileURLWithPath: door.box.data).appendingPathComponent("keys.json"))
                return keys.map { String(decoding: $0, as: UTF8.self).contains("ticket_key") } ?? false
            })
        let port = try await kioskPort(log: door.box.root.appendingPathComponent("kiosk.log").path)
        let browser = try await Browser()
        do {
            try await browser.open("http://127.0.0.1:\(port)/")
            try await see(browser, "#online", "Online")
            // pretix: the QR holds the ticket secret.
            try await browser.burst(exports.pretixPaid + "\n")
            try await see(browser, "#name", "BENALI")
            try await browser.click("#checkin")
            try await see(browser, "#message", "Checked in")
            // Scanned again: the screen says they are in already, since when and where; no check-in button.
            try await browser.burst(exports.pretixPaid + "\n")
            try await see(browser, "#rtitle", "Already checked in")
            try await see(browser, "#rdetail", "door-1")
            try await see(browser, "#state", "✓")
            #expect(try await browser.script("return document.getElementById('checkin').hidden") as? Bool == true)
            // Eventbrite: the barcode number.
            try await browser.burst(exports.eventbriteBarcode + "\n")
            try await see(browser, "#name", "OKAFOR")
            // Indico: the ticket QR's JSON.
            try await browser.burst(Self.indicoQR(exports.indicoSecret) + "\n")
            try await see(browser, "#name", "LÓPEZ")
            try await keepScreenshot(browser, "door-ticket-en.png")
            // Indico, pending: the card opens and says why it cannot be checked in.
            try await browser.burst(Self.indicoQR(exports.indicoPendingSecret) + "\n")
            try await see(browser, "#name", "CHEN")
            try await see(browser, "#message", "Registration pending")
            try await see(browser, "#rtitle", "Registration pending")
            #expect(try await browser.script("return document.getElementById('checkin').hidden") as? Bool == true)
            // A ticket of another event, or a mistyped one: unknown, in words.
            try await browser.burst(Self.pretixSecret() + "\n")
            try await see(browser, "#message", "Unknown code")
            #expect(try await browser.text("#name") == "")

            // pretix cancels R0002 and the organiser imports the new export: its ticket is refused as cancelled.
            try await browser.burst(exports.pretixCancelled + "\n")
            try await see(browser, "#name", "ПЕТРОВ")
            let again = try exports.write(to: root, cancelled: true)[0].path
            let reimport = try root.run([
                "roster", "import", "--preset", "pretix", again, "--server", server.url, "--token", office,
            ])
            #expect(reimport.stdout.contains("1 removed"), "\(reimport.output)")
            #expect(try eventually(60) { try door.stats()["registered"] as? Int == 4 })
            try await browser.burst(exports.pretixCancelled + "\n")
            try await see(browser, "#message", "Registration cancelled")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
        let checkedIn = try door.stats()["checked_in"] as? Int
        #expect(checkedIn == 1)
        // No ticket code in the station's files or its log.
        for file in try FileManager.default.contentsOfDirectory(atPath: door.box.data) + ["../kiosk.log"] {
            let bytes =
                (try? Data(contentsOf: URL(fileURLWithPath: door.box.data).appendingPathComponent(file))) ?? Data()
            for code in [exports.pretixPaid, exports.eventbriteBarcode, exports.indicoSecret, exports.pretixCancelled] {
                #expect(bytes.range(of: Data(code.utf8)) == nil, "\(file)")
            }
        }
    }

    @Test(
        "self-service: a registration ticket checks in and prints the badge; a pending one is refused with the reason")
    func selfService() async throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let (box, exports) = try localStation()
        let arguments = [
            "--name", "self-1", "--printer", queue, "--mode", "self-service", "--pin", "4321", "--language", "en",
        ]
        try await withStation(box, arguments) { browser in
            try await see(browser, "#scan", "confirmation")
            // Eventbrite's barcode: checked in, greeted, and the badge comes out of the PDF queue
            // with the attendee's own signed code.
            try await browser.burst(exports.eventbriteBarcode + "\n")
            try await see(browser, "#answer", "Ngozi")
            try await see(browser, "#answer", "printing")
            // Read once CUPS says it is printed.
            let printed = try eventually(60) {
                (try box.json(["print", "jobs"]) as? [[String: Any]])?.first?["state"] as? String == "printed"
            }
            #expect(printed)
            let pdfs = Cups.pdfs(in: output, count: 1)
            let badge = try box.run(["badge", "qr", "3000001"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try pdfs.flatMap { try qrCodes(inPDF: $0.path) } == [badge])
            // Indico's QR, pending registration: refused, saying why, nothing printed.
            try await browser.burst(Self.indicoQR(exports.indicoPendingSecret) + "\n")
            try await see(browser, "#answer", "pending")
            try await keepScreenshot(browser, "self-service-pending-en.png")
            // pretix's secret: checked in and printed too.
            try await browser.burst(exports.pretixPaid + "\n")
            try await see(browser, "#answer", "Amina")
            #expect(Cups.pdfs(in: output, count: 2).count == 2)
            // Indico's QR of a completed registration: the same.
            try await browser.burst(Self.indicoQR(exports.indicoSecret) + "\n")
            try await see(browser, "#answer", "Ana")
            #expect(Cups.pdfs(in: output, count: 3).count == 3)
        }
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["checked_in"] as? Int == 3)
        let logText =
            (try? String(contentsOfFile: box.root.appendingPathComponent("kiosk.log").path, encoding: .utf8)) ?? ""
        #expect(!logText.contains(exports.eventbriteBarcode) && !logText.contains(exports.pretixPaid))
    }
}

extension TicketScanTests {
    @Test("a door set to check in on scan: one scan of a ticket checks the attendee in; a pending one is refused")
    func scanChecksIn() async throws {
        let (box, exports) = try localStation()
        try await withStation(box, ["--name", "door-2", "--no-print", "--scan", "checkin", "--language", "en"]) {
            browser in
            try await browser.burst(exports.eventbriteBarcode + "\n")
            try await see(browser, "#message", "Checked in")
            #expect(try await browser.text("#name") == "OKAFOR Ngozi")
            #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 1)
            try await browser.burst(exports.eventbriteBarcode + "\n")
            try await see(browser, "#message", "Already checked in")
            try await browser.burst(Self.indicoQR(exports.indicoPendingSecret) + "\n")
            try await see(browser, "#message", "pending")
            #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 1)
        }
    }
}
