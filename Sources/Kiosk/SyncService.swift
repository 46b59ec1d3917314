import AccueilCore
import Foundation
import KioskStore
import Logging
import Sync
import Synchronization

/// The sync service's log: event ids and reasons, never names.
let syncLog = Logger(label: "accueil.sync")

/// What `accueil status` shows: kept in the kiosk store's meta table by the running daemon, so
/// that any process on the same data directory can read it.
public struct SyncStatus: Codable, Sendable, Equatable {
    public var kiosk: String
    public var server: String?
    /// The last exchange with the server worked.
    public var online = false
    public var lastSuccess: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    /// The server's sequence number this kiosk has read up to.
    public var cursor: Int64 = 0
    /// Events sent and received since the daemon started.
    public var sent = 0
    public var received = 0
    public var pid: Int32
    public var startedAt: Date
    /// The daemon writes this every second or so: an old heartbeat means it is not running.
    public var heartbeat: Date

    public init(kiosk: String, server: String?, pid: Int32, now: Date) {
        self.kiosk = kiosk
        self.server = server
        self.pid = pid
        startedAt = now
        heartbeat = now
    }

    enum CodingKeys: String, CodingKey {
        case kiosk, server, online, cursor, sent, received, pid, heartbeat
        case lastSuccess = "last_success"
        case lastError = "last_error"
        case lastErrorAt = "last_error_at"
        case startedAt = "started_at"
    }

    public static let metaKey = "kiosk_status"

    public static func read(from db: KioskDatabase) throws(StoreError) -> SyncStatus? {
        guard let text = try db.meta(metaKey) else { return nil }
        return try? decoder.decode(SyncStatus.self, from: Data(text.utf8))
    }

    public func write(to db: KioskDatabase) throws(StoreError) {
        guard let data = try? Self.encoder.encode(self) else { return }
        try db.setMeta(Self.metaKey, String(decoding: data, as: UTF8.self))
    }

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// The kiosk's background sync: uploads the outbox and downloads everyone's changes, side by side
/// (one never waits for the other), with backoff while the server is away. Check-ins never wait
/// for it: they are in the local store and its outbox already. Follows `SyncMachine`.
public final class SyncService: Sendable {
    public let db: KioskDatabase
    public let client: SyncClient
    /// Seconds the server may hold a download open waiting for news (long poll).
    let longPoll: Int
    let batchSize: Int
    /// What the station is for (door, session…), told to the server with its health.
    let mode: String?
    private let state: Mutex<(machine: SyncMachine, status: SyncStatus)>
    /// The client requests go through: replaced by one on new connections when the link comes back.
    private let connection: Mutex<SyncClient>
    var active: SyncClient { connection.withLock { $0 } }
    /// Counts the times the link came back: requests started before then are abandoned (they may
    /// be stuck on a connection that died silently) and made again at once.
    private let linkGeneration = Atomic<Int>(0)
    /// A snapshot is being installed (page by page): the store is changing a great deal, and the
    /// door's index is not worth rebuilding until it is in.
    private let installing = Atomic<Bool>(false)
    public var installingSnapshot: Bool { installing.load(ordering: .relaxed) }
    /// Clients replaced when the link came back, whose connections `run` closes 2 s later (after
    /// their abandoned requests have ended).
    private let retired = AsyncStream<SyncClient>.makeStream()
    /// The loops' heartbeats, for the systemd watchdog.
    public let liveness: Liveness
    /// How often the link is probed, and how long a probe may take.
    let probeEvery: Duration
    let probeTimeout: TimeInterval
    /// Attendees per page of the snapshot a new kiosk starts from.
    let snapshotPageSize: Int

    public init(
        db: KioskDatabase, client: SyncClient, kiosk: String, longPoll: Int = 20, batchSize: Int = 2000,
        mode: String? = nil, liveness: Liveness = Liveness(), probeEvery: Duration = .seconds(1),
        probeTimeout: TimeInterval = 2, snapshotPage: Int = SyncService.snapshotPage
    ) throws(StoreError) {
        self.snapshotPageSize = max(1, snapshotPage)
        self.liveness = liveness
        self.probeEvery = probeEvery
        self.probeTimeout = probeTimeout
        self.mode = mode
        self.db = db
        self.client = client
        connection = Mutex(client)
        self.longPoll = longPoll
        self.batchSize = min(batchSize, SyncLimits.maxBatch)
        let now = Date()
        var machine = SyncMachine(cursor: try db.syncCursor(), now: now, pollInterval: 0)
        machine.localChange(now: now)
        var status = SyncStatus(kiosk: kiosk, server: client.server.absoluteString, pid: getpid(), now: now)
        status.cursor = machine.cursor
        state = Mutex((machine, status))
    }

    public var status: SyncStatus { state.withLock { $0.status } }

    /// Runs until the task is cancelled.
    public func run() async {
        try? status.write(to: db)
        // Each loop's longest silence: a push (15 s) or a long poll (wait + 5 s), with margin.
        liveness.expect("sync upload", within: .seconds(60))
        liveness.expect("sync download", within: .seconds(longPoll + 60))
        liveness.expect("link probe", within: .seconds(30))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.uploads() }
            group.addTask { await self.downloads() }
            group.addTask { await self.heartbeats() }
            group.addTask { await self.healthReports() }
            group.addTask { await self.probes() }
            group.addTask { await self.closeRetired() }
        }
    }

    /// Closes each replaced client's connections 2 s after it was replaced, until cancelled (then
    /// at once).
    func closeRetired() async {
        await withDiscardingTaskGroup { group in
            for await old in retired.stream {
                group.addTask {
                    try? await Task.sleep(for: .seconds(2))
                    await old.shutdown()
                }
            }
        }
    }

    /// Probes the server every `probeEvery` with a short request: a link that drops silently (a
    /// switch that swallows packets, a relay that stalls) shows as offline within seconds, not
    /// after a request's whole timeout; and when the server answers again, uploads and downloads
    /// start at once — without their backoff, and without waiting for requests stuck on a dead
    /// connection, which are abandoned.
    func probes() async {
        var failures = 0
        while !Task.isCancelled {
            liveness.beat("link probe")
            do {
                try await client.health(timeout: probeTimeout)
                let wasDown = failures > 0 || !state.withLock { $0.machine.online }
                failures = 0
                if wasDown {
                    if let fresh = try? client.withFreshConnections() {
                        let old = connection.withLock { current in
                            defer { current = fresh }
                            return current
                        }
                        // Its requests are abandoned below; its connections are closed after they are.
                        retired.continuation.yield(old)
                    }
                    linkGeneration.add(1, ordering: .sequentiallyConsistent)
                    record { machine, _ in machine.linkRestored(now: Date()) }
                }
            } catch {
                failures += 1
                // Two probes in a row: one lost packet on a busy network is not an outage.
                if failures >= 2 {
                    let words = error.description
                    record { machine, _ in machine.linkLost(error: words) }
                }
            }
            try? await Task.sleep(for: probeEvery)
        }
    }

    /// Runs `request`, unless the link comes back meanwhile: then it is abandoned (it may be stuck
    /// on a connection that died silently) and the caller tries again at once.
    func unlessLinkRestored<T: Sendable>(
        _ request: @escaping @Sendable (SyncClient) async throws -> T
    ) async throws -> T {
        // The generation first, then the client: a client swapped in after this read comes with a
        // new generation, which abandons the request.
        let start = linkGeneration.load(ordering: .sequentiallyConsistent)
        let client = active
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await request(client) }
            group.addTask {
                while self.linkGeneration.load(ordering: .sequentiallyConsistent) == start {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw LinkRestored() }
            return value
        }
    }

    /// Every 5 s, tells the server how this kiosk is (for the organisers' dashboard); a failure
    /// is only the server being away, which the other loops already report.
    func healthReports() async {
        while !Task.isCancelled {
            if let printing = try? db.printSummary(),
                var health = try? KioskHealth(
                    outbox: db.outboxCount(), printQueue: printing.counts, printerTrouble: printing.trouble,
                    lastPrintAt: printing.last?.updatedAt, cursor: db.syncCursor(), mode: mode),
                let body = try? { () throws -> Data in
                    let setAside = try db.setAsideSummary()
                    health.setAside = setAside.count
                    health.setAsideReason = setAside.lastReason
                    return try JSONEncoder().encode(health)
                }()
            {
                _ = try? await active.post("api/v1/kiosk/health", body: body, as: Empty.self, timeout: 10)
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    private func record(_ change: (inout SyncMachine, inout SyncStatus) -> Void) {
        let snapshot = state.withLock { value in
            change(&value.machine, &value.status)
            value.status.online = value.machine.online
            value.status.lastSuccess = value.machine.lastSuccess
            value.status.cursor = value.machine.cursor
            if let error = value.machine.lastError, error != value.status.lastError {
                value.status.lastErrorAt = Date()
            }
            value.status.lastError = value.machine.lastError
            value.status.heartbeat = Date()
            return value.status
        }
        try? snapshot.write(to: db)
    }

    func uploads() async {
        // Changes set aside by another version of this program are sent again: the upgrade may
        // be what they were waiting for.
        if let requeued = try? db.requeueSetAside(notVersion: AccueilVersion.current), requeued > 0 {
            syncLog.notice("changes set aside by an earlier version sent again", metadata: ["count": "\(requeued)"])
        }
        while !Task.isCancelled {
            liveness.beat("sync upload")
            let now = Date()
            let depth = (try? db.outboxCount()) ?? 0
            guard state.withLock({ $0.machine.pushDue(now: now, outboxDepth: depth) }) else {
                // Other processes (the door screen, `accueil checkin`) write to the same store:
                // look at the outbox often; it is one indexed count.
                try? await Task.sleep(for: .milliseconds(40))
                continue
            }
            do {
                let batch = try db.outboxEntries(limit: batchSize, maxBytes: EventLimits.uploadBytes)
                let sent = try await push(batch)
                record { machine, status in
                    machine.pushSucceeded(now: Date())
                    status.sent += sent
                }
            } catch is LinkRestored {
                continue
            } catch {
                let words = (error as? SyncError)?.description ?? "\(error)"
                record { machine, _ in machine.pushFailed(now: Date(), error: words) }
            }
        }
    }

    /// Sends `entries`; returns how many the server now has. A batch the server refuses as wrong
    /// (400, 413 too large, 422 an event it cannot take) is split in halves until the events it
    /// refuses are alone: those are set aside with the reason, and every other event gets through.
    /// Network trouble is thrown, and the whole batch is tried again later.
    public func push(_ entries: [OutboxEntry]) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        var wires: [WireEvent] = []
        var sendable: [OutboxEntry] = []
        for entry in entries {
            guard let id = UUID(text: entry.id) else {
                try setAside(entry, because: "the event's id \(entry.id) is not a UUID")
                continue
            }
            wires.append(
                WireEvent(
                    id: id, type: entry.type, attendeeID: entry.attendeeID, at: entry.at, kiosk: entry.kiosk,
                    payload: entry.payload))
            sendable.append(entry)
        }
        guard !sendable.isEmpty else { return 0 }
        do {
            liveness.beat("sync upload")
            let batch = wires
            _ = try await unlessLinkRestored { client in try await client.push(batch) }
            try db.markSent(sendable.map(\.seq))
            return sendable.count
        } catch SyncError.refused(let status, let why) {
            if sendable.count == 1 {
                try setAside(sendable[0], because: why + (status == 413 ? " (this one event is too large)" : ""))
                return 0
            }
            let half = sendable.count / 2
            let first = try await push(Array(sendable[..<half]))
            return try await first + push(Array(sendable[half...]))
        }
    }

    private func setAside(_ entry: OutboxEntry, because reason: String) throws {
        try db.setAside(entry.seq, reason: reason, version: AccueilVersion.current)
        syncLog.error(
            "change refused by the server, set aside",
            metadata: [
                "kiosk": "\(entry.kiosk)", "event_id": "\(entry.id)", "event_type": "\(entry.type)",
                "attendee_id": "\(entry.attendeeID)", "reason": "\(reason)",
            ])
    }

    /// Attendees per page of the server's snapshot: each page is installed in one transaction
    /// (synced to disk) while the next one downloads; a kiosk stopped or cut off half-way goes on
    /// from the page after the last one it installed.
    public static let snapshotPage = 50_000

    /// A kiosk that has never pulled starts from the server's snapshot (the whole roster and every
    /// check-in so far), page by page, then follows changes after its cursor.
    ///
    /// Each page carries the server's cursor when it was read. Pages read later may be newer than
    /// earlier ones; the kiosk then pulls from the earliest cursor, so nothing that changed
    /// between two pages is missed, and what it already holds is skipped (applying is idempotent
    /// and order-free). A server that does not page answers the whole snapshot at once, which is
    /// installed as one page.
    func bootstrap() async -> Bool {
        do {
            let cursor = try await installSnapshot().cursor
            record { machine, _ in machine.pullSucceeded(now: Date(), cursor: cursor, more: true) }
            return true
        } catch {
            let words = (error as? SyncError)?.description ?? "\(error)"
            record { machine, _ in machine.pullFailed(now: Date(), error: words) }
            return false
        }
    }

    /// Installs the server's snapshot page by page, from where an earlier attempt stopped, and
    /// sets the cursor to pull after (see ``bootstrap()``). Returns how many events were new.
    public func installSnapshot() async throws -> (fresh: Int, cursor: Int64) {
        installing.store(true, ordering: .relaxed)
        defer { installing.store(false, ordering: .relaxed) }
        var earliest = try db.meta(Self.snapshotCursorKey).flatMap { Int64($0) }
        var page = try await fetchSnapshotPage(after: try db.meta(Self.snapshotAfterKey))
        var total = 0
        while true {
            let next = page.next
            // The next page downloads (and is decoded) while this one is installed.
            async let following: Snapshot? = next == nil ? nil : fetchSnapshotPage(after: next)
            let fresh = try db.applyRemote(Self.merged(page))
            total += fresh
            earliest = min(earliest ?? page.cursor, page.cursor)
            if let next, let earliest {
                try db.setMeta(Self.snapshotCursorKey, String(earliest))
                try db.setMeta(Self.snapshotAfterKey, next)
            }
            record { _, status in status.received += fresh }
            guard let nextPage = try await following else { break }
            page = nextPage
        }
        let cursor = earliest ?? page.cursor
        try db.setSyncCursor(cursor)
        try db.removeMeta([Self.snapshotCursorKey, Self.snapshotAfterKey])
        return (total, cursor)
    }

    /// Where a snapshot being installed stands (the store's meta table): the earliest cursor of
    /// the pages installed, and the id to ask after for the next page.
    static let snapshotCursorKey = "snapshot_cursor"
    static let snapshotAfterKey = "snapshot_after"

    func fetchSnapshotPage(after: String?) async throws(SyncError) -> Snapshot {
        var query = ["limit": String(snapshotPageSize)]
        if let after { query["after"] = after }
        return try await active.get("api/v1/snapshot", query, as: Snapshot.self, timeout: 300)
    }

    /// A page's events in id order, each attendee's roster row before their other events: a
    /// store writes a batch in id order as it appends to its tables.
    static func merged(_ page: Snapshot) throws(SyncError) -> [Event] {
        var all: [Event] = []
        all.reserveCapacity(page.roster.count + page.events.count)
        var rows = page.roster[...]
        for wire in page.events {
            while let row = rows.first, row.attendee.id <= wire.attendeeID {
                all.append(row.event)
                rows = rows.dropFirst()
            }
            all.append(try wire.event())
        }
        for row in rows { all.append(row.event) }
        return all
    }

    func downloads() async {
        var needSnapshot = state.withLock { $0.machine.cursor } == 0
        while !Task.isCancelled {
            liveness.beat("sync download")
            let (due, cursor) = state.withLock { ($0.machine.pullDueAt, $0.machine.cursor) }
            let wait = due.timeIntervalSinceNow
            if wait > 0 {
                try? await Task.sleep(for: .milliseconds(Int(min(wait, 0.5) * 1000) + 1))
                continue
            }
            if needSnapshot {
                needSnapshot = await !bootstrap()
                continue
            }
            do {
                let (batchSize, longPoll) = (batchSize, longPoll)
                let page = try await unlessLinkRestored { client in
                    try await client.pull(since: cursor, limit: batchSize, wait: longPoll)
                }
                var events: [Event] = []
                events.reserveCapacity(page.events.count)
                for wire in page.events { events.append(try wire.event()) }
                let fresh = try db.applyRemote(events, payloads: page.events.map(\.payload))
                try db.setSyncCursor(page.cursor)
                record { machine, status in
                    machine.pullSucceeded(now: Date(), cursor: page.cursor, more: page.more)
                    status.received += fresh
                }
            } catch is LinkRestored {
                continue
            } catch {
                let words = (error as? SyncError)?.description ?? "\(error)"
                record { machine, _ in machine.pullFailed(now: Date(), error: words) }
            }
        }
    }

    func heartbeats() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            record { _, _ in }
        }
    }
}

/// A request abandoned because the link came back while it waited (see `unlessLinkRestored`).
struct LinkRestored: Error {}

/// An answer with no body worth reading.
struct Empty: Decodable {}
