import AccueilCore
import Foundation
import GRDB

/// How every SQLite file of Accueil is opened — the kiosk's store, the central store, the
/// invitations' mail queue — so that they all keep the same promises:
///
/// - WAL (a `DatabasePool`): readers never wait for the writer;
/// - `synchronous = FULL` on the writer: each commit syncs the log (`fdatasync`) before it
///   returns, so a change acknowledged is on disk, through a power cut. GRDB's `DatabasePool` sets
///   its writer to `NORMAL` once it has put the file in WAL mode, after `prepareDatabase` has run
///   (a commit then only reaches the page cache, and is synced at the next checkpoint): FULL is set
///   again after that, and checked (``synchronousLevel(_:)``);
/// - the writer keeps its statement journals in memory (`temp_store = MEMORY`): each grouped
///   check-in runs in a savepoint, whose journal otherwise spills to a new file in `/var/tmp` past
///   64 KiB (an `open`, writes and an `unlink` many times a second under load). Readers keep the
///   default, so a large sort on a reader still goes to disk, and a purge's VACUUM copies to a file
///   (`WALLimit.compact`);
/// - the writer keeps 32 MiB of pages (SQLite's default is 2 MB): at 100,000 attendees a door's
///   check-in touches leaves of the attendees' table and of three indexes at random, and with the
///   default many were read again from the file at each commit (`pread`, about ten a commit at
///   8 busy doors; with 32 MiB, about two);
/// - the log's frames reach the file in one write per commit, not two per page
///   (``WALWriteBatching``, installed before the first file is opened);
/// - a lock held by another process (a command beside the daemon) is waited for up to 10 s;
/// - the directory is made if needed, and the file is opened and migrated under an exclusive lock
///   file (`PATH.lock`), since a command and a daemon may open a new store at the same moment.
public enum SQLiteFile {
    public static func open(path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        WALWriteBatching.install()
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        }
        return try FileLock.exclusive(path + ".lock") {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
                let level = try synchronousLevel(db)
                guard level == fullSynchronous else {
                    throw DatabaseError(message: "\(path): the writer's synchronous is \(level), not FULL (2)")
                }
            }
            try migrator.migrate(pool)
            return pool
        }
    }

    /// How long a connection waits for a lock another holds, in seconds.
    public static let busyTimeout: TimeInterval = 10

    /// The writer's page cache, in KiB (SQLite's default is 2,000).
    public static let writerCacheKiB = 32768

    /// SQLite's `synchronous = FULL`, as `PRAGMA synchronous` reads it.
    public static let fullSynchronous = 2

    /// The writer's `synchronous` level (`PRAGMA synchronous`: 2 is FULL), for tests.
    public static func synchronousLevel(_ pool: DatabasePool) throws -> Int {
        try pool.writeWithoutTransaction { db in try synchronousLevel(db) }
    }

    /// `PRAGMA synchronous` on `db`'s connection (-1 when it says nothing).
    static func synchronousLevel(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
    }
}
