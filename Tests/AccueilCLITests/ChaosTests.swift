import Foundation
import KioskStore
import TestSupport
import Testing

/// The chaos run, short: door screens check people in through two kiosks' HTTP API while the
/// server and the kiosk daemons are killed with -9 and restarted, over and over. A ledger keeps
/// every check-in a kiosk acknowledged; at the end, after everything is back, each one is in the
/// log exactly once (two doors acknowledging the same person are two check-ins, flagged as a
/// duplicate), at every kiosk, and the server counts the same people.
@Suite("Chaos: kill -9 of the server and the kiosks under check-ins (real processes)", .serialized)
struct ChaosTests {
    /// The port a kiosk daemon's screen listens on, from its log (nil while it starts again).
    static func port(log path: String) -> UInt16? {
        let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard let range = log.range(of: "status API on http://127.0.0.1:") else { return nil }
        return UInt16(log[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func killsUnderCheckIns() throws {
        let root = Sandbox()
        let server = try ServerProcess(store: try centralStore("sqlite", in: root))
        let tokens = try ["door-1", "door-2"].map { name in
            let made = try accueil(["token", "create", "--kiosk", name, "--store", server.store])
            return try #require(made.stdout.split(separator: "\n").last.map(String.init), "\(made.output)")
        }
        let office = try accueil([
            "token", "create", "--kiosk", "office", "--role", "organiser", "--store", server.store,
        ])
        let officeToken = try #require(office.stdout.split(separator: "\n").last.map(String.init), "\(office.output)")
        #expect(
            try root.run(["roster", "import", demoRoster, "--server", server.url, "--token", officeToken]).status == 0)
        let kiosks = try (0..<2).map { try KioskProcess("door-\($0 + 1)", server: server.url, token: tokens[$0]) }
        #expect(try eventually(60) { try kiosks.allSatisfy { try $0.stats()["registered"] as? Int == 800 } })

        let ledger = Ledger()
        let logs = kiosks.map { $0.box.root.appendingPathComponent("kiosk.log").path }
        let stop = Date().addingTimeInterval(40)
        let doors = DispatchGroup()
        for door in 0..<2 {
            DispatchQueue.global().async(group: doors) {
                var next = door == 0 ? 1 : 400  // overlapping ranges: the same person at both doors
                while Date() < stop && next <= 800 {
                    let id = String(format: "ACC-%05d", next)
                    guard let port = Self.port(log: logs[door]) else {
                        usleep(50_000)
                        continue
                    }
                    guard
                        let answer = loopbackHTTP(
                            port: port, method: "POST", path: "/api/v1/checkin", body: Data("{\"id\":\"\(id)\"}".utf8))
                    else {
                        ledger.lost(id)
                        usleep(50_000)
                        continue  // the daemon is down: the door screen tries the same person again
                    }
                    let object = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
                    ledger.answered(
                        id, acknowledged: answer.status == 200 && object?["status"] as? String == "checked_in")
                    if answer.status == 200 { next += 1 }
                    usleep(20_000)
                }
            }
        }
        // Kills: the server, then each kiosk, in turn, every 1.5 s, each restarted after a pause.
        var kills = 0
        while Date() < stop {
            Thread.sleep(forTimeInterval: 1.5)
            switch kills % 3 {
            case 0:
                server.kill9()
                Thread.sleep(forTimeInterval: 0.5)
                try server.start()
            default:
                let kiosk = kiosks[kills % 3 - 1]
                kiosk.kill9()
                Thread.sleep(forTimeInterval: 0.3)
                try kiosk.start()
                _ = eventually(15) { Self.port(log: logs[kills % 3 - 1]) != nil }
            }
            kills += 1
        }
        doors.wait()
        let (acknowledged, unknown, requests, unanswered) = ledger.totals

        // Everything back: wait until both kiosks hold the same check-ins as the server.
        let distinct = acknowledged.count
        let converged = try eventually(60) {
            let counts = try kiosks.map { try $0.stats()["checked_in"] as? Int ?? -1 }
            let onServer = try root.json(["stats", "--server", server.url, "--token", tokens[0]]) as? [String: Any]
            return counts[0] >= distinct && counts.allSatisfy { $0 == counts[0] }
                && onServer?["checked_in"] as? Int == counts[0]
        }
        var mismatches: [String] = []
        for kiosk in kiosks {
            kiosk.kill9()  // release the store
            let store = try KioskDatabase(directory: URL(fileURLWithPath: kiosk.box.data))
            let inLog = try store.eventCounts(type: "checkin")
            // Nothing acknowledged is lost, and nothing is there twice beyond the tries whose
            // answer was lost with the daemon.
            for id in Set(inLog.keys).union(acknowledged.keys) {
                let (ack, logged, maybe) = (acknowledged[id] ?? 0, inLog[id] ?? 0, unknown[id] ?? 0)
                if logged < ack || logged > ack + maybe {
                    mismatches.append(
                        "\(kiosk.name) \(id): \(ack) acknowledged, \(maybe) unanswered, \(logged) in the log")
                }
            }
        }
        print(
            "chaos: \(kills) kills (server and kiosks, -9) in 40 s, \(requests) check-in requests answered, \(unanswered) tries while a daemon was down, \(acknowledged.values.reduce(0, +)) check-ins acknowledged (\(distinct) people); ledger: \(mismatches.count) mismatches"
        )
        #expect(kills >= 10)  // about 20 on an idle machine; restarts take longer on a loaded one
        #expect(distinct > 100)
        #expect(converged, "did not converge; acknowledged \(distinct) people")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }
}

/// Every acknowledged check-in, per attendee, and the tries whose answer was lost with a daemon.
final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    private var acknowledged: [String: Int] = [:]
    private var unknown: [String: Int] = [:]
    private var requests = 0
    private var unanswered = 0

    func answered(_ id: String, acknowledged yes: Bool) {
        lock.lock()
        defer { lock.unlock() }
        requests += 1
        if yes { acknowledged[id, default: 0] += 1 }
    }

    func lost(_ id: String) {
        lock.lock()
        defer { lock.unlock() }
        unanswered += 1
        unknown[id, default: 0] += 1
    }

    var totals: (acknowledged: [String: Int], unknown: [String: Int], requests: Int, unanswered: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (acknowledged, unknown, requests, unanswered)
    }
}
