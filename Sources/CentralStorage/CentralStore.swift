import AccueilCore
import BadgeCore
import Crypto
import Foundation
import GRDB
import Logging
import StoreSupport
import Sync

/// The central store: every kiosk's events, each stored once (by event id), numbered by a global
/// sequence that kiosks read changes after; and the kiosks' tokens (only their hashes).
///
/// Two implementations behave the same and pass the same tests: `SQLiteCentralStore` (the default,
/// zero setup) and `PostgresCentralStore` (larger events). `openCentralStore` picks one from a spec.
public protocol CentralStore: Sendable {
    /// Stores a batch: checked whole first (nothing is written if one event is bad), then each
    /// event once, however often it is sent. Events get sequence numbers in commit order, so a
    /// reader that has seen `seq` N never later finds a new event below N.
    func ingest(_ batch: [WireEvent], from kiosk: String, now: Date) async throws -> PushResponse
    /// Events after `since`, in order, at most `limit` (1…10,000).
    func changes(since: Int64, limit: Int) async throws -> PullResponse
    func latestSequence() async throws -> Int64
    /// A new token for `kiosk` with `role`; only its hash is kept.
    func createToken(kiosk: String, role: TokenRole) async throws -> String
    /// Revokes every token of `kiosk`; returns how many.
    @discardableResult func revokeTokens(kiosk: String) async throws -> Int
    /// Who a token belongs to (its kiosk and role), if valid.
    func holder(forToken token: String) async throws -> TokenHolder?
    /// Creates or replaces an organiser's account (the password already hashed, see `OrganiserAccount`).
    func saveOrganiser(_ account: OrganiserAccount) async throws
    func organiser(named name: String) async throws -> OrganiserAccount?
    /// Removes an organiser's account; false when there was none.
    func removeOrganiser(named name: String) async throws -> Bool
    /// The event's badge keyring as the server keeps it (JSON, private keys included), if any.
    func keyringData() async throws -> Data?
    func saveKeyringData(_ data: Data) async throws
    /// Removes personal data from every event (`EventCodec.purged`) and compacts the store, after
    /// the event; counts stay. Returns how many events changed. Run it with the server stopped.
    func purgePersonalData() async throws -> Int
    /// Names the log as it is: a purge rewrites events and starts a new epoch, so that what was
    /// folded from them before (a server's projection checkpoint) is not taken for the log.
    func logEpoch() async throws -> String

    // Shared by every server on the store, so that any of them answers any request.

    /// Keeps a dashboard sign-in under the hash of its cookie (expired ones are dropped here).
    func openOrganiserSession(tokenHash: String, _ session: OrganiserSession) async throws
    /// The sign-in a cookie's hash names, if any and not expired.
    func organiserSession(tokenHash: String) async throws -> OrganiserSession?
    func closeOrganiserSession(tokenHash: String) async throws
    /// A kiosk was heard from at `at` (a later time never goes back), with its health when it sent it.
    func recordKioskContact(_ kiosk: String, at: Date, health: KioskHealth?) async throws
    /// The server refused one of a kiosk's requests (`PushPolicy`), for `reason`.
    func recordKioskRefusal(_ kiosk: String, reason: String, at: Date) async throws
    /// Every kiosk any server heard from.
    func kioskRecords() async throws -> [KioskRecord]
    /// Calls `onSignal` with each signal from every server on the store (this one included): new
    /// events stored, tokens revoked, and `.missed` whenever signals may have been lost (at start,
    /// after a lost connection), from the calling task or its child tasks (possibly two at once), until
    /// that task is cancelled.
    /// PostgreSQL: `LISTEN` on the channels each ingest and each revocation notify in their
    /// transaction, on a connection of its own that lives in this call. SQLite (one server): none,
    /// as the server wakes its readers itself; it returns at once.
    func followSignals(_ onSignal: @escaping @Sendable (StoreSignal) async -> Void) async
    /// Whether `followSignals` says when events are stored and tokens revoked: the server then
    /// wakes its readers on the signals only (its own pushes included) and may remember tokens (a
    /// revocation made elsewhere reaches it within milliseconds).
    var signalsChanges: Bool { get }

    /// Releases connections (PostgreSQL); the store is not used after.
    func close() async
}

/// What `CentralStore.followSignals` says.
public enum StoreSignal: Sendable, Equatable {
    /// Some server stored new events.
    case events
    /// Some server revoked tokens.
    case tokens
    /// Signals may have been missed: look again at everything.
    case missed
}

/// A dashboard sign-in, as the store keeps it.
public struct OrganiserSession: Sendable, Equatable {
    public var name: String
    public var canSeeNames: Bool
    public var expires: Date
    public init(name: String, canSeeNames: Bool, expires: Date) {
        self.name = name
        self.canSeeNames = canSeeNames
        self.expires = expires
    }
}

/// What the servers heard of a kiosk: its last request, its last health report, and the requests refused.
public struct KioskRecord: Sendable, Equatable {
    public var name: String
    public var lastContact: Date
    public var health: KioskHealth?
    public var refusedPushes: Int
    public var lastRefusal: String?

    /// The health as the store keeps it (JSON text), and back; a row that no longer decodes has none.
    package static func healthText(_ health: KioskHealth?) -> String? {
        health.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }
    package static func health(_ text: String?) -> KioskHealth? {
        text.flatMap { try? JSONDecoder().decode(KioskHealth.self, from: Data($0.utf8)) }
    }
}

/// The hex SHA-256 a store keeps instead of a secret (kiosk tokens, dashboard cookies).
package func secretHash(_ secret: String) -> String {
    SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
}

/// Milliseconds since 1970, as the stores keep times.
package func storeMillis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
package func storeDate(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

/// What a token may do on the server (`accueil token create --role`).
public enum TokenRole: String, Sendable, CaseIterable, Codable {
    /// A station: pushes the events a door makes (check-ins, undos, badges, session doors, walk-ins),
    /// under its own name only, and reads everyone's.
    case door
    /// An organiser's station or script: also changes the roster (imports, removals) and the schedule.
    case organiser
}

/// The kiosk a token was made for, and its role.
public struct TokenHolder: Sendable, Equatable, Codable {
    public var kiosk: String
    public var role: TokenRole
    public init(kiosk: String, role: TokenRole) {
        self.kiosk = kiosk
        self.role = role
    }
}

extension CentralStore {
    public func createToken(kiosk: String) async throws -> String {
        try await createToken(kiosk: kiosk, role: .door)
    }

    /// The kiosk a token belongs to, if valid.
    public func kiosk(forToken token: String) async throws -> String? {
        try await holder(forToken: token)?.kiosk
    }

    public func ingest(_ batch: [WireEvent], from kiosk: String) async throws -> PushResponse {
        try await ingest(batch, from: kiosk, now: Date())
    }

    /// Refuses a batch that is too large or holds one bad event, before anything is written.
    func validate(_ batch: [WireEvent]) throws {
        guard batch.count <= SyncLimits.maxBatch else {
            throw SyncError.invalid("batch of \(batch.count) events; at most \(SyncLimits.maxBatch)")
        }
        for event in batch { _ = try event.event() }
    }

    /// The event's keyring as `station` gets it (`Keyring.handed`), its signing key issued and
    /// saved first when it has none; nil when the store holds no keyring. Not atomic: the server
    /// calls it through `KeyIssuer`, one station at a time.
    public func issueBadgeKey(to station: String) async throws -> Keyring? {
        guard let data = try await keyringData() else { return nil }
        var ring = try Keyring.decode(data)
        let withTicketKey = ring.addTicketKey()
        if ring.issue(to: station) || withTicketKey {
            try await saveKeyringData(try ring.json())
            Logger(label: "accueil.server").notice(
                "badge key issued", metadata: ["kiosk": "\(station)", "key_id": "\(ring.keys.last?.id ?? 0)"])
        }
        return ring.handed(to: station)
    }

    /// The event's keyring with its ticket key (made and saved first when an older keyring has
    /// none); nil when the store holds no keyring. Called through `KeyIssuer`, like `issueBadgeKey`.
    public func ticketKeyring() async throws -> Keyring? {
        guard let data = try await keyringData() else { return nil }
        var ring = try Keyring.decode(data)
        if ring.addTicketKey() { try await saveKeyringData(try ring.json()) }
        return ring
    }

    static func hash(_ token: String) -> String { secretHash(token) }

    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // The "acc_" prefix names what it is, and keeps a token from starting with "-", which a
        // command line would take for an option (`--token -x…`).
        return "acc_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Opens the store a spec names, `sqlite:PATH` (or a bare path) or
/// `postgres://USER:PASSWORD@HOST:PORT/DB` (also `postgresql://`), runs its schema migrations,
/// runs `body` on it and closes it. Whatever the store runs in the background (PostgreSQL's
/// connection pool) ends with the call.
public func withCentralStore<T>(_ spec: String, _ body: (any CentralStore) async throws -> T)
    async throws -> T
{
    guard let path = try sqliteStorePath(spec) else {
        return try await PostgresCentralStore.with(url: spec) { try await body($0) }
    }
    let store = try SQLiteCentralStore(path: path)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// The SQLite file a spec names, checked (nil: a PostgreSQL URL).
private func sqliteStorePath(_ spec: String) throws -> String? {
    guard let path = centralSQLitePath(spec) else { return nil }
    // `mysql://…`, `postgress://…`: a scheme we do not speak, not a file name.
    if let scheme = spec.range(of: "://").map({ spec[..<$0.lowerBound] }), scheme != "sqlite" {
        throw SyncError.invalid(
            "--store: unknown kind of store \"\(scheme)\" in \(spec); expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB"
        )
    }
    guard !path.isEmpty else { throw SyncError.invalid("--store: expected sqlite:PATH or postgres://…, got \(spec)") }
    // A typo in a folder name must not silently make folders and an empty store.
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
        throw SyncError.invalid("--store: no folder \(folder) for \(path) (create it first, or check the path)")
    }
    return path
}

/// The file a central store spec names (`sqlite:PATH`, `sqlite://PATH` or a bare path); nil when
/// the spec is a PostgreSQL URL.
public func centralSQLitePath(_ spec: String) -> String? {
    if spec.hasPrefix("postgres://") || spec.hasPrefix("postgresql://") { return nil }
    var path = spec
    if path.hasPrefix("sqlite:") { path.removeFirst("sqlite:".count) }
    if path.hasPrefix("//") { path.removeFirst(2) }
    return path
}

/// The central store on SQLite (GRDB, WAL, synchronous=FULL).
public struct SQLiteCentralStore: CentralStore {
    private let pool: DatabasePool
    /// The write-ahead log kept from growing without end under the dashboard's and kiosks' reads.
    private let walLimit: WALLimit

    public init(path: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: central log and tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        type TEXT NOT NULL,
                        attendee_id TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        kiosk TEXT NOT NULL,
                        payload TEXT,
                        received_at INTEGER NOT NULL,
                        pushed_by TEXT NOT NULL
                    );
                    CREATE TABLE tokens (
                        hash TEXT PRIMARY KEY NOT NULL,
                        kiosk TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE INDEX tokens_kiosk ON tokens(kiosk);
                    """)
        }
        migrator.registerMigration("v2: organisers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE organisers (
                        name TEXT PRIMARY KEY NOT NULL,
                        salt BLOB NOT NULL,
                        hash BLOB NOT NULL,
                        can_see_names INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3: token roles") { db in
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'door'")
        }
        migrator.registerMigration("v4: badge keyring") { db in
            try db.execute(sql: "CREATE TABLE keyring (id INTEGER PRIMARY KEY CHECK (id = 1), json BLOB NOT NULL)")
        }
        migrator.registerMigration("v5: organiser sessions and kiosks") { db in
            try db.execute(sql: Self.sharedStateSchema)
        }
        migrator.registerMigration("v6: store settings") { db in
            try db.execute(sql: Self.settingsSchema)
        }
        // Opened and migrated under a lock: `accueil token create` and the server may open a new
        // store at the same moment.
        pool = try SQLiteFile.open(path: path, migrator: migrator)
        walLimit = WALLimit(path: path, writer: pool)
    }

    public func saveOrganiser(_ account: OrganiserAccount) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO organisers (name, salt, hash, can_see_names, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    account.name, Data(account.salt), Data(account.hash), account.canSeeNames,
                    Int64(Date().timeIntervalSince1970 * 1000),
                ])
        }
    }

    public func organiser(named name: String) async throws -> OrganiserAccount? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, salt, hash, can_see_names FROM organisers WHERE name = ?", arguments: [name]
            ).map { row in
                let salt: Data = row[1]
                let hash: Data = row[2]
                return OrganiserAccount(name: row[0], salt: Array(salt), hash: Array(hash), canSeeNames: row[3])
            }
        }
    }

    public func removeOrganiser(named name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM organisers WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    public func ingest(_ batch: [WireEvent], from kiosk: String, now: Date) async throws -> PushResponse {
        try validate(batch)
        let received = Int64(now.timeIntervalSince1970 * 1000)
        let response = try await write { db in
            var accepted = 0
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO events (id, type, attendee_id, at, kiosk, payload, received_at, pushed_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for e in batch {
                try statement.execute(arguments: [
                    e.id.text, e.type, e.attendeeID, e.at, e.kiosk, e.payload, received, kiosk,
                ])
                accepted += db.changesCount
            }
            return PushResponse(accepted: accepted, duplicates: batch.count - accepted)
        }
        return response
    }

    /// A write transaction, with a checkpoint asked for after it (the writer does not checkpoint
    /// in its commits: `WALLimit`).
    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        defer { walLimit.afterCommit() }
        return try await pool.write(body)
    }

    public func changes(since: Int64, limit: Int) async throws -> PullResponse {
        let limit = max(1, min(limit, 10_000))
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT id, type, attendee_id, at, kiosk, payload, seq FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [since, limit + 1])
            let events = rows.prefix(limit).map { row in
                var event = WireEvent(
                    id: UUID(text: row[0] as String) ?? UUID(), type: row[1], attendeeID: row[2], at: row[3],
                    kiosk: row[4],
                    payload: row[5])
                event.seq = row[6]
                return event
            }
            return PullResponse(events: Array(events), cursor: events.last?.seq ?? since, more: rows.count > limit)
        }
    }

    public func latestSequence() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 }
    }

    public func logEpoch() async throws -> String {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_settings WHERE name = 'log_epoch'") ?? ""
        }
    }

    // MARK: Tokens

    public func createToken(kiosk: String, role: TokenRole) async throws -> String {
        let token = Self.newToken()
        let hash = Self.hash(token)
        try await write { db in
            try db.execute(
                sql: "INSERT INTO tokens (hash, kiosk, created_at, role) VALUES (?, ?, ?, ?)",
                arguments: [hash, kiosk, Int64(Date().timeIntervalSince1970 * 1000), role.rawValue])
        }
        return token
    }

    @discardableResult
    public func revokeTokens(kiosk: String) async throws -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE tokens SET revoked = 1 WHERE kiosk = ? AND revoked = 0", arguments: [kiosk])
            return db.changesCount
        }
    }

    public func holder(forToken token: String) async throws -> TokenHolder? {
        let hash = Self.hash(token)
        return try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT kiosk, role FROM tokens WHERE hash = ? AND revoked = 0", arguments: [hash]
            )
            .map { row in TokenHolder(kiosk: row[0], role: TokenRole(rawValue: row[1]) ?? .door) }
        }
    }

    public func keyringData() async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT json FROM keyring WHERE id = 1") }
    }

    public func saveKeyringData(_ data: Data) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO keyring (id, json) VALUES (1, ?)", arguments: [data])
        }
    }

    public func close() async {}

    // MARK: State shared by servers

    /// Dashboard sign-ins and what the servers heard of each kiosk (the same tables on PostgreSQL).
    /// Settings of the store itself: `log_epoch` (``logEpoch()``).
    static let settingsSchema = "CREATE TABLE store_settings (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"

    static let sharedStateSchema = """
        CREATE TABLE organiser_sessions (
            hash TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            can_see_names BOOLEAN NOT NULL,
            expires BIGINT NOT NULL
        );
        CREATE TABLE kiosks (
            name TEXT PRIMARY KEY NOT NULL,
            last_contact BIGINT NOT NULL,
            health TEXT,
            refused INTEGER NOT NULL DEFAULT 0,
            last_refusal TEXT
        );
        """

    public func openOrganiserSession(tokenHash: String, _ session: OrganiserSession) async throws {
        let now = storeMillis(Date())
        try await write { db in
            try db.execute(sql: "DELETE FROM organiser_sessions WHERE expires <= ?", arguments: [now])
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO organiser_sessions (hash, name, can_see_names, expires) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, session.name, session.canSeeNames, storeMillis(session.expires)])
        }
    }

    public func organiserSession(tokenHash: String) async throws -> OrganiserSession? {
        let now = storeMillis(Date())
        return try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, can_see_names, expires FROM organiser_sessions WHERE hash = ? AND expires > ?",
                arguments: [tokenHash, now]
            ).map { OrganiserSession(name: $0[0], canSeeNames: $0[1], expires: storeDate($0[2])) }
        }
    }

    public func closeOrganiserSession(tokenHash: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM organiser_sessions WHERE hash = ?", arguments: [tokenHash])
        }
    }

    public func recordKioskContact(_ kiosk: String, at: Date, health: KioskHealth?) async throws {
        let health = KioskRecord.healthText(health)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO kiosks (name, last_contact, health) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET last_contact = max(last_contact, excluded.last_contact),
                        health = coalesce(excluded.health, health)
                    """, arguments: [kiosk, storeMillis(at), health])
        }
    }

    public func recordKioskRefusal(_ kiosk: String, reason: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO kiosks (name, last_contact, refused, last_refusal) VALUES (?, ?, 1, ?)
                    ON CONFLICT (name) DO UPDATE SET refused = refused + 1, last_refusal = excluded.last_refusal
                    """, arguments: [kiosk, storeMillis(at), reason])
        }
    }

    public func kioskRecords() async throws -> [KioskRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, last_contact, health, refused, last_refusal FROM kiosks").map {
                KioskRecord(
                    name: $0[0], lastContact: storeDate($0[1]), health: KioskRecord.health($0[2]), refusedPushes: $0[3],
                    lastRefusal: $0[4])
            }
        }
    }

    /// One server per SQLite store: it wakes its own readers, so nothing comes here.
    public func followSignals(_ onSignal: @escaping @Sendable (StoreSignal) async -> Void) async {}

    /// `accueil token revoke` writes the file from another process, unseen: tokens are read each time.
    public var signalsChanges: Bool { false }

    /// SQLite's online backup of the store to `path`: every committed event, while pushes go on.
    public func backup(to path: String) throws {
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination)
        try destination.close()
    }

    public func purgePersonalData() async throws -> Int {
        let changed = try await write { db in
            var changed = 0
            let update = try db.makeStatement(sql: "UPDATE events SET payload = ? WHERE seq = ?")
            for row in try Row.fetchAll(db, sql: "SELECT seq, type, payload FROM events WHERE payload IS NOT NULL") {
                if let clean = EventCodec.purged(type: row[1], payload: row[2]) {
                    try update.execute(arguments: [clean, row[0] as Int64])
                    changed += 1
                }
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO store_settings (name, value) VALUES ('log_epoch', ?)",
                arguments: [UUID().text])
            return changed
        }
        try walLimit.compact(pool)
        return changed
    }
}
