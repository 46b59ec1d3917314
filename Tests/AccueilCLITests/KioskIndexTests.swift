import Foundation
import TestSupport
import Testing

/// The kiosk daemon's door index after a change too big for the small index beside it (a new
/// kiosk's snapshot, a roster import): rebuilt on a thread of its own while the door goes on
/// answering, and said in the status.
@Suite("the kiosk daemon's door index after a big change")
struct KioskIndexTests {
    func json(_ port: Int, _ path: String) -> [String: Any]? {
        loopbackHTTP(port: UInt16(port), method: "GET", path: path).flatMap {
            $0.status == 200 ? (try? JSONSerialization.jsonObject(with: $0.body)) as? [String: Any] : nil
        }
    }

    func ids(_ answer: [String: Any]?) -> [String] {
        (answer?["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("an import of 3,000 attendees by another process: the door answers meanwhile, then finds them")
    func bigImportIndexedAside() async throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            ["kiosk", "--data", box.data, "--name", "door-1", "--listen", "127.0.0.1:0", "--no-print"],
            stderr: .file(log))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        let registered = { try #require(try box.json(["stats"]) as? [String: Any])["registered"] as? Int }
        let before = try #require(json(port, "/api/v1/status")?["roster_index"] as? [String: Any])
        #expect(before["building"] as? Bool == false)
        #expect(before["attendees"] as? Int == (try registered()))

        // Ids of their own, so that all 3,000 are new (more than the small index takes).
        let csv = try accueil(["roster", "generate", "--count", "3000", "--seed", "11"]).stdout
            .replacingOccurrences(of: "\nACC-", with: "\nGEN-")
        let file = box.root.appendingPathComponent("more.csv")
        try Data(csv.utf8).write(to: file)
        #expect(try box.run(["roster", "import", file.path]).status == 0)
        let newcomer = try #require(csv.split(separator: "\n").last?.split(separator: ",").map(String.init))

        // The door answers at once, from the index it has (the demo's attendees), up to date.
        #expect(ids(json(port, "/api/v1/search?q=hidalgo")).contains("ACC-00007"))
        // Then the new attendees are found, and the status says the index holds everyone.
        #expect(
            try await eventuallyAsync(60) {
                ids(json(port, "/api/v1/search?q=\(newcomer[0])")).contains(newcomer[0])
            })
        let after = try #require(json(port, "/api/v1/status")?["roster_index"] as? [String: Any])
        #expect(after["building"] as? Bool == false)
        #expect(after["attendees"] as? Int == (try registered()))
        #expect(try registered() ?? 0 >= 3000)
    }
}

/// Polls `condition` every 100 ms for up to `seconds`, without holding a thread of the test pool.
func eventuallyAsync(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
