import Foundation
import TestSupport
import Testing

/// Drives `accueil door` in a real terminal (tmux), as staff would: type, read the screen, press keys.
struct Tmux {
    let session = "accueil-test-\(UUID().uuidString.prefix(8))"

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let outcome = try runProgram("/usr/bin/tmux", arguments, timeout: .seconds(30))
        if outcome.timedOut { Issue.record("tmux \(arguments.joined(separator: " ")) hung") }
        return outcome.stdout
    }

    func start(_ command: String) throws {
        try run(["new-session", "-d", "-s", session, "-x", "150", "-y", "30", command])
    }

    func keys(_ keys: String...) throws { try run(["send-keys", "-t", session] + keys) }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", session]) }

    /// Waits up to 5 s for `text` to show on screen.
    func waitFor(_ text: String) throws -> String {
        var last = ""
        for _ in 0..<50 {
            last = try screen()
            if last.contains(text) { return last }
            usleep(100_000)
        }
        Issue.record("never showed \"\(text)\"; screen:\n\(last)")
        return last
    }

    func kill() { _ = try? run(["kill-session", "-t", session]) }
}

@Suite("accueil door (terminal screen)")
struct DoorScreenTests {
    @Test("type to search, Enter checks in, a second Enter warns, Ctrl-U undoes, others' check-ins show up")
    func doorFlow() throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
            "tmux is needed (the test script installs it)")
        let box = Sandbox()
        #expect(
            try box.run([
                "roster", "import",
                try box.file(
                    "r.csv",
                    "id,first_name,last_name,native_name,role,vip\nA1,Anne,Hidalgo,,élue,Ministre — escorte\nA2,Xiaoming,Wang,王小明,delegation,\nA3,Jean,Dupont,,press,\n"
                ),
            ]).status == 0)
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(accueilBinary.path) door --data \(box.data) --kiosk door-7")
        _ = try tmux.waitFor("Search")
        try tmux.keys("hidlago")
        var screen = try tmux.waitFor("HIDALGO Anne")
        #expect(!screen.contains("WANG"))
        try tmux.keys("Enter")
        screen = try tmux.waitFor("checked in / enregistré")
        #expect(screen.contains("VIP: Ministre"))
        #expect(screen.contains("Arrivés: 1 / 3"))
        try tmux.keys("Enter")
        _ = try tmux.waitFor("already checked in")
        try tmux.keys("C-u")
        _ = try tmux.waitFor("reason / motif")
        try tmux.keys("wrong person", "Enter")
        _ = try tmux.waitFor("undone")
        _ = try tmux.waitFor("Arrivés: 0 / 3")
        // Native script, then a check-in made by another process on the same store.
        try tmux.keys("Escape")
        try tmux.keys("小明")
        _ = try tmux.waitFor("WANG Xiaoming (王小明)")
        #expect(try box.run(["checkin", "A2"], kiosk: "door-9").status == 0)
        _ = try tmux.waitFor("door-9")
        try tmux.keys("C-c")
        usleep(300_000)
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["checked_in"] as? Int == 1)
        #expect(stats["duplicate_attempts"] as? Int == 1)
    }
}
