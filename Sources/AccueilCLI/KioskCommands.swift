import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import Hummingbird
import Kiosk
import KioskApp
import KioskStore
import Logging
import Ops
import Printing
import ServiceLifecycle
import Sync
import Synchronization

/// `accueil kiosk`: the station's long-running services.
struct KioskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Run this kiosk's services: background sync with the server, the print spooler, a local status API.",
        discussion: """
            The local store keeps working without the server: check-ins made here (the door screen, \
            `accueil checkin`, any process on the same --data) go to the outbox at once, and this \
            daemon uploads them and downloads the other kiosks' changes side by side, backing off \
            (1 s doubling to 30 s) while the server is away. `accueil status` shows how it is doing. \
            Without --server (or $ACCUEIL_SERVER) it runs the print spooler and the status API alone.

            On --listen (loopback by default), for a full-screen browser, the screen of its --mode:
            - door (default): search as you type, check in and print, reprint, undo, a walk-in form, \
            a scanner recognised anywhere on the page (--scan open: the card opens; --scan checkin: \
            checked in and printing at once). API: GET /api/v1/search?q=, \
            GET /api/v1/attendees/ID, POST /api/v1/checkin {id, print}, /api/v1/undo {id, reason}, \
            /api/v1/reprint {id, reason}, /api/v1/scan {text: a badge QR, an id or a registration \
            ticket; answers found, unknown or cancelled}, /api/v1/walkin {first_name, last_name, …}. \
            /api/v1/checkin answers checked_in, already_checked_in or pending (registration awaiting \
            payment or approval: not checked in).
            - session (with --session ID, or --room ROOM to follow the room's sessions as the \
            schedule runs): a session room's door. Each badge scanned is verified \
            offline and counted in or out (--direction) against the room's capacity and access rule; \
            a large green or red answer with the reason. A supervisor lets someone in anyway with the \
            PIN and a reason, which is logged. API: GET /api/v1/session, POST /api/v1/session/scan \
            {text[, pin, reason]}.
            - self-service: attendees scan the QR of their confirmation e-mail (their signed code, \
            `accueil badge qr`, or the registration system's ticket) and their badge prints; nobody's data is shown. Staff leave it with \
            the PIN (POST /api/v1/unlock {pin}) for the door screen at /staff.
            Always: GET /api/v1/status (sync, outbox, print queue, last print, the door index), GET /api/v1/stats, \
            GET /api/v1/health. Screens speak --language (fr or en).
            """
    )

    @Option(
        help: ArgumentHelp(
            "Configuration file (default: $ACCUEIL_CONFIG; every option, see kiosk/kiosk.yaml, installed as /etc/accueil/kiosk.yaml).",
            valueName: "file"))
    var config: String?
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("This kiosk's name (same as --kiosk).", valueName: "name")) var name: String?
    @Option(
        help: ArgumentHelp(
            "Server URL (default: $ACCUEIL_SERVER), e.g. https://accueil.example.org or http://10.0.0.1:8080.",
            valueName: "url"))
    var server: String?
    @Option(help: ArgumentHelp("Kiosk token (default: $ACCUEIL_TOKEN).", valueName: "token")) var token: String?
    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "Trust only this CA for the server's HTTPS certificate (default: $ACCUEIL_CA_FILE, else the system's).",
            valueName: "pem"))
    var caFile: String?
    @Option(
        help: ArgumentHelp(
            "Address of the screen and the local API (default: $ACCUEIL_LISTEN, else 127.0.0.1:8081).",
            valueName: "host:port"))
    var listen: String?
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var printing: PrintOptions
    @Flag(name: .customLong("no-print"), help: "Do not run the print spooler here.") var noPrint = false
    @Option(help: "Events per upload, 1…5000 (default: 2000).") var batchSize: Int?
    @Option(help: "What the station is for: door (default), session or self-service.") var mode: KioskMode?
    @Option(help: ArgumentHelp("The session this door counts (--mode session).", valueName: "id")) var session: String?
    @Option(
        help: ArgumentHelp(
            "Or: the room this door serves; it follows the room's sessions as the schedule runs (micro-workshops).",
            valueName: "room"))
    var room: String?
    @Option(help: "A session door's way: both (default; a second scan leaves), entry or exit.")
    var direction: ScanDirection?
    @Option(
        help: ArgumentHelp(
            "Language of the screens: fr or en (default: $ACCUEIL_LANGUAGE, else fr).", valueName: "fr|en"))
    var language: UILanguage?
    @Option(
        help: ArgumentHelp(
            "PIN for supervisor overrides and for leaving self-service (default: $ACCUEIL_PIN; none: both disabled).",
            valueName: "pin"))
    var pin: String?
    @Option(
        name: .customLong("allow-host"),
        help: ArgumentHelp(
            "Another name the screen is reached by, besides loopback, IP addresses and this machine's name (comma-separated; default: $ACCUEIL_ALLOW_HOSTS).",
            valueName: "names"))
    var allowHosts: String?
    @Option(
        help: ArgumentHelp(
            "At the door, what a scanned code does: open (the attendee's card opens; staff check in) or checkin (checked in and printing at once).",
            valueName: "open|checkin"))
    var scan: ScanAction?

    typealias ScanAction = KioskConfiguration.ScanAction

    func run() async throws {
        // Flags first, then the environment, then the configuration file, then the defaults.
        let file = try ConfigFile.load(config, schema: StationConfig.schema)
        try applyTimeZone(file.string("time_zone"))
        var store = store
        if let name = name ?? file.pick(nil, env: "ACCUEIL_KIOSK", "name") { store.kiosk = store.kiosk ?? name }
        if let data = file.pick(store.data, env: "ACCUEIL_DATA", "data") { store.data = data }
        var printOptions = printing
        printOptions.printer = file.pick(printing.printer, env: "ACCUEIL_PRINTER", "printer")
        let noPrint = noPrint || file.bool("no_print") == true
        let batchSize = batchSize ?? file.int("batch_size") ?? 2000
        let mode = mode ?? file.string("mode").flatMap(KioskMode.init(rawValue:)) ?? .door
        let direction = direction ?? file.string("direction").flatMap(ScanDirection.init(rawValue:)) ?? .both
        let session = file.pick(session, env: nil, "session")
        let room = file.pick(room, env: nil, "room")
        let pin = file.pick(pin, env: "ACCUEIL_PIN", "pin")
        let listen = file.pick(listen, env: "ACCUEIL_LISTEN", "listen") ?? "127.0.0.1:8081"
        let server = file.pick(server, env: "ACCUEIL_SERVER", "server")
        let token = file.pick(token, env: "ACCUEIL_TOKEN", "token")
        let caFile = file.pick(caFile, env: "ACCUEIL_CA_FILE", "ca_file")
        let language =
            language ?? ProcessInfo.processInfo.environment["ACCUEIL_LANGUAGE"].flatMap(UILanguage.init(rawValue:))
            ?? file.string("language").flatMap(UILanguage.init(rawValue:)) ?? .fr

        let kiosk = store.kioskName
        let db = try store.open()
        let (host, port) = try hostAndPort(listen)
        // The systemd watchdog is fed only while sync and the print spooler really turn.
        let liveness = Liveness()
        let service: SyncService?
        var keysClient: SyncClient?
        if let server, !server.isEmpty {
            let client = try syncClient(server: server, token: token, kiosk: kiosk, caFile: caFile)
            keysClient = client
            guard (1...SyncLimits.maxBatch).contains(batchSize) else {
                throw CommandFailure.usage("--batch-size must be 1…\(SyncLimits.maxBatch)")
            }
            do {
                service = try SyncService(
                    db: db, client: client, kiosk: kiosk, batchSize: batchSize, mode: mode.rawValue,
                    liveness: liveness)
            } catch {
                throw commandFailure(error)
            }
        } else {
            service = nil
        }

        if mode == .session && (session ?? "").isEmpty == (room ?? "").isEmpty {
            throw CommandFailure.usage(
                "--mode session needs --session ID or --room ROOM, not both (see `accueil sessions list`)")
        }
        if mode == .selfService && pin == nil {
            Output.err(
                "accueil kiosk: self-service without a PIN (--pin or ACCUEIL_PIN): staff cannot unlock this screen")
        }
        var configuration = KioskConfiguration(kiosk: kiosk)
        configuration.mode = mode
        if mode == .session {
            configuration.sessionTarget = if let session, !session.isEmpty { .session(session) } else { .room(room!) }
        }
        configuration.direction = direction
        configuration.language = language
        configuration.pin = pin
        configuration.allowedHosts = (file.pick(allowHosts, env: "ACCUEIL_ALLOW_HOSTS", "allow_hosts") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        configuration.scan = (scan ?? file.string("scan").flatMap(ScanAction.init(rawValue:)) ?? .open)
        (configuration.host, configuration.port) = (host, port)
        configuration.badgeTemplate = try? BadgeTemplate.load(named: badges.template, from: badges.directory)
        let (badges, printing, storeOptions) = (badges, printOptions, store)
        var parts = KioskParts(db: db, sync: service)
        if !noPrint {
            let requests = PrintRequestSource { try printing.request(storeOptions, badges: badges, onlyOnce: true) }
            parts.print = { try requests.current() }
        }
        var station = KioskStation(configuration: configuration, parts: parts, keys: keysClient, liveness: liveness) {
            port in Output.err("accueil kiosk \(kiosk): status API on http://\(host):\(port)/api/v1/status")
        }
        if !noPrint {
            station.spooler = { stopping in
                runSpooler(storeOptions, badges, printing, stopping: stopping, liveness: liveness)
            }
        }
        let services: [any Service]
        do { services = try station.services() } catch let error as KioskSetupError {
            throw CommandFailure(message: error.description, status: 2)
        } catch {
            throw commandFailure(error)
        }
        Output.err(
            "accueil kiosk \(kiosk): data \(store.directory.path)"
                + (service.map { ", syncing with \($0.client.server.absoluteString)" } ?? ", no server (standalone)"))
        try await station.run(services)
    }
}

/// A listen address, `HOST:PORT` or `[IPv6]:PORT`, for the server and the kiosk alike.
func hostAndPort(_ listen: String) throws -> (String, Int) {
    guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
        (0...65535).contains(port)
    else {
        throw CommandFailure.usage("--listen must be HOST:PORT (a port from 0 to 65535), not \"\(listen)\"")
    }
    var host = String(listen[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw CommandFailure.usage("--listen must name a host: HOST:PORT, not \"\(listen)\"") }
    return (host, port)
}

/// The print spooler's loop, on a thread of its own (CUPS calls block). It waits for what it needs
/// (signing keys, a printer) and reports each new trouble once.
func runSpooler(
    _ store: StoreOptions, _ badges: BadgeOptions, _ printing: PrintOptions, stopping: () -> Bool, liveness: Liveness
) {
    var spool: PrintSpooler?
    var lastTrouble = ""
    func trouble(_ words: String) {
        if words != lastTrouble { kioskLog.warning("print spooler: \(words)") }
        lastTrouble = words
    }
    while !stopping() {
        liveness.beat("print spooler")
        do {
            if spool == nil { spool = try spooler(store, badges, printing) }
            if let spool {
                let report = try spool.runOnce()
                for job in report.submitted {
                    kioskLog.info(
                        "badge sent to the printer",
                        metadata: [
                            "attendee_id": "\(job.attendeeID)", "job_id": "\(job.id)", "printer": "\(job.printer)",
                            "cups_job": "\(job.cupsJob.map(String.init) ?? "")",
                        ])
                }
                for job in report.printed {
                    kioskLog.info(
                        "badge printed",
                        metadata: [
                            "attendee_id": "\(job.attendeeID)", "job_id": "\(job.id)", "printer": "\(job.printer)",
                        ])
                }
                for job in report.failed {
                    kioskLog.error(
                        "badge print failed",
                        metadata: [
                            "attendee_id": "\(job.attendeeID)", "job_id": "\(job.id)", "printer": "\(job.printer)",
                            "error": "\(job.lastError ?? "")",
                        ])
                }
                lastTrouble = ""
            }
        } catch {
            trouble((error as? CommandFailure)?.message ?? "\(error)")
        }
        Thread.sleep(forTimeInterval: spool == nil ? 5 : 0.5)
    }
}

/// `accueil status`: is this kiosk in touch with the server, and what is waiting.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Online or offline, last successful sync, changes waiting to be sent, last error, print queue.",
        discussion: """
            Reads what the kiosk daemon (`accueil kiosk`) keeps in the data directory; works whether \
            or not it runs. --json prints {kiosk, data, daemon_running, sync: {online, last_success, \
            last_error, last_error_at, cursor, sent, received, server, heartbeat…}, outbox, print_queue}.
            """
    )
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print it as JSON.") var json = false

    func run() throws {
        let db = try store.openExisting()
        let report: KioskReport
        do { report = try KioskReport.make(db: db, live: nil, kiosk: store.kioskName) } catch {
            throw commandFailure(error)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let time = EventTime.formatter("HH:mm:ss")
        func ago(_ date: Date) -> String {
            let seconds = Int(Date().timeIntervalSince(date))
            let span = seconds < 90 ? "\(seconds) s" : seconds < 5400 ? "\(seconds / 60) min" : "\(seconds / 3600) h"
            return "\(time.string(from: date)), \(span) ago"
        }
        print("Kiosk \(report.sync?.kiosk ?? store.kioskName) — data \(report.data)")
        if let sync = report.sync, let server = sync.server {
            let state =
                !report.daemonRunning
                ? "unknown: the kiosk daemon is not running (last seen \(ago(sync.heartbeat)))"
                : sync.online ? "ONLINE with \(server)" : "OFFLINE: cannot sync with \(server)"
            print("Sync: \(state)")
            print("Last successful sync: \(sync.lastSuccess.map(ago) ?? "never")")
            if let error = sync.lastError {
                print("Last error: \(error)" + (sync.lastErrorAt.map { " (at \(ago($0)))" } ?? ""))
            }
        } else {
            print(
                "Sync: no server"
                    + (report.daemonRunning
                        ? " (the kiosk daemon runs standalone)" : " (the kiosk daemon is not running)"))
        }
        print("Waiting to be sent: \(report.outbox) change\(report.outbox == 1 ? "" : "s")")
        if let keys = report.badgeKeys {
            print(
                "Badge keys: event \(keys.event), \(keys.verify) verifying"
                    + (keys.signs
                        ? ", signs with key \(keys.signingKey ?? 0)" : "; NO SIGNING KEY: badges cannot print here"))
        } else {
            print(
                "Badge keys: NONE — badges can be neither printed nor verified here (with a server they come through sync once it has them: `accueil keys create --store …` there)"
            )
        }
        if report.setAside.count > 0 {
            print(
                "Refused by the server, set aside: \(report.setAside.count) change\(report.setAside.count == 1 ? "" : "s")"
                    + (report.setAside.lastReason.map { " — last: \($0)" } ?? "")
                    + " (sent again after an upgrade, or with `accueil sync retry-set-aside`)")
        }
        let queue = ["pending", "submitted", "failed"].compactMap { state in
            report.printQueue[state].map { "\($0) \(state)" }
        }
        print("Print queue: \(queue.isEmpty ? "empty" : queue.joined(separator: ", "))")
    }
}

extension KioskMode: ExpressibleByArgument {}
extension UILanguage: ExpressibleByArgument {}
extension KioskConfiguration.ScanAction: ExpressibleByArgument {}
