import Foundation
import GRDB
import StoreSupport
import Synchronization

/// Group commit for the door's writes: check-ins that arrive together are written in one
/// transaction — each in a savepoint of its own, so that one failing does not undo the others —
/// and made durable by one commit (one fsync of the WAL, `synchronous = FULL`). Each caller gets
/// its answer only after that commit: what is acknowledged is on disk.
///
/// The writes run on a thread of their own, never on the cooperative thread pool of the HTTP
/// server (an fsync there would hold up every other request).
final class GroupCommitter: @unchecked Sendable {
    private let writer: DatabasePool
    private let walLimit: WALLimit
    /// Jobs waiting for the next group, under `lock` (an NSLock, a pthread mutex that
    /// ThreadSanitizer sees; Synchronization's Mutex is a bare futex on Linux, which it does not).
    private let lock = NSLock()
    private var pending: [any GroupJob] = []
    private let wake = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    init(writer: DatabasePool, walLimit: WALLimit) { (self.writer, self.walLimit) = (writer, walLimit) }

    /// Runs `body` in the next group's transaction and returns its result once that is committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        startIfNeeded()
        return try await withCheckedThrowingContinuation { continuation in
            lock.withLock { pending.append(Job(body: body, continuation: continuation)) }
            wake.signal()
        }
    }

    private func startIfNeeded() {
        guard started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "accueil.group-commit"
        thread.start()
    }

    private func loop() {
        while true {
            wake.wait()
            let batch = lock.withLock { () -> [any GroupJob] in
                let taken = pending
                pending = []
                return taken
            }
            // Each signal was one job: take back the signals of the jobs taken with this one.
            for _ in 0..<max(0, batch.count - 1) { _ = wake.wait(timeout: .now()) }
            guard !batch.isEmpty else { continue }
            do {
                try writer.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for job in batch { job.run(db) }
                        return .commit
                    }
                }
                for job in batch { job.finish(commitError: nil) }
            } catch {
                for job in batch { job.finish(commitError: error) }
            }
            // Once the answers are out: a checkpoint asked of the store's checkpointer (`WALLimit`).
            walLimit.afterCommit()
        }
    }
}

private protocol GroupJob: Sendable {
    func run(_ db: Database)
    func finish(commitError: (any Error)?)
}

private final class Job<T: Sendable>: GroupJob, @unchecked Sendable {
    // `result` is written by the committer thread in `run` and read by it in `finish`, only.
    private let body: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var result: Result<T, any Error>?

    init(body: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ db: Database) {
        do {
            var value: T?
            try db.inSavepoint {
                value = try body(db)
                return .commit
            }
            result = value.map { .success($0) } ?? .failure(StoreError("no result"))
        } catch {
            result = .failure(error)
        }
    }

    func finish(commitError: (any Error)?) {
        if let commitError {
            continuation.resume(throwing: commitError)
        } else {
            continuation.resume(with: result ?? .failure(StoreError("not run")))
        }
    }
}
