import AccueilCore
import Foundation
import Sync

extension SyncClient {
    /// Attendees per request when a roster is sent in pieces.
    public static let rosterPieceAttendees = 20_000
    /// Bytes per piece at most, under the server's 64 MB limit on a request.
    public static let rosterPieceBytes = 32 << 20

    /// Sends a roster held in memory to the server
    /// (``uploadRoster(count:keep:cancelled:removeMissing:dryRun:next:)``).
    public func uploadRoster(
        _ attendees: [Attendee], cancelled: [String] = [], codes: [[String]]? = nil, removeMissing: Bool,
        dryRun: Bool
    ) async throws -> ImportSummary {
        var start = 0
        return try await uploadRoster(
            count: attendees.count, keep: removeMissing ? attendees.map(\.id) : [], cancelled: cancelled,
            removeMissing: removeMissing, dryRun: dryRun
        ) { most in
            guard start < attendees.count else { return nil }
            let end = min(start + most, attendees.count)
            defer { start = end }
            return (Array(attendees[start..<end]), codes.map { Array($0[start..<end]) })
        }
    }

    /// Sends a roster to the server (`accueil roster import --server`), its attendees asked of
    /// `next` (at most that many at a time, nil at the end; with their ticket codes when the file
    /// has any): `count` attendees in one request up to `rosterPieceAttendees`; more in pieces of
    /// that many (fewer if their rows are long), each applied as it arrives, then, with
    /// `removeMissing`, `keep`, the ids of the whole file, so that the server removes everyone
    /// else. Memory on both ends is one piece's (and the file's ids). A piece the server refuses
    /// stops the upload: the pieces before it are applied, and importing the file again changes
    /// nothing twice.
    public func uploadRoster(
        count: Int, keep: [String], cancelled: [String], removeMissing: Bool, dryRun: Bool,
        next: (Int) throws -> (attendees: [Attendee], codes: [[String]]?)?
    ) async throws -> ImportSummary {
        let pieceAttendees = Self.rosterPieceAttendees
        if count <= pieceAttendees {
            let all = try next(max(count, 1)) ?? ([], nil)
            let body = try JSONEncoder().encode(
                RosterUpload(
                    attendees: all.attendees, removeMissing: removeMissing, dryRun: dryRun, ticketCodes: all.codes,
                    cancelled: cancelled))
            return try await post("api/v1/roster", body: body, as: ImportSummary.self, timeout: 600)
        }
        var total = ImportSummary()
        var first = true
        while let piece = try next(pieceAttendees) {
            var start = 0
            while start < piece.attendees.count {
                var end = piece.attendees.count
                var body: Data
                repeat {
                    // Cancelled registrations with the first request; with --remove-missing the
                    // last request removes them with everyone else not in the file.
                    body = try JSONEncoder().encode(
                        RosterUpload(
                            attendees: Array(piece.attendees[start..<end]), removeMissing: false, dryRun: dryRun,
                            ticketCodes: piece.codes.map { Array($0[start..<end]) },
                            cancelled: first && !removeMissing ? cancelled : nil))
                    if body.count > Self.rosterPieceBytes && end - start > 1 {
                        end = start + (end - start) / 2
                    } else {
                        break
                    }
                } while true
                let sent = try await post("api/v1/roster", body: body, as: ImportSummary.self, timeout: 600)
                total.added += sent.added
                total.updated += sent.updated
                total.unchanged += sent.unchanged
                total.removed += sent.removed
                first = false
                start = end
            }
        }
        if removeMissing {
            let body = try JSONEncoder().encode(RosterRemovals(keep: keep, dryRun: dryRun))
            total.removed += try await post(
                "api/v1/roster/removals", body: body, as: ImportSummary.self, timeout: 600
            ).removed
        }
        return total
    }
}
