import Foundation
import Testing
import Tooling

/// Exports made by the registration system itself: pretix (from PyPI, installed by scripts/test)
/// runs its own exporters in process (Tests/tools/pretix_export.py) on an event like the model one,
/// and `accueil roster import --preset pretix` alone must import each export exactly.
@Suite("Real pretix exports", .serialized)
struct RealExportTests {
    static let positions = 400

    /// Makes the exports once per run: pretix takes a few seconds to set up.
    static let exports: Result<URL, any Error> = Result {
        let python =
            ProcessInfo.processInfo.environment["ACCUEIL_PRETIX_PYTHON"]
            ?? "/var/cache/accueil-tests/pretix-2026.8.0/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestFailure("pretix is not installed at \(python): scripts/test installs it (accueil_install_pretix)")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-pretix-\(UUID().uuidString)")
        let script = packageRoot.appendingPathComponent("Tests/tools/pretix_export.py").path
        let outcome = try runProgram(python, [script, out.path, String(positions)], timeout: .seconds(300))
        guard outcome.status == 0 else { throw TestFailure("pretix_export.py failed: \(outcome.output.suffix(3000))") }
        return out
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Expected: Decodable {
        struct Person: Decodable {
            var firstName: String
            var lastName: String
            var organisation: String
            var email: String
            var role: String
        }
        var attendees: [String: Person]
        var cancelled: Int
        var pending: Int
        var secrets: [String]
        /// Ticket secret of each paid position, as pretix generated it; of each pending one; of the cancelled ones.
        var tickets: [String: String]
        var pendingTickets: [String: String]
        var cancelledTickets: [String]
    }

    func expected(_ directory: URL) throws -> Expected {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(
            Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    @Test(
        "order positions in English, French and German, and the combined Excel workbook, import exactly",
        arguments: ["positions-en.csv", "positions-fr.csv", "positions-de.csv", "orders-fr.xlsx"])
    func orderData(_ file: String) throws {
        let directory = try Self.exports.get()
        let expected = try expected(directory)
        let box = Sandbox()
        // Ticket secrets are kept as digests under the event's ticket key: the station needs its keyring.
        try box.run(["keys", "create", "--event", "PX26", "--name", "Pretix test"])
        let path = directory.appendingPathComponent(file).path
        let result = try box.run(["roster", "import", "--preset", "pretix", "--json", path])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["rejected"] as? Int == 0)
        // Pending orders are imported marked pending (the door refuses them), cancelled ones skipped.
        #expect(summary["added"] as? Int == expected.attendees.count + expected.pending)
        #expect(summary["skipped"] as? Int == expected.cancelled && summary["pending"] as? Int == expected.pending)
        #expect(summary["tickets"] as? Int == expected.attendees.count + expected.pending)
        if file.hasSuffix(".xlsx") { #expect(summary["sheet"] as? String == "Position de commande") }
        // No column that holds a roster field was left unread.
        let warnings = summary["warnings"] as? [[String: Any]] ?? []
        #expect(!warnings.contains { ($0["reason"] as? String ?? "").hasPrefix("looks like") }, "\(warnings)")
        // Ticket secrets are credentials: never in the output.
        #expect(!expected.secrets.contains { result.output.contains($0) })

        // A sample of attendees, as the door finds them.
        for (id, person) in expected.attendees.sorted(by: { $0.key < $1.key }).prefix(12) {
            let found = try #require(
                ((try box.json(["search", id]) as? [String: Any])?["results"] as? [[String: Any]])?.first {
                    $0["id"] as? String == id
                }, "\(id) not found")
            #expect(found["first_name"] as? String == person.firstName, "\(id)")
            #expect(found["last_name"] as? String == person.lastName, "\(id)")
            #expect(found["organisation"] as? String == person.organisation, "\(id)")
            #expect(found["email"] as? String == person.email, "\(id)")
            #expect(found["role"] as? String == person.role, "\(id)")
        }

        // Importing it again changes nothing.
        let again = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try box.run(["roster", "import", "--preset", "pretix", "--json", path]).stdout.utf8))
                as? [String: Any])
        #expect(
            again["unchanged"] as? Int == expected.attendees.count + expected.pending && again["added"] as? Int == 0)

        try scanTickets(box, expected)
    }

    /// Each ticket, scanned as its QR reads (pretix's QR holds the secret), at `accueil checkin`:
    /// paid ones check their attendee in, pending ones are refused with the reason, cancelled ones
    /// are unknown; the codes are in no file of the station.
    /// The check-in list has no position number (its ids number an order's tickets in the list's
    /// order): there the ticket must find the same person, by name.
    func scanTickets(_ box: Sandbox, _ expected: Expected, sameIDs: Bool = true) throws {
        for (id, secret) in expected.tickets.sorted(by: { $0.key < $1.key }).prefix(8) {
            let out = try box.json(["checkin", secret]) as? [[String: Any]]
            #expect(out?.first?["status"] as? String == "checked_in", "\(id)")
            if sameIDs {
                #expect(out?.first?["id"] as? String == id)
            } else {
                let attendee = out?.first?["attendee"] as? [String: Any]
                let person = expected.attendees[id]
                #expect(
                    attendee?["first_name"] as? String == person?.firstName
                        && attendee?["last_name"] as? String == person?.lastName, "\(id)")
            }
            let again = try box.run(["checkin", secret])
            #expect(again.status == 4, "\(id): \(again.output)")
        }
        for (id, secret) in expected.pendingTickets.sorted(by: { $0.key < $1.key }).prefix(3) {
            let out = try box.run(["checkin", secret])
            #expect(out.status == 7 && out.output.contains("pending"), "\(id): \(out.output)")
        }
        for secret in expected.cancelledTickets.prefix(3) {
            #expect(try box.run(["checkin", secret]).status == 5)
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: box.data) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: box.data).appendingPathComponent(file))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!expected.secrets.contains { text.contains($0) }, "a ticket secret in \(file)")
        }
    }

    @Test("the French check-in list (with secrets) imports its paid tickets; unpaid ones wait")
    func checkinList() throws {
        let directory = try Self.exports.get()
        let expected = try expected(directory)
        let box = Sandbox()
        try box.run(["keys", "create", "--event", "PX26", "--name", "Pretix test"])
        let path = directory.appendingPathComponent("checkin-fr.csv").path
        let result = try box.run(["roster", "import", "--preset", "pretix", "--json", path])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["rejected"] as? Int == 0)
        #expect(summary["added"] as? Int == expected.attendees.count + expected.pending)
        #expect(summary["pending"] as? Int == expected.pending)
        #expect(!expected.secrets.contains { result.output.contains($0) })
        try scanTickets(box, expected, sameIDs: false)
    }

    @Test("without the station's keyring, an export with ticket secrets is refused, saying how to go on")
    func ticketsNeedKeys() throws {
        let directory = try Self.exports.get()
        let box = Sandbox()
        let path = directory.appendingPathComponent("positions-fr.csv").path
        let result = try box.run(["roster", "import", "--preset", "pretix", path])
        #expect(result.status == 2)
        #expect(result.output.contains("accueil keys create") && result.output.contains("Secret du billet=ignore"))
        let leftOut = try box.run(["roster", "import", "--preset", "pretix", "--map", "Secret du billet=ignore", path])
        #expect(leftOut.status == 0, "\(leftOut.output)")
    }
}
