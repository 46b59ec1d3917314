import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The source tree (the tests run from its .build).
let sourceRoot: URL = {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            return directory
        }
        directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}()

@Suite("Running it for real: install, units, configuration, readiness, HTTPS, backups, purge")
struct DeploymentTests {
    @Test("install into a scratch root; every unit passes systemd-analyze verify; the services' sandboxing rates OK")
    func installAndUnits() throws {
        let box = Sandbox()
        let root = box.root.appendingPathComponent("root").path
        // Existing configuration and data are never touched.
        try FileManager.default.createDirectory(atPath: root + "/etc/accueil", withIntermediateDirectories: true)
        try "listen: 0.0.0.0:9000\n".write(toFile: root + "/etc/accueil/server.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/var/lib/accueil", withIntermediateDirectories: true)
        try "data".write(toFile: root + "/var/lib/accueil/kiosk.sqlite", atomically: true, encoding: .utf8)

        let installed = try runProgram(
            sourceRoot.appendingPathComponent("scripts/install").path,
            ["--root", root, "--binary", accueilBinary.path], timeout: .seconds(120))
        #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        let fm = FileManager.default
        for path in [
            "/usr/local/bin/accueil", "/usr/local/share/accueil/badges/templates/a6.json",
            "/etc/systemd/system/accueil-server.service", "/etc/systemd/system/accueil-kiosk.service",
            "/etc/systemd/system/accueil-kiosk-screen.service", "/usr/lib/sysusers.d/accueil.conf",
            "/etc/accueil/kiosk.yaml", "/etc/accueil/server.yaml.example", "/usr/local/share/doc/accueil/README.md",
            "/usr/local/share/doc/accueil/docs/architecture.md", "/usr/local/share/doc/accueil/docs/kiosk-api.md",
            "/etc/accueil/invitations.yaml", "/usr/local/share/doc/accueil/docs/invitations.md",
            "/etc/systemd/system/accueil-server@.service", "/usr/local/share/doc/accueil/nginx-accueil.conf",
            "/usr/local/share/doc/accueil/docs/scale.md",
        ] {
            #expect(fm.fileExists(atPath: root + path), "missing \(path)")
        }
        #expect(
            try String(contentsOfFile: root + "/etc/accueil/server.yaml", encoding: .utf8) == "listen: 0.0.0.0:9000\n")
        // What the installed units run names files the installer wrote (they once named .toml files
        // no one wrote, and every service restarted in a loop).
        for unit in ["accueil-server.service", "accueil-kiosk.service", "accueil-server@.service"] {
            let text = try String(contentsOfFile: root + "/etc/systemd/system/" + unit, encoding: .utf8)
            let exec = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }, "\(unit)")
            let words = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(fm.isExecutableFile(atPath: root + words[0]), "\(unit): \(words[0])")
            let config = try #require(words.firstIndex(of: "--config").map { words[$0 + 1] }, "\(unit): \(exec)")
            #expect(fm.fileExists(atPath: root + config), "\(unit) names \(config), which the installer did not write")
        }
        #expect(try runProgram(root + "/usr/local/bin/accueil", ["--help"]).status == 0)
        // The example configurations are accepted as they are.
        let check = try runProgram(
            root + "/usr/local/bin/accueil",
            ["server", "--config", root + "/etc/accueil/server.yaml.example", "--store", "nowhere:", "--listen", "x"])
        #expect(check.stderr.contains("--listen must be HOST:PORT"), "\(check.stderr)")

        // systemd-analyze verify, on the units as installed (with the scratch root's binary).
        let units = box.root.appendingPathComponent("units")
        try fm.createDirectory(at: units, withIntermediateDirectories: true)
        var paths: [String] = []
        // The template is verified as an instance (accueil-server@8081), as systemd would run it.
        for (unit, instance) in [
            ("accueil-server.service", "accueil-server.service"), ("accueil-kiosk.service", "accueil-kiosk.service"),
            ("accueil-kiosk-screen.service", "accueil-kiosk-screen.service"),
            ("accueil-server@.service", "accueil-server@8081.service"),
        ] {
            let text = try String(contentsOfFile: root + "/etc/systemd/system/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/accueil", with: root + "/usr/local/bin/accueil")
            let path = units.appendingPathComponent(instance).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let verify = try tool("systemd-analyze", ["verify"] + paths)
        #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stdout)\(verify.stderr)")
        for unit in paths.prefix(2) {
            let security = try tool("systemd-analyze", ["security", "--offline=yes", unit])
            let overall = security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
            #expect(overall.contains(" OK") || overall.contains(" SAFE"), "\(unit): \(overall)")
            #expect(overall.contains("OK") || overall.contains("SAFE"))
        }

        // Installing again keeps an edited badge template; the new one goes next to it.
        let template = root + "/usr/local/share/accueil/badges/templates/a6.json"
        let edited = try String(contentsOfFile: template, encoding: .utf8) + "\n"
        try edited.write(toFile: template, atomically: true, encoding: .utf8)
        let again = try runProgram(
            sourceRoot.appendingPathComponent("scripts/install").path,
            ["--root", root, "--binary", accueilBinary.path], timeout: .seconds(120))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: template, encoding: .utf8) == edited)
        #expect(fm.fileExists(atPath: template + ".new"))

        // Uninstall: the program and units go, configuration and data stay; so do no dangling
        // links of units enabled without systemd running.
        try fm.createDirectory(
            atPath: root + "/etc/systemd/system/multi-user.target.wants", withIntermediateDirectories: true)
        try fm.createSymbolicLink(
            atPath: root + "/etc/systemd/system/multi-user.target.wants/accueil-kiosk.service",
            withDestinationPath: "/etc/systemd/system/accueil-kiosk.service")
        let removed = try runProgram(sourceRoot.appendingPathComponent("scripts/uninstall").path, ["--root", root])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!fm.fileExists(atPath: root + "/usr/local/bin/accueil"))
        #expect(!fm.fileExists(atPath: root + "/etc/systemd/system/accueil-server.service"))
        #expect(!fm.fileExists(atPath: root + "/etc/systemd/system/accueil-server@.service"))
        #expect(
            (try? fm.destinationOfSymbolicLink(
                atPath: root + "/etc/systemd/system/multi-user.target.wants/accueil-kiosk.service")) == nil)
        #expect(fm.fileExists(atPath: root + "/etc/accueil/server.yaml"))
        #expect(fm.fileExists(atPath: root + "/var/lib/accueil/kiosk.sqlite"))
    }

    @Test("a bad configuration file is refused with its line and reason; flags and environment win over the file")
    func configuration() async throws {
        let box = Sandbox()
        let cases: [(String, String)] = [
            ("name: door-1\nlisten: 127.0.0.1:0\nprinter_name: badges\n", "line 3: unknown option \"printer_name\""),
            ("# comment\n\nbatch_size: many\n", "line 3: batch_size must be a whole number"),
            ("mode: turnstile\n", "line 1: mode must be one of door, session, self-service"),
            ("name: door-1\n  listen: [\n", "line 2: not valid YAML"),
            ("no_print: perhaps\n", "line 1: no_print must be true or false"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let file = try box.file("kiosk-\(i).yaml", text)
            let result = try accueil(["kiosk", "--config", file, "--data", box.data])
            #expect(result.status == 2, "\(text)")
            #expect(result.stderr.contains("\(file), \(expected)"), "\(result.stderr)")
        }
        let server = try box.file("server.yaml", "listen: 127.0.0.1:0\nstore: sqlite:x.sqlite\ntls_key: /nope\n")
        let refused = try accueil(["server", "--config", server])
        #expect(refused.status == 2 && refused.stderr.contains("TLS needs both"), "\(refused.stderr)")

        // The file's values apply, the environment wins over them, a flag wins over both.
        let config = try box.file(
            "kiosk.yaml", "name: from-file\nlisten: 127.0.0.1:0\nlanguage: en\nno_print: true\nmode: door\n")
        for (environment, flags, expected) in [
            ([String: String](), [String](), "from-file"), (["ACCUEIL_KIOSK": "from-env"], [], "from-env"),
            (["ACCUEIL_KIOSK": "from-env"], ["--name", "from-flag"], "from-flag"),
        ] {
            var env = ProcessInfo.processInfo.environment
            env["ACCUEIL_KIOSK"] = nil
            for (key, value) in environment { env[key] = value }
            let log = box.root.appendingPathComponent("kiosk-\(expected).log").path
            let kiosk = try spawn(
                accueilBinary.path, ["kiosk", "--config", config, "--data", box.data] + flags, environment: env,
                stderr: .file(log))
            defer {
                kiosk.send(SIGKILL)
                kiosk.wait(timeout: .seconds(10))
            }
            let port = try await kioskPort(log: log)
            let page = try #require(loopbackHTTP(port: UInt16(port), method: "GET", path: "/", body: nil))
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.contains("\"kiosk\" : \"\(expected)\"") || html.contains("\"kiosk\":\"\(expected)\""))
            #expect(html.contains("<html lang=\"en\">") && html.contains("\"printing\" : \"no\""), "\(expected)")
        }
    }

    @Test("under systemd: READY=1 once listening, WATCHDOG=1 at half the watchdog interval")
    func readinessAndWatchdog() throws {
        let box = Sandbox()
        let path = box.root.appendingPathComponent("notify.sock").path
        let fd = try datagramSocket(path)
        defer { close(fd) }
        for command in [
            ["server", "--store", "sqlite:" + box.root.appendingPathComponent("c.sqlite").path],
            ["kiosk", "--data", box.data, "--no-print"],
        ] {
            var env = ProcessInfo.processInfo.environment
            env["NOTIFY_SOCKET"] = path
            env["WATCHDOG_USEC"] = "400000"
            let child = try spawn(
                accueilBinary.path, command + ["--listen", "127.0.0.1:0"], environment: env,
                stderr: .file(box.root.appendingPathComponent("\(command[0]).log").path))
            defer {
                child.send(SIGKILL)
                child.wait(timeout: .seconds(10))
            }
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline
                && (!messages.contains { $0.hasPrefix("READY=1") } || messages.filter { $0 == "WATCHDOG=1" }.count < 3)
            {
                var buffer = [UInt8](repeating: 0, count: 512)
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { messages.append(String(decoding: buffer[..<n], as: UTF8.self)) }
            }
            #expect(messages.contains { $0.hasPrefix("READY=1\nSTATUS=") }, "\(command[0]): \(messages)")
            #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3, "\(command[0]): \(messages)")
        }
    }

    @Test("logs go to the journal with kiosk, attendee id and event id as fields, and no names at info level")
    func journal() async throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        let path = box.root.appendingPathComponent("journal.sock").path
        let fd = try datagramSocket(path)
        defer { close(fd) }
        var env = ProcessInfo.processInfo.environment
        env["JOURNAL_STREAM"] = "8:4242"
        env["ACCUEIL_JOURNAL_SOCKET"] = path
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            ["kiosk", "--data", box.data, "--name", "door-1", "--listen", "127.0.0.1:0", "--no-print"],
            environment: env, stderr: .file(log))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        // The kiosk still says where it listens on standard error (scripts and tests read it).
        let port = try await kioskPort(log: log)
        let answer = try #require(
            loopbackHTTP(
                port: UInt16(port), method: "POST", path: "/api/v1/checkin", body: Data(#"{"id":"ACC-00001"}"#.utf8)))
        #expect(answer.status == 200)
        let record = try #require(
            (try box.json(["search", "ACC-00001"]) as? [String: Any])?["results"] as? [[String: Any]]
        )
        .first
        let lastName = try #require(record?["last_name"] as? String)

        var entries: [[String: String]] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !entries.contains(where: { $0["MESSAGE"] == "checked in" }) {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            var fields: [String: String] = [:]
            for line in String(decoding: buffer[..<n], as: UTF8.self).split(separator: "\n") {
                if let equals = line.firstIndex(of: "=") {
                    fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
                }
            }
            entries.append(fields)
        }
        let checkIn = try #require(entries.first { $0["MESSAGE"] == "checked in" }, "\(entries)")
        #expect(checkIn["PRIORITY"] == "6" && checkIn["SYSLOG_IDENTIFIER"] == "accueil")
        #expect(checkIn["ACCUEIL_KIOSK"] == "door-1" && checkIn["ACCUEIL_ATTENDEE_ID"] == "ACC-00001")
        let eventID = try #require(UUID(uuidString: checkIn["ACCUEIL_EVENT_ID"] ?? ""))
        let export = box.root.appendingPathComponent("events.jsonl").path
        #expect(try box.run(["sync", "export", "--out", export]).status == 0)
        #expect(try String(contentsOfFile: export, encoding: .utf8).contains(eventID.uuidString))
        // The server's start is there too; nothing at info level or above names the attendee.
        #expect(entries.contains { ($0["MESSAGE"] ?? "").contains("Server started") })
        for entry in entries where Int(entry["PRIORITY"] ?? "7") ?? 7 <= 6 {
            #expect(!entry.values.contains { $0.contains(lastName) }, "\(entry)")
        }
    }

    @Test("HTTPS: a kiosk pinning the event's CA syncs; without it, or with another CA, it refuses and says why")
    func https() async throws {
        let box = Sandbox()
        let dir = box.root.path
        try makeLoopbackCertificates(in: dir, authority: "Accueil event CA")
        // Another authority, which did not sign the server's certificate.
        let other = try tool(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                "\(dir)/other.key", "-out", "\(dir)/other.pem", "-days", "2", "-subj", "/CN=Someone else",
            ])
        #expect(other.status == 0, "\(other.stderr)")

        let server = try ServerProcess(
            store: box.root.appendingPathComponent("central.sqlite").path,
            extra: ["--tls-cert", "\(dir)/server.pem", "--tls-key", "\(dir)/server.key"])
        #expect(server.url.hasPrefix("https://"))
        let token = try #require(
            try accueil(["token", "create", "--kiosk", "door-1", "--role", "organiser", "--store", server.store]).stdout
                .split(separator: "\n")
                .last.map(String.init))
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        let untrusted = try box.run(["sync", "run", "--once", "--server", server.url, "--token", token])
        #expect(untrusted.status == 10 && untrusted.stderr.contains("does not trust"), "\(untrusted.stderr)")
        let wrong = try accueil(
            ["sync", "run", "--once", "--server", server.url, "--token", token, "--data", box.data],
            environment: ["ACCUEIL_CA_FILE": "\(dir)/other.pem", "ACCUEIL_KIOSK": "door-1"])
        #expect(wrong.status == 10 && wrong.stderr.contains("did not sign"), "\(wrong.stderr)")
        let pinned = try accueil(
            ["sync", "run", "--once", "--server", server.url, "--token", token, "--data", box.data],
            environment: ["ACCUEIL_CA_FILE": "\(dir)/ca.pem", "ACCUEIL_KIOSK": "door-1"])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        let stats = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    try accueil(
                        ["stats", "--server", server.url, "--token", token, "--json"],
                        environment: ["ACCUEIL_CA_FILE": "\(dir)/ca.pem"]
                    ).stdout.utf8)) as? [String: Any])
        #expect(stats["registered"] as? Int == 800)
        // Every command that talks to the server takes --ca-file (they once refused it).
        let schedule = try box.file(
            "schedule.csv",
            "id,title,room,start,end,capacity\nAT-1,Atelier,Salle 2,2026-06-01T09:00:00+02:00,2026-06-01T10:00:00+02:00,30\n"
        )
        for arguments in [
            ["roster", "import", demoRoster], ["sessions", "import", schedule], ["stats"],
            ["sync", "run", "--once", "--data", box.data],
        ] {
            let ran = try accueil(
                arguments + ["--server", server.url, "--token", token, "--ca-file", "\(dir)/ca.pem"],
                environment: ["ACCUEIL_KIOSK": "door-1"])
            #expect(ran.status == 0, "\(arguments): \(ran.output)")
        }
    }

    @Test("times are shown in the event's time zone, whatever the machine's")
    func eventTimeZone() throws {
        let box = Sandbox()
        let config = try box.file("kiosk.yaml", "name: door-1\ndata: \(box.data)\ntime_zone: Europe/Paris\n")
        let schedule = try box.file(
            "schedule.csv",
            "id,title,room,start,end,capacity\nMICRO-1,Micro,Salon B,2026-06-12 04:00,2026-06-12 04:20,3\n")
        // A station whose clock is set to UTC, another to New York: both say 04:00, Paris time.
        for machine in ["UTC", "America/New_York"] {
            let env = ["ACCUEIL_CONFIG": config, "TZ": machine, "ACCUEIL_KIOSK": ""]
            #expect(try accueil(["sessions", "import", schedule], environment: env).status == 0)
            let listed = try accueil(["sessions", "list"], environment: env)
            #expect(listed.stdout.contains("04:00–04:20"), "\(machine): \(listed.output)")
            let json = try accueil(["sessions", "list", "--json"], environment: env)
            // 02:00 UTC: 2026-06-12T02:00:00Z.
            #expect(json.stdout.contains("1781229600000"), "\(machine): \(json.output)")
        }
        let bad = try box.file("bad.yaml", "time_zone: Europe/Pariss\n")
        let refused = try accueil(["kiosk", "--config", bad, "--data", box.data])
        #expect(refused.status == 2 && refused.stderr.contains("not a time zone"), "\(refused.output)")
    }

    @Test(
        "scripts/run shows the product: a server with the dashboard, a door station that prints to cups-pdf; Ctrl-C stops it all"
    )
    func quickStart() async throws {
        let box = Sandbox()
        let run = box.root.appendingPathComponent("run").path
        let (serverPort, doorPort) = (20_000 + Int.random(in: 0..<5000), 25_000 + Int.random(in: 0..<5000))
        let out = box.root.appendingPathComponent("run.out").path
        // The run command prints through the machine's CUPS (it starts cupsd and makes its cups-pdf
        // queue there, as on an organiser's laptop), not the tests' own cupsd.
        var machine = ProcessInfo.processInfo.environment
        machine["CUPS_SERVER"] = nil
        machine["ACCUEIL_TEST_CUPS"] = nil
        let script = try spawn(
            "/bin/bash", [sourceRoot.appendingPathComponent("scripts/run").path],
            environment: machine.merging(
                [
                    "ACCUEIL_BIN": accueilBinary.path, "ACCUEIL_RUN_DIR": run,
                    "ACCUEIL_SERVER_PORT": String(serverPort), "ACCUEIL_DOOR_PORT": String(doorPort),
                ], uniquingKeysWith: { $1 }), stdout: .file(out), stderr: .file(out + ".err"))
        defer {
            script.sendToGroup(SIGKILL)
            script.wait(timeout: .seconds(10))
        }
        var said = ""
        for _ in 0..<600 where !said.contains("Ctrl-C stops everything") {
            said = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(100))
        }
        let errors = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
        #expect(said.contains("http://127.0.0.1:\(doorPort)/"), "\(said)\n\(errors)")
        // The dashboard opens with the credentials it printed.
        let credentials = try #require(said.split(separator: "\n").first { $0.contains("organiser:") })
        let words = credentials.split(separator: " ").map(String.init)
        let user = try #require(words.firstIndex(of: "organiser:").map { words[$0 + 1] })
        let password = try #require(words.firstIndex(of: "password:").map { words[$0 + 1] })
        let login = loopbackHTTP(
            port: UInt16(serverPort), method: "POST", path: "/dashboard/login",
            body: Data("name=\(user)&password=\(password)".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"], pageToken: false)
        #expect(login?.status == 303, "\(String(decoding: login?.body ?? Data(), as: UTF8.self))")
        // The door screen is there, with the roster from the server; a check-in prints a badge as a PDF.
        #expect(loopbackHTTP(port: UInt16(doorPort), method: "GET", path: "/")?.status == 200)
        var checkedIn: (status: Int, body: Data)?
        for _ in 0..<300 {
            checkedIn = loopbackHTTP(
                port: UInt16(doorPort), method: "POST", path: "/api/v1/checkin",
                body: Data(#"{"id":"ACC-00001","print":true}"#.utf8))
            if checkedIn?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(checkedIn?.status == 200, "\(String(decoding: checkedIn?.body ?? Data(), as: UTF8.self))")
        let badges = URL(fileURLWithPath: run).appendingPathComponent("badges")
        #expect(Cups.pdfs(in: badges, count: 1).count == 1, "\(errors)")
        // Ctrl-C: everything it started stops.
        script.send(SIGINT)
        let ended = script.wait(timeout: .seconds(30))
        #expect(!ended.timedOut)
        try await Task.sleep(for: .milliseconds(500))
        #expect(connectToLoopback(port: UInt16(serverPort)) == nil && connectToLoopback(port: UInt16(doorPort)) == nil)
    }

    @Test(
        "the Debian package: no Swift toolchain needed, Depends from Debian, configuration and templates as conffiles")
    func debianPackage() throws {
        let box = Sandbox()
        let out = box.root.appendingPathComponent("dist").path
        let built = try runProgram(
            sourceRoot.appendingPathComponent("scripts/package").path,
            ["--binary", accueilBinary.path, "--out", out], timeout: .seconds(300))
        #expect(built.status == 0, "\(built.stdout)\(built.stderr)")
        let deb = built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb), "\(built.stdout)")
        let info = try runProgram("/usr/bin/dpkg-deb", ["--info", deb])
        let depends = info.stdout.split(separator: "\n").first { $0.contains("Depends:") } ?? ""
        for package in ["libcups2", "libqrencode4", "fonts-noto-core", "fonts-noto-cjk"] {
            #expect(depends.contains(package), "\(depends)")
        }
        #expect(!depends.contains("swift"), "\(depends)")
        // Every dependency is a Debian package (installed here).
        for package in depends.dropFirst(" Depends:".count).split(separator: ",") {
            let name = package.trimmingCharacters(in: .whitespaces)
            #expect(try runProgram("/usr/bin/dpkg", ["-s", name]).status == 0, "\(name)")
        }
        let extracted = box.root.appendingPathComponent("x").path
        #expect(try runProgram("/usr/bin/dpkg-deb", ["-R", deb, extracted]).status == 0)
        let listed = try String(contentsOfFile: extracted + "/DEBIAN/conffiles", encoding: .utf8)
        for path in [
            "/etc/accueil/kiosk.yaml", "/etc/accueil/server.yaml", "/etc/accueil/invitations.yaml",
            "/etc/accueil/badges/templates/a6.json",
        ] {
            #expect(listed.contains(path), "\(listed)")
        }
        // The packaged program runs without a toolchain: no Swift library comes from outside.
        let ldd = try runProgram("/usr/bin/ldd", [extracted + "/usr/bin/accueil"])
        #expect(!ldd.stdout.contains("libswift") && !ldd.stdout.contains("not found"), "\(ldd.stdout)")
        let version = try runProgram(extracted + "/usr/bin/accueil", ["--version"])
        #expect(version.status == 0 && version.stdout.contains("0."), "\(version.output)")
        // The units run the packaged program with the packaged configuration.
        let unit = try String(contentsOfFile: extracted + "/lib/systemd/system/accueil-kiosk.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/accueil kiosk --config /etc/accueil/kiosk.yaml"), "\(unit)")
    }

    @Test("a central store spec that cannot be meant is refused with the reason, and nothing is created")
    func badStoreSpecs() throws {
        let box = Sandbox()
        let missing = box.root.appendingPathComponent("no-such-folder").path
        var cases: [(String, String)] = [
            ("mysql://x", "unknown kind of store \"mysql\""),
            ("sqlite:\(missing)/central.sqlite", "no folder \(missing)"),
            ("postgres://accueil:accueil@127.0.0.1:1/accueil", "Connection refused"),
        ]
        if let admin = ProcessInfo.processInfo.environment["ACCUEIL_TEST_POSTGRES"],
            var url = URLComponents(string: admin)
        {
            url.password = "not-the-password"
            cases.append((url.string ?? admin, "password authentication failed"))
        }
        for (spec, reason) in cases {
            let started = Date()
            let result = try accueil(["server", "--store", spec, "--listen", "127.0.0.1:0"])
            #expect(result.status == 2 && result.stderr.contains(reason), "\(spec): \(result.output)")
            #expect(Date().timeIntervalSince(started) < 30, "\(spec): answered at once, not after retrying")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/mysql:"))
    }

    @Test(
        "on an installed station the commands find its store and name; status on a missing store says where it looked")
    func installedStation() throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster], kiosk: "door-9").status == 0)
        let config = try box.file("kiosk.yaml", "name: door-9\ndata: \(box.data)\n")
        // As on a station: no --data, no ACCUEIL_DATA; the configuration the service uses.
        let status = try accueil(["status", "--json"], environment: ["ACCUEIL_CONFIG": config, "ACCUEIL_KIOSK": ""])
        #expect(status.status == 0, "\(status.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(report["kiosk"] as? String == "door-9", "\(report)")
        let stats = try accueil(["stats", "--json"], environment: ["ACCUEIL_CONFIG": config, "ACCUEIL_KIOSK": ""])
        #expect(
            stats.stdout.contains("\"registered\" : 800") || stats.stdout.contains("\"registered\":800"),
            "\(stats.output)")
        // A store that is not there is not made: exit 2 with the path.
        let nowhere = box.root.appendingPathComponent("nowhere").path
        let elsewhere = try box.file("other.yaml", "name: door-9\ndata: \(nowhere)\n")
        for arguments in [["status"], ["stats"], ["backup", "--out", box.root.appendingPathComponent("b").path]] {
            let result = try accueil(arguments, environment: ["ACCUEIL_CONFIG": elsewhere, "ACCUEIL_KIOSK": ""])
            #expect(result.status == 2 && result.stderr.contains(nowhere), "\(arguments): \(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: nowhere))
    }

    @Test(
        "a backup taken during live check-ins holds every check-in committed before it, restored (kiosk and central)",
        arguments: ["sqlite", "postgres"])
    func backupDuringCheckIns(kind: String) async throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        #expect(try box.run(["keys", "create"]).status == 0)
        let central = try centralStore(kind, in: box)
        let server = try ServerProcess(store: central)
        let token = try #require(
            try accueil(["token", "create", "--kiosk", "door-1", "--role", "organiser", "--store", server.store]).stdout
                .split(separator: "\n")
                .last.map(String.init))
        let daemon = try spawn(
            accueilBinary.path,
            [
                "kiosk", "--data", box.data, "--name", "door-1", "--server", server.url, "--token", token, "--listen",
                "127.0.0.1:0", "--no-print",
            ], stderr: .file(box.root.appendingPathComponent("kiosk.log").path))
        defer {
            daemon.send(SIGKILL)
            daemon.wait(timeout: .seconds(10))
        }
        // Check-ins one by one, each its own process, while the backups are taken.
        let script = """
            for i in $(seq 1 400); do "\(accueilBinary.path)" checkin $(printf 'ACC-%05d' $i) --data "\(box.data)" \
            --kiosk door-1 >/dev/null 2>&1; done
            """
        let loop = try spawn("/bin/sh", ["-c", script])
        defer {
            loop.sendToGroup(SIGKILL)
            loop.wait(timeout: .seconds(10))
        }
        #expect(eventually(60) { ((try? box.json(["stats"])) as? [String: Any])?["checked_in"] as? Int ?? 0 >= 40 })

        // Kiosk store: what is committed now must be in the backup taken next.
        let before = box.root.appendingPathComponent("before.jsonl").path
        #expect(try box.run(["sync", "export", "--out", before]).status == 0)
        let kioskBackup = box.root.appendingPathComponent("kiosk-backup").path
        let backedUp = try box.run(["backup", "--out", kioskBackup])
        #expect(backedUp.status == 0, "\(backedUp.stderr)")
        // Central store: the same, with the server taking pushes.
        #expect(try eventually(60) { (try centralCount(server, token)) >= 20 })
        let committed = try centralCount(server, token)
        let centralBackup = box.root.appendingPathComponent("central-backup").path
        let centralBackedUp = try accueil(["backup", "--store", central, "--out", centralBackup])
        #expect(centralBackedUp.status == 0, "\(centralBackedUp.stderr)")
        #expect(loop.poll() == nil, "the check-ins ended before the backups: nothing was live")

        // The kiosk backup, restored elsewhere, has every event committed before it.
        let restored = Sandbox()
        let restoredRun = try accueil(["restore", kioskBackup, "--data", restored.data])
        #expect(restoredRun.status == 0, "\(restoredRun.stderr)")
        let after = restored.root.appendingPathComponent("after.jsonl").path
        #expect(try restored.run(["sync", "export", "--out", after]).status == 0)
        let ids = { (path: String) throws -> Set<String> in
            Set(
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
                })
        }
        let wanted = try ids(before)
        let have = try ids(after)
        #expect(wanted.count > 800 && wanted.isSubset(of: have))
        #expect(FileManager.default.fileExists(atPath: restored.data + "/keys.json"))
        #expect(try restored.run(["badge", "qr", "ACC-00001"]).status == 0)

        // The central backup, restored into a new store, serves at least what was committed before it.
        let target = try centralStore(kind, in: Sandbox())
        let centralRestored = try accueil(["restore", centralBackup, "--store", target])
        #expect(centralRestored.status == 0, "\(centralRestored.stderr)")
        let again = try ServerProcess(store: target)
        #expect(try centralCount(again, token) >= committed)
    }

    /// Check-ins the server knows of.
    /// -1 (and the reason recorded) when the server does not answer.
    func centralCount(_ server: ServerProcess, _ token: String) throws -> Int {
        let result = try accueil(["stats", "--server", server.url, "--token", token, "--json"])
        guard let stats = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any],
            let count = stats["checked_in"] as? Int
        else {
            Issue.record("stats --server failed (\(result.status)): \(result.stderr)")
            return -1
        }
        return count
    }

    @Test(
        "purge: names, e-mails and reasons are gone from the files; every count stays",
        arguments: ["sqlite", "postgres"])
    func purge(kind: String) async throws {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        #expect(try box.run(["checkin", "ACC-00001", "ACC-00002", "ACC-00003"]).status == 0)
        #expect(try box.run(["undo", "ACC-00002", "--reason", "wrong person, it was Mme Zanzibar"]).status == 0)
        let record = try #require(
            (try box.json(["search", "ACC-00001"]) as? [String: Any])?["results"] as? [[String: Any]]
        )
        .first
        let lastName = try #require(record?["last_name"] as? String)
        let email = try #require(record?["email"] as? String)
        let central = try centralStore(kind, in: box)
        let server = try ServerProcess(store: central)
        let token = try #require(
            try accueil(["token", "create", "--kiosk", "door-1", "--role", "organiser", "--store", server.store]).stdout
                .split(separator: "\n")
                .last.map(String.init))
        #expect(try box.run(["sync", "run", "--once", "--server", server.url, "--token", token]).status == 0)
        let statsBefore = try box.json(["stats"]) as? [String: Any]
        server.kill9()

        #expect(try box.run(["purge"]).status == 2)  // needs --yes
        #expect(try box.run(["purge", "--yes"]).status == 0)
        #expect(try box.run(["purge", "--store", central, "--yes"]).status == 0)
        let statsAfter = try box.json(["stats"]) as? [String: Any]
        for key in ["registered", "checked_in", "by_role", "by_country", "walk_ins"] {
            #expect(statsBefore?[key] as? NSObject == statsAfter?[key] as? NSObject, "\(key)")
        }
        #expect(try box.run(["search", lastName]).stdout.contains("No attendee"))
        // Nothing of it in the kiosk's files…
        for file in ["kiosk.sqlite", "kiosk.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: box.data + "/" + file))) ?? Data()
            for secret in [lastName, email, "Zanzibar"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(file)")
            }
        }
        // …and the server, restarted on the purged store, counts the same.
        let again = try ServerProcess(store: central)
        #expect(try centralCount(again, token) == 2)
        let pulled = Sandbox()
        #expect(try pulled.run(["sync", "run", "--once", "--server", again.url, "--token", token]).status == 0)
        #expect(try pulled.run(["search", lastName]).stdout.contains("No attendee"))
        if kind == "sqlite" {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: String(central.dropFirst("sqlite:".count))))
            #expect(bytes.range(of: Data(lastName.utf8)) == nil && bytes.range(of: Data("Zanzibar".utf8)) == nil)
        }
    }
}

/// A datagram socket bound at `path`, reading with a one-second timeout.
func datagramSocket(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    #expect(bound == 0, "bind \(path)")
    var timeout = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}
