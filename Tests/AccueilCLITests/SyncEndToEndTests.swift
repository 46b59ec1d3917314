import Foundation
import KioskStore
import TestSupport
import Testing

/// A fresh central store spec for `kind`: a SQLite file, or a new PostgreSQL database on the
/// server named by $ACCUEIL_TEST_POSTGRES (scripts/test starts one; without it the test fails).
func centralStore(_ kind: String, in box: Sandbox) throws -> String {
    if kind == "sqlite" { return "sqlite:\(box.root.appendingPathComponent("central.sqlite").path)" }
    let admin = try #require(
        ProcessInfo.processInfo.environment["ACCUEIL_TEST_POSTGRES"],
        "set ACCUEIL_TEST_POSTGRES=postgres://USER:PASSWORD@HOST:PORT/postgres (scripts/test does)")
    var url = try #require(URLComponents(string: admin))
    let name = "accueil_e2e_\(UUID().uuidString.prefix(8).lowercased())"
    var env = ProcessInfo.processInfo.environment
    env["PGPASSWORD"] = url.password ?? ""
    let made = try runProgram(
        "/usr/bin/createdb",
        ["-h", url.host ?? "127.0.0.1", "-p", String(url.port ?? 5432), "-U", url.user ?? "", name], environment: env)
    #expect(made.status == 0, "createdb: \(made.output)")
    url.path = "/\(name)"
    return url.string ?? admin
}

/// `accueil kiosk` as a real process (its status API on a port of its own choosing).
final class KioskProcess {
    let box: Sandbox
    let name: String
    let server: String
    let token: String
    let extra: [String]
    private var child: Spawned?

    init(_ name: String, server: String, token: String, extra: [String] = []) throws {
        box = Sandbox()
        self.name = name
        self.server = server
        self.token = token
        self.extra = extra
        try start()
    }

    func start() throws {
        child = try spawn(
            accueilBinary.path,
            [
                "kiosk", "--data", box.data, "--name", name, "--server", server, "--token", token, "--listen",
                "127.0.0.1:0", "--no-print",
            ] + extra,
            stderr: .file(box.root.appendingPathComponent("kiosk.log").path))
    }

    /// Pulls the plug: the daemon dies, the kiosk's store stays (its network is gone, in effect).
    func kill9() {
        child?.send(SIGKILL)
        child?.wait(timeout: .seconds(10))
        child = nil
    }

    /// The station's counts; empty until the daemon has made its store (`stats` makes none).
    func stats() throws -> [String: Any] {
        let result = try box.run(["stats", "--json"], kiosk: name)
        guard result.status == 0 else { return [:] }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func checkIn(_ ids: [String]) throws -> RunResult { try box.run(["checkin"] + ids, kiosk: name) }

    var log: String {
        (try? String(contentsOf: box.root.appendingPathComponent("kiosk.log"), encoding: .utf8)) ?? ""
    }

    deinit { kill9() }
}

/// A TCP relay on loopback between a kiosk and the server: `cut()` drops every connection and
/// refuses new ones, as a pulled cable or a dead switch would for that kiosk alone; `restore()`
/// brings the link back.
final class NetworkLink: @unchecked Sendable {
    let port: UInt16
    private let target: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var open: Set<Int32> = []
    private var isCut = false
    private var isSilent = false
    /// Connections open while the link was silent: they stay silent for good.
    private var dead: Set<Int32> = []

    init(to target: Int) throws {
        self.target = UInt16(target)
        let (listener, port) = listenOnLoopback()
        self.listener = listener
        self.port = port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.lock()
            let (cut, silent) = (isCut, isSilent)
            lock.unlock()
            if silent {
                // Accepted, and never answered: what a switch that swallows packets looks like.
                lock.lock()
                open.insert(client)
                lock.unlock()
                Thread.detachNewThread { [self] in swallow(client) }
                continue
            }
            guard !cut, let upstream = connectTarget() else {
                close(client)
                continue
            }
            lock.lock()
            open.formUnion([client, upstream])
            lock.unlock()
            Thread.detachNewThread { [self] in pump(from: client, to: upstream) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client) }
        }
    }

    private func connectTarget() -> Int32? { connectToLoopback(port: target) }

    private func swallow(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while read(fd, &buffer, buffer.count) > 0 {}
        lock.lock()
        if open.remove(fd) != nil { close(fd) }
        // Its number will be another connection's: that one is not dead.
        dead.remove(fd)
        lock.unlock()
    }

    private func pump(from source: Int32, to sink: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            lock.lock()
            let silent = isSilent || dead.contains(source)
            lock.unlock()
            if silent { continue }  // swallowed: the connection stays open and says nothing
            var sent = 0
            while sent < n {
                let m = buffer[sent..<n].withUnsafeBytes { write(sink, $0.baseAddress, n - sent) }
                if m <= 0 { break }
                sent += m
            }
            if sent < n { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(sink, Int32(SHUT_RDWR))
        lock.lock()
        // The second pump of a pair closes both. A closed descriptor's number is soon another
        // connection's, accepted after the link came back: it must not be taken for a dead one
        // (that made a fresh connection silent, and the drain wait out a 15 s deadline).
        if open.remove(source) == nil {
            close(source)
            dead.remove(source)
        }
        if open.remove(sink) == nil {
            close(sink)
            dead.remove(sink)
        }
        lock.unlock()
    }

    func cut() {
        lock.lock()
        isCut = true
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        lock.unlock()
    }

    /// The link goes silent: connections stay open (new ones too) but nothing gets through, either
    /// way — no reset, no refusal, as with a dead switch or a Wi-Fi that drops everything.
    func silence() {
        lock.lock()
        isSilent = true
        dead = open
        lock.unlock()
    }

    func restore() {
        lock.lock()
        isCut = false
        isSilent = false
        // Connections that were swallowed stay dead (nothing resets them), as after a real outage.
        lock.unlock()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

func box(_ value: Any) throws -> [String: Any] { try #require(value as? [String: Any]) }

func ids(_ range: ClosedRange<Int>) -> [String] { range.map { String(format: "ACC-%05d", $0) } }

/// Waits up to `seconds` for `condition`, checking every 100 ms.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}

@Suite("A server and three kiosks through outages (real processes)")
struct SyncEndToEndTests {
    @Test(
        "offline doors keep checking in, the same person at two doors, the server killed with -9 mid-upload: every kiosk and the server end with the same counts",
        arguments: ["sqlite", "postgres"])
    func threeKiosks(store kind: String) throws {
        let root = Sandbox()
        let server = try ServerProcess(store: try centralStore(kind, in: root))
        func token(_ kiosk: String) throws -> String {
            let made = try accueil(["token", "create", "--kiosk", kiosk, "--store", server.store])
            #expect(made.status == 0, "token create: \(made.output)")
            return try #require(made.stdout.split(separator: "\n").last.map(String.init), "\(made.output)")
        }
        let tokens = try ["door-1", "door-2", "door-3"].map(token)
        // The roster is imported on the server; the kiosks start empty and get it from there.
        let office = try accueil([
            "token", "create", "--kiosk", "office", "--role", "organiser", "--store", server.store,
        ])
        let officeToken = try #require(office.stdout.split(separator: "\n").last.map(String.init), "\(office.output)")
        let imported = try root.run(["roster", "import", demoRoster, "--server", server.url, "--token", officeToken])
        #expect(imported.status == 0, "\(imported.output)")
        // door-1 uploads one event per request, so that the server can be killed mid-upload;
        // door-3 reaches the server through a link the test can cut.
        let link = try NetworkLink(to: server.port)
        let kiosks = try (0..<3).map { i in
            try KioskProcess(
                "door-\(i + 1)", server: i == 2 ? link.url : server.url, token: tokens[i],
                extra: i == 0 ? ["--batch-size", "1"] : [])
        }
        let ready = try eventually(60) { try kiosks.allSatisfy { try $0.stats()["registered"] as? Int == 800 } }
        let statuses = kiosks.map { ((try? $0.box.run(["status"], kiosk: $0.name).output) ?? "") + $0.log }
        #expect(ready, "\(statuses)")

        // Online: a check-in at one door shows at the others.
        #expect(try kiosks[0].checkIn(ids(1...10)).status == 0)
        #expect(try eventually(10) { try kiosks[2].stats()["checked_in"] as? Int == 10 }, "\(kiosks[2].log)")

        // door-3's network is cut: its daemon stays up, says it is offline, and the door goes on.
        link.cut()
        #expect(try kiosks[2].checkIn(["ACC-00011"]).status == 0)
        #expect(
            try eventually(15) {
                let status = try box(kiosks[2].box.json(["status"], kiosk: "door-3"))
                return status["daemon_running"] as? Bool == true
                    && (status["sync"] as? [String: Any])?["online"] as? Bool == false
            }, "door-3 never said it was offline")
        #expect(try kiosks[0].stats()["checked_in"] as? Int == 10)  // ACC-00011 has not reached door-1
        // Then the server goes away, and door-2's daemon dies. Doors go on.
        server.kill9()
        kiosks[1].kill9()
        #expect(try kiosks[0].checkIn(ids(100...199)).status == 0)
        #expect(try kiosks[1].checkIn(ids(150...249)).status == 0)  // 150…199: at two doors
        #expect(try kiosks[2].checkIn(ids(300...309)).status == 0)
        // An undo made offline travels like a check-in.
        let undone = try kiosks[1].box.run(["undo", "ACC-00249", "--reason", "wrong person"], kiosk: "door-2")
        #expect(undone.status == 0, "\(undone.output)")
        let again = try kiosks[2].checkIn(["ACC-00005"])  // door-3 knows: refused, and counted
        #expect(again.status == 4, "\(again.output)")
        // door-1 says it is offline, with its check-ins waiting.
        #expect(
            try eventually(10) {
                let status = try box(kiosks[0].box.json(["status"], kiosk: "door-1"))
                return (status["sync"] as? [String: Any])?["online"] as? Bool == false
                    && status["outbox"] as? Int ?? 0 >= 100
            })

        // The server comes back and is killed with -9 while door-1 is uploading, then comes back.
        let door1 = try KioskDatabase(directory: URL(fileURLWithPath: kiosks[0].box.data))
        let before = try door1.outboxCount()
        #expect(before >= 100)
        try server.start()
        var left = before
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            left = (try? door1.outboxCount()) ?? before
            if left < before - 5 && left > 0 { break }
            usleep(5000)
        }
        #expect(left < before && left > 0, "door-1 was not caught uploading (\(left) of \(before) left)")
        server.kill9()
        usleep(500_000)
        try server.start()
        try kiosks[1].start()
        link.restore()

        // Everyone converges: nothing waiting anywhere, identical counts, on the server too.
        let keys = ["registered", "checked_in", "duplicates", "duplicate_attempts", "walk_ins", "by_role"]
        func view(_ stats: [String: Any]) -> NSDictionary {
            NSDictionary(dictionary: stats.filter { keys.contains($0.key) })
        }
        func serverStats() throws -> [String: Any] {
            try #require(
                try root.json(["stats", "--server", server.url, "--token", tokens[0]]) as? [String: Any])
        }
        let converged = try eventually(90) {
            let all = try kiosks.map { try $0.stats() }
            guard all.allSatisfy({ $0["outbox"] as? Int == 0 }) else { return false }
            let views = all.map(view) + [view(try serverStats())]
            return views.allSatisfy { $0 == views[0] }
        }
        let seen = "kiosks: \((try? kiosks.map { try $0.stats() }) ?? []) server: \((try? serverStats()) ?? [:])"
        #expect(converged, "\(seen)")
        let distinct = Set(ids(1...11) + ids(100...199) + ids(150...248) + ids(300...309)).count
        for stats in try kiosks.map({ try $0.stats() }) + [try serverStats()] {
            #expect(stats["checked_in"] as? Int == distinct)
            #expect(stats["duplicates"] as? Int == 50)
            #expect(stats["duplicate_attempts"] as? Int == 1)
            #expect(stats["registered"] as? Int == 800)
        }
        // An organiser's edit, imported on the server, reaches every door.
        let edit = try root.file(
            "edit.csv", "id,first_name,last_name,role,title\nACC-00001,Anne,Edited,elected_official,Maire de Test\n")
        #expect(try root.run(["roster", "import", edit, "--server", server.url, "--token", officeToken]).status == 0)
        for kiosk in kiosks {
            #expect(
                try eventually(10) {
                    try kiosk.box.run(["search", "ACC-00001"], kiosk: kiosk.name).stdout.contains("EDITED")
                }, "\(kiosk.name) did not get the edit")
        }
        let online = try #require(try kiosks[2].box.json(["status"], kiosk: "door-3") as? [String: Any])
        #expect((online["sync"] as? [String: Any])?["online"] as? Bool == true, "\(online)")
    }
}
