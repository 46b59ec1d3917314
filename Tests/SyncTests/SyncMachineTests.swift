import AccueilCore
import Foundation
import Testing

@testable import Sync

@Suite("Sync state machine (injected clock, no sleeping)")
struct SyncMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("pushes first when the outbox has events, then pulls, then waits for the poll interval")
    func order() {
        var m = SyncMachine(now: t0, pollInterval: 1)
        #expect(m.next(now: t0, outboxDepth: 3) == .push)
        m.pushSucceeded(now: t0)
        #expect(m.next(now: t0, outboxDepth: 0) == .pull(cursor: 0))
        m.pullSucceeded(now: t0, cursor: 42, more: false)
        #expect(m.cursor == 42 && m.online && m.lastSuccess == t0)
        #expect(m.next(now: t0, outboxDepth: 0) == .wait(until: t0.addingTimeInterval(1)))
        #expect(m.next(now: t0.addingTimeInterval(1), outboxDepth: 0) == .pull(cursor: 42))
    }

    @Test("more changes on the server are pulled at once; the cursor never goes back")
    func paging() {
        var m = SyncMachine(now: t0)
        m.pullSucceeded(now: t0, cursor: 1000, more: true)
        #expect(m.next(now: t0, outboxDepth: 0) == .pull(cursor: 1000))
        m.pullSucceeded(now: t0, cursor: 900, more: false)
        #expect(m.cursor == 1000)
    }

    @Test("failures back off 1, 2, 4… up to 30 s, and say why")
    func backoff() {
        var m = SyncMachine(now: t0)
        var now = t0
        var waits: [TimeInterval] = []
        for _ in 0..<8 {
            m.pullFailed(now: now, error: "connection refused")
            guard case .wait(let until) = m.next(now: now, outboxDepth: 0) else {
                Issue.record("expected a wait")
                return
            }
            waits.append(until.timeIntervalSince(now))
            now = until
            #expect(m.next(now: now, outboxDepth: 0) == .pull(cursor: 0))
        }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30, 30])
        #expect(!m.online && m.lastError == "connection refused")
        m.pullSucceeded(now: now, cursor: 5, more: false)
        #expect(m.online && m.lastError == nil)
    }

    @Test("an upload error never stops downloading others' changes, and the other way round")
    func independent() {
        var m = SyncMachine(now: t0)
        m.pushFailed(now: t0, error: "413 batch too large")
        // Push is backing off; pull still happens now.
        #expect(m.next(now: t0, outboxDepth: 10) == .pull(cursor: 0))
        m.pullSucceeded(now: t0, cursor: 7, more: false)
        #expect(m.next(now: t0.addingTimeInterval(0.5), outboxDepth: 10) == .wait(until: t0.addingTimeInterval(1)))
        #expect(m.next(now: t0.addingTimeInterval(1), outboxDepth: 10) == .push)
        // And a pull failure leaves pushes alone.
        var n = SyncMachine(now: t0)
        n.pullFailed(now: t0, error: "timeout")
        #expect(n.next(now: t0, outboxDepth: 1) == .push)
    }

    @Test("a local change is pushed at once, unless pushes are backing off")
    func localChange() {
        var m = SyncMachine(now: t0)
        m.pullSucceeded(now: t0, cursor: 1, more: false)
        m.localChange(now: t0.addingTimeInterval(0.1))
        #expect(m.next(now: t0.addingTimeInterval(0.1), outboxDepth: 1) == .push)
        m.pushFailed(now: t0.addingTimeInterval(0.1), error: "down")
        m.localChange(now: t0.addingTimeInterval(0.2))
        #expect(m.next(now: t0.addingTimeInterval(0.2), outboxDepth: 2) != .push)
    }
}

@Suite("Snapshot roster rows")
struct RosterRowTests {
    @Test("ticket digests and the pending mark travel as trailing fields; rows without them read as before")
    func trailing() throws {
        var a = Attendee(id: "P1", firstName: "Anne", lastName: "Martin", role: .press, sessions: ["S1", "S2"])
        let plain = try #require(
            Snapshot.RosterRow(Event(attendeeID: a.id, at: Date(), kiosk: "k", body: .attendeeUpserted(a))))
        let plainJSON = try JSONEncoder().encode(plain)
        #expect(try JSONDecoder().decode(Snapshot.RosterRow.self, from: plainJSON) == plain)
        #expect(try JSONSerialization.jsonObject(with: plainJSON) as? [Any] != nil)
        #expect((try JSONSerialization.jsonObject(with: plainJSON) as? [Any])?.count == 18)

        a.tickets = ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]
        a.pending = true
        let row = try #require(
            Snapshot.RosterRow(Event(attendeeID: a.id, at: Date(), kiosk: "k", body: .attendeeUpserted(a))))
        let back = try JSONDecoder().decode(Snapshot.RosterRow.self, from: try JSONEncoder().encode(row))
        #expect(back.attendee == a)
    }
}
