import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints a store's write-ahead log on a connection and a thread of its own, away from the
/// writer, and keeps the log from growing without end.
///
/// - **Off the commit path.** SQLite's automatic checkpoint runs inside the commit that crosses
///   1,000 pages of log: that commit's caller waits while pages are copied into the database and
///   the database file is synced. At a busy door that was every few groups of check-ins, and it
///   doubled the slowest answers (bench kiosk-api, p99 22 ms against 10–12 ms without it). The
///   writer's automatic checkpoint is turned off; after its commits the writer calls
///   ``afterCommit()``, which only asks for a checkpoint. A passive one then runs on a connection
///   of this object's own, at most every 100 ms, beside the writer and the readers, waiting for neither.
/// - **A bound.** A passive checkpoint copies the log into the database, but the log starts again
///   from its beginning only at a moment when no reader is using it. Under a steady stream of short
///   reads (a door answering searches and status polls all day) that moment may never come: in the
///   door's ten-minute bench the log passed 200 MB in five minutes, and every read had more of it to
///   look through. So a log holding more than `limit` bytes of frames is checkpointed in RESTART
///   mode, which takes the writer's lock, waits for the reads of the moment to end and copies what
///   is left: the next commit writes the log from its beginning again. Writers wait meanwhile, so
///   it waits for readers briefly (else it is tried again later): with a 10 s wait, some
///   check-ins had waited half a second.
/// - **The restart made by the writer, when it can.** A RESTART from this object's connection must
///   first take the writer's lock, which a busy door's committer holds almost all the time (from
///   `BEGIN` to the end of its `fdatasync`): at 8 busy clients the tries of a 20 ms wait kept
///   missing the gaps, the log started again only every 2–4 s and its file grew to 250–300 MB, past
///   the part kept, so that most commits appended to it (see below). So, past `limit`, this object
///   first only asks, right after its passive checkpoint has copied nearly everything
///   (`restartIfAsked(_:)`): the writer makes the RESTART on its own connection before its next
///   transaction, with no lock to wait for, and waits for readers 10 ms at most. An ask that no
///   writer took within `restartEvery` (a store whose writer does not call it: the central store;
///   a kiosk whose only writes are imports) is done here, waiting 20 ms at most for the lock and
///   the readers.
/// - **The file kept, not emptied, and written over.** Emptying the log (TRUNCATE) made every later
///   commit append to a file with no pages behind it: new page-cache pages and new disk blocks for
///   each frame, and the synced metadata with them. Writing the log again from its beginning reuses
///   both: the daemon spent about 7 % less CPU per check-in at one client (bench kiosk-api, 5 runs
///   each, alternated: 572–615 µs against 616–675 µs). The same holds for the commit's sync: an
///   `fdatasync` after writes past the file's end also commits the file's new size to the file
///   system's journal (0.26–0.29 ms here), after writes over blocks the file has it does not
///   (0.14–0.17 ms; 0.25 against 0.15 ms measured again on 2026-12-04). The log grows past `limit`
///   until the next restart (at a busy door, the next passive checkpoint: 100 ms), so the file is
///   kept at twice `limit` (`journal_size_limit`): a door's commits write over it instead of
///   appending.
public final class WALLimit: @unchecked Sendable {
    private let path: String
    private let walPath: String
    private let limit: Int64
    private let restartEvery: Duration
    private let writer: DatabasePool?
    private let queue = DispatchQueue(label: "accueil.checkpoint")
    /// Under `lock` (an NSLock, a pthread mutex that ThreadSanitizer sees; Synchronization's Mutex
    /// is a bare futex on Linux, which it does not: the sanitizer stage reported it).
    private let lock = NSLock()
    private var state = State()
    /// Set when the log is past `limit` and a RESTART is wanted; taken (cleared) by the writer in
    /// `restartIfAsked(_:)`. An atomic, since each commit of the door's looks at it.
    private let restartAsked = Atomic<Bool>(false)

    private func locked<T>(_ body: (inout State) -> T) -> T { lock.withLock { body(&state) } }

    private struct State {
        var scheduled = false
        var lastRun = ContinuousClock.now - .seconds(1)
        /// When the pending ask was made (nil: none pending, or taken by the writer).
        var askedAt: ContinuousClock.Instant?
    }

    /// `path`: the database file (its log is `path-wal`). With `writer`, that pool's writer stops
    /// checkpointing in its commits and leaves it to this object; its log's file is also cut back
    /// to `keptFile(limit)` whenever it starts again.
    public init(
        path: String, writer: DatabasePool? = nil, limit: Int64 = 32 << 20, restartEvery: Duration = .seconds(1)
    ) {
        self.path = path
        walPath = path + "-wal"
        self.limit = limit
        self.restartEvery = restartEvery
        self.writer = writer
        _ = try? writer?.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.keptFile(limit))")
        }
    }

    /// The size the log's file is cut back to when it starts again: twice `limit`, since the log
    /// grows past `limit` until the next restart.
    public static func keptFile(_ limit: Int64) -> Int64 { 2 * limit }

    /// The log's file's size in bytes now (0 without one): what its frames have used since it was
    /// last cut back, not what it holds now.
    public var logSize: Int64 {
        var info = stat()
        return stat(walPath, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// After a commit: asks for a checkpoint, which runs on this object's thread (at most one
    /// waiting, at most every 100 ms). Returns at once.
    public func afterCommit() {
        let wait: Duration? = locked { s in
            guard !s.scheduled else { return nil }
            s.scheduled = true
            return max(.zero, s.lastRun + .milliseconds(100) - .now)
        }
        guard let wait else { return }
        let nanoseconds =
            Int(wait.components.seconds) * 1_000_000_000 + Int(wait.components.attoseconds / 1_000_000_000)
        queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in checkpoint() }
    }

    /// After a purge: VACUUM `writer`'s database, so that nothing purged stays in free pages, then
    /// fold the log into it and empty it (TRUNCATE), since the log may still hold the old pages.
    /// VACUUM's copy goes to a temporary file, not to the writer's memory (`temp_store` is MEMORY
    /// there, `SQLiteFile`). Runs on the checkpoint's thread, so that no checkpoint of this
    /// object's runs beside it: a purge beside a background checkpoint failed with "database is
    /// locked" (a server test, on a clean clone). Blocking, as a purge may be.
    public func compact(_ writer: DatabasePool) throws {
        try queue.sync {
            try writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA temp_store = FILE")
                defer { try? db.execute(sql: "PRAGMA temp_store = MEMORY") }
                try db.execute(sql: "VACUUM")
            }
            _ = try writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        }
    }

    /// Waits until the checkpoints asked for so far have run (tests, and a store being closed).
    public func settle() {
        while locked({ $0.scheduled }) {
            queue.sync {}
            usleep(1_000)
        }
    }

    private func checkpoint() {
        let now = ContinuousClock.now
        locked { s in
            s.scheduled = false
            s.lastRun = now
        }
        guard let connection = connection() else { return }
        // A checkpoint that cannot finish (a long read) is tried again after a later commit; it
        // never fails a write.
        _ = try? connection.inDatabase { db in
            var done = try db.checkpoint(.passive)
            // What the log holds since it last started again (its file is larger: `keptFile`).
            let frameBytes = Int64((try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096) + 24)
            let over = Int64(done.walFrameCount) * frameBytes > limit
            // Past the limit, a RESTART will have to copy what this checkpoint did not: the commits
            // made while it ran (tens of milliseconds at a busy door, hundreds of pages), and sync
            // the database file after writing them at random places in it; where the writer makes it,
            // its next group waits meanwhile (7–25 ms measured at 8 busy clients). So the frames
            // committed meanwhile are copied here first, again, until one pass finds few (each pass
            // is shorter than the one before).
            for _ in 0..<(over ? 4 : 0) {
                let again = try db.checkpoint(.passive)
                let copied = again.checkpointedFrameCount - done.checkpointedFrameCount
                done = again
                if copied <= 64 { break }
            }
            let restartHere = locked { s -> Bool in
                // An ask still pending (not taken by a writer): done here once `restartEvery` old.
                if over, restartAsked.load(ordering: .acquiring), let asked = s.askedAt {
                    guard now - asked >= restartEvery else { return false }
                    s.askedAt = nil
                    restartAsked.store(false, ordering: .releasing)
                    return true
                }
                // Within the limit: no ask. Past it, not asked yet or taken by the writer (which
                // made its RESTART, or could not yet): asked (again) now, right after this passive
                // checkpoint, with little left to copy.
                s.askedAt = over ? now : nil
                restartAsked.store(over, ordering: .releasing)
                return false
            }
            if restartHere { try db.checkpoint(.restart) }
        }
    }

    /// For the store's writer, on its connection, outside a transaction (the door's committer:
    /// before each group's `BEGIN`): when this object has asked for it (the log is past `limit`),
    /// a RESTART checkpoint, made here since this connection needs no wait for the writer's lock.
    /// It copies what the last passive checkpoint left (the few commits since), syncs the database
    /// file, and waits for the reads of the moment 10 ms at most (then the connection's wait is
    /// set back to `SQLiteFile.busyTimeout`: the writer must be one `SQLiteFile` opened); the
    /// writer's next commit then writes the log from its beginning. When a read holds on longer,
    /// nothing is lost: this object asks again after its next passive checkpoint. Costs one atomic
    /// load when nothing is asked.
    public func restartIfAsked(_ db: Database) {
        guard restartAsked.load(ordering: .relaxed),
            restartAsked.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged,
            let connection = db.sqliteConnection
        else { return }
        sqlite3_busy_timeout(connection, 10)
        defer { sqlite3_busy_timeout(connection, Int32(SQLiteFile.busyTimeout * 1000)) }
        if (try? db.checkpoint(.restart)) != nil { restarts.add(1, ordering: .relaxed) }
    }

    /// How many RESTARTs writers made in `restartIfAsked(_:)` that finished (tests).
    public let restarts = Atomic<Int>(0)

    /// A connection for one run, closed after it. (One kept open between runs made the purge's
    /// VACUUM and TRUNCATE on the writer wait out their 10 s busy timeout, one run in three under
    /// the test suite's load: the cause inside SQLite was not found; opening costs well under a
    /// millisecond, at most ten times a second.)
    private func connection() -> DatabaseQueue? {
        var configuration = Configuration()
        // What a RESTART checkpoint waits for readers, holding the writers back (passive ones
        // never wait).
        configuration.busyMode = .timeout(0.02)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            let opened = try DatabaseQueue(path: path, configuration: configuration)
            // A connection learns that the file is in WAL mode by reading it; until then a
            // checkpoint on it does nothing (and says -1 frames).
            _ = try opened.inDatabase { try Int.fetchOne($0, sql: "PRAGMA schema_version") }
            return opened
        } catch {
            // No connection of its own: the writer checkpoints in its commits again, as by default.
            _ = try? writer?.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
            return nil
        }
    }
}
