import AccueilCore
import Foundation
import Testing

@testable import KioskStore

@Suite("Group commit")
struct GroupCommitTests {
    @Test("concurrent check-ins share commits: each is answered once on disk, a bad one fails alone")
    func concurrentCheckIns() async throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let roster = RosterGenerator(seed: 3).attendees(count: 200)
        try db.importRoster(roster, kiosk: "import")
        // 200 attendees, each asked twice at once (two doors, one person), and unknown ids among them.
        let asked = roster.map(\.id) + roster.map(\.id) + (0..<20).map { "NOBODY-\($0)" }
        let outcomes = await withTaskGroup(of: (String, String).self) { group in
            for id in asked.shuffled() {
                group.addTask {
                    do {
                        let done = try await db.doorCheckInGrouped(id, kiosk: "door-1", print: nil)
                        // The attendee is answered as the check-in's own transaction left them.
                        guard done.attendee.attendee.id == id,
                            done.attendee.checkIn != nil || done.outcome == .pendingRegistration
                        else {
                            return (
                                id,
                                "error: answered \(done.attendee.attendee.id), checked in \(done.attendee.checkIn != nil)"
                            )
                        }
                        switch done.outcome {
                        case .checkedIn: return (id, "in")
                        case .alreadyCheckedIn: return (id, "already")
                        case .pendingRegistration: return (id, "pending")
                        }
                    } catch {
                        return (id, (error as? StoreError)?.kind == .unknownAttendee ? "unknown" : "error: \(error)")
                    }
                }
            }
            var all: [String: [String]] = [:]
            for await (id, what) in group { all[id, default: []].append(what) }
            return all
        }
        for attendee in roster {
            #expect(
                outcomes[attendee.id]?.sorted() == ["already", "in"], "\(attendee.id): \(outcomes[attendee.id] ?? [])")
        }
        for i in 0..<20 { #expect(outcomes["NOBODY-\(i)"] == ["unknown"]) }
        // On disk: one check-in event per attendee, and the store's fold agrees.
        let counts = try db.eventCounts(type: "checkin")
        #expect(counts.count == 200 && counts.values.allSatisfy { $0 == 1 })
        #expect(try db.stats().checkedIn == 200)
        #expect(try db.verifyConsistency() == [])
        // Reopened (another process): everything acknowledged is there.
        let again = try KioskDatabase(directory: db.directory)
        #expect(try again.stats().checkedIn == 200)
    }

    @Test("a quiet door commits on the caller's thread; a busy one groups on the committer's thread")
    func whoCommits() async throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let committer = db.committer
        _ = try await committer.write { try $0.execute(sql: "CREATE TABLE marks (n INTEGER NOT NULL)") }
        // Where each write's body ran: the committer's thread, or its caller's.
        @Sendable func mark(_ n: Int, slow: Bool = false, fail: Bool = false) async throws -> String {
            try await committer.write { db in
                try db.execute(sql: "INSERT INTO marks (n) VALUES (?)", arguments: [n])
                if slow { usleep(2_000) }
                // The thread's name as the kernel has it.
                let name = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
                let ran = name == GroupCommitter.threadName + "\n" ? "thread" : "caller"
                if fail { throw MarkFailed(n: n, ran: ran) }
                return ran
            }
        }
        // One after another: after three groups of one that nobody waited behind, on the caller's.
        var quiet: [String] = []
        for n in 0..<8 { quiet.append(try await mark(n)) }
        #expect(quiet == ["thread", "thread", "caller", "caller", "caller", "caller", "caller", "caller"])
        // A write that fails on the caller's thread fails alone, undone; the next one commits.
        await #expect(throws: (any Error).self) {
            try await committer.write { db in
                try db.execute(sql: "INSERT INTO marks (n) VALUES (-1)")
                try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
            }
        }
        #expect(try await mark(8) == "caller")
        // Behind another write of the store's (an import, a snapshot's page), a write waits for the
        // committer's thread rather than hold its caller's thread as long as that write.
        // That write runs on a thread of its own (the test's pool may be busy for seconds) and
        // holds the store for 1.5 s once begun; the next write is asked only once it has begun.
        let begun = DispatchSemaphore(value: 0)
        let otherDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? db.write { db in
                try db.execute(sql: "INSERT INTO marks (n) VALUES (9)")
                begun.signal()
                usleep(1_500_000)
            }
            otherDone.signal()
        }.start()
        #expect(begun.wait(timeout: .now() + 60) == .success)
        #expect(try await mark(10) == "thread")
        #expect(otherDone.wait(timeout: .now() + 60) == .success)
        #expect(try await mark(11) == "caller")
        // A burst, each write from a thread of its own (as from the HTTP server's threads; Swift's
        // pool may run a test's tasks one after another), all let go at once and each taking 2 ms,
        // so that they overlap: the writes that find a commit under way wait for the committer's
        // thread, which takes them as groups; every one is answered once, and on disk. One in four
        // fails after its insert: it is undone alone (its savepoint), the others of its group stay.
        let arrived = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let burst = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 100..<164 {
                group.addTask(executorPreference: ThreadPerJob()) {
                    arrived.signal()
                    go.wait()
                    do {
                        return try await mark(n, slow: true, fail: n % 4 == 0)
                    } catch let failed as MarkFailed where failed.n == n && n % 4 == 0 {
                        return "failed on the \(failed.ran)"
                    } catch {
                        return "error: \(error)"
                    }
                }
            }
            for _ in 100..<164 { arrived.wait() }
            for _ in 100..<164 { go.signal() }
            var all: [String] = []
            for try await one in group { all.append(one) }
            return all
        }
        #expect(burst.count == 64)
        #expect(burst.filter { $0.hasPrefix("failed") }.count == 16, "\(burst)")
        #expect(burst.filter { $0.hasSuffix("thread") }.count >= 32, "\(burst)")
        let stored = try await db.writer.read { try Int.fetchAll($0, sql: "SELECT n FROM marks ORDER BY n") }
        #expect(stored == Array(0...11) + (100..<164).filter { $0 % 4 != 0 })
    }
}

/// The failure a `mark` was told to have, after its insert, and where it ran.
private struct MarkFailed: Error {
    var n: Int
    var ran: String
}

/// Runs each job of a task on a new thread.
private final class ThreadPerJob: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }.start()
    }
}
