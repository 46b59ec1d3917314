import AccueilCore
import Foundation
import GRDB
import StoreSupport

extension KioskDatabase {
    /// Events waiting to be sent, oldest first, with their local sequence numbers.
    public func outbox(limit: Int = 1000) throws(StoreError) -> [(seq: Int64, event: Event)] {
        try read { db in
            // The event's columns first (read by position), its sequence number last.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id, e.type, e.attendee_id, e.at, e.kiosk, e.payload, e.seq
                    FROM outbox o JOIN events e ON e.seq = o.event_seq ORDER BY o.event_seq LIMIT ?
                    """, arguments: [limit]
            ).map { row in (row[6] as Int64, try Self.event(from: row)) }
        }
    }

    /// The oldest events waiting to be sent, as the log keeps them (not decoded: an event this
    /// build cannot read still goes to the server, which decides), at most `limit` of them and about
    /// `maxBytes` of payload (always at least one).
    public func outboxEntries(limit: Int, maxBytes: Int) throws(StoreError) -> [OutboxEntry] {
        try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.seq, e.id, e.type, e.attendee_id, e.at, e.kiosk, e.payload
                    FROM outbox o JOIN events e ON e.seq = o.event_seq ORDER BY o.event_seq LIMIT ?
                    """, arguments: [limit])
            var entries: [OutboxEntry] = []
            var bytes = 0
            while let row = try rows.next() {
                let entry = OutboxEntry(
                    seq: row[0], id: row[1], type: row[2], attendeeID: row[3], at: row[4], kiosk: row[5],
                    payload: row[6])
                bytes += entry.approximateBytes
                if !entries.isEmpty && bytes > maxBytes { break }
                entries.append(entry)
            }
            return entries
        }
    }

    /// Takes an event the server refused for good out of the outbox, so that it no longer holds up
    /// the others, and keeps it with the reason (`accueil status`, the door screen, the dashboard).
    /// `version` is this program's version: an upgrade sends it again (`requeueSetAside`).
    public func setAside(_ seq: Int64, reason: String, version: String, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE event_seq = ?", arguments: [seq])
            try db.execute(
                sql: """
                    INSERT INTO outbox_set_aside (event_seq, reason, at, version) VALUES (?, ?, ?, ?)
                    ON CONFLICT(event_seq) DO UPDATE SET reason = excluded.reason, at = excluded.at,
                        version = excluded.version
                    """, arguments: [seq, reason, Int64((now.timeIntervalSince1970 * 1000).rounded()), version])
        }
    }

    /// How many events are set aside, and the newest reason.
    public func setAsideSummary() throws(StoreError) -> SetAsideSummary {
        try read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_set_aside") ?? 0
            let last = try Row.fetchOne(db, sql: "SELECT reason, at FROM outbox_set_aside ORDER BY at DESC LIMIT 1")
            return SetAsideSummary(
                count: count, lastReason: last?["reason"],
                lastAt: (last?["at"] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) })
        }
    }

    /// Puts set-aside events back in the outbox: all of them, or (with `notVersion`) those set aside
    /// by another version of the program (after an upgrade). Returns how many.
    @discardableResult
    public func requeueSetAside(notVersion: String? = nil) throws(StoreError) -> Int {
        try write { db in
            let filter = notVersion == nil ? "" : " WHERE version <> ?"
            let arguments: StatementArguments = notVersion.map { [$0] } ?? []
            try db.execute(
                sql: "INSERT OR IGNORE INTO outbox (event_seq) SELECT event_seq FROM outbox_set_aside" + filter,
                arguments: arguments)
            try db.execute(sql: "DELETE FROM outbox_set_aside" + filter, arguments: arguments)
            return db.changesCount
        }
    }

    /// The server has these events: take them out of the outbox.
    public func markSent(_ seqs: [Int64]) throws(StoreError) {
        guard !seqs.isEmpty else { return }
        try write { db in
            for chunk in stride(from: 0, to: seqs.count, by: 500) {
                let part = seqs[chunk..<min(chunk + 500, seqs.count)]
                try db.execute(
                    sql: "DELETE FROM outbox WHERE event_seq IN (\(part.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(Array(part)))
                let removed = db.changesCount
                try db.execute(
                    sql: """
                        INSERT INTO meta (key, value) VALUES ('sent_events', ?)
                        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?
                        """, arguments: [String(removed), removed])
            }
        }
    }

    /// Applies events recorded elsewhere (other kiosks, the server): new ones are stored (not
    /// queued to send back), known ones ignored, and the attendees they touch re-derived from all
    /// their events, so that every store reaches the same state whatever the order. Returns how
    /// many were new.
    ///
    /// `payloads`, when given, are the events' payloads as received (the same JSON the log keeps),
    /// saving their encoding again.
    @discardableResult
    public func applyRemote(_ events: [Event], payloads: [String?]? = nil) throws(StoreError) -> Int {
        try write { db in
            // A big batch (a snapshot) touches many pages of the log's indexes: give this writer a
            // larger page cache while it lasts.
            let big = events.count > 5000
            if big { try db.execute(sql: "PRAGMA cache_size = -65536") }
            defer { if big { try? db.execute(sql: "PRAGMA cache_size = -\(SQLiteFile.writerCacheKiB)") } }
            // A store with no events yet (a new kiosk's first snapshot) has nothing to fold with.
            let empty = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM events)") ?? false
            var fresh: [String: [Event]] = [:]
            fresh.reserveCapacity(min(events.count, 200_000))
            // The attendees in the order they came (a snapshot's is by id): their rows are written
            // in that order, so that a big batch appends to the attendees' table instead of
            // writing its pages at random (a dictionary's order), which at a million attendees
            // made the install grow much faster than the roster.
            var order: [String] = []
            var count = 0
            for (i, event) in events.enumerated()
            where try Self.append(db, event, outbox: false, payload: payloads.map { $0[i] }) {
                count += 1
                if fresh[event.attendeeID]?.append(event) == nil {
                    fresh[event.attendeeID] = [event]
                    order.append(event.attendeeID)
                }
            }
            // An attendee whose every stored event came with this batch is folded from the batch
            // itself rather than read back: all of them in an empty store; otherwise (a long
            // absence, a snapshot applied in pieces) those their count shows have no older event:
            // for a big batch in id order (a snapshot's piece), one scan of the attendee index over
            // the batch's range; else one look in that index each.
            var counts: [String: Int]? = nil
            if !empty, order.count > 500, let low = order.first, let high = order.last,
                zip(order, order.dropFirst()).allSatisfy({ $0 < $1 })
            {
                var found: [String: Int] = [:]
                let rows = try Row.fetchCursor(
                    db,
                    sql:
                        "SELECT attendee_id, COUNT(*) FROM events WHERE attendee_id BETWEEN ? AND ? GROUP BY attendee_id",
                    arguments: [low, high])
                while let row = try rows.next() { found[row[0]] = row[1] }
                counts = found
            }
            let stored = try db.cachedStatement(sql: "SELECT COUNT(*) FROM events WHERE attendee_id = ?")
            for id in order {
                let new = fresh[id]!
                let alone =
                    try empty || (counts.map { $0[id] } ?? Int.fetchOne(stored, arguments: [id])) == new.count
                if Session.id(ofSubject: id) == nil && alone {
                    try Self.store(db, attendeeID: id, AttendeeState.fold(new))
                } else {
                    try Self.refresh(db, attendeeID: id)
                }
            }
            return count
        }
    }

    /// Where this kiosk's download of the server's changes stands.
    public func syncCursor() throws(StoreError) -> Int64 {
        try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sync_cursor'").flatMap { Int64($0) } ?? 0
        }
    }

    public func setSyncCursor(_ cursor: Int64) throws(StoreError) {
        try write { db in
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES ('sync_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [String(cursor)])
        }
    }

    /// A value kept in the store's `meta` table (sync status, cursors…), or nil.
    public func meta(_ key: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Forgets values kept in the `meta` table.
    public func removeMeta(_ keys: [String]) throws(StoreError) {
        try write { db in
            for key in keys { try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key]) }
        }
    }

    public func setMeta(_ key: String, _ value: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }
}

/// An event waiting in the outbox, as the log keeps it.
public struct OutboxEntry: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var type: String
    public var attendeeID: String
    /// Milliseconds since 1970.
    public var at: Int64
    public var kiosk: String
    public var payload: String?

    /// Roughly what it weighs in a JSON batch.
    public var approximateBytes: Int {
        160 + id.utf8.count + type.utf8.count + attendeeID.utf8.count + kiosk.utf8.count + (payload?.utf8.count ?? 0)
            * 2
    }
}

/// Events the server refused for good, set aside so that they hold up nothing.
public struct SetAsideSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var lastReason: String?
    public var lastAt: Date?

    enum CodingKeys: String, CodingKey {
        case count
        case lastReason = "last_reason"
        case lastAt = "last_at"
    }
}
