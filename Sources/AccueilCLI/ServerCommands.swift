import AccueilCore
import ArgumentParser
import Foundation
import Hummingbird
import KioskStore
import Server
import Sync

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Opens the central store named by `--store`, runs `body` on it, and closes it.
func withCentralStore<T>(_ spec: String, _ body: (any CentralStore) async throws -> T) async throws -> T {
    let store: any CentralStore
    do {
        store = try await openCentralStore(spec)
    } catch let error as SyncError {
        throw CommandFailure.usage("cannot open the central store \(spec): \(error)")
    }
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// A store spec with its password hidden, for logs.
func redacted(_ spec: String) -> String {
    guard var components = URLComponents(string: spec), components.password != nil else { return spec }
    components.password = "***"
    return components.string ?? spec
}

let centralStoreHelp = ArgumentHelp(
    "Central store: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (default: $ACCUEIL_STORE, else sqlite:accueil-central.sqlite).",
    valueName: "store")

func centralStoreSpec(_ option: String?) -> String {
    option ?? ProcessInfo.processInfo.environment["ACCUEIL_STORE"] ?? "sqlite:accueil-central.sqlite"
}

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

    @Option(help: centralStoreHelp) var store: String?
    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port")) var listen = "127.0.0.1:8080"

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw CommandFailure.usage("--listen must be HOST:PORT")
        }
        let spec = centralStoreSpec(store)
        let configuration = ServerConfiguration(host: String(listen[..<colon]), port: port, store: spec)
        try await withCentralStore(spec) { central in
            let app = buildApplication(configuration, store: central)
            Output.err("accueil server listening on \(listen), store \(redacted(spec))")
            try await app.runService()
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
        commandName: "create", abstract: "Create a token for a kiosk; it is printed on the last line.")
    @Option(help: "Kiosk name.") var kiosk: String
    @Option(help: centralStoreHelp) var store: String?

    func run() async throws {
        let token = try await withCentralStore(centralStoreSpec(store)) { try await $0.createToken(kiosk: kiosk) }
        print("Token for \(kiosk) (keep it secret; give it to the kiosk as --token or ACCUEIL_TOKEN):")
        print(token)
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke every token of a kiosk.")
    @Option(help: "Kiosk name.") var kiosk: String
    @Option(help: centralStoreHelp) var store: String?

    func run() async throws {
        let count = try await withCentralStore(centralStoreSpec(store)) { try await $0.revokeTokens(kiosk: kiosk) }
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
            server cannot be reached); otherwise keeps syncing, backing off while the server is away.
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Server URL, e.g. http://127.0.0.1:8080.", valueName: "url")) var server: String
    @Option(help: ArgumentHelp("Kiosk token (default: $ACCUEIL_TOKEN).", valueName: "token")) var token: String?
    @Flag(help: "One round, then stop.") var once = false

    func run() async throws {
        guard let base = URL(string: server), base.scheme != nil else {
            throw CommandFailure.usage("--server must be a URL")
        }
        guard let token = token ?? ProcessInfo.processInfo.environment["ACCUEIL_TOKEN"], !token.isEmpty else {
            throw CommandFailure.usage("give --token or ACCUEIL_TOKEN")
        }
        let db = try store.open()
        let kiosk = store.kioskName
        var machine = SyncMachine(cursor: try db.syncCursor(), now: Date())
        var pushed = 0
        var pulled = 0
        var pulledOnce = false
        while true {
            let depth = try db.outboxCount()
            switch machine.next(now: Date(), outboxDepth: depth) {
            case .push:
                let batch = try db.outbox(limit: 1000)
                do {
                    var request = URLRequest(url: base.appendingPathComponent("api/v1/events"))
                    request.httpMethod = "POST"
                    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = try JSONEncoder().encode(
                        PushRequest(kiosk: kiosk, events: batch.map { WireEvent($0.event) }))
                    _ = try await exchange(request, as: PushResponse.self)
                    try db.markSent(batch.map(\.seq))
                    pushed += batch.count
                    machine.pushSucceeded(now: Date())
                } catch {
                    machine.pushFailed(now: Date(), error: "\(error)")
                    if once { throw CommandFailure(message: "cannot push to \(server): \(error)", status: 10) }
                }
            case .pull(let cursor):
                var components = URLComponents(
                    url: base.appendingPathComponent("api/v1/events"), resolvingAgainstBaseURL: false)!
                components.queryItems = [
                    URLQueryItem(name: "since", value: String(cursor)), URLQueryItem(name: "limit", value: "1000"),
                    URLQueryItem(name: "wait", value: once ? "0" : "5"),
                ]
                var request = URLRequest(url: components.url!)
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                do {
                    let page = try await exchange(request, as: PullResponse.self)
                    var events: [Event] = []
                    for wire in page.events { events.append(try wire.event()) }
                    pulled += try db.applyRemote(events)
                    try db.setSyncCursor(page.cursor)
                    machine.pullSucceeded(now: Date(), cursor: page.cursor, more: page.more)
                    pulledOnce = pulledOnce || !page.more
                } catch {
                    machine.pullFailed(now: Date(), error: "\(error)")
                    if once { throw CommandFailure(message: "cannot pull from \(server): \(error)", status: 10) }
                }
            case .wait(let until):
                let remaining = try db.outboxCount()
                if once && pulledOnce && remaining == 0 {
                    print(
                        "synced with \(server): \(pushed) events sent, \(pulled) new events received, cursor \(machine.cursor)"
                    )
                    return
                }
                try await Task.sleep(for: .milliseconds(max(10, Int(until.timeIntervalSinceNow * 1000))))
            }
        }
    }

    func exchange<T: Decodable>(_ request: URLRequest, as: T.Type) async throws -> T {
        var request = request
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw SyncError.transport("no HTTP response") }
        guard http.statusCode == 200 else {
            throw SyncError.transport("HTTP \(http.statusCode): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}
