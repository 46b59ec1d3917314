// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import Server
import Tooling

/// `accueil bench sign-in`: how many passwords an attacker gets checked on the dashboard's
/// sign-in, and what the right password costs meanwhile.
struct BenchSignInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-in",
        abstract: "Password guessing on the dashboard's sign-in: guesses checked per second under parallel clients.",
        discussion: """
            Runs the server in this process on a temporary SQLite store with one organiser, then for \
            --seconds each: --clients clients guess one account's password from one address; the \
            same clients guess across many names; the same clients guess another account from as many \
            loopback addresses (127.0.0.2…). Counts the guesses whose password was checked (401), \
            those turned away at once (429), and times the organiser's own sign-in meanwhile.
            """)

    @Option(help: "Parallel clients.") var clients = 32
    @Option(help: "Seconds per scenario.") var seconds = 20.0
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Scenario: Encodable {
        var name: String
        var attempts: Int
        var checked: Int
        var throttled: Int
        var checked_per_second: Double
        var attempts_per_second: Double
        var organiser_sign_in_ms: Double?
        var organiser_status: Int?
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-signin-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spec = "sqlite:\(scratch.appendingPathComponent("central.sqlite").path)"
        let port = 21_000 + Int(getpid() % 2000)
        var results: [Scenario] = []
        try await usingCentralStore(spec) { central in
            for name in ["alice", "bruno", "organiser"] {
                try await central.saveOrganiser(
                    try OrganiserAccount.make(name: name, password: "\(name)-password", canSeeNames: false))
            }
            let app = try buildApplication(
                ServerConfiguration(host: "127.0.0.1", port: port, store: spec), store: central)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                var up = false
                for _ in 0..<100 where !up {
                    up = loopbackHTTP(port: UInt16(port), method: "GET", path: "/api/v1/health")?.status == 200
                    if !up { try await Task.sleep(for: .milliseconds(100)) }
                }
                guard up else { throw CommandFailure(message: "the benchmark's server did not start", status: 1) }
                // Each scenario its own account and addresses: earlier lockouts do not count.
                for (name, account, source) in [
                    ("one account, one address", "alice", "127.0.0.50"), ("many names, one address", "", "127.0.0.60"),
                    ("one account, \(clients) addresses", "bruno", nil),
                ] {
                    log("\(name): \(clients) clients for \(seconds) s…")
                    let scenario = await measure(name, port: UInt16(port), account: account, source: source)
                    log(
                        "  \(scenario.attempts) attempts, \(scenario.checked) passwords checked (\(fmt(scenario.checked_per_second))/s), \(scenario.throttled) turned away; the organiser's sign-in meanwhile: HTTP \(scenario.organiser_status ?? 0) in \(fmt(scenario.organiser_sign_in_ms ?? 0)) ms"
                    )
                    results.append(scenario)
                    // The next scenario starts from a server that forgot the last one's clients.
                    try await Task.sleep(for: .seconds(1))
                }
                group.cancelAll()
            }
        }
        if json { print(Output.json(results)) }
    }

    /// `source` nil: each client from an address of its own (127.0.0.2…).
    func measure(_ name: String, port: UInt16, account: String, source: String?) async -> Scenario {
        let deadline = Date().addingTimeInterval(seconds)
        let counts = Counts()
        let clients = clients
        // Fresh names per scenario: earlier lockouts do not count.
        let tag = UUID().uuidString.prefix(6)
        let workers = (0..<clients).map { c in
            Thread {
                var n = 0
                while Date() < deadline {
                    n += 1
                    let user = account.isEmpty ? "guess-\(tag)-\(c)-\(n)" : account
                    let answer = loopbackHTTP(
                        port: port, method: "POST", path: "/dashboard/login",
                        body: Data("name=\(user)&password=guess-\(c)-\(n)".utf8),
                        headers: ["Content-Type": "application/x-www-form-urlencoded"], pageToken: false,
                        from: source ?? "127.0.0.\(2 + c % 40)")
                    counts.add(answer?.status ?? 0)
                }
                counts.done()
            }
        }
        for worker in workers { worker.start() }
        // Halfway, the organiser signs in from the screen's own address.
        try? await Task.sleep(for: .seconds(seconds / 2))
        let start = ContinuousClock.now
        let own = loopbackHTTP(
            port: port, method: "POST", path: "/dashboard/login",
            body: Data("name=organiser&password=organiser-password".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"], pageToken: false, from: "127.0.0.254")
        let took = ContinuousClock.now - start
        while counts.finished < clients { try? await Task.sleep(for: .milliseconds(50)) }
        let (attempts, checked, throttled) = counts.totals
        return Scenario(
            name: name, attempts: attempts, checked: checked, throttled: throttled,
            checked_per_second: Double(checked) / seconds, attempts_per_second: Double(attempts) / seconds,
            organiser_sign_in_ms: took.seconds * 1000, organiser_status: own?.status)
    }

    final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var attempts = 0
        private var checked = 0
        private var throttled = 0
        private var doneCount = 0
        func add(_ status: Int) {
            lock.withLock {
                attempts += 1
                if status == 401 { checked += 1 } else if status == 429 { throttled += 1 }
            }
        }
        func done() { lock.withLock { doneCount += 1 } }
        var finished: Int { lock.withLock { doneCount } }
        var totals: (Int, Int, Int) { lock.withLock { (attempts, checked, throttled) } }
    }
}
