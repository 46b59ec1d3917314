import Foundation
import TestSupport
import Testing

/// `accueil server` as a real process on a free loopback port.
final class ServerProcess {
    let port: Int
    /// `sqlite:PATH` or `postgres://…`.
    let store: String
    var url: String { "http://127.0.0.1:\(port)" }

    init(store: String) throws {
        self.store = store.hasPrefix("postgres") || store.hasPrefix("sqlite:") ? store : "sqlite:\(store)"
        // A free port: bind to 0, read it, close.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
        try start()
    }

    func start() throws {
        current = try spawn(
            accueilBinary.path, ["server", "--store", store, "--listen", "127.0.0.1:\(port)"])
        // Ready when it accepts a connection.
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(fd)
            if connected == 0 { return }
            usleep(100_000)
        }
        Issue.record("the server did not start")
    }

    var current: Spawned?

    func kill9() {
        guard let current else { return }
        current.send(SIGKILL)
        current.wait(timeout: .seconds(10))
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
        func token(_ kiosk: String) throws -> String {
            try accueil(["token", "create", "--kiosk", kiosk, "--store", server.store]).stdout
                .split(separator: "\n").last.map(String.init) ?? ""
        }
        let (t1, t2) = (try token("door-1"), try token("door-2"))
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
}
