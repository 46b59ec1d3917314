import AccueilCore
import Foundation
import GRDB

/// Which way a session door counts people.
public enum ScanDirection: String, Sendable, CaseIterable, Codable {
    /// One door for both ways: a scan enters, the next scan of the same badge leaves.
    case both
    /// An entrance: every scan is an entry.
    case entry
    /// An exit: every scan is an exit.
    case exit
}

/// What a session door did with a scan.
public struct SessionScan: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case entered
        /// Entered although the door said no, on a supervisor's word (the reason is logged).
        case enteredOverride(refused: ScanRefusal, reason: String)
        /// Already counted inside (a second scan at an entrance, or the same badge twice within seconds).
        case alreadyInside
        case exited
        case refused(ScanRefusal)
    }

    public var outcome: Outcome
    public var session: Session
    /// People inside after this scan, as this kiosk knows them.
    public var occupancy: Int
    public var record: AttendeeRecord?

    public var admitted: Bool {
        switch outcome {
        case .refused: false
        default: true
        }
    }
}

extension KioskDatabase {
    /// A second scan of the same badge at a two-way door within this time is the same entry, not an exit.
    public static let scanBounce: TimeInterval = 3

    static let sessionColumns = "id, title, room, starts_at, ends_at, capacity, access, kind"

    static func session(from row: Row) throws -> Session {
        let access: String = row[6]
        let starts: Int64 = row[3]
        let ends: Int64 = row[4]
        return Session(
            id: row[0], title: row[1], room: row[2], start: Date(timeIntervalSince1970: Double(starts) / 1000),
            end: Date(timeIntervalSince1970: Double(ends) / 1000), capacity: row[5],
            access: (try? SessionAccess(parsing: access)) ?? .registered, kind: row[7])
    }

    /// Every session of the schedule, by start time.
    public func sessions() throws(StoreError) -> [Session] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.sessionColumns) FROM sessions ORDER BY starts_at, room, id")
                .map(Self.session(from:))
        }
    }

    public func session(id: String) throws(StoreError) -> Session? {
        try read { db in try Self.session(db, id) }
    }

    static func session(_ db: Database, _ id: String) throws -> Session? {
        try Row.fetchOne(db, sql: "SELECT \(sessionColumns) FROM sessions WHERE id = ?", arguments: [id])
            .map(session(from:))
    }

    /// The session a door of `room` serves at `now`: the one in progress, else the next whose doors
    /// are open (30 minutes before its start). Back-to-back micro-workshops follow one another.
    public func currentSession(room: String, at now: Date = Date()) throws(StoreError) -> Session? {
        let ms = Self.milliseconds(now)
        let open = Self.milliseconds(now.addingTimeInterval(Session.doorsOpenBefore))
        return try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.sessionColumns) FROM sessions
                    WHERE room = ? AND ends_at > ? AND starts_at <= ?
                    ORDER BY (starts_at <= ?) DESC, starts_at LIMIT 1
                    """, arguments: [room, ms, open, ms]
            ).map(Self.session(from:))
        }
    }

    /// People inside a session's room, as this kiosk knows them (its own scans and what sync
    /// brought). The sanitary limit is the room's: people still inside from an earlier session in
    /// the same room count too (a session without a room counts alone).
    public func occupancy(session id: String) throws(StoreError) -> Int {
        try read { db in try Self.occupancy(db, id) }
    }

    static func occupancy(_ db: Database, _ id: String) throws -> Int {
        guard let room = try String.fetchOne(db, sql: "SELECT room FROM sessions WHERE id = ?", arguments: [id]),
            !room.isEmpty
        else {
            return try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM attendees WHERE inside_session = ? AND removed = 0", arguments: [id])
                ?? 0
        }
        return try roomOccupancy(db, room)
    }

    static func roomOccupancy(_ db: Database, _ room: String) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM attendees a JOIN sessions s ON s.id = a.inside_session
                WHERE s.room = ? AND a.removed = 0
                """, arguments: [room]) ?? 0
    }

    /// People counted in `room` who are inside an earlier session there than `session` (carried
    /// over from one micro-workshop to the next), with the session they came in for.
    public func carriedOver(into session: String) throws(StoreError) -> [(attendee: String, session: String)] {
        try read { db in
            guard let current = try Self.session(db, session), !current.room.isEmpty else { return [] }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.inside_session FROM attendees a JOIN sessions s ON s.id = a.inside_session
                    WHERE s.room = ? AND a.inside_session <> ? AND a.removed = 0 ORDER BY a.id
                    """, arguments: [current.room, session]
            ).map { (attendee: $0[0], session: $0[1]) }
        }
    }

    /// A supervisor clears the people carried over into `session` from earlier sessions of its
    /// room (they left without scanning): an exit is recorded for each. Returns how many.
    @discardableResult
    public func clearCarriedOver(into session: String, kiosk: String, at now: Date = Date()) throws(StoreError) -> Int {
        let people = try carriedOver(into: session)
        try write { db in
            for (attendee, inside) in people {
                try Self.append(
                    db, Event(attendeeID: attendee, at: now, kiosk: kiosk, body: .sessionExited(session: inside)))
                try Self.refresh(db, attendeeID: attendee)
            }
        }
        return people.count
    }

    /// People inside each session that has anyone inside.
    public func occupancies() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT inside_session, COUNT(*) FROM attendees
                    WHERE inside_session IS NOT NULL AND removed = 0 GROUP BY inside_session
                    """)
            {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    /// Writes the schedule: a `session.scheduled` event for each new or changed session (they reach
    /// the other kiosks through sync); unchanged ones write nothing. Sessions not in `sessions` stay.
    @discardableResult
    public func importSessions(_ sessions: [Session], kiosk: String, at now: Date = Date()) throws(StoreError)
        -> (added: Int, changed: Int, unchanged: Int)
    {
        try write { db in
            var counts = (added: 0, changed: 0, unchanged: 0)
            for session in sessions {
                let current = try Self.session(db, session.id)
                if current == session {
                    counts.unchanged += 1
                    continue
                }
                if current == nil { counts.added += 1 } else { counts.changed += 1 }
                try Self.append(
                    db,
                    Event(
                        attendeeID: Session.subject(session.id), at: now, kiosk: kiosk, body: .sessionScheduled(session)
                    )
                )
                try Self.refresh(db, attendeeID: Session.subject(session.id))
            }
            return counts
        }
    }

    /// A badge scanned at a door of `session`: decides and records, in one transaction (two
    /// processes on this store cannot both take the last seat).
    ///
    /// Entry is refused, with the reason, when the attendee is not on the roster, the access rule
    /// leaves them out (staff pass every rule), the doors are not open yet (30 min before the
    /// start) or the session is over, or the room is at capacity. `override`, a supervisor's
    /// reason, lets them in anyway and is logged with the entry. Every refusal is logged too.
    @discardableResult
    public func sessionScan(
        attendeeID: String, session id: String, kiosk: String, direction: ScanDirection = .both,
        override: String? = nil, at now: Date = Date()
    ) throws(StoreError) -> SessionScan {
        try write { db in
            guard let session = try Self.session(db, id) else { throw StoreError.unknownSession(id) }
            func answer(_ outcome: SessionScan.Outcome, _ record: AttendeeRecord?) throws -> SessionScan {
                SessionScan(
                    outcome: outcome, session: session, occupancy: try Self.occupancy(db, id),
                    record: try record.map { _ in try Self.onRoster(db, attendeeID) })
            }
            guard let record = try Self.attendee(db, id: attendeeID), !record.removed else {
                return try answer(.refused(.notOnRoster), nil)
            }

            let inHere = record.inside?.session == id
            // Inside this room, for this session or an earlier one there (a micro-workshop that
            // ended while they stayed): their exit is always taken, whatever this session's rules.
            let insideSession = try record.inside.flatMap { try Self.session(db, $0.session) }
            let inRoom = inHere || (!session.room.isEmpty && insideSession?.room == session.room)
            let leaving =
                direction == .exit
                || (direction == .both && inRoom
                    && now.timeIntervalSince(record.inside!.since) >= Self.scanBounce)
            if leaving {
                let left = inRoom ? record.inside!.session : id
                try Self.append(
                    db, Event(attendeeID: attendeeID, at: now, kiosk: kiosk, body: .sessionExited(session: left)))
                try Self.refresh(db, attendeeID: attendeeID)
                return try answer(.exited, record)
            }
            if inHere || (inRoom && direction == .both) { return try answer(.alreadyInside, record) }

            var refusal: ScanRefusal?
            if now < session.start.addingTimeInterval(-Session.doorsOpenBefore) {
                refusal = .notOpenYet
            } else if now >= session.end {
                refusal = .sessionOver
            } else if let denied = session.access.refusal(record.attendee, session: id) {
                refusal = denied
            } else if session.capacity > 0, try Self.occupancy(db, id) - (inRoom ? 1 : 0) >= session.capacity {
                refusal = .roomFull
            }
            if let refusal, override == nil {
                try Self.append(
                    db,
                    Event(
                        attendeeID: attendeeID, at: now, kiosk: kiosk,
                        body: .sessionRefused(session: id, reason: refusal)))
                return try answer(.refused(refusal), record)
            }
            let reason = refusal.flatMap { _ in override }
            try Self.append(
                db,
                Event(
                    attendeeID: attendeeID, at: now, kiosk: kiosk, body: .sessionEntered(session: id, override: reason))
            )
            try Self.refresh(db, attendeeID: attendeeID)
            if let refusal, let reason { return try answer(.enteredOverride(refused: refusal, reason: reason), record) }
            return try answer(.entered, record)
        }
    }

    /// Logs a refusal decided before the store was asked (a reissued badge): it counts in reports.
    public func logSessionRefusal(
        attendeeID: String, session: String, reason: ScanRefusal, kiosk: String, at now: Date = Date()
    ) throws(StoreError) {
        try write { db in
            guard try Self.session(db, session) != nil else { throw StoreError.unknownSession(session) }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM attendees WHERE id = ?", arguments: [attendeeID]) == true
            else { return }
            try Self.append(
                db,
                Event(
                    attendeeID: attendeeID, at: now, kiosk: kiosk,
                    body: .sessionRefused(session: session, reason: reason)))
        }
    }
}

extension StoreError {
    public static func unknownSession(_ id: String) -> StoreError {
        var error = StoreError(
            "unknown session \"\(id)\": not in this kiosk's schedule (import it with `accueil sessions import`)")
        error.kind = .unknownSession
        return error
    }
}
