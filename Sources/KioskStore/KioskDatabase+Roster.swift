import AccueilCore
import Foundation
import GRDB

extension KioskDatabase {
    /// Applies a parsed roster: new ids are added, changed ones updated (an `attendee.upserted`
    /// event each), identical ones left alone, so importing the same file twice changes nothing.
    /// Check-ins are never touched. With `removeMissing`, attendees absent from the file are
    /// removed (their history stays). With `dryRun`, computes the summary and writes nothing.
    ///
    /// All of it happens in one transaction: an interrupted import leaves the store as it was.
    @discardableResult
    public func importRoster(
        _ attendees: [Attendee], removeMissing: Bool = false, cancelled: [String] = [], dryRun: Bool = false,
        kiosk: String,
        now: Date = Date(), progress: (@Sendable (Int) -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        let work = { (db: Database) throws -> ImportSummary in
            var existing: [String: (Attendee, Bool)] = [:]
            existing.reserveCapacity(attendees.count)
            for row in try Row.fetchAll(db, sql: "SELECT \(AttendeeRecord.columns) FROM attendees") {
                let record = try AttendeeRecord(row: row)
                existing[record.attendee.id] = (record.attendee, record.removed)
            }
            let plan = RosterPlan(
                incoming: attendees, existing: existing, removeMissing: removeMissing, cancelled: cancelled)
            if !dryRun {
                for (i, attendee) in plan.upserts.enumerated() {
                    let event = Event(attendeeID: attendee.id, at: now, kiosk: kiosk, body: .attendeeUpserted(attendee))
                    try Self.append(db, event)
                    try Self.upsertFields(db, attendee)
                    if i % 1000 == 999 { progress?(plan.summary.unchanged + i + 1) }
                }
                for id in plan.removals {
                    try Self.append(db, Event(attendeeID: id, at: now, kiosk: kiosk, body: .attendeeRemoved))
                    try db.execute(sql: "UPDATE attendees SET removed = 1 WHERE id = ?", arguments: [id])
                }
            }
            progress?(attendees.count)
            return plan.summary
        }
        return dryRun ? try read(work) : try write(work)
    }
}
