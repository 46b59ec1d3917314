import AccueilCore
import Foundation
import KioskStore
import TestSupport
import Testing

@Suite("accueil search, checkin, undo, walkin, stats")
struct DoorCLITests {
    func demoBox() throws -> Sandbox {
        let box = Sandbox()
        let result = try box.run(["roster", "import", demoRoster])
        #expect(result.status == 0)
        return box
    }

    @Test("search answers in several scripts, with typos, and says who is in")
    func search() throws {
        let box = try demoBox()
        let attendees = try RosterParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: demoRoster)))).attendees
        for query in ["helene", "hidlago", "小明", "Петров", "يوسف", "Արմեն", "Νίκος", "nguyen", "民", "casablanca"] {
            let found = try #require(try box.json(["search", query]) as? [String: Any])
            let results = found["results"] as? [[String: Any]] ?? []
            let expectAny = attendees.contains { a in
                TextFolding.shared.fold([a.firstName, a.lastName, a.nativeName, a.organisation].joined(separator: " "))
                    .contains(TextFolding.shared.fold(query)) || query == "hidlago"
            }
            #expect(!results.isEmpty || !expectAny, "\(query)")
        }
        let text = try box.run(["search", "hidalgo"])
        #expect(text.status == 0 && text.stdout.contains("HIDALGO"))
        let none = try box.run(["search", "zzzzzz"])
        #expect(none.status == 0 && none.stdout.contains("No attendee matches"))
    }

    @Test("check in, refuse the second one with where and when, undo, walk-in; exit statuses 0, 4, 5, 6")
    func checkInFlow() throws {
        let box = try demoBox()
        let ok = try box.run(["checkin", "ACC-00001"], kiosk: "door-2")
        #expect(ok.status == 0 && ok.stdout.contains("checked in") && ok.stdout.contains("door-2"))
        let again = try box.run(["checkin", "ACC-00001"], kiosk: "door-1")
        #expect(again.status == 4)
        #expect(
            again.stderr.range(of: #"already checked in at \d\d:\d\d at door-2"#, options: .regularExpression) != nil)
        #expect(try box.run(["checkin", "NOPE"]).status == 5)
        let json = try #require(try box.json(["checkin", "ACC-00001"]) as? [[String: Any]])
        #expect(json.first?["status"] as? String == "already_checked_in")
        #expect(try box.run(["undo", "ACC-00001", "--reason", "wrong person"]).status == 0)
        #expect(try box.run(["undo", "ACC-00001", "--reason", "again"]).status == 6)
        #expect(try box.run(["undo", "NOPE", "--reason", "x"]).status == 5)
        #expect(try box.run(["checkin", "ACC-00001"]).status == 0)
        let walkIn = try box.run([
            "walkin", "--first-name", "Zoé", "--last-name", "Nouvelle", "--role", "presse", "--country", "Belgique",
        ])
        #expect(walkIn.status == 0 && walkIn.stdout.contains("W-door-1-1"))
        #expect(try box.run(["walkin", "--role", "press"]).status == 2)
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["registered"] as? Int == 801)
        #expect(stats["checked_in"] as? Int == 2)
        #expect(stats["walk_ins"] as? Int == 1)
        #expect(stats["duplicate_attempts"] as? Int == 2)
        let byRole = try #require(stats["by_role"] as? [String: [String: Int]])
        #expect(byRole["press"]?["checked_in"] ?? 0 >= 1)
    }

    @Test("help explains every command")
    func help() throws {
        let top = try accueil(["--help"])
        #expect(top.status == 0)
        for command in ["roster", "search", "checkin", "undo", "walkin", "stats", "door", "bench"] {
            #expect(top.stdout.contains(command))
            let sub = try accueil([command, "--help"])
            #expect(sub.status == 0 && sub.stdout.contains("USAGE"), "\(command)")
        }
        #expect(try accueil(["roster", "import", "--help"]).stdout.contains("Exit status"))
        #expect(try accueil(["frobnicate"]).status == 2)
    }

    @Test(
        "a check-in killed with -9 at any moment is all there or not at all, and printed means saved", arguments: 0..<4)
    func crash(round: Int) throws {
        let box = try demoBox()
        let ids = (1...800).map { String(format: "ACC-%05d", $0) }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let child = try spawn(
            accueilBinary.path, ["checkin", "--data", box.data, "--kiosk", "door-crash"] + ids,
            stdout: .descriptor(fds[1]))
        close(fds[1])
        // Let it check in a varying number of people, then pull the plug.
        var printed = ""
        let target = 20 + round * 60
        while printed.components(separatedBy: "checked in:").count <= target {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        child.send(SIGKILL)
        let end = child.wait(timeout: .seconds(30))
        printed += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        #expect(end.signal == SIGKILL)

        let confirmed = Set(
            printed.split(separator: "\n").compactMap { line -> String? in
                guard let open = line.range(of: "(ACC-") else { return nil }
                return String(line[line.index(after: open.lowerBound)...].prefix(9))
            })
        #expect(confirmed.count >= target - 1)
        let db = try KioskDatabase(directory: URL(fileURLWithPath: box.data))
        #expect(try db.verifyConsistency() == [])
        let checkedIn = Set(try db.attendees().filter { $0.checkIn != nil }.map(\.attendee.id))
        #expect(confirmed.isSubset(of: checkedIn))
        #expect(checkedIn.count <= confirmed.count + 1)  // at most the one in flight when killed
        let checkInEvents = try db.allEvents().filter { $0.body == .checkedIn }
        #expect(checkInEvents.count == checkedIn.count)
        #expect(try db.outboxCount() == 800 + checkInEvents.count)
    }
}

@Suite("accueil sync (by file)")
struct SyncCLITests {
    @Test("two doors check the same person in while apart; after exchanging files both agree and flag the duplicate")
    func exchange() throws {
        let a = Sandbox()
        let b = Sandbox()
        #expect(try a.run(["roster", "import", demoRoster]).status == 0)
        let rosterFile = a.root.appendingPathComponent("roster.jsonl").path
        #expect(try a.run(["sync", "export", "--out", rosterFile]).status == 0)
        #expect(try b.run(["sync", "import", rosterFile]).stdout.contains("800 new"))
        #expect(try a.run(["checkin", "ACC-00001", "ACC-00002"], kiosk: "door-a").status == 0)
        #expect(try b.run(["checkin", "ACC-00001", "ACC-00003"], kiosk: "door-b").status == 0)
        let fromA = a.root.appendingPathComponent("a.jsonl").path
        let fromB = b.root.appendingPathComponent("b.jsonl").path
        #expect(try a.run(["sync", "export", "--out", fromA]).status == 0)
        #expect(try b.run(["sync", "export", "--out", fromB]).status == 0)
        #expect(try a.run(["sync", "import", fromB]).status == 0)
        #expect(try b.run(["sync", "import", fromA]).status == 0)
        #expect(try b.run(["sync", "import", fromA]).stdout.contains("0 new"))
        for box in [a, b] {
            let stats = try #require(try box.json(["stats"]) as? [String: Any])
            #expect(stats["checked_in"] as? Int == 3)
            #expect(stats["duplicates"] as? Int == 1)
        }
        let bad = try a.file("bad.jsonl", "{\"id\":\"not-a-uuid\"}\n")
        let refused = try a.run(["sync", "import", bad])
        #expect(refused.status == 2 && refused.stderr.contains("line 1"))
    }
}
