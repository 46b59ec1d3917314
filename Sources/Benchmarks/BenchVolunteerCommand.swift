// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskStore
import Tooling

/// `accueil bench volunteer`: a scripted volunteer at the door screen with a queue, in headless Chromium.
///
/// Typed check-ins: for each arriving person the volunteer types the first 3 letters of the last name,
/// then a space and the first name's letters one by one ("gar m" for García Mónica) until pressing ↓
/// to reach the person costs no more keys than typing on would (third after the last name's letters,
/// second after a first name's letter), presses ↓ that many times, then Enter; the next person
/// is typed straight away, over the outcome. Counted: keystrokes per check-in, and the time the
/// volunteer waits for the screen (the last keystroke to the results painted, plus Enter to the
/// outcome painted). Scanned check-ins: one scan of the badge, the station set to check in on scan;
/// counted: the scanner's Enter to the outcome ("checked in, badge printing") painted.
struct BenchVolunteerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volunteer",
        abstract:
            "A scripted volunteer at the door screen: keystrokes and waiting time per check-in, typed and scanned.",
        discussion: """
            Needs chromium and chromium-driver (scripts/deps.sh installs them). Without --printer the \
            station checks in without printing; with a CUPS queue, each check-in also queues its badge \
            (the figure stops at "printing", the job handed to the spooler).
            """
    )

    @Option(help: "Attendees in the generated roster.") var count = 800
    @Option(help: "People checked in by typing.") var typed = 60
    @Option(help: "People checked in by scanning their badge.") var scanned = 60
    @Option(help: "Milliseconds between two keystrokes of the volunteer.") var gap = 150
    @Option(help: "CUPS queue the station prints to (default: no printing).") var printer: String?
    @Option(help: "Random seed.") var seed: UInt64 = 11
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var attendees: Int
        var printing: Bool
        var typed_checkins: Int
        var keystrokes_mean: Double
        var keystrokes_max: Int
        var typed_wait_p50_ms: Double
        var typed_wait_p99_ms: Double
        var typed_wall_p50_ms: Double
        var scanned_checkins: Int
        var scan_to_outcome_p50_ms: Double
        var scan_to_outcome_p99_ms: Double
        var scan_to_outcome_max_ms: Double
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "accueil-bench-volunteer-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        log("roster of \(count) attendees and badge keys…")
        let db = try KioskDatabase(directory: scratch)
        let roster = RosterGenerator(seed: seed).attendees(count: count)
        try db.importRoster(roster, kiosk: "import")
        let keys = try Keyring.create(event: "BENCH", eventName: "Bench")
        try keys.save(to: scratch)
        var rng = SeededGenerator(seed: seed &+ 1)
        var queue = roster.shuffled(using: &rng)
        let typedPeople = Array(queue.prefix(typed))
        queue.removeFirst(min(typed, queue.count))
        let (signer, key) = try keys.signingKey()
        let codes = try queue.prefix(scanned).map {
            try BadgePayload(event: keys.event, attendeeID: $0.id, version: 1, role: $0.role, keyID: signer)
                .signed(with: key)
        }

        var arguments = [
            "kiosk", "--data", scratch.path, "--name", "door-bench", "--listen", "127.0.0.1:0",
            "--server", "http://127.0.0.1:9", "--token", "offline", "--scan", "checkin",
        ]
        arguments += printer.map { ["--printer", $0] } ?? ["--no-print"]
        let logFile = scratch.appendingPathComponent("kiosk.log").path
        let (kiosk, port) = try await BenchKioskCommand.startKiosk(arguments, logFile: logFile)
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let browser: Browser
        do { browser = try await Browser() } catch { throw CommandFailure(message: "\(error)", status: 1) }
        var keystrokes: [Int] = []
        var waits: [Double] = []
        var walls: [Double] = []
        var scans: [Double] = []
        do {
            try await browser.open("http://127.0.0.1:\(port)/")
            _ = try await browser.waitFor("#keys", containing: "Esc", seconds: 10)
            log("door screen on port \(port): \(typed) typed check-ins, \(gap) ms between keys…")
            for (index, person) in typedPeople.enumerated() {
                let started = Date()
                let (keys, wait) = try await checkInByTyping(browser, person)
                walls.append(Date().timeIntervalSince(started) * 1000)
                if index > 0 || typed == 1 {  // the first one warms the page up
                    keystrokes.append(keys)
                    waits.append(wait)
                }
            }
            log("\(codes.count) scanned check-ins…")
            for (index, code) in codes.enumerated() {
                let ms = try await checkInByScanning(browser, code)
                if index > 0 || codes.count == 1 { scans.append(ms) }
            }
            await browser.quit()
        } catch {
            await browser.quit()
            throw CommandFailure(message: "\(error)", status: 1)
        }
        let checkedIn = try KioskDatabase(directory: scratch).stats().checkedIn
        guard checkedIn == typedPeople.count + codes.count else {
            throw CommandFailure(
                message: "\(checkedIn) checked in, \(typedPeople.count + codes.count) expected", status: 1)
        }

        let figures = Figures(
            attendees: count, printing: printer != nil, typed_checkins: keystrokes.count,
            keystrokes_mean: keystrokes.isEmpty ? 0 : Double(keystrokes.reduce(0, +)) / Double(keystrokes.count),
            keystrokes_max: keystrokes.max() ?? 0, typed_wait_p50_ms: percentile(waits, 50),
            typed_wait_p99_ms: percentile(waits, 99), typed_wall_p50_ms: percentile(walls, 50),
            scanned_checkins: scans.count, scan_to_outcome_p50_ms: percentile(scans, 50),
            scan_to_outcome_p99_ms: percentile(scans, 99), scan_to_outcome_max_ms: scans.max() ?? 0)
        if json {
            print(Output.json(figures))
        } else {
            let fmt = { (v: Double) in String(format: "%.1f", v) }
            print(
                "door screen, a scripted volunteer, \(count) attendees, \(printer.map { "printing to \($0)" } ?? "no printing")"
            )
            print(
                "typed:   \(fmt(figures.keystrokes_mean)) keystrokes per check-in (max \(figures.keystrokes_max)); waiting for the screen p50 \(fmt(figures.typed_wait_p50_ms)) ms  p99 \(fmt(figures.typed_wait_p99_ms)) ms; whole check-in with \(gap) ms keys p50 \(fmt(figures.typed_wall_p50_ms)) ms  (\(keystrokes.count) people)"
            )
            print(
                "scanned: 1 scan per check-in; scan → outcome painted p50 \(fmt(figures.scan_to_outcome_p50_ms)) ms  p99 \(fmt(figures.scan_to_outcome_p99_ms)) ms  max \(fmt(figures.scan_to_outcome_max_ms)) ms  (\(scans.count) people)"
            )
        }
    }

    /// Types letters of `person`'s last name (then first name) until they are listed, ↓ to them,
    /// Enter. Returns the keystrokes and the time spent waiting for the screen (ms).
    func checkInByTyping(_ browser: Browser, _ person: Attendee) async throws -> (Int, Double) {
        // What a volunteer types: letters without their accents ("garcia m" for García Mónica), the
        // first three of the last name, then the first name's after a space.
        let plain = { (text: String) in
            Array(text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased())
        }
        let letters = Array(plain(person.lastName).prefix(3)) + [" "] + plain(person.firstName)
        let outcomesBefore = try await count("window.__outcomes.length", browser)
        var typedCount = 0
        var index = -1
        var wait = 0.0
        for length in 3...letters.count {
            let keys = letters[typedCount..<length].map(String.init)
            try await browser.press(keys, pause: gap, source: "volunteer")
            typedCount = length
            if length < 3 || (length < letters.count && letters[length - 1] == " ") { continue }
            let (found, waited) = try await resultsFor(browser, person.id, typed: letters[0..<length])
            index = found
            // Choose with ↓ when that costs no more keys than typing on would: typing on costs at
            // least the next letter (and the space before the first name), ↓ costs one per place.
            let next = length < letters.count && letters[length] == " " ? 2 : 1
            if index >= 0 && (index <= next || length == letters.count) {
                wait += waited
                break
            }
        }
        guard index >= 0 else { throw CommandFailure(message: "\(person.id) was never listed", status: 1) }
        try await browser.press(
            Array(repeating: Browser.Key.down, count: index) + [Browser.Key.enter], pause: gap, source: "volunteer")
        let outcome = try await waitOutcome(browser, after: outcomesBefore)
        guard outcome.tone == "ok" else {
            throw CommandFailure(message: "\(person.id): outcome \(outcome.tone), not checked in", status: 1)
        }
        return (typedCount + index + 1, wait + outcome.ms)
    }

    /// One scanner burst; the time from its Enter to the outcome painted.
    func checkInByScanning(_ browser: Browser, _ code: String) async throws -> Double {
        let before = try await count("window.__outcomes.length", browser)
        try await browser.burst(code + "\n")
        let outcome = try await waitOutcome(browser, after: before)
        guard outcome.tone == "ok" else { throw CommandFailure(message: "a scan was not checked in", status: 1) }
        return outcome.ms
    }

    func count(_ expression: String, _ browser: Browser) async throws -> Int {
        (try await browser.script("return \(expression)") as? Int) ?? 0
    }

    /// Waits for the results of what was typed; returns `id`'s place in them (-1: not listed) and the
    /// time from the last keystroke to those results painted (the page's own measure).
    func resultsFor(_ browser: Browser, _ id: String, typed: ArraySlice<Character>) async throws -> (Int, Double) {
        let query = String(typed)
        for _ in 0..<400 {
            let answer = try await browser.script(
                """
                const p = window.__painted, q = document.getElementById('q').value;
                if (!p || p.q !== q || q !== \(Output.json([query]))[0]) return null;
                return [results.findIndex(a => a.id === \(Output.json([id]))[0]), p.ms];
                """)
            if let values = answer as? [Any], values.count == 2, let index = values[0] as? Int,
                let ms = values[1] as? Double
            {
                return (index, ms)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CommandFailure(message: "no results for \"\(query)\"", status: 1)
    }

    func waitOutcome(_ browser: Browser, after before: Int) async throws -> (tone: String, ms: Double) {
        for _ in 0..<1000 {
            if let last = try await browser.script(
                "return window.__outcomes.length > \(before) ? window.__outcomes[window.__outcomes.length - 1] : null")
                as? [String: Any], let tone = last["tone"] as? String, let ms = last["ms"] as? Double
            {
                return (tone, ms)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CommandFailure(message: "no outcome on the screen", status: 1)
    }
}
