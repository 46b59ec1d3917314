import AccueilCore
import CentralStorage
import Foundation
import NIOCore
import Sync

/// The server's live view of every attendee, folded from the central log. It follows the store's
/// sequence, catching up before it answers, so it never disagrees with what kiosks can pull.
///
/// Per attendee it keeps the events the fold needs: the latest roster upsert and the latest
/// removal (older ones can no longer change the result), a session's latest schedule line, and
/// every check-in, undo, refusal, reissue, print and session entry or exit. That compacted log is also what a new kiosk gets as its snapshot.
actor CentralProjection {
    let store: any CentralStore
    private(set) var cursor: Int64 = 0
    private var logs: [String: [Event]] = [:]
    private var states: [String: AttendeeState] = [:]
    private(set) var sessions: [String: Session] = [:]
    /// Events counted as they arrive: check-ins and session-door scans by verdict (`/metrics`).
    private(set) var counters: [String: Int] = [:]
    /// Session-door refusals, by session then reason (reports).
    private(set) var refusals: [String: [String: Int]] = [:]

    init(store: any CentralStore) {
        self.store = store
    }

    /// Attendees and sessions with events not folded yet.
    private var dirty = Set<String>()
    /// The dashboard's counts, kept as states change.
    private(set) var totals = DashboardTotals()

    /// Reads and folds whatever the store has past the cursor. Callers may overlap (the actor is
    /// reentrant across the store's reads): a page read while another caller moved the cursor on
    /// is dropped, so each event is added once. Each subject is folded once per catch-up, at the
    /// end, however many pages brought its events.
    func catchUp() async throws {
        while true {
            let start = cursor
            let page = try await store.changes(since: start, limit: 10_000)
            guard cursor == start else { continue }
            for wire in page.events {
                guard let event = try? wire.event() else { continue }  // stored ones were validated
                add(event)
                dirty.insert(event.attendeeID)
            }
            cursor = page.cursor
            if !page.more { break }
        }
        for id in dirty {
            if let session = Session.id(ofSubject: id) {
                sessions[session] = SessionState.fold(logs[id] ?? []).session
            } else {
                let state = AttendeeState.fold(logs[id] ?? [])
                totals.apply(states[id], -1)
                totals.apply(state, 1)
                states[id] = state
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    private func add(_ event: Event) {
        switch event.body {
        case .checkedIn: counters["checkin", default: 0] += 1
        case .checkInRefused: counters["checkin_refused", default: 0] += 1
        case .checkInUndone: counters["checkin_undone", default: 0] += 1
        case .sessionEntered(_, let override):
            counters[override == nil ? "scan_entered" : "scan_override", default: 0] += 1
        case .sessionExited: counters["scan_exited", default: 0] += 1
        case .sessionRefused(let session, let reason):
            counters["scan_refused_" + reason.rawValue, default: 0] += 1
            refusals[session, default: [:]][reason.rawValue, default: 0] += 1
        case .badgePrintRequested: counters["print_requested", default: 0] += 1
        default: break
        }
        switch event.body {
        case .attendeeUpserted, .attendeeRemoved, .sessionScheduled:
            var log = logs.removeValue(forKey: event.attendeeID) ?? []  // uniquely held: changed in place
            defer { logs[event.attendeeID] = log }
            let sameKind = { (other: Event) -> Bool in
                switch (other.body, event.body) {
                case (.attendeeUpserted, .attendeeUpserted), (.attendeeRemoved, .attendeeRemoved),
                    (.sessionScheduled, .sessionScheduled):
                    true
                default: false
                }
            }
            if let index = log.firstIndex(where: sameKind) {
                guard Event.logOrder(log[index], event) else { return }
                log[index] = event
            } else {
                log.append(event)
            }
        default:
            logs[event.attendeeID, default: []].append(event)
        }
    }

    func stats() async throws -> Stats {
        try await catchUp()
        return Stats(states: states.values)
    }

    /// The current roster, by id, with whether each one is removed (for a roster import).
    func roster() async throws -> [String: (Attendee, Bool)] {
        try await catchUp()
        var roster: [String: (Attendee, Bool)] = [:]
        roster.reserveCapacity(states.count)
        for (id, state) in states {
            if let attendee = state.attendee { roster[id] = (attendee, state.removed) }
        }
        return roster
    }

    /// Every attendee's compacted events, and the cursor to pull changes after, in memory. (The
    /// route streams it instead: ``snapshotSource()``, ``SnapshotStream``.)
    func snapshot() async throws -> Snapshot {
        try await catchUp()
        var roster: [Snapshot.RosterRow] = []
        var events: [WireEvent] = []
        roster.reserveCapacity(logs.count)
        for id in logs.keys.sorted() {
            for event in logs[id]! {
                if let row = Snapshot.RosterRow(event) { roster.append(row) } else { events.append(WireEvent(event)) }
            }
        }
        return Snapshot(cursor: cursor, roster: roster, events: events)
    }

    /// The compacted events at one cursor, to be written out piece by piece. The dictionary is
    /// shared with the projection (copy on write): it costs nothing until the projection changes,
    /// then the projection copies its table of attendees (not their events).
    ///
    /// With `limit`, one page: at most `limit` attendees (and sessions) by id, those after `after`
    /// when given, and the id to ask after for the next page when more follow. Pages are asked
    /// for one by one (by any server: the id is all a page depends on), so a kiosk that loses
    /// its link goes on from its last page instead of starting again.
    func snapshotSource(after: String? = nil, limit: Int? = nil) async throws -> SnapshotStream {
        try await catchUp()
        guard let limit else { return SnapshotStream(cursor: cursor, logs: logs) }
        let ids = sortedIDs()
        var from = 0
        if let after {
            // The first id past `after` (binary search).
            var high = ids.count
            while from < high {
                let middle = (from + high) / 2
                if ids[middle] <= after { from = middle + 1 } else { high = middle }
            }
        }
        let to = min(ids.count, from + max(1, limit))
        let page = Array(ids[from..<to])
        return SnapshotStream(cursor: cursor, logs: logs, ids: page, next: to < ids.count ? page.last : nil)
    }

    /// Every attendee's and session's id, sorted, kept until a new one arrives (ids are never
    /// taken out of `logs`, so a new count means new ids).
    private var sortedCache: [String] = []
    private func sortedIDs() -> [String] {
        if sortedCache.count != logs.count { sortedCache = logs.keys.sorted() }
        return sortedCache
    }

    /// Every attendee's folded state, for the dashboard (after catching up).
    func current() async throws -> (states: [String: AttendeeState], sessions: [String: Session], cursor: Int64) {
        try await catchUp()
        return (states, sessions, cursor)
    }

    /// The dashboard's kept counts and the schedule, after catching up.
    func dashboard() async throws -> (totals: DashboardTotals, sessions: [String: Session], cursor: Int64) {
        try await catchUp()
        return (totals, sessions, cursor)
    }

    /// The counters and refusals, after catching up.
    func tallies() async throws -> (counters: [String: Int], refusals: [String: [String: Int]], cursor: Int64) {
        try await catchUp()
        return (counters, refusals, cursor)
    }
}

/// A snapshot written as it is encoded, a few thousand attendees at a time, with the same JSON as
/// ``Snapshot`` (`{"cursor":…,"roster":[…],"events":[…]}`): a server's memory per snapshot in
/// progress is its sorted ids and one batch, not the whole document (259 MB at a million
/// attendees, with the structures it was encoded from); the connection's backpressure paces it.
struct SnapshotStream: Sendable {
    let cursor: Int64
    let logs: [String: [Event]]
    /// A page's ids (sorted), or nil for every attendee.
    var ids: [String]? = nil
    /// For a page: the id to ask after for the next one, nil on the last.
    var next: String? = nil

    /// Writes the document through `write`, `batch` attendees' events per encoded piece.
    func write(batch: Int = 2_000, _ write: (ByteBuffer) async throws -> Void) async throws {
        let ids = self.ids ?? logs.keys.sorted()
        let encoder = JSONEncoder()
        try await write(ByteBuffer(string: "{\"cursor\":\(cursor),\"roster\":["))
        // Two passes over the ids: the roster rows, then every other event (the order `Snapshot` has).
        for rosterPass in [true, false] {
            var first = true
            var start = 0
            while start < ids.count {
                let end = min(start + batch, ids.count)
                let piece: Data
                if rosterPass {
                    var rows: [Snapshot.RosterRow] = []
                    for id in ids[start..<end] {
                        rows.append(contentsOf: logs[id]!.compactMap(Snapshot.RosterRow.init))
                    }
                    piece = rows.isEmpty ? Data() : try encoder.encode(rows)
                } else {
                    var events: [WireEvent] = []
                    for id in ids[start..<end] {
                        for event in logs[id]! where Snapshot.RosterRow(event) == nil {
                            events.append(WireEvent(event))
                        }
                    }
                    piece = events.isEmpty ? Data() : try encoder.encode(events)
                }
                start = end
                guard piece.count > 2 else { continue }  // "[…]": its brackets dropped, pieces joined by commas
                var buffer = ByteBuffer()
                buffer.reserveCapacity(piece.count)
                if !first { buffer.writeString(",") }
                buffer.writeBytes(piece.dropFirst().dropLast())
                first = false
                try await write(buffer)
            }
            if rosterPass {
                try await write(ByteBuffer(string: "],\"events\":["))
            } else if let next {
                try await write(
                    ByteBuffer(string: "],\"next\":\(String(decoding: try encoder.encode(next), as: UTF8.self))}"))
            } else {
                try await write(ByteBuffer(string: "]}"))
            }
        }
    }
}
