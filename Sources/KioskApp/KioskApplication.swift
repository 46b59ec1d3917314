import AccueilCore
import BadgeCore
import Foundation
import Hummingbird
import Kiosk
import KioskStore
import Sync
import WebSupport

/// What a kiosk station's screen and local API are set to do. `accueil kiosk` fills it from its
/// flags, the environment and the configuration file; tests fill it by hand.
public struct KioskConfiguration: Sendable {
    /// At the door, what a scanned code does.
    public enum ScanAction: String, CaseIterable, Sendable {
        /// The attendee's card opens; staff check in.
        case open
        /// Checked in and printing at once.
        case checkin
    }

    /// This station's name, as the log records it.
    public var kiosk: String
    public var mode: KioskMode = .door
    /// A session door's session, or the room whose sessions it follows (`mode == .session` only).
    public var sessionTarget: SessionDoor.Target?
    public var direction: ScanDirection = .both
    public var language: UILanguage = .fr
    /// The PIN for supervisor overrides and for leaving self-service; nil: both disabled.
    public var pin: String?
    /// Host names the screen is reached by besides loopback, IP addresses and the machine's name.
    public var allowedHosts: [String] = []
    public var scan: ScanAction = .open
    public var host = "127.0.0.1"
    public var port = 8081
    /// The badge template whose role colours and labels the screens show (nil: the built-in ones).
    public var badgeTemplate: BadgeTemplate?

    public init(kiosk: String) { self.kiosk = kiosk }
}

/// A kiosk that cannot start: what is wrong, in words for the organiser.
public struct KioskSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// What the kiosk's routes work on besides the configuration.
public struct KioskParts: Sendable {
    public var db: KioskDatabase
    /// The background sync, for the status's live figures and the session door's online flag;
    /// nil on a standalone kiosk.
    public var sync: SyncService?
    /// How a badge print is asked for; nil: this station does not print.
    public var print: (@Sendable () throws -> PrintRequest)?

    public init(db: KioskDatabase, sync: SyncService? = nil, print: (@Sendable () throws -> PrintRequest)? = nil) {
        (self.db, self.sync, self.print) = (db, sync, print)
    }
}

/// The kiosk's HTTP side on an open store: the guard, the API of every mode, the screen of its
/// mode. Builds the door's search index first (seconds at a million attendees), so that the
/// station answers searches as soon as it listens.
public func buildKioskRouter(_ configuration: KioskConfiguration, parts: KioskParts) throws -> Router<ClientContext> {
    try buildKioskRoutes(configuration, parts: parts).router
}

/// The router, and the door's index it searches (for the application's index keeper).
func buildKioskRoutes(_ configuration: KioskConfiguration, parts: KioskParts) throws -> (
    router: Router<ClientContext>, roster: DoorRoster
) {
    let db = parts.db
    let (kiosk, mode, language) = (configuration.kiosk, configuration.mode, configuration.language)
    let gate = StaffGate(pin: configuration.pin, guarded: mode == .selfService)
    let pageToken: String
    do { pageToken = try KioskGuard.pageToken(in: db.directory) } catch {
        throw KioskSetupError(description: "cannot keep the page token in \(db.directory.path): \(error)")
    }
    let sessionDoor: SessionDoor?
    if mode == .session {
        guard let target = configuration.sessionTarget else {
            throw KioskSetupError(description: "a session door needs a session or a room")
        }
        sessionDoor = SessionDoor(db: db, kiosk: kiosk, target: target, direction: configuration.direction)
    } else {
        sessionDoor = nil
    }
    let roster = try DoorRoster(db: db)

    let router = Router(context: ClientContext.self)
    router.add(middleware: KioskGuard(pageToken: pageToken, allowedHosts: configuration.allowedHosts))
    router.get("/api/v1/health") { _, _ in "ok" }
    let sync = parts.sync
    router.get("/api/v1/status") { _, _ -> Response in
        // The door index's lock too is taken on a store thread: a search may hold it while it
        // reads the store.
        let report = try await StoreWork.run {
            var report = try KioskReport.make(db: db, live: sync?.status)
            // Not while a snapshot is being installed: the index would be rebuilt page after page.
            let index = sync?.installingSnapshot == true ? roster.state : roster.keepCurrentNow()
            report.rosterIndex = .init(building: index.building, attendees: index.attendees)
            return report
        }
        return jsonResponse(try SyncStatus.encoder.encode(report))
    }
    let stats = StatsCache(db: db)
    router.get("/api/v1/stats") { _, _ -> Response in jsonResponse(try await StoreWork.run { try stats.json() }) }

    let keyFile = KeyringFile(directory: db.directory)
    let keys: @Sendable () -> Keyring? = { keyFile.current() }
    var print: (@Sendable () throws -> PrintRequest)?
    if let request = parts.print {
        print = {
            // A badge that can never print is not queued: the door says why at once.
            guard keys()?.activeKey != nil else {
                throw HTTPError(
                    .conflict,
                    message:
                        "no badge signing key on this station: badges cannot print here (check in without printing; the keys come from the server through sync)"
                )
            }
            return try request()
        }
    }
    // The door's API is staff's: behind the gate, which a self-service station keeps shut until
    // the PIN unlocks the browser (open on other stations).
    let staff = router.group().add(middleware: StaffOnly(gate: gate))
    addDoorRoutes(to: staff, db: db, roster: roster, kiosk: kiosk, print: print, keys: keys)
    addSelfServiceRoutes(to: router, db: db, kiosk: kiosk, language: language, gate: gate, print: print, keys: keys)
    if let sessionDoor {
        addSessionRoutes(
            to: router, door: sessionDoor, language: language, gate: gate,
            online: { sync.map { $0.status.online } ?? true }, keys: keys)
    }

    let pageConfig = [
        "mode": mode.rawValue, "kiosk": kiosk, "language": language.rawValue,
        "session": sessionDoor.map { door in
            switch door.target {
            case .session(let id): id
            case .room(let room): room
            }
        } ?? "",
        "direction": configuration.direction.rawValue, "printing": print == nil ? "no" : "yes",
        "page_token": pageToken, "time_zone": EventTime.zone.identifier, "scan": configuration.scan.rawValue,
    ]
    let roles = KioskPages.roles(configuration.badgeTemplate)
    addAssetRoutes(to: router, under: "/assets", KioskPages.assets)
    let page: KioskPages.Page =
        switch mode {
        case .door: .door
        case .session: .session
        case .selfService: .`self`
        }
    router.get("/") { _, _ -> Response in
        KioskPages.response(page, language: language, config: pageConfig, roles: roles)
    }
    router.get("/staff") { request, _ -> Response in
        guard gate.isStaff(request) else { return Response(status: .seeOther, headers: [.location: "/"]) }
        return KioskPages.response(.door, language: language, config: pageConfig, roles: roles)
    }
    return (router, roster)
}

/// The kiosk's HTTP application (`buildKioskRouter`) listening on the configured address.
/// `onRunning` gets the port it listens on, once it does.
public func buildKioskApplication(
    _ configuration: KioskConfiguration, parts: KioskParts, onRunning: @escaping @Sendable (Int) -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let (router, roster) = try buildKioskRoutes(configuration, parts: parts)
    let port = configuration.port
    return Application(
        router: router,
        server: .http1OnEventLoop(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "accueil-kiosk"),
        services: [
            TaskService { [sync = parts.sync] in
                await keepIndexCurrent(roster, paused: { sync?.installingSnapshot == true })
            }
        ],
        onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) })
}

/// Looks at the store every second and keeps the door's index up to date: after a snapshot or an
/// import (by sync, or by another process on the same store) the index is rebuilt at once, not
/// when the first search comes; but not while `paused` (a snapshot being installed, which would
/// have it rebuilt page after page). Runs until cancelled (on graceful shutdown: `TaskService`).
func keepIndexCurrent(_ roster: DoorRoster, paused: @escaping @Sendable () -> Bool = { false }) async {
    while !Task.isCancelled {
        if !paused() { _ = try? await StoreWork.run { roster.keepCurrentNow() } }
        try? await Task.sleep(for: .seconds(1))
    }
}
