import AccueilCore
import Foundation
import GRDB

#if canImport(Glibc)
    /// glibc's malloc_trim(3), which the Glibc module does not export.
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// The attendees of a store with a search index over them: what a door searches.
/// Immutable; take a new snapshot after changes (``KioskDatabase/snapshot()``).
public struct RosterSnapshot: Sendable {
    public let records: [AttendeeRecord]
    public let index: SearchIndex
    private let positions: [String: Int]
    /// Registration ticket digest → position.
    private let tickets: [String: Int]
    /// Ticket digest → record, for attendees removed from the roster (cancelled registrations):
    /// their tickets are refused as cancelled, not as unknown. Not searched.
    private let removedTickets: [String: AttendeeRecord]

    /// `removed`: attendees removed from the roster who hold tickets.
    public init(records: [AttendeeRecord], removed: [AttendeeRecord] = []) {
        var removedTickets: [String: AttendeeRecord] = [:]
        for record in removed {
            for digest in record.attendee.tickets { removedTickets[digest] = record }
        }
        self.removedTickets = removedTickets
        self.records = records
        self.index = SearchIndex(records.map(\.attendee))
        var positions: [String: Int] = [:]
        positions.reserveCapacity(records.count)
        var tickets: [String: Int] = [:]
        for (i, record) in records.enumerated() {
            positions[record.attendee.id] = i
            for digest in record.attendee.tickets { tickets[digest] = i }
        }
        self.positions = positions
        self.tickets = tickets
        #if canImport(Glibc)
            // Building the index leaves freed scratch memory in malloc's arenas; hand it back.
            _ = glibcMallocTrim(0)
        #endif
    }

    public struct Result: Sendable {
        public var record: AttendeeRecord
        public var hit: SearchHit
    }

    /// Attendees matching `query`, best first. An exact id (as typed or scanned) comes first.
    public func search(_ query: String, limit: Int = 20) -> [Result] {
        var results = index.search(query, limit: limit).map { Result(record: records[$0.index], hit: $0) }
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        if let exact = positions[trimmed] {
            results.removeAll { $0.hit.index == exact }
            results.insert(
                Result(record: records[exact], hit: SearchHit(index: exact, score: .max, match: .exact)), at: 0)
            if results.count > limit { results.removeLast() }
        }
        return results
    }

    public func record(id: String) -> AttendeeRecord? { positions[id].map { records[$0] } }

    /// The attendee whose registration ticket has this digest, removed (cancelled) ones included.
    public func record(ticket digest: String) -> AttendeeRecord? {
        tickets[digest].map { records[$0] } ?? removedTickets[digest]
    }
}

extension KioskDatabase {
    /// Loads every attendee and indexes them for search.
    public func snapshot() throws(StoreError) -> RosterSnapshot {
        let removed = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(AttendeeRecord.columns) FROM attendees WHERE removed = 1 AND tickets <> ''"
            ).map(AttendeeRecord.init(row:))
        }
        return RosterSnapshot(records: try attendees(), removed: removed)
    }

    /// The number of events in the log: changes when anything (here or in another process) writes.
    public func logVersion() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 }
    }
}

/// What changed in the log after a given point.
public struct LogChanges: Sendable {
    /// The log's version now (see ``KioskDatabase/logVersion()``).
    public var version: Int
    /// Attendees with new events.
    public var attendeeIDs: Set<String>
    /// Some of the new events change who is on the roster or what they are (not only check-ins):
    /// the search index must be rebuilt.
    public var rosterChanged: Bool
}

extension KioskDatabase {
    /// The attendees touched since `version`, so that a screen refreshes only them.
    public func changes(since version: Int) throws(StoreError) -> LogChanges {
        try read { db in
            var changes = LogChanges(version: version, attendeeIDs: [], rosterChanged: false)
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, attendee_id, type FROM events WHERE seq > ? ORDER BY seq", arguments: [version])
            while let row = try rows.next() {
                changes.version = row[0]
                changes.attendeeIDs.insert(row[1])
                let type: String = row[2]
                if type.hasPrefix("attendee.") { changes.rosterChanged = true }
            }
            return changes
        }
    }
}

/// The roster in memory for a door screen (the terminal one, the browser's), records and search
/// index, kept in step with the store: new events (this screen's, another process's, sync's)
/// refresh only the attendees they touch; roster changes rebuild the index.
public struct LiveRoster: Sendable {
    public private(set) var snapshot: RosterSnapshot
    /// Records changed since the snapshot was taken (check-ins here or elsewhere).
    private var overrides: [String: AttendeeRecord] = [:]
    private var version: Int

    public init(db: KioskDatabase) throws(StoreError) {
        version = try db.logVersion()
        snapshot = try db.snapshot()
    }

    /// Picks up what was written to the store since the last look. Returns true when something changed.
    @discardableResult
    public mutating func refresh(from db: KioskDatabase) -> Bool {
        guard let changes = try? db.changes(since: version), changes.version != version else { return false }
        version = changes.version
        if changes.rosterChanged, let fresh = try? db.snapshot() {
            snapshot = fresh
            overrides = [:]
        } else {
            for id in changes.attendeeIDs {
                if let record = try? db.attendee(id: id) { overrides[id] = record }
            }
        }
        return true
    }

    /// Reads everything again (after this screen changed the roster itself, e.g. a walk-in).
    public mutating func reload(from db: KioskDatabase) throws(StoreError) {
        version = try db.logVersion()
        snapshot = try db.snapshot()
        overrides = [:]
    }

    /// After this screen wrote `expectedEvents` events about `id`: refreshes that attendee, and
    /// picks up anything another process wrote meanwhile.
    public mutating func wrote(_ id: String, expectedEvents: Int, in db: KioskDatabase) {
        if let record = try? db.attendee(id: id) { overrides[id] = record }
        if let now = try? db.logVersion() {
            if now == version + expectedEvents { version = now } else { refresh(from: db) }
        }
    }

    /// The up-to-date version of a record the snapshot holds.
    public func current(_ record: AttendeeRecord) -> AttendeeRecord { overrides[record.attendee.id] ?? record }

    public func record(id: String) -> AttendeeRecord? { overrides[id] ?? snapshot.record(id: id) }

    /// The attendee whose registration ticket has this digest, up to date. (A change of someone's
    /// tickets is a roster change: the snapshot is rebuilt with it.)
    public func record(ticket digest: String) -> AttendeeRecord? { snapshot.record(ticket: digest).map(current) }
}
