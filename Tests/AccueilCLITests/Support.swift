import AccueilCore
import Foundation
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

/// Runs `accueil` with `arguments` and waits for it.
@discardableResult
func accueil(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = accueilBinary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["ACCUEIL_KIOSK"] = env["ACCUEIL_KIOSK"] ?? "test-kiosk"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the process runs, so that a large output cannot block it.
    let errData = LockedData()
    let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.done { usleep(1000) }
    return RunResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData.value, as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    func set(_ value: Data) {
        lock.lock()
        data = value
        finished = true
        lock.unlock()
    }
    var done: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }
    var value: Data {
        lock.lock()
        defer { lock.unlock() }
        return data
    }
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
