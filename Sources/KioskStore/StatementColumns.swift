import GRDB
import GRDBSQLite

/// The columns of a result row, read by position: from GRDB's `Row`, or straight from the
/// statement's current step (``StatementColumns``). The records' decoders take either, so that
/// one decoder serves both.
protocol ColumnReader {
    func text(_ index: Int) -> String
    func optionalText(_ index: Int) -> String?
    func int64(_ index: Int) -> Int64
}

extension ColumnReader {
    func int(_ index: Int) -> Int { Int(int64(index)) }
    func bool(_ index: Int) -> Bool { int64(index) != 0 }
}

extension Row: ColumnReader {
    func text(_ index: Int) -> String { self[index] }
    func optionalText(_ index: Int) -> String? { self[index] }
    func int64(_ index: Int) -> Int64 { self[index] }
}

/// The current step of a statement, read with SQLite's own column functions: valid until the
/// statement steps again or is reset. What a door's check-in reads its attendee's thirty columns
/// with: GRDB's `Row` first lowercases every column's name into a dictionary for lookups by name
/// (3 % of the committer's thread at eight busy doors), which reads by position never use.
struct StatementColumns: ColumnReader {
    let statement: SQLiteStatement

    func text(_ index: Int) -> String { optionalText(index) ?? "" }

    func optionalText(_ index: Int) -> String? {
        let column = Int32(index)
        guard sqlite3_column_type(statement, column) != SQLITE_NULL,
            let bytes = sqlite3_column_text(statement, column)
        else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func int64(_ index: Int) -> Int64 { sqlite3_column_int64(statement, Int32(index)) }
}

/// A cursor whose elements are its statement's steps, read in place (``StatementColumns``).
final class ColumnsCursor: DatabaseCursor {
    typealias Element = StatementColumns
    let _statement: Statement
    var _isDone = false

    init(_ statement: Statement, arguments: StatementArguments) throws {
        _statement = statement
        try statement.setArguments(arguments)  // resets the statement, then binds
    }

    deinit { sqlite3_reset(_statement.sqliteStatement) }

    func _element(sqliteStatement: SQLiteStatement) -> StatementColumns { StatementColumns(statement: sqliteStatement) }
}
