import AccueilCore
import Foundation
import KioskStore
import Sync
import Synchronization

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

    public init(
        db: KioskDatabase, client: SyncClient, kiosk: String, longPoll: Int = 20, batchSize: Int = 2000,
        mode: String? = nil
    ) throws(StoreError) {
        self.mode = mode
        self.db = db
        self.client = client
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
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.uploads() }
            group.addTask { await self.downloads() }
            group.addTask { await self.heartbeats() }
            group.addTask { await self.healthReports() }
        }
    }

    /// Every 5 s, tells the server how this kiosk is (for the organisers' dashboard); a failure
    /// is only the server being away, which the other loops already report.
    func healthReports() async {
        while !Task.isCancelled {
            if let printing = try? db.printSummary(),
                let health = try? KioskHealth(
                    outbox: db.outboxCount(), printQueue: printing.counts, printerTrouble: printing.trouble,
                    lastPrintAt: printing.last?.updatedAt, cursor: db.syncCursor(), mode: mode),
                let body = try? JSONEncoder().encode(health)
            {
                _ = try? await client.post("api/v1/kiosk/health", body: body, as: Empty.self, timeout: 10)
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
        while !Task.isCancelled {
            let now = Date()
            let depth = (try? db.outboxCount()) ?? 0
            guard state.withLock({ $0.machine.pushDue(now: now, outboxDepth: depth) }) else {
                // Other processes (the door screen, `accueil checkin`) write to the same store:
                // look at the outbox often; it is one indexed count.
                try? await Task.sleep(for: .milliseconds(40))
                continue
            }
            do {
                let batch = try db.outbox(limit: batchSize)
                _ = try await client.push(batch.map { WireEvent($0.event) })
                try db.markSent(batch.map(\.seq))
                record { machine, status in
                    machine.pushSucceeded(now: Date())
                    status.sent += batch.count
                }
            } catch {
                let words = (error as? SyncError)?.description ?? "\(error)"
                record { machine, _ in machine.pushFailed(now: Date(), error: words) }
            }
        }
    }

    /// A kiosk that has never pulled starts from the server's snapshot (the whole roster and every
    /// check-in so far, in one response), then follows changes after its cursor.
    func bootstrap() async -> Bool {
        do {
            let snapshot = try await client.get("api/v1/snapshot", as: Snapshot.self, timeout: 300)
            let fresh = try db.applyRemote(try snapshot.allEvents())
            try db.setSyncCursor(snapshot.cursor)
            record { machine, status in
                machine.pullSucceeded(now: Date(), cursor: snapshot.cursor, more: true)
                status.received += fresh
            }
            return true
        } catch {
            let words = (error as? SyncError)?.description ?? "\(error)"
            record { machine, _ in machine.pullFailed(now: Date(), error: words) }
            return false
        }
    }

    func downloads() async {
        var needSnapshot = state.withLock { $0.machine.cursor } == 0
        while !Task.isCancelled {
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
                let page = try await client.pull(since: cursor, limit: batchSize, wait: longPoll)
                var events: [Event] = []
                events.reserveCapacity(page.events.count)
                for wire in page.events { events.append(try wire.event()) }
                let fresh = try db.applyRemote(events, payloads: page.events.map(\.payload))
                try db.setSyncCursor(page.cursor)
                record { machine, status in
                    machine.pullSucceeded(now: Date(), cursor: page.cursor, more: page.more)
                    status.received += fresh
                }
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

/// An answer with no body worth reading.
struct Empty: Decodable {}
