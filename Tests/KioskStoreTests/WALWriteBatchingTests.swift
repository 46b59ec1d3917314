import Foundation
import GRDB
import StoreSupport
import Testing

/// `WALWriteBatching`: the log's frames gathered and written once per commit, on every SQLite file
/// Accueil opens.
@Suite("The log's frames written once per commit")
struct WALWriteBatchingTests {
    static let table = "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"

    /// A body no other row has, so that a page read from the wrong place cannot pass for it.
    static func body(_ id: Int, _ length: Int) -> String {
        String(repeating: String(id, radix: 36) + ".", count: length / (String(id, radix: 36).count + 1) + 1)
    }

    @Test("a commit's frames (a header and a page each) reach the log's file in one write, seen by readers at once")
    func oneWritePerCommit() async throws {
        let path = temporaryDirectory().appendingPathComponent("gathered.sqlite").path
        WALWriteBatching.count(path + "-wal")
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: Self.table) }
        let pool = try SQLiteFile.open(path: path, migrator: migrator)
        #expect(WALWriteBatching.isDefault)
        for round in 0..<5 {
            let before = WALWriteBatching.counts
            try await pool.write { db in
                for id in round * 40..<(round + 1) * 40 {
                    try db.execute(
                        sql: "INSERT INTO t (id, body) VALUES (?, ?)", arguments: [id, Self.body(id, 1_500)])
                }
            }
            let after = WALWriteBatching.counts
            // 40 rows of 1.5 KB: about 20 pages, each a frame of two writes asked for; written as
            // one (under the 124 KiB of one write).
            #expect(after.asked - before.asked >= 30, "round \(round): \(after.asked - before.asked) writes asked")
            #expect(after.made - before.made == 1, "round \(round): \(after.made - before.made) writes made")
            let seen = try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT COUNT(*), SUM(length(body)) FROM t")!
            }
            let expected = (0..<(round + 1) * 40).reduce(0) { $0 + Self.body($1, 1_500).utf8.count }
            #expect(seen[0] as Int == (round + 1) * 40)
            #expect(seen[1] as Int == expected)
        }
    }

    /// Without a sync in the commit nothing tells the shim the commit ended but the commit frame
    /// itself: another connection must still find every frame in the file once it sees the commit.
    @Test("without any sync (synchronous = OFF), another connection reads every commit whole as soon as it is made")
    func withoutSync() throws {
        WALWriteBatching.install()
        let path = temporaryDirectory().appendingPathComponent("unsynced.sqlite").path
        let writer = try DatabaseQueue(path: path)
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.execute(sql: Self.table)
        }
        let reader = try DatabaseQueue(path: path)
        var expected = 0
        for round in 0..<20 {
            try writer.write { db in
                for id in round * 40..<(round + 1) * 40 {
                    try db.execute(
                        sql: "INSERT INTO t (id, body) VALUES (?, ?)", arguments: [id, Self.body(id, 900)])
                    expected += Self.body(id, 900).utf8.count
                }
            }
            let seen = try reader.read { db in try Row.fetchOne(db, sql: "SELECT COUNT(*), SUM(length(body)) FROM t")! }
            #expect(seen[0] as Int == (round + 1) * 40)
            #expect(seen[1] as Int == expected)
        }
        #expect(try reader.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    /// A transaction larger than the writer's page cache spills pages to the log before its commit,
    /// and writes a page spilled and changed again over its frame, in place; read back in the
    /// transaction, the spilled pages come from the log. Larger than 1 MiB, it is written in parts.
    @Test("a transaction that spills pages, rewrites them in place, reads them back and passes 1 MiB is whole after it")
    func spillsAndRewrites() throws {
        let directory = temporaryDirectory()
        let path = directory.appendingPathComponent("spilled.sqlite").path
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: Self.table) }
        let pool = try SQLiteFile.open(path: path, migrator: migrator)
        let count = 3_000
        let inside = try pool.writeWithoutTransaction { db -> Int in
            try db.execute(sql: "PRAGMA cache_size = 40")
            defer { try? db.execute(sql: "PRAGMA cache_size = -\(SQLiteFile.writerCacheKiB)") }
            var sum = 0
            try db.inTransaction {
                for id in 0..<count {
                    try db.execute(
                        sql: "INSERT INTO t (id, body) VALUES (?, ?)", arguments: [id, Self.body(id, 1_000)])
                }
                // Every page again, after most of them were spilled.
                try db.execute(sql: "UPDATE t SET body = body || '!' WHERE id % 2 = 0")
                sum = try Int.fetchOne(db, sql: "SELECT SUM(length(body)) FROM t")!
                return .commit
            }
            return sum
        }
        let expected = (0..<count).reduce(0) { $0 + Self.body($1, 1_000).utf8.count + ($1 % 2 == 0 ? 1 : 0) }
        #expect(inside == expected)
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT SUM(length(body)) FROM t") } == expected)
        // And on a connection of its own.
        let other = try DatabaseQueue(path: path)
        #expect(try other.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try other.read { try Int.fetchOne($0, sql: "SELECT SUM(length(body)) FROM t") } == expected)
    }
}
