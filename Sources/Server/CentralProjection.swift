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
/// every check-in, undo, refusal, reissue, print and session entry or exit. That compacted log is
/// also what a new kiosk gets as its snapshot. Attendees' logs are packed (``AttendeeTable``):
/// at a million attendees the projection holds their folded states and a few dozen bytes more
/// each. It can be saved and read back (``ProjectionCheckpoint``) so that a restart reads only
/// what came after.
actor CentralProjection {
    let store: any CentralStore
    private(set) var cursor: Int64 = 0
    /// The id of the event at `cursor`: what proves that a checkpoint belongs to the store's log.
    private(set) var lastEventID: UUID?
    private var attendees = AttendeeTable()
    private var sessionLogs: [String: [Event]] = [:]
    private(set) var sessions: [String: Session] = [:]
    /// Events counted as they arrive: check-ins and session-door scans by verdict (`/metrics`).
    private(set) var counters: [String: Int] = [:]
    /// Session-door refusals, by session then reason (reports).
    private(set) var refusals: [String: [String: Int]] = [:]

    /// With `loading`, catch-ups wait until ``endLoading()``: a checkpoint is being read, and a
    /// request that came first must not start folding the log beside it.
    init(store: any CentralStore, loading: Bool = false) {
        self.store = store
        self.loading = loading
    }

    private var loading: Bool
    private var waitingForLoad: [CheckedContinuation<Void, Never>] = []

    /// Catch-ups wait from now until ``endLoading()``.
    func beginLoading() { loading = true }

    /// Lets waiting catch-ups go on.
    func endLoading() {
        loading = false
        for waiting in waitingForLoad { waiting.resume() }
        waitingForLoad.removeAll()
    }

    /// New events of attendees (by slot) and sessions, not folded yet.
    private var pending: [Int: [Event]] = [:]
    private var dirtySessions = Set<String>()
    /// The dashboard's counts, kept as states change.
    private(set) var totals = DashboardTotals()

    /// Events read but not folded yet, in `pending`.
    private var pendingEvents = 0
    /// Whether a catch-up is reading the log, and the callers that came meanwhile.
    private var catchingUp = false
    private var queued: [CheckedContinuation<Turn, Never>] = []
    private enum Turn {
        /// Read and fold the log now, then tell `followers` how it went.
        case lead(followers: [CheckedContinuation<Turn, Never>])
        /// A read that started after the caller came is done.
        case done(Result<Void, any Error>)
    }

    /// Reads and folds whatever the store has past the cursor: on return, every event stored
    /// before the call is in. One catch-up reads at a time (the actor is reentrant across the
    /// store's reads); callers that come meanwhile wait and are all answered by the next one,
    /// which the first of them runs. (Overlapping reads read every page twice and kept one: at a
    /// cold start, the start's fold and a first dashboard read the whole log twice.)
    func catchUp() async throws {
        while loading { await withCheckedContinuation { waitingForLoad.append($0) } }
        var followers: [CheckedContinuation<Turn, Never>] = []
        if catchingUp {
            switch await withCheckedContinuation({ queued.append($0) }) {
            case .done(let result): return try result.get()
            case .lead(let others): followers = others
            }
        } else {
            catchingUp = true
        }
        let result: Result<Void, any Error>
        do {
            try await readAndFold()
            result = .success(())
        } catch {
            result = .failure(error)
        }
        for follower in followers { follower.resume(returning: .done(result)) }
        if queued.isEmpty {
            catchingUp = false
        } else {
            let next = queued
            queued.removeAll()
            next[0].resume(returning: .lead(followers: Array(next.dropFirst())))
        }
        try result.get()
    }

    /// Subjects are folded once per catch-up, at the end, or every 200,000 events when a long log
    /// is read: the new events wait unpacked until then, and each fold repacks the logs of the
    /// attendees it touches.
    private func readAndFold() async throws {
        while true {
            let page = try await store.changes(since: cursor, limit: 10_000)
            for wire in page.events {
                guard let event = try? wire.event() else { continue }  // stored ones were validated
                add(event)
            }
            if let last = page.events.last { lastEventID = last.id }
            cursor = page.cursor
            if pendingEvents >= 200_000 { foldPending() }
            if !page.more { break }
        }
        foldPending()
    }

    private func foldPending() {
        for id in dirtySessions {
            if let session = Session.id(ofSubject: id) {
                sessions[session] = SessionState.fold(sessionLogs[id] ?? []).session
            }
        }
        dirtySessions.removeAll(keepingCapacity: true)
        for (slot, new) in pending {
            var log = attendees.events(slot)
            let before: AttendeeState? = log.isEmpty ? nil : attendees[slot].state
            for event in new { Self.keep(event, in: &log) }
            let state = AttendeeState.fold(log)
            totals.apply(before, -1)
            totals.apply(state, 1)
            attendees.set(slot, log: log, state: state)
        }
        pending.removeAll(keepingCapacity: true)
        pendingEvents = 0
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
        if Session.id(ofSubject: event.attendeeID) != nil {
            Self.keep(event, in: &sessionLogs[event.attendeeID, default: []])
            dirtySessions.insert(event.attendeeID)
        } else {
            pending[attendees.slot(for: event.attendeeID), default: []].append(event)
            pendingEvents += 1
        }
    }

    /// Adds an event to a subject's compacted log: of upserts, removals and schedule lines only
    /// the latest (by log order) is kept; every other event is.
    static func keep(_ event: Event, in log: inout [Event]) {
        let sameKind = { (other: Event) -> Bool in
            switch (other.body, event.body) {
            case (.attendeeUpserted, .attendeeUpserted), (.attendeeRemoved, .attendeeRemoved),
                (.sessionScheduled, .sessionScheduled):
                true
            default: false
            }
        }
        switch event.body {
        case .attendeeUpserted, .attendeeRemoved, .sessionScheduled:
            if let index = log.firstIndex(where: sameKind) {
                if Event.logOrder(log[index], event) { log[index] = event }
            } else {
                log.append(event)
            }
        default:
            log.append(event)
        }
    }

    func stats() async throws -> Stats {
        try await catchUp()
        return Stats(totals)
    }

    /// The current roster, by id, with whether each one is removed (for a roster import), read
    /// in place from the projection as it is now.
    func roster() async throws -> ProjectionRoster {
        try await catchUp()
        return attendees.states.roster
    }

    /// Every attendee's compacted events, and the cursor to pull changes after, in memory. (The
    /// route streams it instead: ``snapshotSource()``, ``SnapshotStream``.)
    func snapshot() async throws -> Snapshot {
        try await catchUp()
        var roster: [Snapshot.RosterRow] = []
        var events: [WireEvent] = []
        roster.reserveCapacity(attendees.count)
        let logs = SubjectLogs(attendees: attendees, sessions: sessionLogs)
        for id in logs.ids.sorted() {
            for event in logs[id] {
                if let row = Snapshot.RosterRow(event) { roster.append(row) } else { events.append(WireEvent(event)) }
            }
        }
        return Snapshot(cursor: cursor, roster: roster, events: events)
    }

    /// The compacted events at one cursor, to be written out piece by piece. The tables are
    /// shared with the projection (copy on write): they cost nothing until the projection
    /// changes, then the projection copies its index of attendees and the block of the one that
    /// changed (not every attendee's events).
    ///
    /// With `limit`, one page: at most `limit` attendees (and sessions) by id, those after `after`
    /// when given, and the id to ask after for the next page when more follow. Pages are asked
    /// for one by one (by any server: the id is all a page depends on), so a kiosk that loses
    /// its link goes on from its last page instead of starting again.
    func snapshotSource(after: String? = nil, limit: Int? = nil) async throws -> SnapshotStream {
        try await catchUp()
        let logs = SubjectLogs(attendees: attendees, sessions: sessionLogs)
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
    /// taken out, so a new count means new ids).
    private var sortedCache: [String] = []
    private func sortedIDs() -> [String] {
        if sortedCache.count != attendees.count + sessionLogs.count {
            sortedCache = SubjectLogs(attendees: attendees, sessions: sessionLogs).ids.sorted()
        }
        return sortedCache
    }

    /// Every attendee's folded state, for the dashboard (after catching up).
    func current() async throws -> (states: AttendeeStates, sessions: [String: Session], cursor: Int64) {
        try await catchUp()
        return (attendees.states, sessions, cursor)
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

    // MARK: Checkpoints

    /// What a checkpoint holds, as it is now (the tables shared, copy on write). Events read but
    /// not folded yet (a catch-up waiting for its next page) are folded first: the checkpoint's
    /// cursor says they are in.
    func checkpointContent() -> ProjectionCheckpoint.Content {
        foldPending()
        return ProjectionCheckpoint.Content(
            cursor: cursor, lastEventID: lastEventID, attendees: attendees, sessionLogs: sessionLogs,
            counters: counters, refusals: refusals)
    }

    /// Starts from a checkpoint's content instead of the beginning of the log; only for a
    /// projection that has read nothing yet (false otherwise, and nothing changes). The caller has
    /// checked that it belongs to the store.
    func restore(_ content: ProjectionCheckpoint.Content) -> Bool {
        guard cursor == 0 && attendees.count == 0 && sessionLogs.isEmpty else { return false }
        cursor = content.cursor
        lastEventID = content.lastEventID
        attendees = content.attendees
        sessionLogs = content.sessionLogs
        counters = content.counters
        refusals = content.refusals
        for (id, log) in sessionLogs {
            if let session = Session.id(ofSubject: id) { sessions[session] = SessionState.fold(log).session }
        }
        for state in attendees.states.values { totals.apply(state, 1) }
        return true
    }
}

/// Attendees' compacted logs, packed, with their folded states: the bulk of the projection.
///
/// A slot per attendee, in blocks of 4,096 (growing by a block, never doubling a million-long
/// array); an index from id to slot. A log is its events packed (``PackWriter/event(_:eliding:)``)
/// without the upsert's attendee, which is the state's: the fold keeps the latest upsert's, and
/// the log keeps only that upsert.
struct AttendeeTable: Sendable {
    struct Slot: Sendable {
        var id: String
        var log: [UInt8]
        var state: AttendeeState
    }

    static let block = 4096
    private var index: [String: Int32] = [:]
    private var blocks: [[Slot]] = []
    private(set) var count = 0

    init() {}

    var ids: Dictionary<String, Int32>.Keys { index.keys }

    subscript(slot: Int) -> Slot { blocks[slot / Self.block][slot % Self.block] }

    func slot(of id: String) -> Int? { index[id].map(Int.init) }

    /// The slot of `id`, made (empty, not folded) when it has none.
    mutating func slot(for id: String) -> Int {
        if let slot = index[id] { return Int(slot) }
        if count % Self.block == 0 {
            var block: [Slot] = []
            block.reserveCapacity(Self.block)
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(Slot(id: id, log: [], state: AttendeeState()))
        index[id] = Int32(count)
        count += 1
        return count - 1
    }

    mutating func reserve(_ count: Int) {
        index.reserveCapacity(count)
        blocks.reserveCapacity((count + Self.block - 1) / Self.block)
    }

    /// A slot's events, unpacked.
    func events(_ slot: Int) -> [Event] {
        let entry = self[slot]
        guard !entry.log.isEmpty else { return [] }
        return entry.log.withUnsafeBufferPointer { buffer in
            var reader = PackReader(bytes: buffer)
            var events: [Event] = []
            while !reader.atEnd, let event = reader.event(subject: entry.id, attendee: entry.state.attendee) {
                events.append(event)
            }
            assert(!reader.failed, "a packed log that does not read back")
            return events
        }
    }

    func events(of id: String) -> [Event] { slot(of: id).map(events) ?? [] }

    mutating func set(_ slot: Int, log: [Event], state: AttendeeState) {
        var writer = PackWriter(capacity: log.count * 48)
        for event in log { writer.event(event, eliding: state.attendee) }
        set(slot, packed: writer.bytes, state: state)
    }

    /// With the log already packed, eliding `state.attendee` (a checkpoint read back).
    mutating func set(_ slot: Int, packed: some Collection<UInt8>, state: AttendeeState) {
        var log: [UInt8] = []
        log.reserveCapacity(packed.count)  // exactly: a million of them
        log.append(contentsOf: packed)
        blocks[slot / Self.block][slot % Self.block].log = log
        blocks[slot / Self.block][slot % Self.block].state = state
    }

    /// Every folded attendee's state.
    var states: AttendeeStates { AttendeeStates(table: self) }

    /// Every slot, in order.
    var slots: FlattenSequence<[[Slot]]> { blocks.joined() }
}

/// Folded states by attendee id, read from the projection's table as it was when asked for.
struct AttendeeStates: Sendable {
    private let table: AttendeeTable

    init(table: AttendeeTable) { self.table = table }

    /// States of attendees with at least one event folded.
    var values: some Sequence<AttendeeState> { table.slots.lazy.filter { !$0.log.isEmpty }.map(\.state) }

    subscript(id: String) -> AttendeeState? {
        guard let slot = table.slot(of: id), !table[slot].log.isEmpty else { return nil }
        return table[slot].state
    }

    /// Those who have a roster row, as a roster import reads them.
    var roster: ProjectionRoster { ProjectionRoster(table: table) }
}

/// The projection's attendees as a roster (``CurrentRoster``): those with a roster row.
struct ProjectionRoster: CurrentRoster, Sendable {
    fileprivate let table: AttendeeTable

    subscript(_ id: String) -> (Attendee, Bool)? {
        guard let slot = table.slot(of: id), let attendee = table[slot].state.attendee else { return nil }
        return (attendee, table[slot].state.removed)
    }

    func forEachPresent(_ body: (String) -> Void) {
        for slot in table.slots where !slot.state.removed && slot.state.attendee != nil { body(slot.id) }
    }
}

/// Every subject's compacted log by id: attendees' unpacked from the table, sessions' as they are.
struct SubjectLogs: Sendable {
    let attendees: AttendeeTable
    let sessions: [String: [Event]]

    var ids: [String] { Array(attendees.ids) + sessions.keys }

    subscript(id: String) -> [Event] { sessions[id] ?? attendees.events(of: id) }
}

/// A snapshot written as it is encoded, a few thousand attendees at a time, with the same JSON as
/// ``Snapshot`` (`{"cursor":…,"roster":[…],"events":[…]}`): a server's memory per snapshot in
/// progress is its sorted ids and one batch, not the whole document (259 MB at a million
/// attendees, with the structures it was encoded from); the connection's backpressure paces it.
struct SnapshotStream: Sendable {
    let cursor: Int64
    let logs: SubjectLogs
    /// A page's ids (sorted), or nil for every attendee.
    var ids: [String]? = nil
    /// For a page: the id to ask after for the next one, nil on the last.
    var next: String? = nil

    /// Writes the document through `write`, `batch` attendees' events per encoded piece.
    func write(batch: Int = 2_000, _ write: (ByteBuffer) async throws -> Void) async throws {
        let ids = self.ids ?? logs.ids.sorted()
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
                        rows.append(contentsOf: logs[id].compactMap(Snapshot.RosterRow.init))
                    }
                    piece = rows.isEmpty ? Data() : try encoder.encode(rows)
                } else {
                    var events: [WireEvent] = []
                    for id in ids[start..<end] {
                        for event in logs[id] where Snapshot.RosterRow(event) == nil {
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
