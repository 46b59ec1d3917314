import Foundation
import TestSupport
import Testing

/// The event as deployed (issue 13): a server and six stations, each a root of its own (a machine)
/// holding the Debian package's contents (`scripts/package`, unpacked with dpkg-deb), started with
/// exactly the `ExecStart` line of the unit installed there and the configuration file that line
/// names, edited as systemd/README.md says.
@Suite("Rehearsal: a server and six stations installed as documented (real processes)", .serialized)
struct RehearsalTests {
    /// One installed machine.
    struct Machine {
        let root: String
        /// The unit's ExecStart, as installed: program and arguments, with paths inside `root`.
        func execStart(_ unit: String) throws -> [String] {
            let text = try String(contentsOfFile: root + "/lib/systemd/system/" + unit, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            return line.dropFirst("ExecStart=".count).split(separator: " ").map { word in
                word.hasPrefix("/") ? root + word : String(word)
            }
        }

        /// The configuration the unit names, with `edits` (key → value) made as an organiser would.
        func configure(_ file: String, _ edits: [String: String]) throws {
            let path = root + file
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(
                separator: "\n", omittingEmptySubsequences: false
            )
            .map(String.init)
            for (key, value) in edits {
                if let i = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) {
                    lines[i] = "\(key): \(value)"
                } else {
                    lines.append("\(key): \(value)")
                }
            }
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// The package, built once per test from the binary under test.
    func package(_ box: Sandbox) throws -> String {
        let built = try runProgram(
            sourceRoot.appendingPathComponent("scripts/package").path,
            ["--binary", accueilBinary.path, "--out", box.root.appendingPathComponent("dist").path],
            timeout: .seconds(300))
        #expect(built.status == 0, "\(built.stdout)\(built.stderr)")
        return built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A machine: the package's files unpacked into a root of its own (`dpkg-deb -x`).
    func install(_ box: Sandbox, _ name: String, _ deb: String) throws -> Machine {
        let root = box.root.appendingPathComponent(name).path
        let unpacked = try runProgram("/usr/bin/dpkg-deb", ["-x", deb, root])
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        try FileManager.default.createDirectory(atPath: root + "/var/lib/accueil", withIntermediateDirectories: true)
        return Machine(root: root)
    }

    /// What a machine's processes see: its /etc/accueil/badges (here inside its root).
    func environment(_ machine: Machine) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(
            ["ACCUEIL_BADGES": machine.root + "/etc/accueil/badges"], uniquingKeysWith: { $1 })
    }

    @Test(
        "six stations and a server as installed: check-ins, printed badges scanned, micro-workshops, all agree",
        arguments: ["sqlite", "postgres"])
    func rehearsal(store kind: String) async throws {
        let box = Sandbox()
        let (queue, pdfs) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }

        // The server machine.
        let deb = try package(box)
        let server = try install(box, "server", deb)
        let store =
            kind == "sqlite" ? "sqlite:\(server.root)/var/lib/accueil/central.sqlite" : try centralStore(kind, in: box)
        try server.configure(
            "/etc/accueil/server.yaml",
            ["store": store, "listen": "127.0.0.1:0", "time_zone": "Europe/Paris", "event_name": "Rehearsal"])
        let serverLog = box.root.appendingPathComponent("server.log").path
        let command = try server.execStart("accueil-server.service")
        var processes: [Spawned] = [
            try spawn(
                command[0], Array(command.dropFirst()), environment: environment(server), stderr: .file(serverLog))
        ]
        defer {
            for process in processes {
                process.send(SIGKILL)
                process.wait(timeout: .seconds(10))
            }
        }
        // Port 0: the system picks a free one, and the server says which in its log.
        var port = 0
        for _ in 0..<600 where port == 0 {
            let text = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on 127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            if port == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        let url = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<300 where !up && port > 0 {
            up = loopbackHTTP(port: UInt16(port), method: "GET", path: "/api/v1/health")?.status == 200
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up, "\((try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? "")")
        let admin = server.root + "/usr/bin/accueil"
        func onServer(_ arguments: [String]) throws -> RunResult {
            let result = try runProgram(admin, arguments + ["--store", store])
            #expect(result.status == 0, "\(arguments): \(result.output)")
            return RunResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
        }
        _ = try onServer(["keys", "create", "--event", "RGL26", "--name", "Rehearsal"])
        func token(_ kiosk: String, _ role: String = "door") throws -> String {
            try onServer(["token", "create", "--kiosk", kiosk, "--role", role]).stdout.split(separator: "\n").last
                .map(String.init) ?? ""
        }
        let office = try token("office", "organiser")
        let organiser = try runProgram(
            admin, ["organiser", "add", "protocole", "--names", "--store", store],
            environment: ProcessInfo.processInfo.environment.merging(
                ["ACCUEIL_ORGANISER_PASSWORD": "protocole-password"], uniquingKeysWith: { $1 }))
        #expect(organiser.status == 0, "\(organiser.output)")
        let imported = try runProgram(admin, ["roster", "import", demoRoster, "--server", url, "--token", office])
        #expect(imported.status == 0, "\(imported.output)")
        // Six stations, each its own machine, configured in its kiosk.yaml only.
        let stations: [(name: String, edits: [String: String])] = [
            ("door-1", ["mode": "door", "printer": queue]), ("door-2", ["mode": "door", "no_print": "true"]),
            ("plenary", ["mode": "session", "session": "PLEN", "no_print": "true"]),
            ("salon-b", ["mode": "session", "room": "Salon B", "no_print": "true", "pin": "2468"]),
            ("self", ["mode": "self-service", "printer": queue, "pin": "1357"]),
            ("door-3", ["mode": "door", "no_print": "true", "language": "en"]),
        ]
        var ports: [String: Int] = [:]
        var logs: [String: String] = ["server": serverLog]
        var machines: [String: Machine] = [:]
        for station in stations {
            let machine = try install(box, station.name, deb)
            var edits = station.edits
            edits["name"] = station.name
            edits["data"] = machine.root + "/var/lib/accueil"
            edits["server"] = url
            edits["token"] = try token(station.name)
            edits["listen"] = "127.0.0.1:0"
            edits["time_zone"] = "Europe/Paris"
            try machine.configure("/etc/accueil/kiosk.yaml", edits)
            let command = try machine.execStart("accueil-kiosk.service")
            let log = box.root.appendingPathComponent("\(station.name).log").path
            processes.append(
                try spawn(command[0], Array(command.dropFirst()), environment: environment(machine), stderr: .file(log))
            )
            ports[station.name] = try await kioskPort(log: log)
            logs[station.name] = log
            machines[station.name] = machine
        }
        func status(_ name: String) -> [String: Any]? {
            let answer = loopbackHTTP(port: UInt16(ports[name]!), method: "GET", path: "/api/v1/status")
            return answer.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
        }
        func stats(_ name: String) -> [String: Any]? {
            let answer = loopbackHTTP(port: UInt16(ports[name]!), method: "GET", path: "/api/v1/stats")
            return answer.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
        }
        let ready = eventually(90) {
            stations.allSatisfy { station in
                stats(station.name)?["registered"] as? Int == 800
                    && (status(station.name)?["badge_keys"] as? [String: Any])?["signs"] as? Bool == true
            }
        }
        #expect(ready, "\(stations.map { "\($0.name): \(String(describing: status($0.name)))" })")

        // Two micro-workshops back to back in Salon B (the second one starting in 40 s), a plenary.
        let iso = ISO8601DateFormatter()
        let now = Date()
        let schedule = try box.file(
            "schedule.csv",
            """
            id,title,room,start,end,capacity,access
            PLEN,Plénière,Grand amphi,\(iso.string(from: now.addingTimeInterval(-600))),\(iso.string(from: now.addingTimeInterval(3600))),500,open
            MICRO-14,Micro 14,Salon B,\(iso.string(from: now.addingTimeInterval(-1175))),\(iso.string(from: now.addingTimeInterval(40))),4,open
            MICRO-15,Micro 15,Salon B,\(iso.string(from: now.addingTimeInterval(40))),\(iso.string(from: now.addingTimeInterval(1225))),3,open
            """)
        let scheduled = try runProgram(admin, ["sessions", "import", schedule, "--server", url, "--token", office])
        #expect(scheduled.status == 0, "\(scheduled.output)")

        let following = eventually(30) {
            let answer = loopbackHTTP(port: UInt16(ports["salon-b"]!), method: "GET", path: "/api/v1/session")
            let info = answer.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
            return (info?["id"] as? String) == "MICRO-14"
                && stats("plenary").map { _ in true } == true
        }
        #expect(following)

        func post(_ name: String, _ path: String, _ body: [String: Any]) -> [String: Any] {
            let data = try? JSONSerialization.data(withJSONObject: body)
            let answer = loopbackHTTP(port: UInt16(ports[name]!), method: "POST", path: path, body: data)
            return (answer.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }) ?? [
                "http": answer?.status ?? 0
            ]
        }
        // Check-ins at both doors; door-1 prints.
        #expect(
            post("door-1", "/api/v1/checkin", ["id": "ACC-00001", "print": true])["status"] as? String == "checked_in")
        for id in ["ACC-00002", "ACC-00003", "ACC-00004", "ACC-00005"] {
            #expect(post("door-2", "/api/v1/checkin", ["id": id])["status"] as? String == "checked_in")
        }
        // The badge comes out of the PDF printer; its QR, read from the PDF, opens the plenary and self-service.
        // Read once CUPS says it is printed.
        let done = eventually(60) {
            (status("door-1")?["last_print"] as? [String: Any])?["state"] as? String == "printed"
        }
        #expect(done, "\(String(describing: status("door-1")))")
        let printed = Cups.pdfs(in: pdfs, count: 1)
        #expect(printed.count == 1)
        let code = try #require(try printed.first.flatMap { try qrCodes(inPDF: $0.path).first })
        let entered = eventually(30) {
            post("plenary", "/api/v1/session/scan", ["text": code])["outcome"] as? String == "entered"
        }
        #expect(entered)
        let selfService = post("self", "/api/v1/self/checkin", ["text": code])
        #expect(selfService["status"] as? String != "refused", "\(selfService)")

        // Salon B: four in MICRO-14; when MICRO-15 begins they still count against its 3 places.
        var codes: [String] = []
        for id in ["ACC-00010", "ACC-00011", "ACC-00012", "ACC-00013", "ACC-00014"] {
            let made = try runProgram(
                machines["door-1"]!.root + "/usr/bin/accueil",
                ["badge", "qr", id],
                environment: ["ACCUEIL_CONFIG": machines["door-1"]!.root + "/etc/accueil/kiosk.yaml"])
            codes.append(made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for code in codes.prefix(4) {
            #expect(post("salon-b", "/api/v1/session/scan", ["text": code])["outcome"] as? String == "entered")
        }
        let start15 = now.addingTimeInterval(42)
        if Date() < start15 { try await Task.sleep(for: .seconds(start15.timeIntervalSinceNow)) }
        let refused = post("salon-b", "/api/v1/session/scan", ["text": codes[4]])
        #expect(
            refused["reason"] as? String == "room_full" && refused["session"] as? String == "MICRO-15", "\(refused)")
        // Two of MICRO-14 leave (their exits taken at MICRO-15's door): 2 inside, one place.
        for code in codes.prefix(2) {
            let left = post("salon-b", "/api/v1/session/scan", ["text": code])
            #expect(left["outcome"] as? String == "exited", "\(left)")
        }
        #expect(post("salon-b", "/api/v1/session/scan", ["text": codes[4]])["outcome"] as? String == "entered")

        // door-3 as staff use it: its screen in a browser, a search with a typo, check in.
        let browser = try await Browser(language: "en")
        do {
            try await browser.open("http://127.0.0.1:\(ports["door-3"]!)/")
            try await browser.type("#q", "hidlago")
            #expect(try await browser.waitFor("#results", containing: "HIDALGO"))
            try await browser.click("#results li")
            #expect(try await browser.waitFor("#name", containing: "HIDALGO"))
            try await browser.click("#checkin")
            #expect(try await browser.waitFor("#message", containing: "Checked in"))
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()

        // Every station, the server and the dashboard agree: six checked in at the doors (the
        // self-service scan was of someone already in).
        let serverStats = { () -> [String: Any]? in
            let r = try? runProgram(admin, ["stats", "--server", url, "--token", office, "--json"])
            return r.flatMap { try? JSONSerialization.jsonObject(with: Data($0.stdout.utf8)) as? [String: Any] }
        }
        let agreed = eventually(60) {
            let central = serverStats()?["checked_in"] as? Int
            return central == 6 && stations.allSatisfy { stats($0.name)?["checked_in"] as? Int == central }
        }
        #expect(
            agreed,
            "server \(String(describing: serverStats())); \(stations.map { "\($0.name): \(String(describing: stats($0.name)?["checked_in"]))" })"
        )
        let login = loopbackExchange(
            port: UInt16(port), method: "POST", path: "/dashboard/login",
            body: Data("name=protocole&password=protocole-password".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"], pageToken: false)
        #expect(login?.status == 303)
        let cookie = String((login?.headers["set-cookie"] ?? "").split(separator: ";").first ?? "")
        let dashboard = eventually(30) {
            let view = loopbackHTTP(
                port: UInt16(port), method: "GET", path: "/api/v1/dashboard", headers: ["Cookie": cookie])
            let object = view.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
            let total = object?["total"] as? [String: Any]
            let salon = (object?["sessions"] as? [[String: Any]])?.first { $0["id"] as? String == "MICRO-15" }
            return total?["checked_in"] as? Int == 6 && total?["registered"] as? Int == 800
                && salon?["inside"] as? Int == 3
        }
        #expect(dashboard, "the dashboard: 6 of 800 checked in, 3 inside Salon B")

        // No log holds an error nobody expected.
        for (name, path) in logs {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let bad = text.split(separator: "\n").filter {
                ($0.contains(" error ") || $0.contains(" critical ")) && !$0.contains("Waiting on child channel")
            }
            #expect(bad.isEmpty, "\(name): \(bad.joined(separator: "\n"))")
        }
    }
}
