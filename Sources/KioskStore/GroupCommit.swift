import Foundation
import GRDB
import StoreSupport
import Synchronization

/// Group commit for the door's writes: check-ins that arrive together are written in one
/// transaction — each in a savepoint of its own, so that one failing does not undo the others (a
/// group of one needs none: the transaction is its own) — and made durable by one commit (one
/// fsync of the WAL, `synchronous = FULL`). Each caller gets its answer only after that commit:
/// what is acknowledged is on disk.
///
/// Who commits: at a quiet door — no commit under way, no other write of the store's under way
/// (`otherWrite`: an import, a snapshot's page, sync), and the last three groups each one write
/// that nobody waited behind — a write commits at once on its caller's thread, a group of one:
/// waking another thread and being woken back cost more CPU on this project's two-core stations
/// than the commit itself. (Behind another write, the caller's thread — an HTTP event loop —
/// would wait as long as that write.) Otherwise the write waits for the committer's thread,
/// which takes all the waiting writes as one group, and the next, until none is waiting. Under
/// load the groups are therefore made on that thread, never on the HTTP server's threads; a
/// caller's thread is held for one commit at most, and only when nobody else was writing.
final class GroupCommitter: @unchecked Sendable {
    private let writer: DatabasePool
    private let walLimit: WALLimit
    /// The jobs waiting for the next group, and whether someone (a caller or the committer's
    /// thread) is committing: under `lock` (an NSLock, a pthread mutex that ThreadSanitizer sees;
    /// Synchronization's Mutex is a bare futex on Linux, which it does not). Whoever commits takes
    /// the waiting jobs before giving up `committing`, so no job is left waiting with nobody to
    /// commit it.
    private let lock = NSLock()
    private var pending: [any GroupJob] = []
    private var committing = false
    /// How many groups in a row were one write with nothing waiting when they ended: from three
    /// on, the door is quiet and the next write may commit on its caller's thread. (After one
    /// such group only, under load, the write committed on its own made the next ones wait.)
    private var lone = 0
    private static let quietAfter = 3
    /// The committer's thread's name, as `/proc/<pid>/task/<tid>/comm` shows it.
    static let threadName = "accueil-commit"
    /// The group handed to the committer's thread with `committing`, under `lock`, and a signal
    /// for it. One at a time: only whoever holds `committing` hands a group, and the thread takes
    /// it before it can give `committing` up.
    private var handed: [any GroupJob] = []
    private let wake = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// The store's other writes under way (`otherWrite`).
    private let otherWrites = Atomic<Int>(0)

    init(writer: DatabasePool, walLimit: WALLimit) { (self.writer, self.walLimit) = (writer, walLimit) }

    /// Runs `body` in a group's transaction and returns its result once that is committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let leads = lock.withLock { () -> Bool in
            if committing || lone < Self.quietAfter || otherWrites.load(ordering: .acquiring) > 0 { return false }
            committing = true
            return true
        }
        if leads {
            let job = Job(body: body, continuation: nil)
            let error = commit([job])
            let more = lock.withLock { afterGroup(of: 1) }
            finish([job], commitError: error)
            if !more.isEmpty { handToThread(more) }
            return try job.outcome.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let job = Job(body: body, continuation: continuation)
            let handOver = lock.withLock { () -> Bool in
                if committing {
                    pending.append(job)
                    return false
                }
                // Nobody is committing (the last commit ended meanwhile, or the door is busy):
                // the committer's thread takes this job as a group.
                committing = true
                return true
            }
            if handOver { handToThread([job]) }
        }
    }

    /// Runs `write`, one of the store's writes outside the groups: while it runs, no write
    /// commits on its caller's thread.
    func otherWrite<T>(_ write: () throws -> T) rethrows -> T {
        otherWrites.add(1, ordering: .acquiringAndReleasing)
        defer { otherWrites.subtract(1, ordering: .acquiringAndReleasing) }
        return try write()
    }

    /// Once a group of `count` is committed, under `lock`: the writes that came meanwhile, taken
    /// as the next group by whoever committed (who keeps `committing`); or, if none came,
    /// `committing` given up.
    private func afterGroup(of count: Int) -> [any GroupJob] {
        let next = pending
        pending = []
        if next.isEmpty {
            committing = false
            lone = count == 1 ? lone + 1 : 0
        } else {
            lone = 0
        }
        return next
    }

    /// Hands `group` (and `committing`) to the committer's thread, started on first use.
    private func handToThread(_ group: [any GroupJob]) {
        if started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            let thread = Thread { [self] in
                // Named for `top -H`, `perf` and gdb (15 bytes at most: Linux refuses longer), by
                // the thread itself, through the kernel. (Foundation's `Thread.name` setter names
                // the kernel's thread only once `start()` has returned on the starting thread; set
                // from here, the name was lost whenever this thread ran first.)
                try? Self.threadName.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                loop()
            }
            thread.start()
        }
        lock.withLock { handed = group }
        wake.signal()
    }

    /// The committer's thread: commits each group it is handed, then the writes that came
    /// meanwhile as the next group, until none came.
    private func loop() {
        while true {
            wake.wait()
            var group = lock.withLock { () -> [any GroupJob] in
                defer { handed = [] }
                return handed
            }
            while !group.isEmpty {
                let error = commit(group)
                let next = lock.withLock { afterGroup(of: group.count) }
                finish(group, commitError: error)
                group = next
            }
        }
    }

    /// Runs `group`'s writes, each in a savepoint, in one transaction, and commits it: nil, or
    /// why the commit failed.
    ///
    /// A group of one (every write at a quiet door) needs no savepoint: the transaction is its
    /// own, rolled back if the write fails. That saves the savepoint's two statements.
    ///
    /// `BEGIN` and `COMMIT` are prepared once, as the savepoints are (GRDB's `inTransaction` parses
    /// both anew each time); a failed commit is rolled back, as there.
    private func commit(_ group: [any GroupJob]) -> (any Error)? {
        do {
            return try writer.writeWithoutTransaction { db -> (any Error)? in
                // The log started again here when the checkpointer asks (past its limit), before
                // the group's transaction: this connection needs no wait for the writer's lock.
                walLimit.restartIfAsked(db)
                try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
                let succeeded = group.count == 1 ? group[0].runAlone(db) : group.allSatisfy { $0.run(db) }
                guard succeeded else {
                    // A lone write failed (its error is its outcome), or one of a group could not
                    // be undone alone (the whole group fails).
                    try db.rollback()
                    return group.count == 1 ? nil : GroupRolledBack()
                }
                do {
                    try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                } catch {
                    try? db.rollback()
                    throw error
                }
                return nil
            }
        } catch {
            return error
        }
    }

    /// Gives each of `group` its answer; then asks the store's checkpointer (`WALLimit`) for a
    /// checkpoint.
    private func finish(_ group: [any GroupJob], commitError: (any Error)?) {
        for job in group { job.finish(commitError: commitError) }
        walLimit.afterCommit()
    }
}

/// A write of the group could not be undone alone: the whole group was rolled back.
private struct GroupRolledBack: Error, CustomStringConvertible {
    var description: String { "a write could not be undone alone, so its whole group was rolled back; try again" }
}

private protocol GroupJob: Sendable {
    /// Runs the write in a savepoint of its own: undone alone if it fails. False if even undoing
    /// it failed: the transaction must be rolled back.
    func run(_ db: Database) -> Bool
    /// Runs the write as the transaction's only one: true if it succeeded (commit), false if it
    /// failed (roll the transaction back).
    func runAlone(_ db: Database) -> Bool
    func finish(commitError: (any Error)?)
}

private final class Job<T: Sendable>: GroupJob, @unchecked Sendable {
    // `outcome` is written in `run` and `finish`, and read after `finish` by the caller that
    // committed (a job without a continuation), all on the one thread that commits the job.
    private let body: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>?
    private(set) var outcome: Result<T, any Error> = .failure(StoreError("not run"))

    init(body: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>?) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ db: Database) -> Bool {
        // The savepoint's three statements are prepared once: GRDB's `inSavepoint` parses its two
        // anew each time: 7 % of the committer's samples at eight busy doors. (GRDB follows
        // savepoints through each statement's effect, prepared once or not.)
        do {
            try db.cachedStatement(sql: "SAVEPOINT job").execute()
        } catch {
            outcome = .failure(error)
            return true
        }
        if runAlone(db) {
            do {
                try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
                return true
            } catch {
                outcome = .failure(error)
            }
        }
        // The write failed (its error is its outcome) or its savepoint could not be released:
        // undo it alone. If even that fails, nothing says what the transaction holds: the whole
        // group is rolled back.
        do {
            try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT job").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
            return true
        } catch {
            return false
        }
    }

    func runAlone(_ db: Database) -> Bool {
        do {
            outcome = .success(try body(db))
            return true
        } catch {
            outcome = .failure(error)
            return false
        }
    }

    func finish(commitError: (any Error)?) {
        if let commitError { outcome = .failure(commitError) }
        continuation?.resume(with: outcome)
    }
}
