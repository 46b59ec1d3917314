import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the kiosk daemon promises the door: a check-in it answers is on disk, through a power cut.
/// A kill -9 cannot test that (the kernel keeps what was written), so this watches the syscalls of
/// the binary under test (the release build in `scripts/test`) with strace: between the last write
/// to the store's log before an answer and that answer, the log must have been synced
/// (`fdatasync`). GRDB's `DatabasePool` had set its writer to `synchronous = NORMAL`, where a commit
/// is synced only at the next checkpoint: this test fails on such a binary.
@Suite("Durable check-ins (the daemon's syscalls)")
struct DurabilityTests {
    @Test("each check-in's commit is synced to disk (fdatasync of the log) before the door gets its answer")
    func syncedBeforeAnswer() async throws {
        let strace = "/usr/bin/strace"
        try #require(
            FileManager.default.isExecutableFile(atPath: strace), "strace is needed (the test script installs it)")
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        let trace = box.root.appendingPathComponent("trace.txt").path
        let log = box.root.appendingPathComponent("kiosk.log").path
        // strace and the daemon it starts share a process group: both are killed at the end.
        let traced = try spawn(
            strace,
            [
                "-f", "-y", "-s", "512", "-o", trace, "-e", "trace=pwrite64,fdatasync,fsync,write,writev,sendmsg",
                accueilBinary.path, "kiosk", "--data", box.data, "--name", "door-1", "--listen", "127.0.0.1:0",
                "--no-print",
            ],
            environment: ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 },
            stderr: .file(log))
        defer {
            traced.sendToGroup(SIGKILL)
            traced.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        try #require(port > 0)
        let ids = (1...12).map { String(format: "ACC-%05d", $0) }
        for id in ids {
            let answer = try #require(
                loopbackHTTP(
                    port: UInt16(port), method: "POST", path: "/api/v1/checkin", body: Data("{\"id\":\"\(id)\"}".utf8)))
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(String(decoding: answer.body, as: UTF8.self).contains("\"checked_in\""))
        }
        traced.sendToGroup(SIGKILL)
        traced.wait(timeout: .seconds(10))

        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let answers = Self.answers(lines)
        let syncs = Self.logSyncs(lines)
        #expect(answers.count == ids.count, "answers found in the trace: \(answers.count)")
        for (number, answer) in answers.enumerated() {
            let commit = try #require(
                lines[..<answer].lastIndex { $0.contains("pwrite64(") && $0.contains("kiosk.sqlite-wal>") },
                "no write to the log before answer \(number + 1)")
            #expect(
                syncs.contains { $0 > commit && $0 < answer },
                "answer \(number + 1) left before its commit was synced:\n\(lines[commit...answer].joined(separator: "\n"))"
            )
        }
    }

    /// The lines where the daemon starts writing a check-in's answer to a door's connection.
    static func answers(_ lines: [String]) -> [Int] {
        lines.indices.filter { index in
            let line = lines[index]
            return ["write(", "writev(", "sendmsg("].contains { line.contains($0) }
                && (line.contains("TCP:") || line.contains("socket:["))
                && line.contains("checked_in")
        }
    }

    /// The lines where an `fdatasync` or `fsync` of the store's log returns 0: whole, or resumed
    /// after other threads' lines (strace -f writes `PID fdatasync(FD</path>) <unfinished ...>`,
    /// then `PID <... fdatasync resumed>) = 0`).
    static func logSyncs(_ lines: [String]) -> [Int] {
        var pending: Set<Substring> = []
        var done: [Int] = []
        for (index, line) in lines.enumerated() {
            let pid = line.prefix { $0 != " " }
            let isSync = line.contains("fdatasync(") || line.contains("fsync(")
            if isSync && line.contains("kiosk.sqlite-wal>") {
                if line.hasSuffix("<unfinished ...>") {
                    pending.insert(pid)
                } else if line.hasSuffix("= 0") {
                    done.append(index)
                }
            } else if line.contains("sync resumed>"), pending.remove(pid) != nil, line.hasSuffix("= 0") {
                done.append(index)
            }
        }
        return done
    }
}
