import Foundation
import TestSupport
import Testing

/// What a web page in the kiosk's browser, a client next to it, or a request with a credential
/// can do (issue 14), against real processes.
@Suite("Trust boundaries: the kiosk's local API, the PIN, the server's limits and logs (real processes)")
struct TrustTests {
    /// A door kiosk on the demo roster, without a server; its log and port.
    func doorKiosk(_ box: Sandbox, extra: [String] = []) async throws -> (Spawned, String, Int) {
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            ["kiosk", "--data", box.data, "--name", "door-1", "--listen", "127.0.0.1:0", "--no-print"] + extra,
            stderr: .file(log))
        return (kiosk, log, try await kioskPort(log: log))
    }

    func stats(_ box: Sandbox) throws -> [String: Any] {
        try #require(try box.json(["stats"]) as? [String: Any])
    }

    @Test("the kiosk's API: a foreign Host is refused; changes need JSON, the kiosk's origin and its page token")
    func kioskRequestGuard() async throws {
        let box = Sandbox()
        let (kiosk, _, port) = try await doorKiosk(box)
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let p = UInt16(port)
        // Reads: the kiosk's own names pass, a rebound name does not (it would read the roster).
        #expect(loopbackHTTP(port: p, method: "GET", path: "/api/v1/search?q=hidalgo")?.status == 200)
        #expect(
            loopbackHTTP(
                port: p, method: "GET", path: "/api/v1/search?q=hidalgo", headers: ["Host": "localhost:\(port)"])?
                .status == 200)
        let rebound = loopbackHTTP(
            port: p, method: "GET", path: "/api/v1/search?q=hidalgo", headers: ["Host": "attacker.example:\(port)"])
        #expect(rebound?.status == 403)
        let reboundText = String(decoding: rebound?.body ?? Data(), as: UTF8.self)
        #expect(!reboundText.contains("HIDALGO"))

        let token = try #require(kioskPageToken(port: p))
        let checkIn = Data(#"{"id":"ACC-00001"}"#.utf8)
        let refused: [(String, [String: String], Bool)] = [
            ("no page token", [:], false),
            ("a wrong page token", ["X-Accueil-Page": String(repeating: "0", count: token.count)], false),
            ("text/plain", ["X-Accueil-Page": token, "Content-Type": "text/plain"], false),
            ("a form", ["X-Accueil-Page": token, "Content-Type": "application/x-www-form-urlencoded"], false),
            ("another origin", ["X-Accueil-Page": token, "Origin": "http://attacker.example"], false),
            ("another port", ["X-Accueil-Page": token, "Origin": "http://127.0.0.1:1"], false),
            ("a foreign host", ["X-Accueil-Page": token, "Host": "attacker.example"], false),
        ]
        for (what, headers, _) in refused {
            let answer = loopbackHTTP(
                port: p, method: "POST", path: "/api/v1/checkin", body: checkIn, headers: headers, pageToken: false)
            #expect(answer?.status == 403, "\(what): \(String(decoding: answer?.body ?? Data(), as: UTF8.self))")
        }
        #expect(try stats(box)["checked_in"] as? Int == 0)
        // The kiosk's own page's way: JSON, same origin, the token.
        let accepted = loopbackHTTP(
            port: p, method: "POST", path: "/api/v1/checkin", body: checkIn,
            headers: ["X-Accueil-Page": token, "Origin": "http://127.0.0.1:\(port)"], pageToken: false)
        #expect(accepted?.status == 200)
        #expect(try stats(box)["checked_in"] as? Int == 1)
        // The token outlives a restart of the daemon (an open screen keeps working).
        kiosk.send(SIGKILL)
        kiosk.wait(timeout: .seconds(10))
        let again = try spawn(
            accueilBinary.path,
            ["kiosk", "--data", box.data, "--name", "door-1", "--listen", "127.0.0.1:0", "--no-print"],
            stderr: .file(box.root.appendingPathComponent("kiosk2.log").path))
        defer {
            again.send(SIGKILL)
            again.wait(timeout: .seconds(10))
        }
        let port2 = try await kioskPort(log: box.root.appendingPathComponent("kiosk2.log").path)
        #expect(kioskPageToken(port: UInt16(port2)) == token)
    }

    @Test("a page on another origin, in the kiosk's browser, can neither undo a check-in nor register a walk-in")
    func crossSiteInBrowser() async throws {
        let box = Sandbox()
        let (kiosk, log, port) = try await doorKiosk(box)
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        #expect(try box.run(["checkin", "ACC-00001"]).status == 0)
        // The attacker's site: another origin (localhost, another port), served by python.
        let site = box.root.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        let kioskURL = "http://127.0.0.1:\(port)"
        try Data(
            """
            <!doctype html><html><body>
            <iframe name="sink"></iframe>
            <form id="f" method="POST" enctype="text/plain" action="\(kioskURL)/api/v1/walkin" target="sink">
            <input name='{"first_name":"Eve","last_name":"Mallory","x":"' value='"}'></form>
            <script>
            fetch("\(kioskURL)/api/v1/undo", { method: "POST", mode: "no-cors",
              headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ id: "ACC-00001", reason: "csrf" }) })
              .then(() => { document.title += " fetched"; }, () => { document.title += " fetch-failed"; });
            fetch("\(kioskURL)/api/v1/search?q=hidalgo").then(r => r.text())
              .then(t => { document.title += " read:" + t.length; }, () => { document.title += " read-blocked"; });
            document.getElementById("f").submit();
            </script></body></html>
            """.utf8
        ).write(to: site.appendingPathComponent("attack.html"))
        let webLog = box.root.appendingPathComponent("site.log").path
        let web = try spawn(
            "/usr/bin/python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", site.path],
            stdout: .file(webLog), stderr: .file(box.root.appendingPathComponent("site.err").path))
        defer {
            web.send(SIGKILL)
            web.wait(timeout: .seconds(10))
        }
        var webPort = 0
        for _ in 0..<100 where webPort == 0 {
            let text = (try? String(contentsOfFile: webLog, encoding: .utf8)) ?? ""
            if let range = text.range(of: "port ") {
                webPort = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(webPort > 0)

        let browser = try await Browser()
        do {
            try await browser.open("http://localhost:\(webPort)/attack.html")
            // Both requests reached the kiosk and were refused there (not blocked before it).
            var reached = false
            for _ in 0..<100 where !reached {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                reached =
                    text.contains("kiosk API request refused") && text.contains("/api/v1/undo")
                    && text.contains("/api/v1/walkin")
                try await Task.sleep(for: .milliseconds(100))
            }
            let title = try await browser.script("return document.title") as? String ?? ""
            #expect(reached, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") title: \(title)")
            #expect(!title.contains("read:"), "the other origin read the kiosk's answer: \(title)")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
        let after = try stats(box)
        #expect(after["checked_in"] as? Int == 1, "\(after)")
        #expect(after["walk_ins"] as? Int ?? 0 == 0, "\(after)")
        #expect(after["registered"] as? Int == 800, "\(after)")
    }

    @Test("wrong PINs lock out the client that typed them, saying for how long; staff elsewhere still unlock")
    func pinLockoutPerClient() async throws {
        let box = Sandbox()
        let (kiosk, _, port) = try await doorKiosk(
            box, extra: ["--mode", "self-service", "--pin", "2468", "--language", "en"])
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let p = UInt16(port)
        func unlock(_ pin: String, from source: String) -> (Int, String) {
            let answer = loopbackHTTP(
                port: p, method: "POST", path: "/api/v1/unlock", body: Data("{\"pin\":\"\(pin)\"}".utf8), from: source)
            return (answer?.status ?? 0, String(decoding: answer?.body ?? Data(), as: UTF8.self))
        }
        for _ in 0..<5 {
            let (status, text) = unlock("0000", from: "127.0.0.2")
            #expect(status == 403 && text.contains("Wrong PIN"), "\(status) \(text)")
        }
        // The guesser is told to wait, even with the right PIN…
        let (status, text) = unlock("2468", from: "127.0.0.2")
        #expect(status == 403 && text.contains("try again in") && !text.contains("Wrong PIN"), "\(status) \(text)")
        // …while staff at the screen get in.
        #expect(unlock("2468", from: "127.0.0.1").0 == 204)
    }

    @Test(
        "a roster upload over the limit is refused without holding it in memory; a login name cannot forge a log line")
    func serverLimitsAndLogs() async throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        let made = try accueil(["token", "create", "--kiosk", "office", "--role", "organiser", "--store", server.store])
        let token = try #require(made.stdout.split(separator: "\n").last.map(String.init))
        let pid = try #require(server.current?.pid)
        let port = UInt16(server.port)

        // Announced too large: 413 before the body is read.
        let announced = try rawRequest(
            port: port,
            head:
                "POST /api/v1/roster HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(100 << 20)\r\n\r\n",
            chunks: 0)
        #expect(announced.hasPrefix("HTTP/1.1 413"), "\(announced.prefix(200))")
        // Not announced (chunked): 100 MB sent, refused past the limit; the server stays small.
        let streamed = try rawRequest(
            port: port,
            head:
                "POST /api/v1/roster HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            chunks: 100)
        #expect(streamed.hasPrefix("HTTP/1.1 413"), "\(streamed.prefix(200))")
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let peakKB =
            status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        print("server peak memory after a 100 MB roster upload: \(peakKB / 1024) MB")
        #expect(peakKB > 0 && peakKB < 400 << 10, "peak \(peakKB / 1024) MB")

        // A login name with a newline and a terminal escape: one log line, escaped.
        let form = "name=eve%0AFAKE+accueil+server+listening%1B%5B2J&password=wrong-password-1"
        let login = loopbackHTTP(
            port: port, method: "POST", path: "/dashboard/login", body: Data(form.utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"], pageToken: false)
        #expect(login?.status == 401)
        try await Task.sleep(for: .milliseconds(300))
        let log = (try? String(contentsOf: server.log, encoding: .utf8)) ?? ""
        #expect(log.contains(#"eve\u{A}FAKE accueil server listening\u{1B}[2J"#), "\(log)")
        #expect(!log.split(separator: "\n").contains { $0.hasPrefix("FAKE") }, "\(log)")
        #expect(!log.contains("\u{1B}"), "\(log)")
    }

    @Test("roster and schedule reach the server with an organiser's token only; a door's token is refused and told why")
    func organiserChanges() throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        func token(_ kiosk: String, _ role: String) throws -> String {
            let made = try accueil(["token", "create", "--kiosk", kiosk, "--role", role, "--store", server.store])
            return try #require(made.stdout.split(separator: "\n").last.map(String.init), "\(made.output)")
        }
        let (door, office) = (try token("door-1", "door"), try token("office", "organiser"))
        let schedule = try root.file(
            "schedule.csv",
            "id,title,room,start,end,capacity\nAT-1,Atelier,Salle 2,2026-06-01T09:00:00+02:00,2026-06-01T10:00:00+02:00,30\n"
        )
        let byDoor = try root.run(["roster", "import", demoRoster, "--server", server.url, "--token", door])
        #expect(byDoor.status == 10 && byDoor.output.contains("organiser's token"), "\(byDoor.output)")
        let sessionsByDoor = try root.run(["sessions", "import", schedule, "--server", server.url, "--token", door])
        #expect(
            sessionsByDoor.status == 10 && sessionsByDoor.output.contains("organiser's token"),
            "\(sessionsByDoor.output)")
        #expect(try root.run(["roster", "import", demoRoster, "--server", server.url, "--token", office]).status == 0)
        let sent = try root.run(["sessions", "import", schedule, "--server", server.url, "--token", office])
        #expect(sent.status == 0 && sent.output.contains("1 session(s) sent"), "\(sent.output)")
        let stats = try #require(try root.json(["stats", "--server", server.url, "--token", door]) as? [String: Any])
        #expect(stats["registered"] as? Int == 800)
    }

    /// Sends `head`, then `chunks` chunks of 1 MB (chunked encoding), and returns what the server
    /// answered (it may answer and close before everything is sent).
    func rawRequest(port: UInt16, head: String, chunks: Int) throws -> String {
        let fd = try #require(connectToLoopback(port: port))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func send(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
        _ = send(Array(head.utf8))
        let chunk =
            Array("100000\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 1 << 20) + Array("\r\n".utf8)
        for _ in 0..<chunks where send(chunk) {}
        if chunks > 0 { _ = send(Array("0\r\n\r\n".utf8)) }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 4096 {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            answer += buffer[0..<n]
            if String(decoding: answer, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
