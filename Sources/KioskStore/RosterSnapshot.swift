import AccueilCore
import Foundation
import GRDB

/// The attendees of a store with a search index over them: what a door searches.
/// Immutable; take a new snapshot after changes (``KioskDatabase/snapshot()``).
public struct RosterSnapshot: Sendable {
    /// Packed: at a million attendees, as Swift values they took most of the kiosk's memory.
    public let records: PackedRecords
    public let index: SearchIndex
    private let positions: [String: Int]
    /// Registration ticket digest → position.
    private let tickets: [String: Int]
    /// Ticket digest → record, for attendees removed from the roster (cancelled registrations):
    /// their tickets are refused as cancelled, not as unknown. Not searched.
    private let removedTickets: [String: AttendeeRecord]

    /// `removed`: attendees removed from the roster who hold tickets.
    public init(records: [AttendeeRecord], removed: [AttendeeRecord] = [], trimMemory: Bool = true) {
        self.init(packed: PackedRecords(records), removed: removed, trimMemory: trimMemory)
    }

    /// Over records already packed (read so from the store, never held as Swift values all at once).
    public init(packed records: PackedRecords, removed: [AttendeeRecord] = [], trimMemory: Bool = true) {
        var removedTickets: [String: AttendeeRecord] = [:]
        for record in removed {
            for digest in record.attendee.tickets { removedTickets[digest] = record }
        }
        self.removedTickets = removedTickets
        self.index = SearchIndex(records.attendees)
        var positions: [String: Int] = [:]
        positions.reserveCapacity(records.count)
        var tickets: [String: Int] = [:]
        for (i, attendee) in records.attendees.enumerated() {
            positions[attendee.id] = i
            for digest in attendee.tickets { tickets[digest] = i }
        }
        self.positions = positions
        self.tickets = tickets
        self.records = records
        // Building the index leaves freed scratch memory in malloc's arenas; hand it back.
        if trimMemory { returnFreeMemory() }
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
        return RosterSnapshot(packed: try packedAttendees(), removed: removed)
    }

    /// The number of events in the log: changes when anything (here or in another process) writes.
    public func logVersion() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) FROM events")) ?? 0 }
    }
}

/// What changed in the log after a given point.
public struct LogChanges: Sendable {
    /// The log's version now (see ``KioskDatabase/logVersion()``).
    public var version: Int
    /// Attendees with new events.
    public var attendeeIDs: Set<String>
    /// Attendees whose roster entry changed (added, edited, removed), not only their check-in:
    /// what they are searched by may have changed.
    public var rosterIDs: Set<String>
    public var rosterChanged: Bool { !rosterIDs.isEmpty }
}

extension KioskDatabase {
    /// The attendees touched since `version`, so that a screen refreshes only them.
    public func changes(since version: Int) throws(StoreError) -> LogChanges {
        try read { db in try Self.changes(db, since: version) }
    }

    static func changes(_ db: Database, since version: Int) throws -> LogChanges {
        var changes = LogChanges(version: version, attendeeIDs: [], rosterIDs: [])
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT seq, attendee_id, type FROM events WHERE seq > ? ORDER BY seq"),
            arguments: [version])
        while let row = try rows.next() {
            changes.version = row[0]
            let id: String = row[1]
            changes.attendeeIDs.insert(id)
            let type: String = row[2]
            if type.hasPrefix("attendee.") { changes.rosterIDs.insert(id) }
        }
        return changes
    }
}

/// The roster changes made since a ``RosterSnapshot`` was taken (a walk-in registered here or at
/// another door, an edit, a removal), searched beside it: a change costs an index over the changed
/// attendees only, not a rebuild over every attendee (a second at 100,000, ten at a million, with
/// the door waiting).
struct RosterDelta: Sendable {
    /// Each changed attendee as the store has them now, removed ones included.
    private(set) var records: [String: AttendeeRecord] = [:]
    /// The index over them (the removed ones only for their tickets).
    private(set) var snapshot = RosterSnapshot(records: [])

    var count: Int { records.count }

    /// Takes these attendees' current records and indexes the changed set again.
    mutating func update(_ changed: [AttendeeRecord]) {
        guard !changed.isEmpty else { return }
        for record in changed { records[record.attendee.id] = record }
        let current = records.values.sorted { $0.attendee.id < $1.attendee.id }
        snapshot = RosterSnapshot(
            records: current.filter { !$0.removed },
            removed: current.filter { $0.removed && !$0.attendee.tickets.isEmpty },
            trimMemory: false)
    }

    /// Whether this attendee changed since the snapshot: what the snapshot says of them is stale.
    func changed(_ id: String) -> Bool { records[id] != nil }
}

/// The roster in memory for a door screen (the terminal one, the browser's), records and search
/// index, kept in step with the store: new events (this screen's, another process's, sync's)
/// refresh only the attendees they touch; roster changes are indexed beside the snapshot
/// (``RosterDelta``) until there are more than `deltaLimit`, then the index is rebuilt.
public struct LiveRoster: Sendable {
    /// Roster changes indexed beside the snapshot before it is rebuilt over every attendee. An
    /// index over this many costs a few milliseconds; a bigger change (an import) rebuilds.
    public static let deltaLimit = 2_000

    public private(set) var snapshot: RosterSnapshot
    /// Roster changes since the snapshot was taken.
    private var delta = RosterDelta()
    /// How many of the changed attendees the snapshot still holds (under their old entry).
    private var staleInSnapshot = 0
    /// The state now of every attendee touched since the snapshot was taken (check-ins here or
    /// elsewhere, prints, presence, roster changes): a tenth of a whole record each. Their roster
    /// entry is the snapshot's, or `delta`'s when it changed.
    private var overrides: [String: AttendeeStatus] = [:]
    private var version: Int
    /// Full rebuilds of the snapshot since this roster was loaded (for tests and benches).
    public private(set) var rebuilds = 0
    /// Changed states held beside the snapshot past which it is worth taking the snapshot again
    /// (``compactionDue``); nil: half the roster, at least `deltaLimit`.
    public var compactAfter: Int?

    /// Attendees whose state changed since the snapshot (check-ins, here or elsewhere), held beside
    /// it (``AttendeeStatus``, a few hundred bytes each) until the snapshot is taken again.
    public var heldBeside: Int { overrides.count }

    /// Whether so many attendees changed since the snapshot (half the roster checked in) that the
    /// snapshot should be taken again, so that memory stays bounded. A caller that rebuilds
    /// elsewhere (the kiosk daemon) builds a new roster and swaps it in; this one is up to date
    /// meanwhile. (Whole records were held before, about 3 KB each, and the index was rebuilt
    /// after every tenth of the roster: at 100,000 attendees, every 10,000 check-ins, a second of
    /// a core each time.)
    public var compactionDue: Bool {
        overrides.count > (compactAfter ?? max(Self.deltaLimit, snapshot.records.count / 2))
    }

    public init(db: KioskDatabase) throws(StoreError) {
        version = try db.logVersion()
        snapshot = try db.snapshot()
    }

    /// Roster changes indexed beside the snapshot, not yet folded into it.
    public var pendingChanges: Int { delta.count }

    /// Attendees on the roster (removed ones left out), those indexed beside the snapshot
    /// included: the snapshot's, less the ones changed since, plus the changed ones still on it.
    public var attendeeCount: Int { snapshot.records.count - staleInSnapshot + delta.snapshot.records.count }

    /// What a refresh did.
    public enum Refresh: Sendable, Equatable {
        case unchanged, updated
        /// The change is too big for the small index (a snapshot, an import) and the caller asked
        /// not to rebuild here: nothing was applied, and this roster is behind the store until it
        /// is replaced by a new one (``init(db:)``, built elsewhere).
        case needsRebuild
    }

    /// Picks up what was written to the store since the last look. Returns true when something changed.
    @discardableResult
    public mutating func refresh(from db: KioskDatabase) -> Bool {
        refresh(from: db, rebuilding: true) != .unchanged
    }

    /// Picks up what was written to the store since the last look; a change that needs the whole
    /// index rebuilt is rebuilt here only if `rebuilding` (it takes seconds at a million attendees),
    /// and so is a ``compactionDue`` roster.
    public mutating func refresh(from db: KioskDatabase, rebuilding: Bool) -> Refresh {
        let refresh = apply(from: db, rebuilding: rebuilding)
        if rebuilding, refresh == .updated, compactionDue { try? rebuild(from: db) }
        return refresh
    }

    /// What one look at the store found.
    private enum Look {
        case unchanged
        /// More roster changes than the small index takes.
        case tooBig
        /// The changes, the roster entries of the attendees whose entry changed, and the state of
        /// the others touched.
        case read(LogChanges, [String: AttendeeRecord], [String: AttendeeStatus])
    }

    private mutating func apply(from db: KioskDatabase, rebuilding: Bool) -> Refresh {
        // The changes and everyone they touched, in one read transaction: one state of the store,
        // and one turn of a reader connection instead of one per attendee (a door taking thousands
        // of check-ins a second touches that many attendees between two looks). A failed read is
        // read again next time.
        let (since, changedBefore, indexed) = (version, delta.records.keys, delta.count)
        let look: Look
        do {
            look = try db.read { db -> Look in
                let changes = try KioskDatabase.changes(db, since: since)
                guard changes.version != since else { return .unchanged }
                if changes.rosterChanged, indexed + changes.rosterIDs.subtracting(changedBefore).count > Self.deltaLimit
                {
                    return .tooBig
                }
                var records: [String: AttendeeRecord] = [:]
                for id in changes.rosterIDs {
                    if let record = try KioskDatabase.attendee(db, id: id) { records[id] = record }
                }
                var statuses: [String: AttendeeStatus] = [:]
                for id in changes.attendeeIDs where records[id] == nil {
                    if let status = try KioskDatabase.attendeeStatus(db, id: id) { statuses[id] = status }
                }
                return .read(changes, records, statuses)
            }
        } catch {
            return .unchanged
        }
        switch look {
        case .unchanged:
            return .unchanged
        case .tooBig:
            guard rebuilding else { return .needsRebuild }
            guard (try? rebuild(from: db)) != nil else { return .unchanged }
            return .updated
        case .read(let changes, let records, let statuses):
            if changes.rosterChanged {
                delta.update(Array(records.values))
                staleInSnapshot = delta.records.keys.count { snapshot.record(id: $0) != nil }
            }
            version = changes.version
            // Every touched attendee's state, the roster changes' included (read whole above).
            for (id, record) in records { overrides[id] = AttendeeStatus(record) }
            for (id, status) in statuses { overrides[id] = status }
            return .updated
        }
    }

    private mutating func rebuild(from db: KioskDatabase) throws(StoreError) {
        let version = try db.logVersion()
        let snapshot = try db.snapshot()
        (self.version, self.snapshot) = (version, snapshot)
        delta = RosterDelta()
        staleInSnapshot = 0
        overrides = [:]
        rebuilds += 1
    }

    /// After this screen wrote `expectedEvents` events about `id`: refreshes that attendee, and
    /// picks up anything another process wrote meanwhile.
    public mutating func wrote(_ id: String, expectedEvents: Int, in db: KioskDatabase) {
        if let status = (try? db.attendeeStatus(id: id)) ?? nil { overrides[id] = status }
        if let now = try? db.logVersion() {
            if now == version + expectedEvents { version = now } else { refresh(from: db) }
        }
    }

    /// Attendees matching `query`, best first, up to date: the snapshot's hits for attendees whose
    /// roster entry changed since are replaced by the changed set's. An exact id comes first.
    public func search(_ query: String, limit: Int = 20) -> [RosterSnapshot.Result] {
        guard delta.count > 0 else {
            return snapshot.search(query, limit: limit).map {
                RosterSnapshot.Result(record: current($0.record), hit: $0.hit)
            }
        }
        // Changed attendees may take places in the snapshot's answer: ask for that many more.
        let stale = snapshot.search(query, limit: limit + staleInSnapshot)
        var merged = stale.filter { !delta.changed($0.record.attendee.id) }
        merged.append(contentsOf: delta.snapshot.search(query, limit: limit))
        let keys = Dictionary(
            merged.map { ($0.record.attendee.id, Array($0.record.attendee.sortKey.utf8)) },
            uniquingKeysWith: { a, _ in a })
        merged.sort { a, b in
            a.hit.score != b.hit.score
                ? a.hit.score > b.hit.score
                : SearchIndex.less(keys[a.record.attendee.id]!, keys[b.record.attendee.id]!)
        }
        return merged.prefix(limit).map { RosterSnapshot.Result(record: current($0.record), hit: $0.hit) }
    }

    /// The up-to-date version of a record the snapshot holds: its roster entry as changed since
    /// (`delta`), with its state now.
    public func current(_ record: AttendeeRecord) -> AttendeeRecord {
        let id = record.attendee.id
        let entry = delta.records[id] ?? record
        return overrides[id].map { $0.applied(to: entry) } ?? entry
    }

    public func record(id: String) -> AttendeeRecord? { (delta.records[id] ?? snapshot.record(id: id)).map(current) }

    /// The attendee whose registration ticket has this digest (removed ones included), up to date.
    public func record(ticket digest: String) -> AttendeeRecord? {
        if let record = delta.snapshot.record(ticket: digest) { return current(record) }
        // A ticket the snapshot gives to someone whose entry changed since is no longer theirs.
        guard let record = snapshot.record(ticket: digest), !delta.changed(record.attendee.id) else { return nil }
        return current(record)
    }
}
