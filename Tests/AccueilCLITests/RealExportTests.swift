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
        let path = directory.appendingPathComponent(file).path
        let result = try box.run(["roster", "import", "--preset", "pretix", "--json", path])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["rejected"] as? Int == 0)
        #expect(summary["added"] as? Int == expected.attendees.count)
        #expect(summary["skipped"] as? Int == expected.cancelled && summary["pending"] as? Int == expected.pending)
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
        #expect(again["unchanged"] as? Int == expected.attendees.count && again["added"] as? Int == 0)
    }

    @Test("the French check-in list (with secrets) imports its paid tickets; unpaid ones wait")
    func checkinList() throws {
        let directory = try Self.exports.get()
        let expected = try expected(directory)
        let box = Sandbox()
        let path = directory.appendingPathComponent("checkin-fr.csv").path
        let result = try box.run(["roster", "import", "--preset", "pretix", "--json", path])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["rejected"] as? Int == 0)
        #expect(summary["added"] as? Int == expected.attendees.count)
        #expect(summary["pending"] as? Int == expected.pending)
        #expect(!expected.secrets.contains { result.output.contains($0) })
    }
}
