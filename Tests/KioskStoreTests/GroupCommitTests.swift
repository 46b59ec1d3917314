import AccueilCore
import Foundation
import Testing

@testable import KioskStore

@Suite("Group commit")
struct GroupCommitTests {
    @Test("concurrent check-ins share commits: each is answered once on disk, a bad one fails alone")
    func concurrentCheckIns() async throws {
        let db = try KioskDatabase(directory: temporaryDirectory())
        let roster = RosterGenerator(seed: 3).attendees(count: 200)
        try db.importRoster(roster, kiosk: "import")
        // 200 attendees, each asked twice at once (two doors, one person), and unknown ids among them.
        let asked = roster.map(\.id) + roster.map(\.id) + (0..<20).map { "NOBODY-\($0)" }
        let outcomes = await withTaskGroup(of: (String, String).self) { group in
            for id in asked.shuffled() {
                group.addTask {
                    do {
                        let done = try await db.doorCheckInGrouped(id, kiosk: "door-1", print: nil)
                        // The attendee is answered as the check-in's own transaction left them.
                        guard done.attendee.attendee.id == id,
                            done.attendee.checkIn != nil || done.outcome == .pendingRegistration
                        else {
                            return (
                                id,
                                "error: answered \(done.attendee.attendee.id), checked in \(done.attendee.checkIn != nil)"
                            )
                        }
                        switch done.outcome {
                        case .checkedIn: return (id, "in")
                        case .alreadyCheckedIn: return (id, "already")
                        case .pendingRegistration: return (id, "pending")
                        }
                    } catch {
                        return (id, (error as? StoreError)?.kind == .unknownAttendee ? "unknown" : "error: \(error)")
                    }
                }
            }
            var all: [String: [String]] = [:]
            for await (id, what) in group { all[id, default: []].append(what) }
            return all
        }
        for attendee in roster {
            #expect(
                outcomes[attendee.id]?.sorted() == ["already", "in"], "\(attendee.id): \(outcomes[attendee.id] ?? [])")
        }
        for i in 0..<20 { #expect(outcomes["NOBODY-\(i)"] == ["unknown"]) }
        // On disk: one check-in event per attendee, and the store's fold agrees.
        let counts = try db.eventCounts(type: "checkin")
        #expect(counts.count == 200 && counts.values.allSatisfy { $0 == 1 })
        #expect(try db.stats().checkedIn == 200)
        #expect(try db.verifyConsistency() == [])
        // Reopened (another process): everything acknowledged is there.
        let again = try KioskDatabase(directory: db.directory)
        #expect(try again.stats().checkedIn == 200)
    }
}
