import AccueilCore
import Foundation
import GRDB

/// What an import changed.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0

    public init() {}
}

extension KioskDatabase {
    /// Applies a parsed roster: new ids are added, changed ones updated (an `attendee.upserted`
    /// event each), identical ones left alone, so importing the same file twice changes nothing.
    /// Check-ins are never touched. With `removeMissing`, attendees absent from the file are
    /// removed (their history stays). With `dryRun`, computes the summary and writes nothing.
    ///
    /// All of it happens in one transaction: an interrupted import leaves the store as it was.
    @discardableResult
    public func importRoster(
        _ attendees: [Attendee], removeMissing: Bool = false, dryRun: Bool = false, kiosk: String,
        now: Date = Date(), progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        let work = { (db: Database) throws -> ImportSummary in
            var existing: [String: (Attendee, Bool)] = [:]
            existing.reserveCapacity(attendees.count)
            for row in try Row.fetchAll(db, sql: "SELECT \(AttendeeRecord.columns) FROM attendees") {
                let record = try AttendeeRecord(row: row)
                existing[record.attendee.id] = (record.attendee, record.removed)
            }
            var summary = ImportSummary()
            var inFile = Set<String>()
            inFile.reserveCapacity(attendees.count)
            for (i, incoming) in attendees.enumerated() {
                inFile.insert(incoming.id)
                var attendee = incoming
                if let (current, removed) = existing[attendee.id] {
                    // A walk-in later found in the roster stays marked as a walk-in.
                    attendee.walkIn = current.walkIn
                    if current == attendee && !removed {
                        summary.unchanged += 1
                        continue
                    }
                    summary.updated += 1
                } else {
                    summary.added += 1
                }
                if !dryRun {
                    let event = Event(attendeeID: attendee.id, at: now, kiosk: kiosk, body: .attendeeUpserted(attendee))
                    try Self.append(db, event)
                    try Self.upsertFields(db, attendee)
                }
                if i % 1000 == 999 { progress?(i + 1) }
            }
            if removeMissing {
                for (id, (_, removed)) in existing where !removed && !inFile.contains(id) {
                    summary.removed += 1
                    if !dryRun {
                        try Self.append(db, Event(attendeeID: id, at: now, kiosk: kiosk, body: .attendeeRemoved))
                        try db.execute(sql: "UPDATE attendees SET removed = 1 WHERE id = ?", arguments: [id])
                    }
                }
            }
            progress?(attendees.count)
            return summary
        }
        return dryRun ? try read(work) : try write(work)
    }
}
