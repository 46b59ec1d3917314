import AccueilCore
import Foundation
import GRDB
import StoreSupport

/// The kiosk's local store: the append-only event log, the attendee projection derived from it,
/// and the outbox of events not yet sent to the server.
///
/// SQLite in WAL mode with `synchronous = FULL`: a check-in is on disk when its call returns, and
/// its event, projection and outbox row are written in one transaction, so a crash leaves all of
/// them or none. Several processes may open the same directory (the door screen and a script).
public struct KioskDatabase: Sendable {
    let writer: DatabasePool
    public let directory: URL
    /// Check-ins from the door's HTTP API, committed in groups (see `GroupCommitter`).
    let committer: GroupCommitter
    /// The write-ahead log kept from growing without end under a door's steady reads.
    let walLimit: WALLimit

    public static let fileName = "kiosk.sqlite"
    /// The name of the thread that commits the grouped check-ins, as `/proc/PID/task/TID/comm`,
    /// `top -H` and `perf` show it (for benches and diagnosis).
    public static let committerThreadName = GroupCommitter.threadName

    /// Opens (creating if needed) the store in `directory`, and migrates it. `logLimit`: what the
    /// write-ahead log may hold before it is started again (`WALLimit`; tests make it small).
    public init(directory: URL, logLimit: Int64 = 32 << 20) throws(StoreError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create the data directory \(directory.path): \(error.localizedDescription)")
        }
        do {
            writer = try SQLiteFile.open(
                path: directory.appendingPathComponent(Self.fileName).path, migrator: Self.migrator)
        } catch {
            throw StoreError("cannot open the store in \(directory.path): \(error)")
        }
        walLimit = WALLimit(path: directory.appendingPathComponent(Self.fileName).path, writer: writer, limit: logLimit)
        committer = GroupCommitter(writer: writer, walLimit: walLimit)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: event log, attendees, outbox") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        type TEXT NOT NULL,
                        attendee_id TEXT NOT NULL,
                        at INTEGER NOT NULL,            -- milliseconds since 1970, kiosk clock
                        kiosk TEXT NOT NULL,
                        payload TEXT
                    );
                    CREATE INDEX events_attendee ON events(attendee_id);
                    CREATE TABLE attendees (
                        id TEXT PRIMARY KEY NOT NULL,
                        first_name TEXT NOT NULL, last_name TEXT NOT NULL, native_name TEXT NOT NULL,
                        organisation TEXT NOT NULL, title TEXT NOT NULL, country TEXT NOT NULL,
                        role TEXT NOT NULL, delegation TEXT NOT NULL, email TEXT NOT NULL,
                        language TEXT NOT NULL, sessions TEXT NOT NULL, vip TEXT NOT NULL, notes TEXT NOT NULL,
                        walk_in INTEGER NOT NULL DEFAULT 0,
                        removed INTEGER NOT NULL DEFAULT 0,
                        checkin_event TEXT, checked_in_at INTEGER, checked_in_kiosk TEXT,
                        duplicates INTEGER NOT NULL DEFAULT 0,
                        refused INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE TABLE outbox (
                        event_seq INTEGER PRIMARY KEY REFERENCES events(seq)
                    );
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: badge versions") { db in
            try db.execute(sql: "ALTER TABLE attendees ADD COLUMN badge_version INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v3: print queue") { db in
            try db.execute(
                sql: """
                    ALTER TABLE attendees ADD COLUMN prints INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE attendees ADD COLUMN reprints INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE print_jobs (
                        id TEXT PRIMARY KEY NOT NULL,       -- also the CUPS job title: accueil-<id>
                        attendee_id TEXT NOT NULL,
                        badge_version INTEGER NOT NULL,
                        printer TEXT NOT NULL,
                        format TEXT NOT NULL,               -- pdf | zpl
                        template TEXT NOT NULL,
                        reason TEXT,                        -- NULL for a first print
                        state TEXT NOT NULL,                -- pending | submitted | printed | failed | cancelled
                        cups_job INTEGER,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        kiosk TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        next_attempt_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX print_jobs_state ON print_jobs(state, next_attempt_at);
                    CREATE INDEX print_jobs_attendee ON print_jobs(attendee_id);
                    """)
        }
        migrator.registerMigration("v4: sessions and presence") { db in
            try db.execute(
                sql: """
                    ALTER TABLE attendees ADD COLUMN inside_session TEXT;
                    ALTER TABLE attendees ADD COLUMN inside_since INTEGER;
                    ALTER TABLE attendees ADD COLUMN inside_kiosk TEXT;
                    ALTER TABLE attendees ADD COLUMN attended TEXT NOT NULL DEFAULT '';
                    CREATE INDEX attendees_inside ON attendees(inside_session) WHERE inside_session IS NOT NULL;
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY NOT NULL,
                        title TEXT NOT NULL, room TEXT NOT NULL,
                        starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
                        capacity INTEGER NOT NULL, access TEXT NOT NULL, kind TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v5: events the server refused, set aside") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox_set_aside (
                        event_seq INTEGER PRIMARY KEY REFERENCES events(seq),
                        reason TEXT NOT NULL,
                        at INTEGER NOT NULL,        -- milliseconds since 1970, when it was set aside
                        version TEXT NOT NULL       -- the accueil version that set it aside
                    );
                    """)
        }
        migrator.registerMigration("v6: registration tickets and pending registrations") { db in
            try db.execute(
                sql: """
                    ALTER TABLE attendees ADD COLUMN tickets TEXT NOT NULL DEFAULT '';  -- digests, "|"-separated
                    ALTER TABLE attendees ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
                    -- Digest → attendee, for the lookups without the door's memory (checkin, session
                    -- doors). Rows left by a ticket dropped since are checked against the attendee.
                    CREATE TABLE attendee_tickets (
                        digest TEXT PRIMARY KEY NOT NULL,
                        attendee_id TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v7: print queue counted, and its newest jobs indexed") { db in
            // The status (polled by every door screen, the dashboard's kiosk row and `accueil
            // status`) asks how many jobs are in each state and which are the newest: over a long
            // day with the printer away those were scans of the whole queue (4 ms at 37,000 jobs,
            // growing with it). Counts kept by triggers, and an index for the newest of each state.
            try db.execute(
                sql: """
                    CREATE TABLE print_job_counts (state TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO print_job_counts (state, n) SELECT state, COUNT(*) FROM print_jobs GROUP BY state;
                    CREATE TRIGGER print_jobs_counted_insert AFTER INSERT ON print_jobs BEGIN
                        INSERT INTO print_job_counts (state, n) VALUES (NEW.state, 1)
                            ON CONFLICT (state) DO UPDATE SET n = n + 1;
                    END;
                    CREATE TRIGGER print_jobs_counted_delete AFTER DELETE ON print_jobs BEGIN
                        UPDATE print_job_counts SET n = n - 1 WHERE state = OLD.state;
                    END;
                    CREATE TRIGGER print_jobs_counted_update AFTER UPDATE OF state ON print_jobs
                    WHEN OLD.state IS NOT NEW.state BEGIN
                        UPDATE print_job_counts SET n = n - 1 WHERE state = OLD.state;
                        INSERT INTO print_job_counts (state, n) VALUES (NEW.state, 1)
                            ON CONFLICT (state) DO UPDATE SET n = n + 1;
                    END;
                    CREATE INDEX print_jobs_state_created ON print_jobs(state, created_at);
                    """)
        }
        migrator.registerMigration("v8: printers waited for") { db in
            // A printer away or refusing jobs: its jobs wait for it (`next_attempt_at` set to
            // `PrintJob.waitingForPrinter`) and the printer has one row here with its next try,
            // instead of every job being given its own next try, and rewritten, at each of them.
            try db.execute(
                sql: """
                    CREATE TABLE printer_waits (
                        printer TEXT PRIMARY KEY NOT NULL,
                        failures INTEGER NOT NULL,
                        next_try_at INTEGER NOT NULL,
                        error TEXT NOT NULL,
                        waiting INTEGER NOT NULL        -- jobs held for it
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v9: outbox counted") { db in
            // Every door screen's status poll and the statistics ask how many changes wait to be
            // sent. `COUNT(*)` walks the whole outbox: on a station that stays offline that is
            // every change of the day (in the ten-minute bench, a quarter of the daemon's CPU by
            // the ninth minute, and growing). A count kept by triggers instead.
            try db.execute(
                sql: """
                    CREATE TABLE outbox_count (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
                    INSERT INTO outbox_count (one, n) SELECT 1, COUNT(*) FROM outbox;
                    CREATE TRIGGER outbox_counted_insert AFTER INSERT ON outbox BEGIN
                        UPDATE outbox_count SET n = n + 1;
                    END;
                    CREATE TRIGGER outbox_counted_delete AFTER DELETE ON outbox BEGIN
                        UPDATE outbox_count SET n = n - 1;
                    END;
                    """)
        }
        return migrator
    }

    // MARK: Reading

    /// Every attendee still on the roster, with their state, in no particular order.
    public func attendees() throws(StoreError) -> [AttendeeRecord] {
        var records: [AttendeeRecord] = []
        try eachAttendee { records.append($0) }
        return records
    }

    /// Every attendee still on the roster, packed as they are read (``PackedRecords``).
    public func packedAttendees() throws(StoreError) -> PackedRecords {
        var records = PackedRecords()
        try eachAttendee { records.append($0) }
        records.trim()
        return records
    }

    /// Hands each attendee still on the roster to `body`, one row decoded at a time (a cursor,
    /// instead of holding every raw row at once).
    private func eachAttendee(_ body: (AttendeeRecord) -> Void) throws(StoreError) {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT \(AttendeeRecord.columns) FROM attendees WHERE removed = 0")
            while let row = try rows.next() { body(try AttendeeRecord(row: row)) }
        }
    }

    /// The attendee whose registration ticket has this digest (``Badges/TicketDigester``), removed
    /// ones included; nil when none. For scripts, session doors and the terminal tools; a door
    /// screen looks up its in-memory ``RosterSnapshot``.
    public func attendee(ticket digest: String) throws(StoreError) -> AttendeeRecord? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(AttendeeRecord.columns) FROM attendees
                    WHERE id = (SELECT attendee_id FROM attendee_tickets WHERE digest = ?)
                    """, arguments: [digest]
            ).map(AttendeeRecord.init(row:)).flatMap { $0.attendee.tickets.contains(digest) ? $0 : nil }
        }
    }

    /// One attendee by id, removed ones included.
    public func attendee(id: String) throws(StoreError) -> AttendeeRecord? {
        try read { db in try Self.attendee(db, id: id) }
    }

    /// One attendee's row by id, removed ones included (a statement prepared once per connection:
    /// the door's check-ins and scans read it each time).
    static func attendee(_ db: Database, id: String) throws -> AttendeeRecord? {
        try firstColumns(
            db.cachedStatement(sql: "SELECT \(AttendeeRecord.columns) FROM attendees WHERE id = ?"), arguments: [id],
            AttendeeRecord.init(row:))
    }

    /// The first row of `statement`, read in place by `body` straight from SQLite, by position
    /// (``StatementColumns``; `body` must not keep it).
    static func firstColumns<T>(
        _ statement: Statement, arguments: StatementArguments, _ body: (StatementColumns) throws -> T
    ) throws -> T? {
        let cursor = try ColumnsCursor(statement, arguments: arguments)
        return try withExtendedLifetime(cursor) { try cursor.next().map(body) }
    }

    /// The first row of `statement`, read in place by `body` (which must not keep it): GRDB's
    /// `Row.fetchOne` first copies every column into a row of its own, and the door's check-in
    /// paid for its attendee's thirty columns twice.
    static func firstRow<T>(_ statement: Statement, arguments: StatementArguments, _ body: (Row) throws -> T)
        throws -> T?
    {
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        return try withExtendedLifetime(cursor) { try cursor.next().map(body) }
    }

    /// One attendee's state at the doors (``AttendeeStatus``), without their roster entry: what a
    /// door screen reads again after a check-in, instead of the whole row.
    public func attendeeStatus(id: String) throws(StoreError) -> AttendeeStatus? {
        try read { db in try Self.attendeeStatus(db, id: id) }
    }

    static func attendeeStatus(_ db: Database, id: String) throws -> AttendeeStatus? {
        try firstColumns(
            db.cachedStatement(sql: "SELECT \(AttendeeStatus.columns) FROM attendees WHERE id = ?"), arguments: [id]
        ) { AttendeeStatus(row: $0, from: 0) }
    }

    /// An attendee's events, in log order.
    public func events(attendeeID: String) throws(StoreError) -> [Event] {
        try read { db in try Self.events(db, attendeeID: attendeeID) }
    }

    /// The whole log, in the order it was written here.
    public func allEvents() throws(StoreError) -> [Event] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.eventColumns) FROM events ORDER BY seq").map(Self.event(from:))
        }
    }

    /// The events waiting to be sent to the server, as the triggers of migration v9 count them.
    static func outboxCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT n FROM outbox_count")) ?? 0
    }

    /// Number of events waiting to be sent to the server.
    public func outboxCount() throws(StoreError) -> Int {
        try read { db in try Self.outboxCount(db) }
    }

    public func stats() throws(StoreError) -> Stats {
        try read { db in
            var stats = Stats()
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT role, COUNT(*) AS n, COUNT(checkin_event) AS arrived, SUM(walk_in) AS walkins,
                           SUM(duplicates) AS dup, SUM(refused) AS refused
                    FROM attendees WHERE removed = 0 GROUP BY role
                    """)
            {
                let role: String = row["role"]
                let n: Int = row["n"]
                let arrived: Int = row["arrived"]
                stats.registered += n
                stats.checkedIn += arrived
                stats.walkIns += row["walkins"] ?? 0
                stats.duplicates += row["dup"] ?? 0
                stats.refusedAttempts += row["refused"] ?? 0
                stats.byRole[role] = Stats.Count(registered: n, checkedIn: arrived)
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT country, COUNT(*) AS n, COUNT(checkin_event) AS arrived
                    FROM attendees WHERE removed = 0 AND country <> '' GROUP BY country
                    """)
            {
                let country: String = row["country"]
                let count = Stats.Count(registered: row["n"], checkedIn: row["arrived"])
                stats.byCountry[country] = count
                if country != "FR" {
                    stats.international.registered += count.registered
                    stats.international.checkedIn += count.checkedIn
                }
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT delegation, COUNT(*) AS n, COUNT(checkin_event) AS arrived
                    FROM attendees WHERE removed = 0 AND delegation <> '' GROUP BY delegation
                    """)
            {
                stats.byDelegation[row["delegation"]] = Stats.Count(registered: row["n"], checkedIn: row["arrived"])
            }
            stats.outbox = try Self.outboxCount(db)
            return stats
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot read the store: \(error)")
        }
    }

    /// `write`, in the next group commit (for concurrent callers: the HTTP API).
    func groupWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await committer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot write to the store: \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            defer { walLimit.afterCommit() }
            return try committer.otherWrite { try writer.write(body) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot write to the store: \(error)")
        }
    }

    /// How many events of `type` the log holds for each subject (ledger checks: each acknowledged
    /// check-in is one `checkin` event).
    public func eventCounts(type: String) throws(StoreError) -> [String: Int] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT attendee_id, COUNT(*) AS n FROM events WHERE type = ? GROUP BY attendee_id",
                arguments: [type]
            ).reduce(into: [String: Int]()) { $0[$1["attendee_id"]] = $1["n"] }
        }
    }

    // MARK: Events

    static let eventColumns = "id, type, attendee_id, at, kiosk, payload"

    /// Reads a row selected with `eventColumns`, by position.
    static func event(from row: Row) throws -> Event {
        let idText: String = row[0]
        let type: String = row[1]
        guard let id = UUID(text: idText) else { throw StoreError("corrupt event id \(idText)") }
        let ms: Int64 = row[3]
        return Event(
            id: id, attendeeID: row[2], at: Date(timeIntervalSince1970: Double(ms) / 1000), kiosk: row[4],
            body: try EventCodec.body(type: type, payload: row[5]))
    }

    static func events(_ db: Database, attendeeID: String) throws -> [Event] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(eventColumns) FROM events WHERE attendee_id = ? ORDER BY seq"),
            arguments: [attendeeID]
        )
        .map(event(from:))
    }

    /// Appends `event` to the log and to the outbox. Returns false when an event with this id is
    /// already there (appending is idempotent).
    @discardableResult
    static func append(_ db: Database, _ event: Event, outbox: Bool = true, payload: String?? = nil) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO events (id, type, attendee_id, at, kiosk, payload) VALUES (?, ?, ?, ?, ?, ?)")
        // `payload` is the payload as received (nil inside for none), or nil to encode it here.
        let text: String? = if let payload { payload } else { EventCodec.payload(event.body) }
        try statement.execute(arguments: [
            event.id.text, event.type, event.attendeeID, Self.milliseconds(event.at), event.kiosk, text,
        ])
        guard db.changesCount > 0 else { return false }
        if outbox {
            try db.cachedStatement(sql: "INSERT INTO outbox (event_seq) VALUES (?)").execute(arguments: [
                db.lastInsertedRowID
            ])
        }
        return true
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// Re-derives one attendee's row (or a session's) from their events.
    static func refresh(_ db: Database, attendeeID: String) throws {
        if let session = Session.id(ofSubject: attendeeID) {
            try storeSession(db, id: session, SessionState.fold(try events(db, attendeeID: attendeeID)))
            return
        }
        try store(db, attendeeID: attendeeID, AttendeeState.fold(try events(db, attendeeID: attendeeID)))
    }

    /// Writes one session's folded state to its row.
    static func storeSession(_ db: Database, id: String, _ state: SessionState) throws {
        guard let s = state.session else {
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
            return
        }
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO sessions (id, title, room, starts_at, ends_at, capacity, access, kind)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                s.id, s.title, s.room, milliseconds(s.start), milliseconds(s.end), s.capacity, s.access.description,
                s.kind,
            ])
    }

    /// Writes one attendee's folded state to their row.
    static func store(_ db: Database, attendeeID: String, _ state: AttendeeState) throws {
        guard let attendee = state.attendee else {
            // Events for someone we do not know yet (sync may bring the upsert later).
            try db.execute(sql: "DELETE FROM attendees WHERE id = ?", arguments: [attendeeID])
            return
        }
        let a = attendee
        try db.cachedStatement(
            sql: """
                INSERT INTO attendees (id, first_name, last_name, native_name, organisation, title, country, role,
                    delegation, email, language, sessions, vip, notes, walk_in, removed, checkin_event,
                    checked_in_at, checked_in_kiosk, duplicates, refused, badge_version, prints, reprints,
                    inside_session, inside_since, inside_kiosk, attended, tickets, pending)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                    native_name = excluded.native_name, organisation = excluded.organisation, title = excluded.title,
                    country = excluded.country, role = excluded.role, delegation = excluded.delegation,
                    email = excluded.email, language = excluded.language, sessions = excluded.sessions,
                    vip = excluded.vip, notes = excluded.notes, walk_in = excluded.walk_in, removed = excluded.removed,
                    checkin_event = excluded.checkin_event, checked_in_at = excluded.checked_in_at,
                    checked_in_kiosk = excluded.checked_in_kiosk, duplicates = excluded.duplicates,
                    refused = excluded.refused, badge_version = excluded.badge_version, prints = excluded.prints,
                    reprints = excluded.reprints, inside_session = excluded.inside_session,
                    inside_since = excluded.inside_since, inside_kiosk = excluded.inside_kiosk,
                    attended = excluded.attended, tickets = excluded.tickets, pending = excluded.pending
                """
        ).execute(arguments: [
            a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country, a.role.rawValue,
            a.delegation, a.email, a.language, a.sessions.joined(separator: "|"), a.vip, a.notes, a.walkIn,
            state.removed, state.checkIn?.eventID.text, state.checkIn.map { milliseconds($0.at) },
            state.checkIn?.kiosk, state.duplicateCheckIns.count, state.refusedAttempts, state.badgeVersion,
            state.prints, state.reprints, state.inside?.session, state.inside.map { milliseconds($0.since) },
            state.inside?.kiosk, state.attended.joined(separator: "|"), a.tickets.joined(separator: "|"), a.pending,
        ])
        try indexTickets(db, a)
    }

    /// Files the attendee's ticket digests under their id (nothing to do for most attendees).
    static func indexTickets(_ db: Database, _ a: Attendee) throws {
        for digest in a.tickets {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO attendee_tickets (digest, attendee_id) VALUES (?, ?)")
                .execute(arguments: [digest, a.id])
        }
    }

    static func upsertFields(_ db: Database, _ a: Attendee) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO attendees (id, first_name, last_name, native_name, organisation, title, country, role,
                    delegation, email, language, sessions, vip, notes, walk_in, removed, tickets, pending)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
                ON CONFLICT(id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                    native_name = excluded.native_name, organisation = excluded.organisation, title = excluded.title,
                    country = excluded.country, role = excluded.role, delegation = excluded.delegation,
                    email = excluded.email, language = excluded.language, sessions = excluded.sessions,
                    vip = excluded.vip, notes = excluded.notes, walk_in = excluded.walk_in, removed = 0,
                    tickets = excluded.tickets, pending = excluded.pending
                """
        ).execute(arguments: [
            a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country, a.role.rawValue,
            a.delegation, a.email, a.language, a.sessions.joined(separator: "|"), a.vip, a.notes, a.walkIn,
            a.tickets.joined(separator: "|"), a.pending,
        ])
        try indexTickets(db, a)
    }
}

/// A store operation failed; the message says what and where, in words for an organiser.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case failure, unknownAttendee, notCheckedIn, idTaken, unknownSession }
    public var message: String
    public var kind: Kind = .failure
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An attendee with their current state, as the projection holds them.
public struct AttendeeRecord: Sendable, Equatable {
    public var attendee: Attendee
    public var checkIn: CheckInRecord?
    public var duplicates: Int
    public var refusedAttempts: Int
    public var removed: Bool
    /// Version of the current badge (1 + reissues); older QR codes are refused.
    public var badgeVersion: Int
    /// Badges sent to print for this attendee, and how many were reprints.
    public var prints: Int
    public var reprints: Int
    /// The session room they are in, as far as this kiosk knows.
    public var inside: Presence?
    /// Sessions they entered at least once.
    public var attended: [String]

    public init(
        attendee: Attendee, checkIn: CheckInRecord? = nil, duplicates: Int = 0, refusedAttempts: Int = 0,
        removed: Bool = false, badgeVersion: Int = 1, prints: Int = 0, reprints: Int = 0, inside: Presence? = nil,
        attended: [String] = []
    ) {
        self.attendee = attendee
        self.checkIn = checkIn
        self.duplicates = duplicates
        self.refusedAttempts = refusedAttempts
        self.removed = removed
        self.badgeVersion = badgeVersion
        self.prints = prints
        self.reprints = reprints
        self.inside = inside
        self.attended = attended
    }

    /// Imported pending (payment or approval) and not checked in: no door lets them in.
    public var awaitsConfirmation: Bool { attendee.pending && checkIn == nil }

    /// The columns `init(row:)` reads, in order: select exactly these.
    static let columns = """
        id, first_name, last_name, native_name, organisation, title, country, role, delegation, email, language, \
        sessions, vip, notes, walk_in, removed, checkin_event, checked_in_at, checked_in_kiosk, duplicates, refused, \
        badge_version, prints, reprints, inside_session, inside_since, inside_kiosk, attended, tickets, pending
        """

    /// Reads a row selected with `columns`, by position (by name, GRDB lowercases every lookup).
    init(row: some ColumnReader) throws {
        let roleText = row.text(7)
        guard let role = Role(rawValue: roleText) else { throw StoreError("corrupt role \(roleText)") }
        let sessions = row.text(11)
        attendee = Attendee(
            id: row.text(0), firstName: row.text(1), lastName: row.text(2), nativeName: row.text(3),
            organisation: row.text(4), title: row.text(5), country: row.text(6), role: role,
            delegation: row.text(8), email: row.text(9), language: row.text(10),
            sessions: sessions.isEmpty ? [] : sessions.split(separator: "|").map(String.init), vip: row.text(12),
            notes: row.text(13), walkIn: row.bool(14))
        let tickets = row.text(28)
        attendee.tickets = tickets.isEmpty ? [] : tickets.split(separator: "|").map(String.init)
        attendee.pending = row.bool(29)
        let status = AttendeeStatus(row: row, from: 15)
        (removed, checkIn, duplicates, refusedAttempts) = (
            status.removed, status.checkIn, status.duplicates, status.refusedAttempts
        )
        (badgeVersion, prints, reprints, inside, attended) = (
            status.badgeVersion, status.prints, status.reprints, status.inside, status.attended
        )
    }
}

/// What changes about an attendee at the doors (check-ins, refusals, badges, presence) and
/// removal, without their roster entry: a door screen holds this much for each attendee changed
/// since its index was built, about a tenth of the whole record.
public struct AttendeeStatus: Sendable, Equatable {
    public var removed: Bool
    public var checkIn: CheckInRecord?
    public var duplicates: Int
    public var refusedAttempts: Int
    public var badgeVersion: Int
    public var prints: Int
    public var reprints: Int
    public var inside: Presence?
    public var attended: [String]

    public init(_ record: AttendeeRecord) {
        (removed, checkIn, duplicates, refusedAttempts) = (
            record.removed, record.checkIn, record.duplicates, record.refusedAttempts
        )
        (badgeVersion, prints, reprints, inside, attended) = (
            record.badgeVersion, record.prints, record.reprints, record.inside, record.attended
        )
    }

    /// `record`, with this state instead of its own.
    public func applied(to record: AttendeeRecord) -> AttendeeRecord {
        var record = record
        (record.removed, record.checkIn, record.duplicates, record.refusedAttempts) = (
            removed, checkIn, duplicates, refusedAttempts
        )
        (record.badgeVersion, record.prints, record.reprints, record.inside, record.attended) = (
            badgeVersion, prints, reprints, inside, attended
        )
        return record
    }

    /// The columns `init(row:from:)` reads, in order (`AttendeeRecord.columns` has them from 15).
    static let columns = """
        removed, checkin_event, checked_in_at, checked_in_kiosk, duplicates, refused, badge_version, prints, \
        reprints, inside_session, inside_since, inside_kiosk, attended
        """

    /// Reads ``columns`` from the row's column `first` on.
    init(row: some ColumnReader, from first: Int) {
        removed = row.bool(first)
        checkIn = nil
        if let event = row.optionalText(first + 1), let id = UUID(text: event) {
            let ms = row.int64(first + 2)
            checkIn = CheckInRecord(
                eventID: id, at: Date(timeIntervalSince1970: Double(ms) / 1000), kiosk: row.text(first + 3))
        }
        duplicates = row.int(first + 4)
        refusedAttempts = row.int(first + 5)
        badgeVersion = row.int(first + 6)
        prints = row.int(first + 7)
        reprints = row.int(first + 8)
        inside = nil
        if let session = row.optionalText(first + 9) {
            let ms = row.int64(first + 10)
            inside = Presence(
                session: session, since: Date(timeIntervalSince1970: Double(ms) / 1000), kiosk: row.text(first + 11))
        }
        let attended = row.text(first + 12)
        self.attended = attended.isEmpty ? [] : attended.split(separator: "|").map(String.init)
    }
}
