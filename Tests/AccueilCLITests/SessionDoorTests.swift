import Foundation
import TestSupport
import Testing

@Suite("Session doors: two doors of one room through the server, in a real browser")
struct SessionDoorTests {
    /// A schedule with the session open now.
    func schedule(_ box: Sandbox, capacity: Int) throws -> String {
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        let start = format.string(from: Date().addingTimeInterval(-600))
        let end = format.string(from: Date().addingTimeInterval(3000))
        return try box.file(
            "schedule.csv",
            """
            id,title,room,start,end,capacity,access,kind
            AT-1,Atelier eau et assainissement,Salle 2,\(start),\(end),\(capacity),open,workshop
            CER,Cérémonie,Hôtel de Ville,\(start),\(end),,"roles=elected_official,embassy",ceremony
            """)
    }

    func json(_ port: Int, _ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = try #require(loopbackHTTP(port: UInt16(port), method: method, path: path, body: data))
        return (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]) ?? ["status": answer.status]
    }

    @Test("the room fills across both doors, a full room refuses in red, a supervisor overrides, offline says so")
    func roomFullAcrossDoors() async throws {
        let a = Sandbox()
        #expect(try a.run(["roster", "import", demoRoster], kiosk: "room-a").status == 0)
        #expect(try a.run(["keys", "create"], kiosk: "room-a").status == 0)
        #expect(try a.run(["sessions", "import", try schedule(a, capacity: 2)], kiosk: "room-a").status == 0)
        // Door B starts with the badge keys only; roster and schedule come through the server.
        let b = Sandbox()
        try FileManager.default.createDirectory(atPath: b.data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a.data + "/keys.json", toPath: b.data + "/keys.json")

        let server = try ServerProcess(store: a.root.appendingPathComponent("central.sqlite").path)
        var daemons: [Spawned] = []
        defer {
            for daemon in daemons {
                daemon.send(SIGKILL)
                daemon.wait(timeout: .seconds(10))
            }
        }
        var ports: [Int] = []
        for (box, name, language) in [(a, "room-a", "fr"), (b, "room-b", "en")] {
            // Room A imports the roster and the schedule: a back-office station, with an organiser's token.
            let role = name == "room-a" ? ["--role", "organiser"] : []
            let made = try accueil(["token", "create", "--kiosk", name, "--store", server.store] + role)
            let token = try #require(made.stdout.split(separator: "\n").last.map(String.init))
            let log = box.root.appendingPathComponent("kiosk.log").path
            daemons.append(
                try spawn(
                    accueilBinary.path,
                    [
                        "kiosk", "--data", box.data, "--name", name, "--server", server.url, "--token", token,
                        "--listen", "127.0.0.1:0", "--no-print", "--mode", "session", "--session", "AT-1",
                        "--language", language, "--pin", "2468",
                    ], stderr: .file(log)))
            ports.append(try await kioskPort(log: log))
        }
        let (portA, portB) = (ports[0], ports[1])
        let synced = try eventually(30) {
            let info = try json(portB, "GET", "/api/v1/session")
            let stats = try json(portB, "GET", "/api/v1/stats")
            return info["session"] is [String: Any] && stats["registered"] as? Int == 800
        }
        #expect(synced, "door B never got the roster and schedule")
        let code = { (id: String) throws -> String in
            try a.run(["badge", "qr", id]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Door A signs with a key the server issues at its first keyring request, and door B learns
        // that key at its next one (every 10 s): wait for both before scanning. (A clean-clone run
        // on a busy machine scanned before, and door A's screen never said "Bienvenue".)
        var keysReady = false
        let keysShared = try eventually(60) {
            let first = try code("ACC-00001")
            keysReady = first.hasPrefix("AC1:")
            return try keysReady && b.run(["badge", "verify", first]).status == 0
        }
        #expect(keysShared, "door A's signing key never reached door B (door A has a key: \(keysReady))")

        let browser = try await Browser()
        do {
            try await browser.open("http://127.0.0.1:\(portA)/")
            #expect(try await browser.waitFor("#title", containing: "Atelier eau"))
            #expect(try await browser.waitFor("#count", containing: "0 / 2"))
            // A badge scanned at door A: green, welcome, counted.
            try await browser.burst(try code("ACC-00001") + "\n")
            if try await !browser.waitFor("#vmessage", containing: "Bienvenue") {
                // Seen twice on a busy machine, cause not found yet: say what the screen shows.
                let screen = try await browser.script(
                    "return ['vmessage', 'count', 'verdict'].map(id => id + '=' + JSON.stringify((document.getElementById(id) || {}).textContent)).join(' ') + ' focus=' + (document.activeElement || {}).id"
                )
                Issue.record("door A never said Bienvenue: \(screen ?? "")")
            }
            #expect(try await browser.script("return document.getElementById('verdict').className") as? String == "yes")
            #expect(try await browser.waitFor("#count", containing: "1 / 2"))
            try await keepScreenshot(browser, "session-welcome-fr.png")

            // Door B learns of it through the server, and lets the second person in.
            #expect(try eventually(15) { try json(portB, "GET", "/api/v1/session")["occupancy"] as? Int == 1 })
            let second = try json(portB, "POST", "/api/v1/session/scan", ["text": try code("ACC-00002")])
            #expect(second["outcome"] as? String == "entered" && second["occupancy"] as? Int == 2, "\(second)")
            // Door A's screen follows, and the third person is refused at door A: the room is full.
            // (Through the server, usually within a second; the wait is long for a machine busy
            // with the whole suite — it once took over 15 s in a clean-clone run while the chaos
            // and soak tests were killing and loading their own daemons. The latency figure is the
            // benchmark's.)
            #expect(try await browser.waitFor("#count", containing: "2 / 2", seconds: 30))
            try await browser.burst(try code("ACC-00003") + "\n")
            #expect(try await browser.waitFor("#vmessage", containing: "Salle pleine (2/2)"))
            #expect(try await browser.script("return document.getElementById('verdict').className") as? String == "no")
            try await keepScreenshot(browser, "session-full-fr.png")

            // A supervisor lets them in: a wrong PIN is refused, the right one with a reason works.
            try await browser.click("#override")
            try await browser.type("#pin", "1111")
            try await browser.type("#reason", "interprète")
            try await browser.click("#letin")
            #expect(try await browser.waitFor("#ovmessage", containing: "PIN incorrect", seconds: 30))
            try await browser.type("#pin", "2468")
            try await browser.type("#reason", "interprète de la délégation")
            try await browser.click("#letin")
            #expect(try await browser.waitFor("#vmessage", containing: "superviseur"))
            #expect(try await browser.waitFor("#count", containing: "3 / 2"))
            // The override is in the log that every door and the server share.
            let logged = try eventually(15) {
                try accueil([
                    "sync", "export", "--data", b.data, "--out", b.root.appendingPathComponent("e.jsonl").path,
                ])
                .status == 0
                    && (try String(contentsOfFile: b.root.appendingPathComponent("e.jsonl").path, encoding: .utf8))
                        .contains("supervisor: interprète de la délégation")
            }
            #expect(logged)

            // Door B (in English) refuses the next one too.
            try await browser.open("http://127.0.0.1:\(portB)/")
            #expect(try await browser.waitFor("#count", containing: "3 / 2"))
            try await browser.burst(try code("ACC-00004") + "\n")
            #expect(try await browser.waitFor("#vmessage", containing: "Room full (3/2)"))
            try await keepScreenshot(browser, "session-full-en.png")
            // A forged badge: refused, with the reason.
            var forged = try code("ACC-00005")
            forged.removeLast(3)
            forged += "AAA"
            try await browser.burst(forged + "\n")
            #expect(try await browser.waitFor("#vmessage", containing: "Invalid badge"))

            // The server goes away: door B says it counts alone, and an exit still counts.
            server.kill9()
            #expect(try await browser.waitFor("#online", containing: "counted by this door only", seconds: 20))
            try await browser.burst(try code("ACC-00002") + "\n")
            #expect(try await browser.waitFor("#vmessage", containing: "Exit recorded"))
            #expect(try await browser.waitFor("#vlocal", containing: "counted by this door only"))
            #expect(try await browser.waitFor("#count", containing: "2 / 2"))
            try await keepScreenshot(browser, "session-exit-offline-en.png")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test(
        "a door given a room serves the session running there; a schedule with bad rows is refused by line and column")
    func doorFollowsRoom() async throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        #expect(try box.run(["keys", "create"]).status == 0)
        let bad = try box.file(
            "bad.csv", "id,title,room,start,end,capacity,access\nX,Bad,R,tomorrow,2026-06-11 10:00,-1,vip\n")
        let refused = try box.run(["sessions", "import", bad])
        #expect(refused.status == 3)
        #expect(
            refused.stderr.contains("line 2, column 4 (start)") && refused.stderr.contains("line 2, column 7 (access)"))
        #expect(try box.run(["sessions", "import", try schedule(box, capacity: 5)]).status == 0)
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            [
                "kiosk", "--data", box.data, "--name", "salle-2", "--listen", "127.0.0.1:0", "--no-print", "--mode",
                "session", "--room", "Salle 2",
            ], stderr: .file(log))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        let info = try json(port, "GET", "/api/v1/session")
        #expect(info["id"] as? String == "AT-1" && info["room"] as? String == "Salle 2", "\(info)")
        let code = try box.run(["badge", "qr", "ACC-00010"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verdict = try json(port, "POST", "/api/v1/session/scan", ["text": code])
        #expect(verdict["outcome"] as? String == "entered" && verdict["session"] as? String == "AT-1", "\(verdict)")
        let listed = try #require(try box.json(["sessions", "list"]) as? [[String: Any]])
        #expect(listed.first { ($0["session"] as? [String: Any])?["id"] as? String == "AT-1" }?["inside"] as? Int == 1)
    }
}
