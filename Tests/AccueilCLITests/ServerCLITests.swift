import Foundation
import TestSupport
import Testing

/// `accueil server` as a real process. It listens on a port the system picks (and says which in
/// its log); restarted, it takes the same port again, as a real server would.
final class ServerProcess {
    private(set) var port = 0
    /// `sqlite:PATH` or `postgres://…`.
    let store: String
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-server-\(UUID().uuidString).log")
    var url: String { "\(scheme)://127.0.0.1:\(port)" }
    var current: Spawned?
    /// More arguments for `accueil server` (--tls-cert…), and the scheme they make it speak.
    let extra: [String]
    var scheme = "http"

    init(store: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        self.store = store.hasPrefix("postgres") || store.hasPrefix("sqlite:") ? store : "sqlite:\(store)"
        self.extra = extra
        self.environment = environment
        if extra.contains("--tls-cert") { scheme = "https" }
        try start()
    }
    let environment: [String: String]

    func start() throws {
        try? FileManager.default.removeItem(at: log)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        current = try spawn(
            accueilBinary.path, ["server", "--store", store, "--listen", "127.0.0.1:\(port)"] + extra, environment: env,
            stderr: .file(log.path))
        // Ready when it says where it listens.
        for _ in 0..<300 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: {
                $0.hasPrefix("accueil server listening on 127.0.0.1:")
            }),
                let found = Int(line.dropFirst("accueil server listening on 127.0.0.1:".count).prefix { $0.isNumber })
            {
                port = found
                return
            }
            if current?.isRunning == false { break }
            usleep(100_000)
        }
        Issue.record("the server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// Stops it as systemd does (SIGTERM), and waits; returns its exit status.
    @discardableResult
    func stop() -> Int32? {
        guard let current else { return nil }
        current.send(SIGTERM)
        let end = current.wait(timeout: .seconds(60))
        self.current = nil
        return end.timedOut ? nil : end.status
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// A new token on its store for `kiosk` (a door's, or `role`'s).
    func token(_ kiosk: String, role: String = "door") throws -> String {
        let made = try accueil(["token", "create", "--kiosk", kiosk, "--role", role, "--store", store])
        return try #require(made.stdout.split(separator: "\n").last.map(String.init), "\(made.stderr)")
    }

    func kill9() {
        guard let current else { return }
        current.send(SIGKILL)
        current.wait(timeout: .seconds(10))
        self.current = nil
    }

    deinit { kill9() }
}

@Suite("accueil server and sync run (real processes)")
struct ServerCLITests {
    @Test(
        "two kiosks check the same person in while the server is down; after sync both agree, duplicate flagged; tokens required"
    )
    func twoKiosks() throws {
        let root = Sandbox()
        let store = root.root.appendingPathComponent("central.sqlite").path
        let server = try ServerProcess(store: store)
        // door-1 imports the roster it then uploads: an organiser's token.
        let (t1, t2) = (try server.token("door-1", role: "organiser"), try server.token("door-2"))
        let a = Sandbox()
        let b = Sandbox()
        func sync(_ box: Sandbox, _ kiosk: String, _ token: String) throws -> RunResult {
            try box.run(["sync", "run", "--once", "--server", server.url, "--token", token], kiosk: kiosk)
        }
        #expect(try a.run(["roster", "import", demoRoster]).status == 0)
        let first = try sync(a, "door-1", t1)
        #expect(first.status == 0, "\(first.output) tokens: \(t1) \(t2)")
        #expect(try sync(b, "door-2", t2).stdout.contains("800 new events received"))

        server.kill9()
        #expect(try a.run(["checkin", "ACC-00001", "ACC-00002"], kiosk: "door-1").status == 0)
        #expect(try b.run(["checkin", "ACC-00001", "ACC-00003"], kiosk: "door-2").status == 0)
        #expect(try sync(a, "door-1", t1).status == 10)
        try server.start()
        for _ in 0..<2 {
            #expect(try sync(a, "door-1", t1).status == 0)
            #expect(try sync(b, "door-2", t2).status == 0)
        }
        for box in [a, b] {
            let stats = try #require(try box.json(["stats"]) as? [String: Any])
            #expect(stats["checked_in"] as? Int == 3)
            #expect(stats["duplicates"] as? Int == 1)
            #expect(stats["outbox"] as? Int == 0)
        }
        let refused = try a.run(
            ["sync", "run", "--once", "--server", server.url, "--token", "forged"], kiosk: "door-1")
        #expect(refused.status == 10 && refused.stderr.contains("token"), "\(refused.output)")
        #expect(try accueil(["token", "revoke", "--kiosk", "door-2", "--store", server.store]).status == 0)
        #expect(try sync(b, "door-2", t2).status == 10)
    }

    @Test(
        "a roster bigger than one request goes in pieces: every attendee arrives, --remove-missing removes the others after the last piece, a dry run changes nothing"
    )
    func rosterInPieces() throws {
        let root = Sandbox()
        let server = try ServerProcess(store: root.root.appendingPathComponent("central.sqlite").path)
        let office = try server.token("office", role: "organiser")
        let door = try server.token("door-1")
        func registered() throws -> Int? {
            let answer = try #require(
                loopbackHTTP(
                    port: UInt16(server.port), method: "GET", path: "/api/v1/stats",
                    headers: ["Authorization": "Bearer \(door)"], pageToken: false))
            return (try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["registered"] as? Int
        }
        func upload(_ file: String, _ more: [String] = []) throws -> [String: Any] {
            let result = try root.run(
                ["roster", "import", file, "--server", server.url, "--token", office, "--json"] + more)
            #expect(result.status == 0, "\(result.stderr)")
            return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        }
        // 45,000 attendees: three pieces of at most 20,000.
        let csv = try accueil(["roster", "generate", "--count", "45000", "--seed", "3"]).stdout
        let big = try root.file("big.csv", csv)
        let first = try upload(big)
        #expect(first["added"] as? Int == 45_000, "\(first)")
        #expect(try registered() == 45_000)
        // The same file without its first 1,000 rows: a dry run counts the removals and changes nothing.
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeSubrange(1...1_000)
        let shorter = try root.file("shorter.csv", lines.joined(separator: "\n"))
        let dry = try upload(shorter, ["--remove-missing", "--dry-run"])
        #expect(dry["removed"] as? Int == 1_000 && dry["unchanged"] as? Int == 44_000, "\(dry)")
        #expect(try registered() == 45_000)
        let removal = try upload(shorter, ["--remove-missing"])
        #expect(removal["removed"] as? Int == 1_000 && removal["unchanged"] as? Int == 44_000, "\(removal)")
        #expect(try registered() == 44_000)
        let again = try upload(shorter, ["--remove-missing"])
        #expect(again["removed"] as? Int == 0 && again["unchanged"] as? Int == 44_000, "\(again)")
    }

    @Test(
        "a restarted server starts from its checkpoint beside the store and answers the same snapshot; a purge makes it fold the log again"
    )
    func restartFromCheckpoint() throws {
        let root = Sandbox()
        let database = root.root.appendingPathComponent("central.sqlite").path
        let server = try ServerProcess(store: database)
        let office = try server.token("office", role: "organiser")
        let door = try server.token("door-1")
        func get(_ path: String) throws -> Data {
            let answer = try #require(
                loopbackHTTP(
                    port: UInt16(server.port), method: "GET", path: path, headers: ["Authorization": "Bearer \(door)"],
                    pageToken: false))
            #expect(answer.status == 200, "\(path): \(answer.status)")
            return answer.body
        }
        let csv = try root.file(
            "roster.csv", try accueil(["roster", "generate", "--count", "3000", "--seed", "9"]).stdout)
        let upload = try root.run(["roster", "import", csv, "--server", server.url, "--token", office])
        #expect(upload.status == 0, "\(upload.stderr)")
        #expect(upload.stdout.contains("Imported 3000: 3000 added"), "\(upload.stdout)")
        let snapshot = try get("/api/v1/snapshot")
        let stats = try get("/api/v1/stats")
        // The same JSON (the order of an object's keys aside).
        func same(_ a: Data, _ b: Data) throws -> Bool {
            try (JSONSerialization.jsonObject(with: a) as? NSDictionary)
                == (JSONSerialization.jsonObject(with: b) as? NSDictionary)
        }

        #expect(server.stop() == 0)
        let checkpoint = database + ".projection"
        #expect(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint beside the store")
        #expect(server.logText.contains("projection checkpoint written"), "\(server.logText)")
        try server.start()
        #expect(server.logText.contains("projection read from its checkpoint"), "\(server.logText)")
        #expect(try get("/api/v1/snapshot") == snapshot)
        #expect(try same(get("/api/v1/stats"), stats))

        // Killed, purged, started again: purge deletes the checkpoint beside the store; one kept
        // elsewhere (copied back here) is older than the purge, and deleted unused.
        server.kill9()
        let aside = root.root.appendingPathComponent("aside.checkpoint").path
        try FileManager.default.copyItem(atPath: checkpoint, toPath: aside)
        let purge = try accueil(["purge", "--store", server.store, "--yes"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.contains("deleted the server's projection checkpoint"), "\(purge.stdout)")
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        try FileManager.default.copyItem(atPath: aside, toPath: checkpoint)
        try server.start()
        #expect(server.logText.contains("projection checkpoint not used (deleted)"), "\(server.logText)")
        #expect(!server.logText.contains("projection read from its checkpoint"))
        #expect(try get("/api/v1/snapshot") != snapshot)
        #expect(try same(get("/api/v1/stats"), stats), "a purge keeps the counts")
    }
}
