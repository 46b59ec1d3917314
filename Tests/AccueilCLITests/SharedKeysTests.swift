import Foundation
import TestSupport
import Testing

/// The event's badge keys reach every station through the server (issue 13): nobody copies key files.
@Suite("Badge keys shared through the server (real processes)")
struct SharedKeysTests {
    func status(_ kiosk: KioskProcess) throws -> [String: Any] {
        try #require(try kiosk.box.json(["status"], kiosk: kiosk.name) as? [String: Any])
    }

    @Test(
        "a badge signed at one door verifies at another; a revoked station's badges are refused everywhere; a keyless station says so and does not queue badges"
    )
    func sharedKeys() async throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        let created = try accueil(["keys", "create", "--store", server.store, "--event", "RGL26"])
        #expect(created.status == 0, "\(created.output)")
        func token(_ kiosk: String, _ role: String = "door") throws -> String {
            let made = try accueil(["token", "create", "--kiosk", kiosk, "--role", role, "--store", server.store])
            #expect(made.status == 0, "\(made.output)")
            return try #require(made.stdout.split(separator: "\n").last.map(String.init))
        }
        let office = try token("office", "organiser")
        #expect(try root.run(["roster", "import", demoRoster, "--server", server.url, "--token", office]).status == 0)
        // Two stations that never ran `keys create`.
        let door = try KioskProcess("door-1", server: server.url, token: try token("door-1"))
        let room = try KioskProcess("room-1", server: server.url, token: try token("room-1"))
        let keyed = try eventually(60) {
            try [door, room].allSatisfy {
                (try status($0)["badge_keys"] as? [String: Any])?["signs"] as? Bool == true
            }
        }
        #expect(keyed, "\(door.log)\n\(room.log)")
        #expect(try eventually(60) { try door.stats()["registered"] as? Int == 800 })
        #expect(try eventually(60) { try room.stats()["registered"] as? Int == 800 })

        // door-1 signs a badge with its own key; room-1 verifies it offline with the public one.
        let code = try door.box.run(["badge", "qr", "ACC-00001"], kiosk: "door-1").stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(code.hasPrefix("AC1:"))
        let verified = try room.box.run(["badge", "verify", code], kiosk: "room-1")
        #expect(verified.status == 0, "\(verified.output)")
        // The two stations sign with different keys.
        let keyOf = { (kiosk: KioskProcess) in
            ((try? status(kiosk))?["badge_keys"] as? [String: Any])?["signing_key"] as? Int
        }
        #expect(keyOf(door) != nil && keyOf(door) != keyOf(room))

        // door-1 is lost: its keys are revoked on the server, and room-1 refuses its badges.
        #expect(try accueil(["keys", "revoke", "--station", "door-1", "--store", server.store]).status == 0)
        let refused = try eventually(40) { try room.box.run(["badge", "verify", code], kiosk: "room-1").status == 7 }
        #expect(refused, "\(room.log)")

        // A station with no keys at all: said in its status, and check in and print is refused at once.
        let keyless = Sandbox()
        #expect(try keyless.run(["roster", "import", demoRoster]).status == 0)
        let report = try keyless.run(["status"])
        #expect(report.stdout.contains("Badge keys: NONE"), "\(report.output)")
        let log = keyless.root.appendingPathComponent("kiosk.log").path
        let alone = try spawn(
            accueilBinary.path,
            ["kiosk", "--data", keyless.data, "--name", "door-9", "--listen", "127.0.0.1:0", "--printer", "nowhere"],
            stderr: .file(log))
        defer {
            alone.send(SIGKILL)
            alone.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        let answer = loopbackHTTP(
            port: UInt16(port), method: "POST", path: "/api/v1/checkin",
            body: Data(#"{"id":"ACC-00002","print":true}"#.utf8))
        let text = String(decoding: answer?.body ?? Data(), as: UTF8.self)
        #expect(answer?.status == 409 && text.contains("no badge signing key"), "\(text)")
        let jobs = try keyless.json(["print", "jobs"]) as? [Any]
        #expect(jobs?.isEmpty == true, "no job waits for ever: \(String(describing: jobs))")
    }
}
