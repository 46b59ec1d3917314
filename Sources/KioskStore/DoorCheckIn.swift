import AccueilCore
import Foundation
import GRDB
import Logging

/// One check-in at a door, as every front end makes it: the kiosk's door API, self-service,
/// `accueil checkin` and the terminal door. The store's one transaction (the check-in, a refused
/// second check-in or a pending registration, and the badge's print job when asked), the attendee
/// as that transaction left them, and the journal's line.
public struct DoorCheckIn: Sendable {
    public var outcome: CheckInOutcome
    public var printing: PrintQueueing
    /// The attendee as the store has them after the check-in, read in the same transaction.
    public var attendee: AttendeeRecord

    /// What happened, in the word the kiosk's API and `accueil checkin --json` answer.
    public var status: String {
        switch outcome {
        case .checkedIn: "checked_in"
        case .alreadyCheckedIn: "already_checked_in"
        case .pendingRegistration: "pending"
        }
    }

    /// Writes the journal's line for this check-in: ids and event ids at info or notice, the name
    /// only at debug. `via` names the front end ("door", "self-service"…).
    public func log(to logger: Logger, kiosk: String, via: String) {
        let id = attendee.attendee.id
        var metadata: Logger.Metadata = ["kiosk": "\(kiosk)", "attendee_id": "\(id)", "via": "\(via)"]
        switch outcome {
        case .checkedIn(let checkIn):
            metadata["event_id"] = .string(checkIn.eventID.text)
            if case .queued(let job) = printing { metadata["job_id"] = .string(job.id.text) }
            logger.info("checked in", metadata: metadata)
            logger.debug("checked in: \(attendee.attendee.listName)", metadata: ["attendee_id": "\(id)"])
        case .alreadyCheckedIn(let earlier):
            metadata["first_event_id"] = .string(earlier.eventID.text)
            metadata["first_kiosk"] = "\(earlier.kiosk)"
            logger.notice("second check-in refused: already in", metadata: metadata)
        case .pendingRegistration:
            logger.notice("check-in refused: registration pending", metadata: metadata)
        }
    }
}

extension KioskDatabase {
    /// Checks `attendeeID` in at a door and, with `print`, queues the badge, in one transaction
    /// synced to disk before this returns (`checkIn(_:kiosk:at:print:)`). An attendee who is not on
    /// the roster throws `unknownAttendee`.
    public func doorCheckIn(_ attendeeID: String, kiosk: String, at now: Date = Date(), print: PrintRequest?)
        throws(StoreError) -> DoorCheckIn
    {
        try write { db in try Self.doorCheckIn(db, attendeeID, kiosk: kiosk, at: now, print: print) }
    }

    /// `doorCheckIn`, for many concurrent callers (the door's HTTP API): check-ins arriving
    /// together share one transaction and one fsync (group commit); each returns once it is on disk.
    public func doorCheckInGrouped(_ attendeeID: String, kiosk: String, at now: Date = Date(), print: PrintRequest?)
        async throws(StoreError) -> DoorCheckIn
    {
        try await groupWrite { db in try Self.doorCheckIn(db, attendeeID, kiosk: kiosk, at: now, print: print) }
    }

    static func doorCheckIn(_ db: Database, _ attendeeID: String, kiosk: String, at now: Date, print: PrintRequest?)
        throws -> DoorCheckIn
    {
        let done = try Self.checkInTracked(db, attendeeID, kiosk: kiosk, at: now, print: print)
        return DoorCheckIn(outcome: done.outcome, printing: done.print, attendee: done.attendee)
    }
}
