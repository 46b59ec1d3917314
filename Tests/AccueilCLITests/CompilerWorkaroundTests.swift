import Foundation
import TestSupport
import Testing

/// The release-build miscompile behind issue 12's crash (docs/release-crash.md), reduced to one
/// file: the flag Package.swift gives every release build must make it right on this toolchain.
@Suite struct CompilerWorkaroundTests {
    let repro = packageRoot.appendingPathComponent("docs/release-crash-repro.swift")

    /// The `-Xllvm` flags Package.swift passes to release builds, read from it (so that this test
    /// follows the package, not a copy).
    func packageFlags() throws -> [String] {
        let manifest = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let line = try #require(manifest.split(separator: "\n").first { $0.hasPrefix("let deadStoreWorkaround = [") })
        return line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// Compiles the reproduction with `flags`, runs it, returns what it printed.
    func run(_ name: String, _ flags: [String], in directory: URL) throws -> String {
        let binary = directory.appendingPathComponent(name).path
        let compile = try runProgram(
            "/usr/bin/env", ["swiftc", "-parse-as-library", repro.path, "-o", binary] + flags)
        #expect(compile.status == 0, "swiftc \(flags): \(compile.output)")
        return try runProgram(binary, []).output
    }

    @Test func releaseFlagsKeepTheNilStore() throws {
        let flags = try packageFlags()
        #expect(flags.first == "-Xllvm" && flags.count == 2, "\(flags)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-repro-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // What the program means (unoptimised), and what release builds of ours make of it.
        let debug = try run("debug", ["-Onone"], in: directory)
        #expect(debug.contains("long:  pending") && debug.contains("short: nil"), "\(debug)")
        let release = try run("release", ["-O"] + flags, in: directory)
        #expect(release.contains("long:  pending") && release.contains("short: nil"), "\(release)")
        // Without the flag: whether this toolchain still miscompiles it (for the log, not a check).
        let bare = try run("bare", ["-O"], in: directory)
        print("release-crash reproduction with -O alone: \(bare.contains("short: pending") ? "miscompiled" : "right")")
    }
}
