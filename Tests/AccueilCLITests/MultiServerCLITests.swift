import Foundation
import Testing
import Tooling

/// nginx (Debian's) running the shipped `systemd/nginx-accueil.conf`, with its upstream servers and
/// listening port put in for the test.
final class NginxProcess {
    let root = Sandbox()
    let port: UInt16
    private var child: Spawned?

    init(upstreams: [Int]) throws {
        let (fd, port) = listenOnLoopback()
        close(fd)
        self.port = port
        var site = try String(
            contentsOf: sourceRoot.appendingPathComponent("systemd/nginx-accueil.conf"), encoding: .utf8)
        let servers = site.split(separator: "\n", omittingEmptySubsequences: false).filter {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("server 127.0.0.1:")
        }
        #expect(servers.count == 3, "the shipped configuration's upstream changed: \(site)")
        let options =
            servers.first.map { $0.split(separator: " ", maxSplits: 6).dropFirst(2).joined(separator: " ") } ?? ";"
        site = site.replacingOccurrences(
            of: servers.joined(separator: "\n"),
            with: upstreams.map {
                "    server 127.0.0.1:\($0) \(options)"
            }.joined(separator: "\n"))
        site = site.replacingOccurrences(of: "    listen [::]:80;\n", with: "")
            .replacingOccurrences(of: "    listen 80;", with: "    listen 127.0.0.1:\(port);")
        let dir = root.root.path
        let main = """
            \(geteuid() == 0 ? "user root;" : "")
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log \(dir)/access.log;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                include \(dir)/site.conf;
            }
            """
        _ = try root.file("site.conf", site)
        let conf = try root.file("nginx.conf", main)
        let test = try runProgram("/usr/sbin/nginx", ["-t", "-p", dir, "-c", conf])
        #expect(test.status == 0, "nginx -t: \(test.output)")
        child = try spawn(
            "/usr/sbin/nginx", ["-p", dir, "-c", conf, "-g", "daemon off;"],
            stderr: .file(root.root.appendingPathComponent("stderr.log").path))
        for _ in 0..<100 {
            let fd = connectToLoopback(port: port)
            if let fd {
                close(fd)
                return
            }
            usleep(100_000)
        }
        Issue.record("nginx did not start: \(log)")
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var log: String {
        ["stderr.log", "error.log"].map {
            (try? String(contentsOf: root.root.appendingPathComponent($0), encoding: .utf8)) ?? ""
        }.joined(separator: "\n")
    }

    deinit {
        child?.send(SIGTERM)
        child?.wait(timeout: .seconds(10))
    }
}

/// Two `accueil server` processes on one PostgreSQL database, a kiosk on each (issue 19).
@Suite("Two servers on one PostgreSQL database (real processes)")
struct MultiServerCLITests {
    @Test(
        "each door sees the other's check-ins within seconds; one server killed with -9, the other goes on; all agree after"
    )
    func twoServers() throws {
        let root = Sandbox()
        let store = try centralStore("postgres", in: root)
        let serverA = try ServerProcess(store: store)
        let serverB = try ServerProcess(store: store)
        func token(_ kiosk: String, role: String = "door") throws -> String {
            let made = try accueil(["token", "create", "--kiosk", kiosk, "--role", role, "--store", store])
            #expect(made.status == 0, "token create: \(made.output)")
            return try #require(made.stdout.split(separator: "\n").last.map(String.init), "\(made.output)")
        }
        let office = try token("office", role: "organiser")
        let imported = try root.run(["roster", "import", demoRoster, "--server", serverA.url, "--token", office])
        #expect(imported.status == 0, "\(imported.output)")
        let door1 = try KioskProcess("door-1", server: serverA.url, token: try token("door-1"))
        let door2 = try KioskProcess("door-2", server: serverB.url, token: try token("door-2"))
        // door-3 goes through nginx, in front of both.
        let nginx = try NginxProcess(upstreams: [serverA.port, serverB.port])
        let door3 = try KioskProcess("door-3", server: nginx.url, token: try token("door-3"))
        let kiosks = [door1, door2, door3]
        #expect(
            try eventually(60) { try kiosks.allSatisfy { try $0.stats()["registered"] as? Int == 800 } },
            "\(door1.log)\n\(door2.log)")

        // Online: a check-in through A reaches the door on B, and back, in seconds (not the long
        // poll's 20 s: B is woken by A's commit).
        func checkedIn(_ kiosk: KioskProcess) throws -> Int { try kiosk.stats()["checked_in"] as? Int ?? -1 }
        #expect(try door1.checkIn(ids(1...10)).status == 0)
        #expect(try eventually(5) { try checkedIn(door2) == 10 }, "door-2 saw \((try? checkedIn(door2)) ?? -1)")
        #expect(
            try eventually(5) { try checkedIn(door3) == 10 },
            "door-3 saw \((try? checkedIn(door3)) ?? -1)\n\(nginx.log)")
        #expect(try door2.checkIn(ids(11...20)).status == 0)
        #expect(try eventually(5) { try checkedIn(door1) == 20 }, "door-1 saw \((try? checkedIn(door1)) ?? -1)")
        // The same person at both doors at once: one check-in, one duplicate, on both.
        #expect(try door1.checkIn(["ACC-00500"]).status == 0)
        #expect(try eventually(5) { try checkedIn(door2) == 21 })
        #expect(try door2.checkIn(["ACC-00500"]).status == 4)
        #expect(try eventually(5) { try checkedIn(door3) == 21 }, "door-3 saw \((try? checkedIn(door3)) ?? -1)")

        // A dies with -9: B and its door go on; door-1 keeps checking in offline.
        serverA.kill9()
        #expect(try door2.checkIn(ids(21...30)).status == 0)
        #expect(try door1.checkIn(ids(31...40)).status == 0)
        let statsB = try #require(
            try root.json(["stats", "--server", serverB.url, "--token", office]) as? [String: Any])
        #expect(
            try eventually(10) {
                (try root.json(["stats", "--server", serverB.url, "--token", office]) as? [String: Any])?["checked_in"]
                    as? Int == 31
            }, "B: \(statsB)")
        #expect(try checkedIn(door1) == 31)  // 21 before A died, and its own 10 since (none of door-2's)
        // Through nginx, door-3 goes on with B: it sees door-2's check-ins, and its own reach B.
        #expect(
            try eventually(30) { try checkedIn(door3) == 31 },
            "door-3 saw \((try? checkedIn(door3)) ?? -1)\n\(door3.log)")
        #expect(try door3.checkIn(["ACC-00600"]).status == 0)
        #expect(
            try eventually(30) { try checkedIn(door2) == 32 },
            "door-2 saw \((try? checkedIn(door2)) ?? -1)\n\(door3.log)")

        // A comes back: door-1 uploads what it kept, and everyone agrees.
        try serverA.start()
        let converged = try eventually(60) {
            let all = try kiosks.map { try $0.stats() }
            guard all.allSatisfy({ $0["outbox"] as? Int == 0 && $0["checked_in"] as? Int == 42 }) else { return false }
            return try [serverA, serverB].allSatisfy { server in
                (try root.json(["stats", "--server", server.url, "--token", office]) as? [String: Any])?["checked_in"]
                    as? Int == 42
            }
        }
        #expect(
            converged, "door-1: \((try? door1.stats()) ?? [:]) door-2: \((try? door2.stats()) ?? [:])\n\(door1.log)")
        for server in [serverA, serverB] {
            let stats = try #require(
                try root.json(["stats", "--server", server.url, "--token", office]) as? [String: Any])
            #expect(stats["duplicate_attempts"] as? Int == 1, "\(stats)")
            #expect(stats["registered"] as? Int == 800)
        }
    }
}
