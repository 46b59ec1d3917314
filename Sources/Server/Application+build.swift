import AccueilCore
import BadgeCore
import Badges
import CentralStorage
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Sync
import Synchronization
import WebSupport

/// Where and how the server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The central store: `sqlite:PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    public var store: String
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// A kiosk silent this long is shown offline on the dashboard, with an alert.
    public var kioskOfflineAfter: TimeInterval = 120
    /// The event's name, on attendance certificates.
    public var eventName = "Accueil"

    /// Where the projection's checkpoint is kept (``ProjectionCheckpoint``), nil for none.
    public var checkpoint: String?

    /// Where a server on `store` keeps its checkpoint unless told: beside a SQLite store's file,
    /// else in `directory`, named after the store.
    public static func defaultCheckpoint(store: String, directory: String) -> String {
        ProjectionCheckpoint.defaultPath(store: store, directory: directory)
    }

    /// PEM files of the certificate chain and its private key: with both, the server speaks HTTPS only.
    public var tlsCertificate: String?
    public var tlsKey: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, store: String, maxBodyBytes: Int = 16 << 20,
        tlsCertificate: String? = nil, tlsKey: String? = nil
    ) {
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.host = host
        self.port = port
        self.store = store
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Wakes long-polling readers when events arrive.
///
/// A reader takes the `generation` before it looks for changes, then waits for a generation past it:
/// a push that lands between the two wakes it at once instead of being missed.
actor ChangeNotifier {
    private(set) var generation: UInt64 = 0
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    /// When the last few changes came, oldest first.
    private var recent: [ContinuousClock.Instant] = []
    /// Whether changes come fast (5 in the last 100 ms, 50 a second): then a woken reader waits a
    /// little for more (`longPollGathering`).
    private(set) var busy = false

    func changed() {
        let now = ContinuousClock.now
        if recent.count == 5 { recent.removeFirst() }
        recent.append(now)
        busy = recent.count == 5 && now - recent[0] < .milliseconds(100)
        generation &+= 1
        for waiter in waiters.values { waiter.resume() }
        waiters.removeAll()
    }

    /// Returns once the generation is past `seen`, or after `seconds`, or soon after the waiting
    /// task is cancelled (its client went away). The timer is a child task, cancelled as soon as a
    /// change comes: nothing is left sleeping behind a reader that returned.
    func wait(after seen: UInt64, seconds: Double) async {
        guard generation == seen else { return }
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            // Whether it ran out or was cancelled, the timer ends the wait if it still runs (the
            // waiter is registered before the timer can run: both need this actor).
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                await self.timeout(id)
            }
            await withCheckedContinuation { continuation in waiters[id] = continuation }
            group.cancelAll()
        }
    }

    private func timeout(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }
}

/// The central server on a store: its HTTP routes, and what it does besides answering, as a
/// service run beside them (`Application(router: server.router, services: server.services)`,
/// which `buildApplication` makes).
public struct CentralServer {
    public let router: Router<ClientContext>
    /// `CentralServerWork`.
    public let services: [any Service]
}

/// What a central server does besides answering: the fold of the central log at start, retried
/// every second while the store cannot be read, then other servers' signals (their events wake
/// this one's readers, a token revoked anywhere is forgotten here). It runs until its service
/// group shuts down.
struct CentralServerWork: Service {
    let work: @Sendable () async -> Void
    /// Once the group stops (the projection's last checkpoint).
    var atShutdown: @Sendable () async -> Void = {}

    func run() async throws {
        await cancelWhenGracefulShutdown { await work() }
        // The work can end first (a store that has no other servers to hear from): a service that
        // returned would stop the whole group, so this one waits for the group to stop.
        try? await gracefulShutdown()
        await atShutdown()
    }
}

/// The routes of the sync API and the dashboard on a store, and the work that keeps them answering
/// (`CentralServer`). `onReady` is called once the central log is folded. With `checkpoint`, the
/// fold starts from that file when it belongs to the store, and the file is kept up to date
/// (``CheckpointKeeper``).
public func buildServer(
    store: any CentralStore, maxBodyBytes: Int = 16 << 20, kioskOfflineAfter: TimeInterval = 120,
    eventName: String = "Accueil", secureCookies: Bool = false, checkpoint: String? = nil,
    onReady: @escaping @Sendable () -> Void = {}
) -> CentralServer {
    let router = Router(context: ClientContext.self)
    let notifier = ChangeNotifier()
    // With a checkpoint to read, requests that need the projection wait for it instead of folding
    // the log beside it.
    let projection = CentralProjection(store: store, loading: checkpoint != nil)
    let registry = KioskRegistry(store: store)
    let tokens = TokenCache(store: store)
    let reader = SharedReads(store: store)
    let policy = PushPolicy()
    let rosterUploads = OneAtATime()
    let keyIssuer = KeyIssuer(store: store)
    let logger = Logger(label: "accueil.server")
    let keeper = checkpoint.map { CheckpointKeeper(path: $0, projection: projection, store: store, logger: logger) }
    // Fold the log once at start (from the checkpoint when there is one; retried every second while
    // the store cannot be read): until then health answers 503 and systemd is not told READY, so
    // that a load balancer or an operator does not send requests that would wait for the fold.
    // Then the checkpoint is written as the log grows.
    let folded = Flag()
    @Sendable func fold() async {
        var failures = 0
        var checkpointTried = false
        while !Task.isCancelled {
            do {
                if !checkpointTried, let keeper {
                    await projection.beginLoading()
                    checkpointTried = await keeper.restore() != nil  // nil: the store did not answer
                    await projection.endLoading()
                }
                try await projection.catchUp()
                returnFreeMemory()  // the fold's scaffolding
                folded.set()
                onReady()
                guard let keeper else { return }
                await keeper.saveIfDue(force: true)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(10))
                    guard !Task.isCancelled else { return }
                    try? await projection.catchUp()
                    await keeper.saveIfDue()
                }
                return
            } catch {
                failures += 1
                if failures == 1 || failures % 60 == 0 {
                    logger.warning("reading the central log at start: \(error); retrying every second")
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await projection.endLoading()  // cancelled before the checkpoint was tried: nobody waits for it
    }
    // Events stored through other servers on the same database wake this one's readers too, and
    // a token revoked anywhere is forgotten here.
    @Sendable func followSignals() async {
        await store.followSignals { signal in
            if signal != .tokens { await notifier.changed() }
            if signal != .events { await tokens.forgetAll() }
        }
    }

    @Sendable func holder(_ request: Request) async throws -> TokenHolder {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let holder = try await tokens.holder(String(header.dropFirst(7)))
        else { throw HTTPError(.unauthorized, message: "a valid kiosk token is needed (Authorization: Bearer TOKEN)") }
        await registry.heard(from: holder.kiosk)
        return holder
    }

    @Sendable func kiosk(_ request: Request) async throws -> String { try await holder(request).kiosk }

    router.get("/api/v1/health") { _, _ -> Response in
        guard folded.isSet else {
            return Response(
                status: .serviceUnavailable, headers: [.retryAfter: "1"],
                body: .init(byteBuffer: ByteBuffer(string: "starting: reading the central log")))
        }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }

    // Who a token belongs to: a command sending an organiser's changes records them in that name.
    router.get("/api/v1/whoami") { request, _ -> Response in try jsonAnswer(try await holder(request)) }

    router.post("/api/v1/events") { request, context -> Response in
        let holder = try await holder(request)
        let kiosk = holder.kiosk
        let push = try await decode(PushRequest.self, request, limit: maxBodyBytes)
        guard push.kiosk == kiosk else {
            logger.warning(
                "push refused: another kiosk's token", metadata: ["kiosk": "\(kiosk)", "says": "\(push.kiosk)"])
            await registry.refused(
                from: kiosk, reason: "used by a station that calls itself \(LogText.escaped(push.kiosk, limit: 64))")
            throw HTTPError(
                .forbidden,
                message:
                    "this token is \(kiosk)'s, not \(LogText.escaped(push.kiosk, limit: 64))'s: each station has its own"
            )
        }
        guard push.events.count <= SyncLimits.maxBatch else {
            throw HTTPError(
                .contentTooLarge, message: "batch of \(push.events.count) events; at most \(SyncLimits.maxBatch)")
        }
        // Who may push what (`PushPolicy`): a refused batch is a 422 that names the events; the
        // kiosk splits it, sets aside what stays refused, and the dashboard shows it.
        let refusals = policy.refusals(push.events, from: holder)
        if !refusals.isEmpty {
            let reason = refusals.prefix(3).joined(separator: "; ")
            logger.warning(
                "push refused", metadata: ["kiosk": "\(kiosk)", "events": "\(push.events.count)", "why": "\(reason)"])
            await registry.refused(from: kiosk, reason: reason)
            throw HTTPError(.unprocessableContent, message: "refused: " + reason)
        }
        do {
            let response = try await store.ingest(push.events, from: kiosk)
            if response.accepted > 0 && !store.signalsChanges { await notifier.changed() }
            return try jsonAnswer(response)
        } catch let error as SyncError {
            throw HTTPError(.unprocessableContent, message: error.description)
        }
    }

    router.get("/api/v1/events") { request, context -> Response in
        _ = try await kiosk(request)
        let since = request.uri.queryParameters.get("since", as: Int64.self) ?? 0
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 1000
        let wait = min(request.uri.queryParameters.get("wait", as: Double.self) ?? 0, 30)
        let deadline = ContinuousClock.now + .milliseconds(Int(max(wait, 0) * 1000))
        // Woken by a change that brought nothing past `since` (another reader's, or a signal that
        // came twice), a long poll waits on until its deadline.
        while true {
            let seen = await notifier.generation
            let page = try await reader.changes(since: since, limit: limit, seen: seen)
            let left = deadline - ContinuousClock.now
            guard page.empty, left > .zero else {
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "application/json; charset=utf-8",
                        .contentLength: String(page.body.readableBytes),
                    ],
                    body: .init(byteBuffer: page.body))
            }
            await notifier.wait(after: seen, seconds: left / .seconds(1))
            // Woken under load (50 changes a second or more): what arrives in the next 50 ms comes
            // in the same answer, one answer per kiosk for several check-ins instead of one each.
            // At light load the answer leaves at once.
            if await notifier.busy, ContinuousClock.now < deadline { try await Task.sleep(for: longPollGathering) }
        }
    }

    // The counts of `accueil stats --json`, over every kiosk's events.
    router.get("/api/v1/stats") { request, _ -> Response in
        _ = try await kiosk(request)
        return try jsonAnswer(try await projection.stats())
    }

    // What a new kiosk starts from: every attendee's events (superseded roster versions left
    // out) and the cursor to pull after. With `limit`, one page of at most that many attendees
    // (those after `after`), and `next` to ask after when more follow.
    router.get("/api/v1/snapshot") { request, _ -> Response in
        _ = try await kiosk(request)
        let query = request.uri.queryParameters
        let limit = query.get("limit", as: Int.self).map { min(max($0, 1), 200_000) }
        if query.has("limit"), limit == nil {
            throw HTTPError(.badRequest, message: "limit must be a whole number")
        }
        let after = query["after"].map(String.init)
        let stream = try await projection.snapshotSource(after: after, limit: limit)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody { writer in
                try await stream.write { try await writer.write($0) }
                try await writer.finish(nil)
            })
    }

    @Sendable func applyRoster(_ request: Request, kiosk: String) async throws -> Response {
        var upload = try await decode(RosterUpload.self, request, limit: maxRosterBytes)
        // Ticket codes arrive as read from the export and are kept only as digests under the
        // event's ticket key, made here.
        if let codes = upload.ticketCodes, codes.contains(where: { !$0.isEmpty }) {
            guard codes.count == upload.attendees.count else {
                throw HTTPError(.badRequest, message: "ticket_codes must have one list per attendee")
            }
            guard let tickets = try await keyIssuer.tickets() else {
                throw HTTPError(
                    .conflict,
                    message:
                        "the roster has registration ticket codes but the server has no badge keys to keep them with: create them there first (accueil keys create --store …)"
                )
            }
            for (i, list) in codes.enumerated() where !list.isEmpty {
                upload.attendees[i].tickets = list.compactMap(tickets.digest(scanned:))
            }
        }
        upload.ticketCodes = nil
        // The same limits as every kiosk's import: an attendee the store would refuse is a 422
        // naming them, before anything is written.
        var refused: [String] = []
        for attendee in upload.attendees {
            let wire = WireEvent(
                Event(attendeeID: attendee.id, at: Date(), kiosk: kiosk, body: .attendeeUpserted(attendee)))
            do { _ = try wire.event() } catch {
                refused.append("\(attendee.id.prefix(40)): \(error)")
            }
        }
        guard refused.isEmpty else {
            throw HTTPError(
                .unprocessableContent,
                message: "\(refused.count) attendee\(refused.count == 1 ? "" : "s") refused: "
                    + refused.prefix(10).joined(separator: "; "))
        }
        let plan = RosterPlan(
            incoming: upload.attendees, existing: try await projection.roster(), removeMissing: upload.removeMissing,
            cancelled: upload.cancelled ?? [])
        guard !upload.dryRun else { return try jsonAnswer(plan.summary) }
        try await ingestRoster(plan, kiosk: kiosk)
        return try jsonAnswer(plan.summary)
    }

    /// Writes a roster change's events, in batches the store takes.
    @Sendable func ingestRoster(_ plan: RosterPlan, kiosk: String) async throws {
        let now = Date()
        let events =
            plan.upserts.map { WireEvent(Event(attendeeID: $0.id, at: now, kiosk: kiosk, body: .attendeeUpserted($0))) }
            + plan.removals.map { WireEvent(Event(attendeeID: $0, at: now, kiosk: kiosk, body: .attendeeRemoved)) }
        do {
            for start in stride(from: 0, to: events.count, by: SyncLimits.maxBatch) {
                _ = try await store.ingest(
                    Array(events[start..<min(start + SyncLimits.maxBatch, events.count)]), from: kiosk)
            }
        } catch let error as SyncError {
            throw HTTPError(.unprocessableContent, message: error.description)
        }
        if !events.isEmpty && !store.signalsChanges { await notifier.changed() }
    }

    /// A roster change: with an organiser's token, one at a time (a request holds its body and
    /// the decoded roster in memory). `apply` gets the token's kiosk.
    @Sendable func rosterChange(_ request: Request, _ apply: (String) async throws -> Response) async throws -> Response
    {
        let holder = try await holder(request)
        guard holder.role == .organiser else {
            logger.warning("roster upload refused: a door's token", metadata: ["kiosk": "\(holder.kiosk)"])
            await registry.refused(from: holder.kiosk, reason: "roster upload with a door's token")
            throw HTTPError(
                .forbidden,
                message: "the roster is changed with an organiser's token (accueil token create --role organiser)")
        }
        guard await rosterUploads.enter() else {
            throw HTTPError(.tooManyRequests, message: "another roster upload is in progress; try again")
        }
        do {
            let answer = try await apply(holder.kiosk)
            await rosterUploads.leave()
            return answer
        } catch {
            await rosterUploads.leave()
            throw error
        }
    }

    // The end of a roster sent in pieces with --remove-missing: everyone not in the file is removed.
    router.post("/api/v1/roster/removals") { request, _ -> Response in
        try await rosterChange(request) { kiosk in
            let asked = try await decode(RosterRemovals.self, request, limit: maxRosterBytes)
            guard !asked.keep.isEmpty else {
                throw HTTPError(
                    .badRequest, message: "keep names nobody: a roster with nobody in it removes no one here")
            }
            let plan = RosterPlan(keeping: Set(asked.keep), existing: try await projection.roster())
            if !asked.dryRun { try await ingestRoster(plan, kiosk: kiosk) }
            return try jsonAnswer(plan.summary)
        }
    }

    // A roster parsed by `accueil roster import --server`: applied like a kiosk's import (same
    // file twice changes nothing; check-ins untouched), as events every kiosk then pulls. A roster
    // too big for one request comes in pieces, then `/api/v1/roster/removals`.
    router.post("/api/v1/roster") { request, _ -> Response in
        try await rosterChange(request) { kiosk in try await applyRoster(request, kiosk: kiosk) }
    }

    // The event's badge keys for this station: every public key (revoked ones marked) and a signing
    // key of its own, issued at its first request and registered in the server's keyring. A
    // rotation or a revocation made on the server reaches the station at its next request.
    router.get("/api/v1/keys") { request, _ -> Response in
        let holder = try await holder(request)
        guard let ring = try await keyIssuer.keys(for: holder.kiosk) else {
            throw HTTPError(
                .notFound, message: "no badge keys on the server: create them there (accueil keys create --store …)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: try ring.json())))
    }

    // A kiosk's news of itself, for the dashboard.
    router.post("/api/v1/kiosk/health") { request, _ -> Response in
        let kiosk = try await kiosk(request)
        let health = try await decode(KioskHealth.self, request, limit: 64 << 10)
        await registry.heard(from: kiosk, health: health)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }

    addMetricsRoute(to: router, projection: projection, registry: registry)
    addDashboardRoutes(
        to: router, store: store, projection: projection, registry: registry, notifier: notifier,
        offlineAfter: kioskOfflineAfter, eventName: eventName, secureCookies: secureCookies)
    let work = CentralServerWork(
        work: {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await fold() }
                group.addTask { await followSignals() }
                group.addTask { await registry.writeContacts() }
            }
        },
        atShutdown: {
            guard let keeper, folded.isSet else { return }
            try? await projection.catchUp()
            await keeper.saveIfDue(force: true)
        })
    return CentralServer(router: router, services: [work])
}

/// How long a long poll woken under load waits for more before it reads.
let longPollGathering = Duration.milliseconds(50)

/// Largest roster upload: a 100,000-attendee roster is about 30 MB of JSON. With one upload at a
/// time, this bounds what the roster route holds in memory (the body, then the decoded roster).
let maxRosterBytes = 64 << 20

/// Issues stations their signing keys, one change of the keyring at a time.
actor KeyIssuer {
    let store: any CentralStore
    init(store: any CentralStore) { self.store = store }

    /// The keyring as `station` gets it, its own key issued first when needed; nil without one.
    func keys(for station: String) async throws -> Keyring? {
        try await store.issueBadgeKey(to: station)
    }

    /// What digests registration tickets on this event; nil without a keyring.
    func tickets() async throws -> TicketDigester? {
        try await store.ticketKeyring()?.tickets
    }
}

/// Who tokens belong to, remembered for a few seconds on a store that signals revocations: a
/// long-polling kiosk asks every few seconds, and 200 of them would each read the store. Every
/// server forgets them all when a token is revoked anywhere (`StoreSignal.tokens`); `lifetime`
/// bounds what a missed signal could keep. Unknown tokens are not remembered (a new one works at
/// once). On SQLite (revoked from another process, unseen) every request reads the store.
actor TokenCache {
    let store: any CentralStore
    let lifetime: Duration
    private var known: [String: (holder: TokenHolder, until: ContinuousClock.Instant)] = [:]

    init(store: any CentralStore, lifetime: Duration = .seconds(5)) {
        self.store = store
        self.lifetime = lifetime
    }

    func forgetAll() { known.removeAll() }

    func holder(_ token: String) async throws -> TokenHolder? {
        guard store.signalsChanges else { return try await store.holder(forToken: token) }
        let now = ContinuousClock.now
        if let hit = known[token], hit.until > now { return hit.holder }
        guard let holder = try await store.holder(forToken: token) else {
            known[token] = nil
            return nil
        }
        if known.count >= 10_000 { known = known.filter { $0.value.until > now } }
        known[token] = (holder, now + lifetime)
        return holder
    }
}

/// Reads of the store's changes that ask the same thing share one query and one encoding: 200
/// kiosks woken by one check-in mostly ask for what follows the same cursor.
///
/// A reader that took the notifier's generation `seen` before asking may use any read that began
/// after that generation was reached: one in flight or just finished, made for a reader whose
/// `seen` is at least its own. It covers every change the reader knows of; a later change wakes the
/// reader again (its wait returns at once) and it reads anew.
actor SharedReads {
    struct Key: Hashable {
        var since: Int64
        var limit: Int
    }
    /// A page of changes, encoded once for every reader that shares it.
    struct Page: Sendable {
        var empty: Bool
        var body: ByteBuffer
    }
    let store: any CentralStore
    private var inflight: [Key: (seen: UInt64, task: Task<Page, any Error>)] = [:]
    private var done: [Key: (seen: UInt64, page: Page)] = [:]

    init(store: any CentralStore) { self.store = store }

    func changes(since: Int64, limit: Int, seen: UInt64) async throws -> Page {
        let key = Key(since: since, limit: limit)
        if let hit = done[key], hit.seen >= seen { return hit.page }
        if let running = inflight[key], running.seen >= seen { return try await running.task.value }
        let store = store
        let task = Task {
            let page = try await store.changes(since: since, limit: limit)
            return Page(empty: page.events.isEmpty, body: ByteBuffer(bytes: try JSONEncoder().encode(page)))
        }
        inflight[key] = (seen, task)
        let page: Page
        do { page = try await task.value } catch {
            if inflight[key]?.seen == seen { inflight[key] = nil }
            throw error
        }
        if inflight[key]?.seen == seen { inflight[key] = nil }
        if (done[key]?.seen ?? 0) <= seen {
            if done.count >= 1000 { done.removeAll(keepingCapacity: true) }
            done[key] = (seen, page)
        }
        return page
    }
}

/// Lets one request at a time through a route.
actor OneAtATime {
    private var busy = false
    func enter() -> Bool {
        if busy { return false }
        busy = true
        return true
    }
    func leave() { busy = false }
}

/// The server application on an open store: `accueil server` runs it. `onRunning` gets the port it
/// listens on (the one asked for, or the one the system chose for port 0), once it listens and has
/// read the central log (then it can answer everything: `READY=1` for systemd).
public func buildApplication(
    _ configuration: ServerConfiguration, store: any CentralStore,
    onRunning: @escaping @Sendable (Int) -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var server = HTTPServerBuilder.http1()
    if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
        server = try .tls(.http1(), tlsConfiguration: try tlsConfiguration(certificate: certificate, key: key))
    }
    let gate = ReadyGate(onRunning)
    let central = buildServer(
        store: store, maxBodyBytes: configuration.maxBodyBytes, kioskOfflineAfter: configuration.kioskOfflineAfter,
        eventName: configuration.eventName,
        secureCookies: configuration.tlsCertificate != nil && configuration.tlsKey != nil,
        checkpoint: configuration.checkpoint, onReady: { gate.folded() })
    return Application(
        router: central.router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "accueil"),
        services: central.services,
        onServerRunning: { channel in gate.listening(channel.localAddress?.port ?? configuration.port) })
}

/// A flag raised once, read from any task.
final class Flag: Sendable {
    private let raised = Atomic(false)
    var isSet: Bool { raised.load(ordering: .acquiring) }
    func set() { raised.store(true, ordering: .releasing) }
}

/// Calls its action once, when the server both listens and has read the central log.
final class ReadyGate: Sendable {
    private let state = Mutex<(port: Int?, folded: Bool, told: Bool)>((nil, false, false))
    private let action: @Sendable (Int) -> Void
    init(_ action: @escaping @Sendable (Int) -> Void) { self.action = action }

    func listening(_ port: Int) { tell { $0.port = port } }
    func folded() { tell { $0.folded = true } }

    private func tell(_ change: (inout (port: Int?, folded: Bool, told: Bool)) -> Void) {
        let port: Int? = state.withLock { state in
            change(&state)
            guard let port = state.port, state.folded, !state.told else { return nil }
            state.told = true
            return port
        }
        if let port { action(port) }
    }
}

/// The server side of TLS from PEM files, or why not in words.
func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
        throw ServerSetupError("cannot read the TLS certificate \(certificate): \(error)")
    }
    guard !chain.isEmpty else { throw ServerSetupError("no certificate in \(certificate)") }
    let privateKey: NIOSSLPrivateKey
    do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
        throw ServerSetupError("cannot read the TLS private key \(key): \(error)")
    }
    return TLSConfiguration.makeServerConfiguration(
        certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
}

/// The server cannot start as configured; the message says why.
public struct ServerSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
