// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskStore
import Tooling

/// `accueil bench kiosk`: the kiosk's screens in a real headless Chromium, as people use them.
///
/// A store with a generated roster is served by `accueil kiosk` (this same binary, a separate
/// process), offline: its server address refuses connections, so the sync loop fails in the
/// background as it would with the network gone. The pages measure themselves (the door page from a
/// keystroke's event to the results painted, the session page from the scanner's Enter to the
/// verdict painted) and the bench reads their figures through WebDriver.
struct BenchKioskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Keystroke to results on the door screen, scan to verdict at a session door, in headless Chromium.",
        discussion: """
            Needs chromium and chromium-driver (scripts/deps.sh installs them). Keys are typed one by \
            one with --gap ms between them, as a person types; badges arrive as a scanner's burst.
            """
    )

    @Option(help: "Attendees in the generated roster.") var count = 100_000
    @Option(help: "Search queries typed (each letter by letter).") var queries = 60
    @Option(help: "Badges scanned at the session door.") var scans = 200
    @Option(help: "Milliseconds between two keystrokes.") var gap = 150
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var attendees: Int
        var keystrokes: Int
        var keystroke_p50_ms: Double
        var keystroke_p99_ms: Double
        var keystroke_max_ms: Double
        var scans: Int
        var scan_p50_ms: Double
        var scan_p99_ms: Double
        var scan_max_ms: Double
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-kiosk-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        log("roster of \(count) attendees, keys, one session…")
        let db = try KioskDatabase(directory: scratch)
        let roster = RosterGenerator(seed: seed).attendees(count: count)
        try db.importRoster(roster, kiosk: "import")
        let keys = try Keyring.create(event: "BENCH", eventName: "Bench")
        try keys.save(to: scratch)
        let session = Session(
            id: "PLEN", title: "Plénière", room: "Grand amphi", start: Date().addingTimeInterval(-600),
            end: Date().addingTimeInterval(6 * 3600), capacity: 0, access: .open)
        try db.importSessions([session], kiosk: "import")

        var rng = SeededGenerator(seed: seed &+ 1)
        // Queries as door staff type them: a last name, sometimes with a typo, sometimes the first
        // letters only; some in Arabic, Chinese or Cyrillic script.
        let typed: [String] = (0..<queries).map { _ in
            let a = roster[Int.random(in: 0..<roster.count, using: &rng)]
            if !a.nativeName.isEmpty && Bool.random(using: &rng) { return String(a.nativeName.prefix(4)) }
            var name = Array(a.lastName.lowercased())
            if name.count > 4 && Bool.random(using: &rng) { name.swapAt(1, 2) }
            return String(name.prefix(Int.random(in: 4...max(4, name.count), using: &rng)))
        }

        let keystroke = try await measure(scratch, mode: ["--mode", "door"]) { browser, port in
            try await browser.open("http://127.0.0.1:\(port)/")
            _ = try await browser.waitFor("#online", containing: "", seconds: 5)
            // Warm-up (not counted): the first queries page in the roster and the index.
            for query in typed.prefix(5) { try await typeSlowly(browser, query) }
            _ = try await browser.script("window.__timings = []; return 0;")
            for query in typed { try await typeSlowly(browser, query) }
            try await Task.sleep(for: .milliseconds(500))
            return (try await browser.script("return window.__timings") as? [Double]) ?? []
        }

        let (signer, key) = try keys.signingKey()
        let codes = try (0..<scans).map { _ in
            let a = roster[Int.random(in: 0..<roster.count, using: &rng)]
            return try BadgePayload(event: keys.event, attendeeID: a.id, version: 1, role: a.role, keyID: signer)
                .signed(with: key)
        }
        let scan = try await measure(scratch, mode: ["--mode", "session", "--session", "PLEN"]) { browser, port in
            try await browser.open("http://127.0.0.1:\(port)/")
            _ = try await browser.waitFor("#title", containing: "Plénière", seconds: 10)
            for code in codes.prefix(5) { try await scanAndWait(browser, code) }
            _ = try await browser.script("window.__verdicts = []; return 0;")
            for code in codes { try await scanAndWait(browser, code) }
            return (try await browser.script("return window.__verdicts") as? [Double]) ?? []
        }

        let figures = Figures(
            attendees: count, keystrokes: keystroke.count, keystroke_p50_ms: percentile(keystroke, 50),
            keystroke_p99_ms: percentile(keystroke, 99), keystroke_max_ms: keystroke.max() ?? 0, scans: scan.count,
            scan_p50_ms: percentile(scan, 50), scan_p99_ms: percentile(scan, 99), scan_max_ms: scan.max() ?? 0)
        if json {
            print(Output.json(figures))
        } else {
            let fmt = { (v: Double) in String(format: "%.1f", v) }
            print("door screen, \(count) attendees, kiosk offline")
            print(
                "keystroke → results painted  p50 \(fmt(figures.keystroke_p50_ms)) ms  p99 \(fmt(figures.keystroke_p99_ms)) ms  max \(fmt(figures.keystroke_max_ms)) ms  (\(keystroke.count) keystrokes)"
            )
            print(
                "scan → verdict painted       p50 \(fmt(figures.scan_p50_ms)) ms  p99 \(fmt(figures.scan_p99_ms)) ms  max \(fmt(figures.scan_max_ms)) ms  (\(scan.count) badges)"
            )
        }
    }

    /// Runs `accueil kiosk` on the store in `mode`, opens a browser on it, and returns what `body` measured.
    func measure(
        _ data: URL, mode: [String], _ body: (Browser, Int) async throws -> [Double]
    ) async throws -> [Double] {
        let logFile = data.appendingPathComponent("kiosk-\(mode[1]).log").path
        let (kiosk, port) = try await Self.startKiosk(
            [
                "kiosk", "--data", data.path, "--name", "bench", "--listen", "127.0.0.1:0", "--no-print",
                "--server", "http://127.0.0.1:9", "--token", "offline",
            ] + mode, logFile: logFile)
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        log("\(mode[1]) screen on port \(port): measuring in headless Chromium…")
        let browser: Browser
        do { browser = try await Browser() } catch {
            throw CommandFailure(message: "\(error)", status: 1)
        }
        do {
            let values = try await body(browser, port)
            await browser.quit()
            return values
        } catch {
            await browser.quit()
            throw CommandFailure(message: "\(error)", status: 1)
        }
    }

    /// Clears the search box and types `query` a key at a time, `gap` ms apart.
    func typeSlowly(_ browser: Browser, _ query: String) async throws {
        _ = try await browser.script("const q = document.getElementById('q'); q.value = ''; q.focus(); return 0;")
        try await browser.press(query.map(String.init), pause: gap, source: "person")
    }

    /// Scans `code` and waits for its verdict to be painted.
    func scanAndWait(_ browser: Browser, _ code: String) async throws {
        let before = (try await browser.script("return window.__verdicts.length") as? Int) ?? 0
        try await browser.burst(code + "\n")
        for _ in 0..<200 {
            if (try await browser.script("return window.__verdicts.length") as? Int) ?? 0 > before { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CommandFailure(message: "no verdict for a scanned badge", status: 1)
    }

    /// Starts `accueil kiosk` (this same binary) with `arguments`, its log in `logFile`, and returns
    /// it with the port its screen listens on, once it listens.
    static func startKiosk(
        _ arguments: [String], logFile: String, environment: [String: String]? = nil
    ) async throws -> (Spawned, Int) {
        let kiosk = try spawn(executable, arguments, environment: environment, stderr: .file(logFile))
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: "status API on http://127.0.0.1:"),
                let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            {
                return (kiosk, port)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kiosk.send(SIGKILL)
        kiosk.wait(timeout: .seconds(10))
        throw CommandFailure(
            message: "the kiosk did not start: \((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")",
            status: 1)
    }

    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
