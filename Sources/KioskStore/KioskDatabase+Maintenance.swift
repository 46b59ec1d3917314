import AccueilCore
import Foundation
import GRDB
import StoreSupport

extension KioskDatabase {
    /// Copies the store to `path` with SQLite's online backup: a consistent snapshot of every
    /// committed change, taken while others keep writing.
    public func backup(to path: String) throws(StoreError) {
        do {
            let destination = try DatabaseQueue(path: path)
            try writer.backup(to: destination)
            try destination.close()
        } catch {
            throw StoreError("cannot back up the store to \(path): \(error)")
        }
    }

    /// Removes personal data after the event: names, e-mails, organisations, titles, notes, VIP
    /// notes and every free-text reason, from the log and from the attendees' rows; what counts
    /// (roles, countries, delegations, check-ins, sessions attended) stays. The file is rewritten
    /// (VACUUM) so that nothing purged stays in free pages. Returns how many events changed.
    @discardableResult
    public func purgePersonalData() throws(StoreError) -> Int {
        let changed: Int = try write { db in
            var changed = 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, type, payload FROM events WHERE payload IS NOT NULL")
            let update = try db.makeStatement(sql: "UPDATE events SET payload = ? WHERE seq = ?")
            for row in rows {
                let seq: Int64 = row[0]
                if let clean = EventCodec.purged(type: row[1], payload: row[2]) {
                    try update.execute(arguments: [clean, seq])
                    changed += 1
                }
            }
            try db.execute(
                sql: """
                    UPDATE attendees SET first_name = '', last_name = '', native_name = '', organisation = '',
                        title = '', email = '', vip = '', notes = '', tickets = '';
                    DELETE FROM attendee_tickets;
                    UPDATE print_jobs SET reason = CASE WHEN reason IS NULL THEN NULL ELSE ? END, last_error = NULL;
                    DELETE FROM meta WHERE key = ?;
                    """, arguments: [EventCodec.purgedText, "kiosk_status"])
            return changed
        }
        do {
            try committer.otherWrite { try walLimit.compact(writer) }
        } catch { throw StoreError("cannot compact the store after the purge: \(error)") }
        return changed
    }
}
