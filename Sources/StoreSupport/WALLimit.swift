import Foundation
import GRDB
import Synchronization

/// Keeps a store's write-ahead log from growing without end.
///
/// SQLite's automatic checkpoint (passive, every 1,000 pages) copies the log into the database, but
/// it starts the log again from its beginning only at a moment when no reader is using it. Under a
/// steady stream of short reads (a door answering searches and status polls all day) that moment
/// never comes: in the door's ten-minute bench the log passed 200 MB in five minutes, and every
/// read had more of it to look through. A writer calls ``afterCommit(_:)`` after its commits: at
/// most once a second it looks at the log's size, and past `limit` it checkpoints in TRUNCATE
/// mode, which waits (up to the store's busy timeout) for the reads of the moment to end, copies
/// what is left, and empties the log.
public final class WALLimit: Sendable {
    private let walPath: String
    private let limit: Int64
    private let nextLook = Mutex<ContinuousClock.Instant>(.now)

    /// `path`: the database file (its log is `path-wal`).
    public init(path: String, limit: Int64 = 32 << 20) {
        walPath = path + "-wal"
        self.limit = limit
    }

    /// The log's size in bytes now (0 without one).
    public var logSize: Int64 {
        var info = stat()
        return stat(walPath, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// After a commit on `writer`: empties the log if it has grown past the limit. A checkpoint
    /// that cannot finish (a long read) is tried again a second later; it never fails the write.
    public func afterCommit(_ writer: DatabasePool) {
        guard due() else { return }
        _ = try? writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    /// ``afterCommit(_:)`` for async callers: the checkpoint waits on GRDB's writer queue, not on
    /// the caller's thread.
    public func afterCommitAsync(_ writer: DatabasePool) async {
        guard due() else { return }
        _ = try? await writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    private func due() -> Bool {
        let now = ContinuousClock.now
        let look = nextLook.withLock { next in
            guard now >= next else { return false }
            next = now + .seconds(1)
            return true
        }
        return look && logSize > limit
    }
}
