import AccueilCore
import Foundation
import Logging
import PostgresNIO
import Sync

/// The central store on PostgreSQL (postgres-nio), for larger events: the same behaviour as
/// `SQLiteCentralStore`, checked by the same tests.
///
/// Sequence numbers come from a `bigserial`, which PostgreSQL hands out before commit; two pushes
/// committing out of order could let a reader skip an event. Each push therefore takes a
/// transaction-level advisory lock first, so that sequence order is commit order.
public final class PostgresCentralStore: CentralStore {
    private let client: PostgresClient
    /// A connection of its own for `LISTEN` (the pool's connections come and go).
    private let listenConfiguration: PostgresConnection.Configuration
    /// The channel every ingest notifies, in its transaction: delivered at commit, to every server.
    static let changesChannel = "accueil_events"
    /// The channel every token revocation notifies.
    static let tokensChannel = "accueil_tokens"
    public var signalsChanges: Bool { true }
    private let logger = PostgresCentralStore.quietLogger
    /// The pool's and the queries' logger: warnings and above.
    private static var quietLogger: Logger {
        var logger = Logger(label: "accueil.central.postgres")
        logger.logLevel = .warning
        return logger
    }
    private static let ingestLock: Int64 = 0x4163_6375_6569_6C01  // "Accueil" 1
    private static let migrateLock: Int64 = 0x4163_6375_6569_6C02

    private init(client: PostgresClient, listenConfiguration: PostgresConnection.Configuration) {
        (self.client, self.listenConfiguration) = (client, listenConfiguration)
    }

    /// Connects to `url` (`postgres://USER:PASSWORD@HOST:PORT/DB`), runs the schema migrations,
    /// then `body` on the store, and closes it. The connection pool (`PostgresClient.run()`) runs
    /// in a child task of this call for as long as `body` does, and ends with it: nothing of the
    /// store outlives the call. The connection is not encrypted: keep PostgreSQL on the server host
    /// or a private network.
    public static func with<T>(
        url: String, _ body: (PostgresCentralStore) async throws -> T
    ) async throws -> T {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
            let user = components.user
        else { throw SyncError.invalid("PostgreSQL URL: expected postgres://USER:PASSWORD@HOST:PORT/DB, got \(url)") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database,
            tls: .disable)
        // One direct connection first: an unreachable server, a wrong password or a missing
        // database is said at once, in PostgreSQL's words (the pool would retry for ever).
        var probe = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        probe.options.connectTimeout = .seconds(10)
        do {
            let connection = try await PostgresConnection.connect(
                configuration: probe, id: 0, logger: Logger(label: "accueil.central.postgres.probe"))
            try await connection.close()
        } catch let error as PSQLError {
            let said =
                error.serverInfo?[.message] ?? error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
            throw SyncError.transport("PostgreSQL at \(host):\(components.port ?? 5432): \(said)")
        } catch {
            throw SyncError.transport("PostgreSQL at \(host):\(components.port ?? 5432): \(error)")
        }
        let store = PostgresCentralStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: quietLogger),
            listenConfiguration: probe)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await store.client.run() }
            let result: Result<T, any Error>
            do {
                try await store.migrate()
            } catch {
                group.cancelAll()
                throw SyncError.transport("PostgreSQL at \(host): \(String(reflecting: error))")
            }
            do { result = .success(try await body(store)) } catch { result = .failure(error) }
            await store.close()
            group.cancelAll()
            return try result.get()
        }
    }

    /// Nothing to end here: the `LISTEN` connection lives and ends in `followSignals`, the pool
    /// with `with(url:_:)`.
    public func close() async {}

    /// Numbered migrations, each applied once, under an advisory lock (several servers may start at once).
    private func migrate() async throws {
        let migrations: [(Int, String)] = [
            (
                1,
                """
                CREATE TABLE events (
                    seq BIGSERIAL PRIMARY KEY,
                    id UUID NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    attendee_id TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    kiosk TEXT NOT NULL,
                    payload TEXT,
                    received_at BIGINT NOT NULL,
                    pushed_by TEXT NOT NULL
                );
                CREATE TABLE tokens (
                    hash TEXT PRIMARY KEY,
                    kiosk TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked BOOLEAN NOT NULL DEFAULT FALSE
                );
                CREATE INDEX tokens_kiosk ON tokens(kiosk);
                """
            ),
            (
                2,
                """
                CREATE TABLE organisers (
                    name TEXT PRIMARY KEY,
                    salt BYTEA NOT NULL,
                    hash BYTEA NOT NULL,
                    can_see_names BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL
                );
                """
            ),
            (3, "ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'door'"),
            (4, "CREATE TABLE keyring (id INT PRIMARY KEY CHECK (id = 1), json BYTEA NOT NULL)"),
            (5, SQLiteCentralStore.sharedStateSchema),
            (6, SQLiteCentralStore.settingsSchema),
        ]
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrateLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS accueil_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query(
                "SELECT version FROM accueil_migrations", logger: logger
            ).decode(Int.self) {
                applied.insert(version)
            }
            for (version, sql) in migrations where !applied.contains(version) {
                for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO accueil_migrations (version) VALUES (\(version))", logger: logger)
            }
        }
    }

    public func ingest(_ batch: [WireEvent], from kiosk: String, now: Date) async throws -> PushResponse {
        try validate(batch)
        guard !batch.isEmpty else { return PushResponse(accepted: 0, duplicates: 0) }
        let received = Int64(now.timeIntervalSince1970 * 1000)
        let ids = batch.map(\.id)
        let types = batch.map(\.type)
        let attendees = batch.map(\.attendeeID)
        let ats = batch.map(\.at)
        let kiosks = batch.map(\.kiosk)
        // Arrays of optionals do not bind: an absent payload travels as "" (never a JSON text).
        let payloads = batch.map { $0.payload ?? "" }
        let accepted = try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.ingestLock))", logger: logger)
            let rows = try await connection.query(
                """
                INSERT INTO events (id, type, attendee_id, at, kiosk, payload, received_at, pushed_by)
                SELECT t.id, t.type, t.attendee_id, t.at, t.kiosk, NULLIF(t.payload, ''), \(received), \(kiosk)
                FROM unnest(\(ids)::uuid[], \(types)::text[], \(attendees)::text[], \(ats)::bigint[],
                            \(kiosks)::text[], \(payloads)::text[])
                     WITH ORDINALITY AS t(id, type, attendee_id, at, kiosk, payload, n)
                ORDER BY t.n
                ON CONFLICT (id) DO NOTHING
                RETURNING seq
                """, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            // Every server's readers wake at commit (the other servers' kiosks and dashboards too).
            if count > 0 {
                try await connection.query("SELECT pg_notify(\(Self.changesChannel), '')", logger: logger)
            }
            return count
        }
        return PushResponse(accepted: accepted, duplicates: batch.count - accepted)
    }

    public func changes(since: Int64, limit: Int) async throws -> PullResponse {
        let limit = max(1, min(limit, 10_000))
        let rows = try await client.query(
            """
            SELECT id, type, attendee_id, at, kiosk, payload, seq FROM events
            WHERE seq > \(since) ORDER BY seq LIMIT \(limit + 1)
            """, logger: logger)
        var events: [WireEvent] = []
        var more = false
        for try await (id, type, attendee, at, kiosk, payload, seq) in rows.decode(
            (UUID, String, String, Int64, String, String?, Int64).self)
        {
            if events.count == limit {
                more = true
                continue
            }
            events.append(
                WireEvent(id: id, type: type, attendeeID: attendee, at: at, kiosk: kiosk, payload: payload, seq: seq))
        }
        return PullResponse(events: events, cursor: events.last?.seq ?? since, more: more)
    }

    public func logEpoch() async throws -> String {
        for try await value in try await client.query(
            "SELECT value FROM store_settings WHERE name = 'log_epoch'", logger: logger
        ).decode(String.self) {
            return value
        }
        return ""
    }

    public func latestSequence() async throws -> Int64 {
        for try await seq in try await client.query("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM events", logger: logger)
            .decode(Int64.self)
        {
            return seq
        }
        return 0
    }

    public func createToken(kiosk: String, role: TokenRole) async throws -> String {
        let token = Self.newToken()
        let hash = Self.hash(token)
        let created = Int64(Date().timeIntervalSince1970 * 1000)
        try await client.query(
            "INSERT INTO tokens (hash, kiosk, created_at, role) VALUES (\(hash), \(kiosk), \(created), \(role.rawValue))",
            logger: logger)
        return token
    }

    @discardableResult
    public func revokeTokens(kiosk: String) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            var count = 0
            for try await _ in try await connection.query(
                "UPDATE tokens SET revoked = TRUE WHERE kiosk = \(kiosk) AND NOT revoked RETURNING hash", logger: logger
            ) {
                count += 1
            }
            // Every server forgets the tokens it remembered, at commit.
            if count > 0 {
                try await connection.query("SELECT pg_notify(\(Self.tokensChannel), '')", logger: logger)
            }
            return count
        }
    }

    public func holder(forToken token: String) async throws -> TokenHolder? {
        let hash = Self.hash(token)
        for try await (kiosk, role) in try await client.query(
            "SELECT kiosk, role FROM tokens WHERE hash = \(hash) AND NOT revoked", logger: logger
        ).decode((String, String).self) {
            return TokenHolder(kiosk: kiosk, role: TokenRole(rawValue: role) ?? .door)
        }
        return nil
    }

    public func keyringData() async throws -> Data? {
        for try await bytes in try await client.query("SELECT json FROM keyring WHERE id = 1", logger: logger)
            .decode(ByteBuffer.self)
        {
            return Data(buffer: bytes)
        }
        return nil
    }

    public func saveKeyringData(_ data: Data) async throws {
        let bytes = ByteBuffer(data: data)
        try await client.query(
            "INSERT INTO keyring (id, json) VALUES (1, \(bytes)) ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json",
            logger: logger)
    }

    public func purgePersonalData() async throws -> Int {
        var changes: [(Int64, String)] = []
        for try await (seq, type, payload) in try await client.query(
            "SELECT seq, type, payload FROM events WHERE payload IS NOT NULL", logger: logger
        ).decode((Int64, String, String).self) {
            if let clean = EventCodec.purged(type: type, payload: payload) { changes.append((seq, clean)) }
        }
        let epoch = UUID().uuidString
        try await client.withTransaction(logger: logger) { connection in
            for (seq, clean) in changes {
                try await connection.query("UPDATE events SET payload = \(clean) WHERE seq = \(seq)", logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO store_settings (name, value) VALUES ('log_epoch', \(epoch))
                ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                """, logger: logger)
        }
        // Rewrites the table so that the old rows do not linger in its pages.
        try await client.query("VACUUM FULL events", logger: logger)
        return changes.count
    }

    public func saveOrganiser(_ account: OrganiserAccount) async throws {
        let created = Int64(Date().timeIntervalSince1970 * 1000)
        let salt = ByteBuffer(bytes: account.salt)
        let hash = ByteBuffer(bytes: account.hash)
        try await client.query(
            """
            INSERT INTO organisers (name, salt, hash, can_see_names, created_at)
            VALUES (\(account.name), \(salt), \(hash), \(account.canSeeNames), \(created))
            ON CONFLICT (name) DO UPDATE SET salt = EXCLUDED.salt, hash = EXCLUDED.hash,
                can_see_names = EXCLUDED.can_see_names
            """, logger: logger)
    }

    public func organiser(named name: String) async throws -> OrganiserAccount? {
        for try await (found, salt, hash, names) in try await client.query(
            "SELECT name, salt, hash, can_see_names FROM organisers WHERE name = \(name)", logger: logger
        ).decode((String, ByteBuffer, ByteBuffer, Bool).self) {
            return OrganiserAccount(
                name: found, salt: Array(buffer: salt), hash: Array(buffer: hash), canSeeNames: names)
        }
        return nil
    }

    public func removeOrganiser(named name: String) async throws -> Bool {
        var removed = false
        for try await _ in try await client.query(
            "DELETE FROM organisers WHERE name = \(name) RETURNING name", logger: logger)
        {
            removed = true
        }
        return removed
    }

    // MARK: State shared by servers

    public func openOrganiserSession(tokenHash: String, _ session: OrganiserSession) async throws {
        let now = storeMillis(Date())
        try await client.query("DELETE FROM organiser_sessions WHERE expires <= \(now)", logger: logger)
        try await client.query(
            """
            INSERT INTO organiser_sessions (hash, name, can_see_names, expires)
            VALUES (\(tokenHash), \(session.name), \(session.canSeeNames), \(storeMillis(session.expires)))
            ON CONFLICT (hash) DO UPDATE SET name = EXCLUDED.name, can_see_names = EXCLUDED.can_see_names,
                expires = EXCLUDED.expires
            """, logger: logger)
    }

    public func organiserSession(tokenHash: String) async throws -> OrganiserSession? {
        let now = storeMillis(Date())
        for try await (name, names, expires) in try await client.query(
            "SELECT name, can_see_names, expires FROM organiser_sessions WHERE hash = \(tokenHash) AND expires > \(now)",
            logger: logger
        ).decode((String, Bool, Int64).self) {
            return OrganiserSession(name: name, canSeeNames: names, expires: storeDate(expires))
        }
        return nil
    }

    public func closeOrganiserSession(tokenHash: String) async throws {
        try await client.query("DELETE FROM organiser_sessions WHERE hash = \(tokenHash)", logger: logger)
    }

    public func recordKioskContact(_ kiosk: String, at: Date, health: KioskHealth?) async throws {
        let health = KioskRecord.healthText(health)
        try await client.query(
            """
            INSERT INTO kiosks (name, last_contact, health) VALUES (\(kiosk), \(storeMillis(at)), \(health))
            ON CONFLICT (name) DO UPDATE SET last_contact = GREATEST(kiosks.last_contact, EXCLUDED.last_contact),
                health = COALESCE(EXCLUDED.health, kiosks.health)
            """, logger: logger)
    }

    public func recordKioskRefusal(_ kiosk: String, reason: String, at: Date) async throws {
        try await client.query(
            """
            INSERT INTO kiosks (name, last_contact, refused, last_refusal) VALUES (\(kiosk), \(storeMillis(at)), 1, \(reason))
            ON CONFLICT (name) DO UPDATE SET refused = kiosks.refused + 1, last_refusal = EXCLUDED.last_refusal
            """, logger: logger)
    }

    public func kioskRecords() async throws -> [KioskRecord] {
        var records: [KioskRecord] = []
        for try await (name, contact, health, refused, reason) in try await client.query(
            "SELECT name, last_contact, health, refused, last_refusal FROM kiosks", logger: logger
        ).decode((String, Int64, String?, Int, String?).self) {
            records.append(
                KioskRecord(
                    name: name, lastContact: storeDate(contact), health: KioskRecord.health(health),
                    refusedPushes: refused, lastRefusal: reason))
        }
        return records
    }

    /// `LISTEN` on a connection of its own, reconnecting after a second when it is lost, until the
    /// calling task is cancelled. A link that drops silently is found by a `SELECT 1` every 5 s
    /// that must answer within 5 s. Each (re)connection signals `.missed`: what was notified while
    /// no one listened is read then. The two channels are read by two child tasks, so `onSignal`
    /// may run twice at once.
    public func followSignals(_ onSignal: @escaping @Sendable (StoreSignal) async -> Void) async {
        let configuration = listenConfiguration
        let logger = logger
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: logger)
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (channel, signal) in [
                            (Self.changesChannel, StoreSignal.events), (Self.tokensChannel, .tokens),
                        ] {
                            group.addTask {
                                try await connection.listen(on: channel) { notifications in
                                    await onSignal(.missed)
                                    for try await _ in notifications { await onSignal(signal) }
                                }
                            }
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: .seconds(5))
                                try await Self.probe(connection, within: .seconds(5), logger: logger)
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                failures += 1
                if failures == 1 || failures % 60 == 0 {
                    Logger(label: "accueil.server").warning(
                        "listening for other servers' events: \(String(reflecting: error)); retrying every second")
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// `SELECT 1` on `connection`, which must answer within `limit`.
    private static func probe(_ connection: PostgresConnection, within limit: Duration, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await connection.query("SELECT 1", logger: logger)
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                // Closing fails the query that hangs: the group can end.
                try? await connection.close()
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            guard answered else { throw SyncError.transport("PostgreSQL did not answer within \(limit)") }
        }
    }
}
