import AccueilCore
import Foundation
import TestSupport
import Testing

/// The `accueil` binary built next to this test bundle (or $ACCUEIL_BIN).
let accueilBinary: URL = {
    if let path = ProcessInfo.processInfo.environment["ACCUEIL_BIN"] { return URL(fileURLWithPath: path) }
    let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = tests.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("accueil")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return candidate
        }
        directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/accueil")
}()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

/// Runs `accueil` with `arguments` and waits for it (at most `timeout`: past it, the run is killed
/// and the test fails, rather than the whole suite hanging).
@discardableResult
func accueil(
    _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    env["ACCUEIL_KIOSK"] = env["ACCUEIL_KIOSK"] ?? "test-kiosk"
    for (key, value) in environment { env[key] = value }
    let outcome = try runProgram(accueilBinary.path, arguments, environment: env, timeout: timeout)
    if outcome.timedOut {
        Issue.record("accueil \(arguments.joined(separator: " ")) ran past \(timeout)", sourceLocation: sourceLocation)
    }
    return RunResult(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
}

/// A fresh data directory and a scratch folder for files.
struct Sandbox {
    let root: URL
    var data: String { root.appendingPathComponent("data").path }

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = root.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func file(_ name: String, _ text: String) throws -> String { try file(name, Array(text.utf8)) }

    /// `accueil` on this sandbox's data directory.
    @discardableResult
    func run(_ arguments: [String], kiosk: String = "door-1") throws -> RunResult {
        try accueil(arguments + ["--data", data], environment: ["ACCUEIL_KIOSK": kiosk])
    }

    func json(_ arguments: [String], kiosk: String = "door-1") throws -> Any {
        let result = try run(arguments + ["--json"], kiosk: kiosk)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}
