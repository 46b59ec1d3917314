import AccueilCore
import BadgeCore
import Foundation
import Kiosk
import KioskStore
import Sync

/// The counts every door screen polls (every 2 s), counted again only when the log changed, and,
/// when a count takes more than 50 ms, not more often than four times what it took: at 800
/// attendees a count takes a millisecond and is always fresh; at a million it takes seconds, and
/// several screens asking after each check-in would keep the station's CPU busy counting.
final class StatsCache: @unchecked Sendable {
    private let lock = NSLock()
    private let db: KioskDatabase
    private var version = -1
    private var body = Data()
    private var countedAt = ContinuousClock.now
    private var took = Duration.zero

    init(db: KioskDatabase) { self.db = db }

    func json() throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        let now = try db.logVersion()
        let start = ContinuousClock.now
        let recent = took > .milliseconds(50) && start - countedAt < took * 4
        if now == version || (version >= 0 && recent) { return body }
        body = Data(JSONText.pretty(try db.stats()).utf8)
        version = now
        countedAt = ContinuousClock.now
        took = countedAt - start
        return body
    }
}

/// `GET /api/v1/status` and `accueil status --json`.
public struct KioskReport: Encodable, Sendable {
    public var kiosk: String
    public var data: String
    /// The daemon's heartbeat is recent.
    public var daemonRunning: Bool
    public var sync: SyncStatus?
    public var outbox: Int
    public var printQueue: [String: Int]
    /// The latest print job, and the newest error of a job still waiting or failed (the printer's trouble).
    public var lastPrint: PrintJob?
    public var printerTrouble: String?
    /// The same in French, for the door screen.
    public var printerTroubleFR: String?
    /// Changes the server refused for good, set aside so that they hold up nothing.
    public var setAside: SetAsideSummary
    /// The badge keys this station holds; nil: none (badges can be neither verified nor printed).
    public var badgeKeys: BadgeKeys?
    /// The door's search index (the kiosk daemon's answer only): being rebuilt after a big change
    /// (a snapshot, an import; searches miss the new attendees until it is done), and its size.
    public var rosterIndex: RosterIndex?

    public struct RosterIndex: Encodable, Sendable {
        public var building: Bool
        public var attendees: Int
    }

    public struct BadgeKeys: Encodable, Sendable {
        public var event: String
        /// Keys that verify (revoked ones left out).
        public var verify: Int
        /// This station can sign badges (print them): it holds a private key.
        public var signs: Bool
        public var signingKey: Int?

        enum CodingKeys: String, CodingKey {
            case event, verify, signs
            case signingKey = "signing_key"
        }

        init?(_ ring: Keyring?) {
            guard let ring else { return nil }
            event = ring.event
            verify = ring.keys.filter { $0.revoked != true }.count
            signingKey = ring.activeKey?.id
            signs = signingKey != nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case kiosk, data, sync, outbox
        case badgeKeys = "badge_keys"
        case daemonRunning = "daemon_running"
        case printQueue = "print_queue"
        case lastPrint = "last_print"
        case printerTrouble = "printer_trouble"
        case printerTroubleFR = "printer_trouble_fr"
        case setAside = "set_aside"
        case rosterIndex = "roster_index"
    }

    public static func make(db: KioskDatabase, live: SyncStatus?, kiosk: String? = nil) throws -> KioskReport {
        let stored = try SyncStatus.read(from: db)
        let sync = live ?? stored
        let running = live != nil || (sync.map { Date().timeIntervalSince($0.heartbeat) < 5 } ?? false)
        let printing = try db.printSummary()
        return KioskReport(
            kiosk: kiosk ?? sync?.kiosk ?? "", data: db.directory.path, daemonRunning: running, sync: sync,
            outbox: try db.outboxCount(), printQueue: printing.counts, lastPrint: printing.last,
            printerTrouble: printing.trouble, printerTroubleFR: printing.trouble.map(PrinterWords.french),
            setAside: try db.setAsideSummary(),
            badgeKeys: BadgeKeys((try? Keyring.load(from: db.directory)) ?? nil))
    }
}

/// Keeps this station's badge keys as the server hands them (`GET /api/v1/keys`): every
/// verification key, revocations, and a signing key of its own. Every 10 s; a server without
/// keys leaves a keyring made here untouched.
public func followKeys(_ client: SyncClient, directory: URL, kiosk: String) async {
    var lastProblem: String?
    while !Task.isCancelled {
        do {
            if let data = try await client.keyring() {
                let ring = try Keyring.decode(data)
                let current = (try? Keyring.load(from: directory)) ?? nil
                if try current?.json() != ring.json() {
                    try ring.save(to: directory)
                    kioskLog.notice(
                        "badge keys updated from the server",
                        metadata: [
                            "kiosk": "\(kiosk)", "event": "\(ring.event)", "signing_key": "\(ring.activeKey?.id ?? 0)",
                            "revoked": "\(ring.keys.filter { $0.revoked == true }.count)",
                        ])
                }
            }
            lastProblem = nil
        } catch {
            let problem = "\(error)"
            if problem != lastProblem { kioskLog.warning("badge keys not updated", metadata: ["why": "\(problem)"]) }
            lastProblem = problem
        }
        try? await Task.sleep(for: .seconds(10))
    }
}
