import AccueilCore
import Foundation
import GRDB

/// What happened when a door tried to check someone in.
public enum CheckInOutcome: Sendable, Equatable {
    /// Checked in now; the record is on disk.
    case checkedIn(CheckInRecord)
    /// Already in: the earlier check-in is returned, and this attempt is logged as a refused duplicate.
    case alreadyCheckedIn(CheckInRecord)
    /// Not checked in: the registration awaits payment or approval (imported pending). Nothing is
    /// written and no badge is queued.
    case pendingRegistration
}

extension KioskDatabase {
    /// Checks `attendeeID` in at `kiosk`. The event, the attendee's new state and the outbox row
    /// are committed together and synced to disk before this returns.
    @discardableResult
    public func checkIn(_ attendeeID: String, kiosk: String, at now: Date = Date()) throws(StoreError)
        -> CheckInOutcome
    {
        try checkIn(attendeeID, kiosk: kiosk, at: now, print: nil).outcome
    }

    /// Checks in and, with `print`, queues the badge in the same transaction: the check-in and its
    /// print job are both on disk, or neither.
    public func checkIn(_ attendeeID: String, kiosk: String, at now: Date = Date(), print: PrintRequest?)
        throws(StoreError) -> (outcome: CheckInOutcome, print: PrintQueueing)
    {
        try write { db in try Self.checkIn(db, attendeeID, kiosk: kiosk, at: now, print: print) }
    }

    static func checkIn(_ db: Database, _ attendeeID: String, kiosk: String, at now: Date, print: PrintRequest?)
        throws -> (outcome: CheckInOutcome, print: PrintQueueing)
    {
        let done = try checkInTracked(db, attendeeID, kiosk: kiosk, at: now, print: print)
        return (done.outcome, done.print)
    }

    /// `checkIn`, returning also the attendee as the transaction leaves them.
    ///
    /// The door's hot path: the attendee's row is brought up to date by the change each event
    /// makes to it, not folded again from all their events (`refresh`), which decodes every
    /// payload, their whole record included, and rewrites every column. The two agree by
    /// construction: a check-in when none is active becomes the active one with no duplicates; a
    /// refused one counts one more refusal; a badge queued counts one more print (and reprint,
    /// with a reason). `IncrementalCheckInTests` checks each against the fold.
    static func checkInTracked(
        _ db: Database, _ attendeeID: String, kiosk: String, at now: Date, print: PrintRequest?
    ) throws -> (outcome: CheckInOutcome, print: PrintQueueing, attendee: AttendeeRecord) {
        var record = try Self.onRoster(db, attendeeID)
        let outcome: CheckInOutcome
        if record.awaitsConfirmation { return (.pendingRegistration, .notAsked, record) }
        if let previous = record.checkIn {
            try Self.append(
                db,
                Event(
                    attendeeID: attendeeID, at: now, kiosk: kiosk,
                    body: .checkInRefused(previousKiosk: previous.kiosk, previousAt: previous.at)))
            try db.cachedStatement(sql: "UPDATE attendees SET refused = refused + 1 WHERE id = ?").execute(arguments: [
                attendeeID
            ])
            record.refusedAttempts += 1
            outcome = .alreadyCheckedIn(previous)
        } else {
            let event = Event(attendeeID: attendeeID, at: now, kiosk: kiosk, body: .checkedIn)
            try Self.append(db, event)
            // No check-in was active (`record.checkIn` is nil, so no duplicates either): this one is.
            let checkIn = CheckInRecord(eventID: event.id, at: event.at, kiosk: kiosk)
            // The badge first, so that the row takes the check-in and the print in one update.
            var printing = PrintQueueing.notAsked
            if let print {
                printing = try Self.enqueue(
                    db, attendeeID: attendeeID, request: print, reason: nil, kiosk: kiosk, now: now,
                    badgeVersion: record.badgeVersion, countOnRow: false, printsOnRow: record.prints)
            }
            let printed = if case .queued = printing { 1 } else { 0 }
            try db.cachedStatement(
                sql: """
                    UPDATE attendees SET checkin_event = ?, checked_in_at = ?, checked_in_kiosk = ?, prints = prints + ?
                    WHERE id = ?
                    """
            ).execute(arguments: [event.id.text, milliseconds(event.at), kiosk, printed, attendeeID])
            record.checkIn = checkIn
            record.prints += printed
            return (.checkedIn(checkIn), printing, record)
        }
        guard let print else { return (outcome, .notAsked, record) }
        let printing = try Self.enqueue(
            db, attendeeID: attendeeID, request: print, reason: nil, kiosk: kiosk, now: now,
            badgeVersion: record.badgeVersion, printsOnRow: record.prints)
        if case .queued = printing { record.prints += 1 }
        return (outcome, printing, record)
    }

    /// The attendee's row, if they are on the roster (not removed); else `unknownAttendee`.
    static func onRoster(_ db: Database, _ attendeeID: String) throws -> AttendeeRecord {
        guard let record = try Self.attendee(db, id: attendeeID), !record.removed else {
            throw StoreError.unknownAttendee(attendeeID)
        }
        return record
    }

    /// Reverses the attendee's current check-in; the check-in and its undoing stay in the history.
    @discardableResult
    public func undoCheckIn(_ attendeeID: String, reason: String, kiosk: String, at now: Date = Date())
        throws(StoreError) -> CheckInRecord
    {
        try write { db in
            let record = try Self.onRoster(db, attendeeID)
            guard let checkIn = record.checkIn else { throw StoreError.notCheckedIn(attendeeID) }
            try Self.append(
                db,
                Event(
                    attendeeID: attendeeID, at: now, kiosk: kiosk,
                    body: .checkInUndone(checkIn: checkIn.eventID, reason: reason)))
            try Self.refresh(db, attendeeID: attendeeID)
            return checkIn
        }
    }

    /// Registers someone who is not on the roster and checks them in, in one transaction.
    @discardableResult
    public func walkIn(_ attendee: Attendee, kiosk: String, at now: Date = Date()) throws(StoreError) -> CheckInRecord {
        try walkIn(attendee, kiosk: kiosk, at: now, print: nil).checkIn
    }

    /// A walk-in with, when `print` is given, their badge queued in the same transaction.
    public func walkIn(_ attendee: Attendee, kiosk: String, at now: Date = Date(), print: PrintRequest?)
        throws(StoreError) -> (checkIn: CheckInRecord, print: PrintQueueing)
    {
        var attendee = attendee
        attendee.walkIn = true
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM attendees WHERE id = ?", arguments: [attendee.id]) == true {
                throw StoreError.idTaken(attendee.id)
            }
            try Self.append(
                db, Event(attendeeID: attendee.id, at: now, kiosk: kiosk, body: .attendeeUpserted(attendee)))
            let checkIn = Event(attendeeID: attendee.id, at: now, kiosk: kiosk, body: .checkedIn)
            try Self.append(db, checkIn)
            try Self.refresh(db, attendeeID: attendee.id)
            let record = CheckInRecord(eventID: checkIn.id, at: checkIn.at, kiosk: kiosk)
            guard let print else { return (record, .notAsked) }
            return (
                record,
                try Self.enqueue(db, attendeeID: attendee.id, request: print, reason: nil, kiosk: kiosk, now: now)
            )
        }
    }

    /// Replaces the attendee's badge: the next badge carries version + 1 and older ones are refused.
    /// Returns the new version.
    @discardableResult
    public func reissueBadge(_ attendeeID: String, reason: String, kiosk: String, at now: Date = Date())
        throws(StoreError)
        -> Int
    {
        try write { db in
            let record = try Self.onRoster(db, attendeeID)
            try Self.append(
                db, Event(attendeeID: attendeeID, at: now, kiosk: kiosk, body: .badgeReissued(reason: reason)))
            try Self.refresh(db, attendeeID: attendeeID)
            return record.badgeVersion + 1
        }
    }

    /// A fresh id for a walk-in registered at `kiosk`: "W-door-1-1", "W-door-1-2"… The kiosk's name
    /// keeps two doors registering people offline from giving two people the same id.
    public func nextWalkInID(kiosk: String) throws(StoreError) -> String {
        let prefix = "W-\(kiosk)-"
        return try read { db in
            let count =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM attendees WHERE walk_in = 1 AND substr(id, 1, ?) = ?",
                    arguments: [prefix.utf8.count, prefix]) ?? 0
            var n = count + 1
            while try Bool.fetchOne(db, sql: "SELECT 1 FROM attendees WHERE id = ?", arguments: ["\(prefix)\(n)"])
                == true
            {
                n += 1
            }
            return "\(prefix)\(n)"
        }
    }

    /// Checks that the projection is what the log says, attendee by attendee, that every event is
    /// either sent or in the outbox, and that the outbox's count is its size. Returns the ids whose
    /// row disagrees with their events.
    public func verifyConsistency() throws(StoreError) -> [String] {
        try read { db in
            var bad: [String] = []
            var byAttendee: [String: [Event]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT \(Self.eventColumns) FROM events") {
                let event = try Self.event(from: row)
                byAttendee[event.attendeeID, default: []].append(event)
            }
            var rows: [String: AttendeeRecord] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT \(AttendeeRecord.columns) FROM attendees") {
                let record = try AttendeeRecord(row: row)
                rows[record.attendee.id] = record
            }
            for (id, events) in byAttendee {
                let state = AttendeeState.fold(events)
                if Session.id(ofSubject: id) != nil { continue }
                guard let row = rows[id] else {
                    if state.attendee != nil { bad.append(id) }
                    continue
                }
                if row.attendee != state.attendee || row.checkIn != state.checkIn
                    || row.duplicates != state.duplicateCheckIns.count || row.refusedAttempts != state.refusedAttempts
                    || row.removed != state.removed || row.badgeVersion != state.badgeVersion
                    || row.prints != state.prints || row.reprints != state.reprints || row.inside != state.inside
                    || row.attended != state.attended
                {
                    bad.append(id)
                }
            }
            for id in rows.keys where byAttendee[id] == nil { bad.append(id) }
            let unsent =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE seq NOT IN (SELECT event_seq FROM outbox)")
                ?? 0
            let sent =
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sent_events'").flatMap(Int.init) ?? 0
            if unsent != sent { bad.append("<outbox: \(unsent) events neither sent nor queued>") }
            let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0
            let counted = try Self.outboxCount(db)
            if queued != counted { bad.append("<counted outbox: \(queued) queued, \(counted) counted>") }
            return bad.sorted()
        }
    }
}

extension StoreError {
    /// Exit status 5 in the CLI.
    public static func unknownAttendee(_ id: String) -> StoreError {
        var error = StoreError("unknown attendee id \"\(id)\": not on the roster")
        error.kind = .unknownAttendee
        return error
    }

    public static func notCheckedIn(_ id: String) -> StoreError {
        var error = StoreError("\(id) is not checked in: nothing to undo")
        error.kind = .notCheckedIn
        return error
    }

    public static func idTaken(_ id: String) -> StoreError {
        var error = StoreError("the id \"\(id)\" is already on the roster")
        error.kind = .idTaken
        return error
    }
}
