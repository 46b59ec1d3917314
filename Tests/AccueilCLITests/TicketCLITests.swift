import Foundation
import Testing

/// Registration tickets at the command line and through the server (issue 15).
@Suite("Registration tickets from the command line")
struct TicketCLITests {
    static let csv = """
        id,name,role,Ticket code,Status
        T-1,Anne Martin,participant,az9u4mymhqktrbupmwkvv6xmgds5dk3,
        T-2,Li Wei,participant,k3v9q2m8xw7rj4nnpp2,pending
        """

    @Test("a session door admits a registration ticket and refuses a pending one with the reason")
    func sessionDoor() throws {
        let box = Sandbox()
        #expect(try box.run(["keys", "create"]).status == 0)
        #expect(try box.run(["roster", "import", try box.file("r.csv", Self.csv)]).status == 0)
        #expect(try box.run(["sessions", "import", try SessionDoorTests().schedule(box, capacity: 5)]).status == 0)
        let admitted = try box.run([
            "sessions", "scan", "az9u4mymhqktrbupmwkvv6xmgds5dk3", "--session", "AT-1", "--json",
        ])
        #expect(admitted.status == 0, "\(admitted.output)")
        let verdict = try JSONSerialization.jsonObject(with: Data(admitted.stdout.utf8)) as? [String: Any]
        #expect(verdict?["attendee_id"] as? String == "T-1" && verdict?["outcome"] as? String == "entered")
        let pending = try box.run(["sessions", "scan", "k3v9q2m8xw7rj4nnpp2", "--session", "AT-1"])
        #expect(pending.status == 7 && pending.output.contains("pending"), "\(pending.output)")
        let unknown = try box.run(["sessions", "scan", "not-a-ticket-at-all", "--session", "AT-1"])
        #expect(unknown.status == 7)
    }

    @Test("a server without badge keys refuses a roster with tickets, saying why; with keys it keeps digests only")
    func serverNeedsKeys() throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        let made = try accueil(["token", "create", "--kiosk", "office", "--role", "organiser", "--store", server.store])
        let office = try #require(made.stdout.split(separator: "\n").last.map(String.init))
        let file = try root.file("r.csv", Self.csv)
        let refused = try root.run(["roster", "import", file, "--server", server.url, "--token", office])
        #expect(refused.status == 10 && refused.output.contains("accueil keys create"), "\(refused.output)")
        #expect(try accueil(["keys", "create", "--store", server.store]).status == 0)
        let imported = try root.run(["roster", "import", file, "--server", server.url, "--token", office])
        #expect(imported.status == 0, "\(imported.output)")
        // The same file again changes nothing: the digests are the same.
        let again = try root.run(["roster", "import", file, "--server", server.url, "--token", office])
        #expect(again.stdout.contains("0 added, 0 updated, 2 unchanged"), "\(again.output)")
        let store = try Data(contentsOf: root.root.appendingPathComponent("central.sqlite"))
        #expect(store.range(of: Data("az9u4mymhqktrbupmwkvv6xmgds5dk3".utf8)) == nil)
    }
}
