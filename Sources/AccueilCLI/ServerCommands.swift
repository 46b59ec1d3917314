import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import Hummingbird
import Kiosk
import KioskStore
import Ops
import Server
import Sync

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the central server: kiosks push their events and pull everyone's (/api/v1/events).",
        discussion: """
            POST /api/v1/events {kiosk, events: [WireEvent]} stores each event once (by id) and gives \
            it a global sequence number; GET /api/v1/events?since=N&limit=M&wait=S returns the events \
            after N, waiting up to S seconds for new ones. Every request needs a kiosk token \
            (`accueil token create`): Authorization: Bearer TOKEN. Malformed JSON is refused with 400, \
            bad events with 422, batches over 5,000 events or 16 MB with 413, and nothing of a refused \
            batch is stored.
            """
    )

    @Option(
        help: ArgumentHelp("Configuration file (default: $ACCUEIL_CONFIG; see systemd/server.yaml).", valueName: "file")
    )
    var config: String?
    @Option(help: centralStoreHelp) var store: String?
    @Option(
        help: ArgumentHelp(
            "Address to listen on (default: $ACCUEIL_LISTEN, else 127.0.0.1:8080).", valueName: "host:port"))
    var listen: String?
    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp("PEM certificate chain: serve HTTPS only (default: $ACCUEIL_TLS_CERT).", valueName: "file"))
    var tlsCert: String?
    @Option(
        name: .customLong("tls-key"),
        help: ArgumentHelp("PEM private key (default: $ACCUEIL_TLS_KEY).", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("event-name"),
        help: ArgumentHelp("The event's name, on attendance certificates (default: Accueil).", valueName: "name"))
    var eventName: String?
    @Option(
        name: .customLong("kiosk-offline-after"),
        help: ArgumentHelp(
            "Seconds of silence after which the dashboard shows a kiosk offline (default: 120).", valueName: "s"))
    var kioskOfflineAfter: Int?
    @Option(
        help: ArgumentHelp(
            """
            Where to keep the projection's checkpoint, so that a restart reads only the events after it, \
            or `off` (default: $ACCUEIL_CHECKPOINT, else beside a SQLite store's file, else \
            accueil-projection-….checkpoint in $ACCUEIL_DATA when set, else none).
            """, valueName: "file"))
    var checkpoint: String?

    static let schema: [String: ConfigFile.Kind] = [
        "store": .string, "listen": .string, "tls_certificate": .string, "tls_key": .string, "event_name": .string,
        "kiosk_offline_after": .int, "time_zone": .string, "checkpoint": .string,
    ]

    func run() async throws {
        let file = try ConfigFile.load(config, schema: Self.schema)
        try applyTimeZone(file.string("time_zone"))
        let listen = file.pick(listen, env: "ACCUEIL_LISTEN", "listen") ?? "127.0.0.1:8080"
        let (host, port) = try hostAndPort(listen)
        let spec = centralStoreSpec(file.pick(store, env: "ACCUEIL_STORE", "store"))
        let certificate = file.pick(tlsCert, env: "ACCUEIL_TLS_CERT", "tls_certificate")
        let key = file.pick(tlsKey, env: "ACCUEIL_TLS_KEY", "tls_key")
        guard (certificate == nil) == (key == nil) else {
            throw CommandFailure.usage("TLS needs both a certificate (--tls-cert) and its key (--tls-key)")
        }
        var configuration = ServerConfiguration(
            host: host, port: port, store: spec, tlsCertificate: certificate, tlsKey: key)
        configuration.eventName = file.pick(eventName, env: "ACCUEIL_EVENT_NAME", "event_name") ?? "Accueil"
        configuration.kioskOfflineAfter = TimeInterval(kioskOfflineAfter ?? file.int("kiosk_offline_after") ?? 120)
        switch file.pick(checkpoint, env: "ACCUEIL_CHECKPOINT", "checkpoint") {
        case "off": configuration.checkpoint = nil
        case let path?: configuration.checkpoint = path
        case nil:
            // Beside a SQLite store; for PostgreSQL, in the data directory when there is one (the
            // systemd units set it), else none rather than a large file in whatever directory this runs in.
            let data = ProcessInfo.processInfo.environment["ACCUEIL_DATA"].flatMap { $0.isEmpty ? nil : $0 }
            if centralSQLitePath(spec) != nil || data != nil {
                configuration.checkpoint = ServerConfiguration.defaultCheckpoint(store: spec, directory: data ?? ".")
            }
        }
        let scheme = certificate == nil ? "http" : "https"
        try await usingCentralStore(spec) { central in
            let host = configuration.host
            let made = Result {
                try buildApplication(configuration, store: central) { port in
                    Output.err("accueil server listening on \(host):\(port) (\(scheme)), store \(redacted(spec))")
                    Systemd.notify("READY=1\nSTATUS=listening on \(scheme)://\(host):\(port)")
                }
            }
            guard case .success(let app) = made else {
                if case .failure(let error) = made { throw CommandFailure.usage("\(error)") }
                return
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                group.addTask { await Systemd.watchdog() }
                try await group.next()
                group.cancelAll()
            }
            Systemd.notify("STOPPING=1")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create or revoke kiosk tokens on the central store.",
        subcommands: [TokenCreateCommand.self, TokenRevokeCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a token for a kiosk; it is printed on the last line.",
        discussion: """
            A token is bound to its kiosk: the server stores the events it pushes under that name only. \
            Role door (the default) pushes what a door makes: check-ins, undos, badges, session doors, \
            walk-ins. Role organiser also changes the roster and the schedule (`roster import --server`, \
            `sessions import --server`, a back-office station that imports locally).
            """)
    @Option(help: "Kiosk name.") var kiosk: String
    @Option(help: "door or organiser.") var role: TokenRole = .door
    @Option(help: centralStoreHelp) var store: String?

    func run() async throws {
        guard !kiosk.isEmpty, kiosk.count <= 64,
            !kiosk.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw CommandFailure.usage("--kiosk: a name of 1 to 64 characters, without control characters")
        }
        let (kiosk, role) = (kiosk, role)
        let (token, key) = try await usingCentralStore(centralStoreSpec(store)) { central in
            let token = try await central.createToken(kiosk: kiosk, role: role)
            // With the event's keyring on the server, the station's signing key is issued now:
            // every other station knows it from its next key update, before this one prints.
            return (token, try await central.issueBadgeKey(to: kiosk)?.activeKey?.id)
        }
        if let key { print("Badge signing key \(key) issued to \(kiosk).") }
        print(
            "Token for \(kiosk), role \(role.rawValue) (keep it secret; give it to the kiosk as --token or ACCUEIL_TOKEN):"
        )
        print(token)
    }
}

extension TokenRole: ExpressibleByArgument {}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke every token of a kiosk.")
    @Option(help: "Kiosk name.") var kiosk: String
    @Option(help: centralStoreHelp) var store: String?

    func run() async throws {
        let count = try await usingCentralStore(centralStoreSpec(store)) { try await $0.revokeTokens(kiosk: kiosk) }
        print("\(count) token(s) of \(kiosk) revoked.")
    }
}

struct SyncRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sync this kiosk with the server: push its changes, pull everyone's.",
        discussion: """
            Check-ins never wait for this: they are in the local store and its outbox already. With \
            --once, stops when the outbox is empty and the server has nothing more (exit 10 if the \
            server cannot be reached); otherwise keeps syncing like `accueil kiosk`, backing off while \
            the server is away. A kiosk that has never synced starts from the server's snapshot, page \
            by page; one stopped half-way goes on from the page after the last it installed.
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Server URL (default: $ACCUEIL_SERVER), e.g. http://127.0.0.1:8080.", valueName: "url"))
    var server: String?
    @Option(help: ArgumentHelp("Kiosk token (default: $ACCUEIL_TOKEN).", valueName: "token")) var token: String?
    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "Trust only this CA for the server's HTTPS certificate (default: $ACCUEIL_CA_FILE).", valueName: "pem"))
    var caFile: String?
    @Flag(help: "One round, then stop.") var once = false

    func run() async throws {
        let client = try syncClient(server: server, token: token, kiosk: store.kioskName, caFile: caFile)
        let db = try store.open()
        guard once else {
            do { try await SyncService(db: db, client: client, kiosk: store.kioskName).run() } catch {
                throw commandFailure(error)
            }
            return
        }
        var pushed = 0
        var pulled = 0
        do {
            // The daemon's upload (a change the server refuses is set aside, not retried for ever).
            let service = try SyncService(db: db, client: client, kiosk: store.kioskName)
            while true {
                let batch = try db.outboxEntries(limit: 2000, maxBytes: EventLimits.uploadBytes)
                if batch.isEmpty { break }
                pushed += try await service.push(batch)
            }
            var cursor = try db.syncCursor()
            if cursor == 0 {
                // A new kiosk starts from the snapshot, as the daemon does (page by page, resumed
                // where an interrupted run stopped), then pulls what changed since.
                (pulled, cursor) = try await service.installSnapshot()
            }
            while true {
                let page = try await client.pull(since: cursor, limit: 2000)
                var events: [Event] = []
                for wire in page.events { events.append(try wire.event()) }
                pulled += try db.applyRemote(events)
                cursor = page.cursor
                try db.setSyncCursor(cursor)
                if !page.more { break }
            }
            print(
                "synced with \(client.server.absoluteString): \(pushed) events sent, \(pulled) new events received, cursor \(cursor)"
            )
        } catch let error as SyncError {
            throw CommandFailure(message: "sync with \(client.server.absoluteString) failed: \(error)", status: 10)
        } catch {
            throw commandFailure(error)
        }
    }
}

/// How a command that talks to the server authenticates and trusts it: `--token`, `--ca-file`
/// (each with its environment variable, then the station's kiosk.yaml: see `syncClient`).
struct ServerAccess: ParsableArguments {
    @Option(help: ArgumentHelp("Token for --server (default: $ACCUEIL_TOKEN).", valueName: "token")) var token: String?
    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "Trust only this CA for the server's HTTPS certificate (default: $ACCUEIL_CA_FILE, else the station's kiosk.yaml).",
            valueName: "pem"))
    var caFile: String?
}

/// The event's time zone from a configuration file's `time_zone` (`EventTime`); a name that is no
/// time zone is refused.
func applyTimeZone(_ name: String?) throws {
    guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return }
    guard let zone = EventTime.parse(name) else {
        throw CommandFailure.usage("time_zone \(name): not a time zone (e.g. Europe/Paris)")
    }
    EventTime.use(zone)
}

/// The server, token and pinned CA from the options, else $ACCUEIL_SERVER, $ACCUEIL_TOKEN and
/// $ACCUEIL_CA_FILE, else the station's kiosk.yaml (`server`, `token`, `ca_file`).
func syncClient(server: String?, token: String?, kiosk: String, caFile: String? = nil) throws -> SyncClient {
    let env = ProcessInfo.processInfo.environment
    // Flag, then environment, then the station's configuration file (StationConfig).
    func pick(_ flag: String?, _ variable: String, _ key: String) -> String? {
        for value in [flag, env[variable], StationConfig.current?.string(key)] {
            if let value, !value.isEmpty { return value }
        }
        return nil
    }
    guard let server = pick(server, "ACCUEIL_SERVER", "server"), let url = URL(string: server),
        url.scheme == "http" || url.scheme == "https"
    else { throw CommandFailure.usage("give the server's URL with --server or ACCUEIL_SERVER (http://HOST:PORT)") }
    guard let token = pick(token, "ACCUEIL_TOKEN", "token") else {
        throw CommandFailure.usage("give --token or ACCUEIL_TOKEN (made on the server by `accueil token create`)")
    }
    let ca = pick(caFile, "ACCUEIL_CA_FILE", "ca_file")
    do { return try SyncClient(server: url, token: token, kiosk: kiosk, caFile: ca) } catch {
        throw CommandFailure.usage("\(error)")
    }
}

/// `accueil organiser`: the accounts that open the dashboard.
struct OrganiserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organiser", abstract: "Add or remove organisers' accounts for the dashboard (/dashboard).",
        subcommands: [OrganiserAddCommand.self, OrganiserRemoveCommand.self])
}

struct OrganiserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create or replace an organiser's account; the password is read from standard input.",
        discussion: """
            Every organiser sees the counts; only those added with --names see attendees' names \
            (VIP arrivals, duplicates, reports). The password (10 characters or more) is read from \
            the first line of standard input, or from $ACCUEIL_ORGANISER_PASSWORD.
            """)
    @Option(help: centralStoreHelp) var store: String?
    @Argument(help: "The organiser's sign-in name.") var name: String
    @Flag(help: "May see attendees' names.") var names = false

    func run() async throws {
        let password =
            ProcessInfo.processInfo.environment["ACCUEIL_ORGANISER_PASSWORD"] ?? readLine(strippingNewline: true) ?? ""
        let account: OrganiserAccount
        do { account = try OrganiserAccount.make(name: name, password: password, canSeeNames: names) } catch {
            throw CommandFailure.usage("\(error)")
        }
        try await usingCentralStore(centralStoreSpec(store)) { try await $0.saveOrganiser(account) }
        print("organiser \(name) can sign in to /dashboard\(names ? " and sees names" : " (counts only, no names)")")
    }
}

struct OrganiserRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an organiser's account.")
    @Option(help: centralStoreHelp) var store: String?
    @Argument(help: "The organiser's sign-in name.") var name: String

    func run() async throws {
        let removed = try await usingCentralStore(centralStoreSpec(store)) { try await $0.removeOrganiser(named: name) }
        guard removed else { throw CommandFailure.usage("no organiser named \(name)") }
        print("organiser \(name) removed: their dashboards are closed")
    }
}
