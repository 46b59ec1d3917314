import AccueilCore
import ArgumentParser
import BadgeCore
import CentralStorage
import CommandSupport
import Foundation
import KioskApp
import KioskStore
import Server
import Sync

/// `accueil sessions`: the programme's sessions, their doors' rules and who is inside.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Import the schedule (sessions, rooms, capacities, access rules); list sessions and people inside.",
        subcommands: [SessionsImportCommand.self, SessionsListCommand.self, SessionScanCommand.self],
        defaultSubcommand: SessionsListCommand.self
    )
}

struct SessionsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a schedule CSV: id, title, room, start, end, capacity, access[, kind].",
        discussion: """
            One session per line; headers in English or French, any order, `,` `;` or tab. start and \
            end: `2026-06-12 09:30` (in --time-zone, default the event's: time_zone in the configuration, $ACCUEIL_TIME_ZONE, else the machine's) or ISO 8601 with an offset. \
            capacity: people inside at once, 0 or empty for no limit. access: open | registered (the \
            attendee's sessions column lists the id) | roles=elected_official,speaker | \
            countries=DE,AT (a country group) | delegations=Japan;Korea. Staff pass every rule. kind \
            (optional): plenary, workshop, micro-workshop, country group, ceremony…

            New and changed sessions are written as events: the kiosk daemon sends them to the server \
            and every kiosk gets them. With --server they go straight to the server. A bad row is \
            named by line and column and nothing is imported (exit status 3).
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The schedule file (CSV).") var file: String
    @Option(
        name: .customLong("time-zone"),
        help: ArgumentHelp("Time zone of times without an offset, e.g. Europe/Paris.", valueName: "zone"))
    var timeZone: String?
    @Option(help: ArgumentHelp("Send it to this central server (default: the local store).", valueName: "url"))
    var server: String?
    @OptionGroup var access: ServerAccess
    @Flag(help: "Print the summary as JSON.") var json = false

    struct Summary: Encodable {
        var file: String
        var sessions: Int
        var added: Int
        var changed: Int
        var unchanged: Int
        var sent: Int
        var rejections: [RowRejection]
    }

    func run() async throws {
        // Times without an offset are in the event's zone unless the file's zone is given.
        var zone = EventTime.zone
        if let timeZone {
            guard let named = EventTime.parse(timeZone) else {
                throw CommandFailure.usage("--time-zone \(timeZone): not a time zone (e.g. Europe/Paris)")
            }
            zone = named
        }
        let data: [UInt8]
        do { data = Array(try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
            throw CommandFailure.usage("cannot read \(file): \((error as NSError).localizedDescription)")
        }
        let parsed: ScheduleParser.Parsed
        do { parsed = try ScheduleParser.parse(data, timeZone: zone) } catch {
            throw CommandFailure.usage("\(file): \(error.message)")
        }
        var summary = Summary(
            file: file, sessions: parsed.sessions.count, added: 0, changed: 0, unchanged: 0, sent: 0,
            rejections: parsed.rejections)
        if parsed.rejections.isEmpty {
            if server != nil {
                // Recorded in the name of the token's holder (the server refuses another name).
                var client = try syncClient(
                    server: server, token: access.token, kiosk: store.kioskName, caFile: access.caFile)
                let holder: TokenHolder
                do { holder = try await client.get("api/v1/whoami", as: TokenHolder.self) } catch {
                    throw CommandFailure(
                        message: "schedule import on \(client.server.absoluteString) failed: \(error)", status: 10)
                }
                guard holder.role == .organiser else {
                    throw CommandFailure(
                        message:
                            "the schedule is changed with an organiser's token; this one is \(holder.kiosk)'s, role \(holder.role.rawValue) (accueil token create --role organiser)",
                        status: 10)
                }
                client = try syncClient(server: server, token: access.token, kiosk: holder.kiosk, caFile: access.caFile)
                let now = Date()
                let events = parsed.sessions.map {
                    WireEvent(
                        Event(
                            attendeeID: Session.subject($0.id), at: now, kiosk: holder.kiosk,
                            body: .sessionScheduled($0)))
                }
                do { summary.sent = (try await client.push(events)).accepted } catch {
                    throw CommandFailure(
                        message: "schedule import on \(client.server.absoluteString) failed: \(error)", status: 10)
                }
            } else {
                let db = try store.open()
                do {
                    (summary.added, summary.changed, summary.unchanged) = try db.importSessions(
                        parsed.sessions, kiosk: store.kioskName)
                } catch { throw commandFailure(error) }
            }
        }
        if json {
            print(Output.json(summary))
        } else {
            for rejection in parsed.rejections { Output.err("\(file): \(rejection)") }
            if !parsed.rejections.isEmpty {
                Output.err("nothing imported: \(parsed.rejections.count) bad row(s); fix them and import again")
            } else if server != nil {
                print("\(summary.sent) session(s) sent to the server")
            } else {
                print(
                    "\(parsed.sessions.count) session(s): \(summary.added) added, \(summary.changed) changed, \(summary.unchanged) unchanged"
                )
            }
        }
        if !parsed.rejections.isEmpty { throw CommandFailure(message: "", status: 3) }
    }
}

struct SessionsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The schedule, with the people inside each session (as this kiosk knows).")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print it as JSON.") var json = false

    struct Line: Encodable {
        var session: Session
        var inside: Int
    }

    func run() throws {
        let db = try store.open()
        let (sessions, inside): ([Session], [String: Int])
        do { (sessions, inside) = (try db.sessions(), try db.occupancies()) } catch { throw commandFailure(error) }
        if json {
            print(Output.json(sessions.map { Line(session: $0, inside: inside[$0.id] ?? 0) }))
            return
        }
        if sessions.isEmpty { print("No sessions: import a schedule with `accueil sessions import FILE.csv`.") }
        let day = EventTime.formatter("EEE d MMM HH:mm")
        let time = EventTime.formatter("HH:mm")
        for s in sessions {
            let count = inside[s.id] ?? 0
            let limit = s.capacity > 0 ? "\(count)/\(s.capacity)" : "\(count)"
            print(
                "\(s.id)\t\(day.string(from: s.start))–\(time.string(from: s.end))\t\(s.room)\t\(limit) inside\t\(s.access)\t\(s.title)"
            )
        }
    }
}

/// `accueil sessions scan`: what a session door does with a badge, from a script or a terminal.
struct SessionScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Record a badge scanned at a session door (entry or exit) and print the verdict.",
        discussion: """
            CODE is the badge's QR text (verified offline: signature, key, version), or a \
            registration ticket's code imported with the roster (pretix secret, Eventbrite barcode, \
            Indico ticket QR). Exit status 0 when let in or out, 7 when refused (the reason is printed).
            """
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "The badge's QR text (AC1:…) or a registration ticket's code.") var code: String
    @Option(help: "The session's id.") var session: String
    @Option(help: "both (a second scan leaves), entry or exit.") var direction: ScanDirection = .both
    @Option(help: ArgumentHelp("Let them in although the door says no; the reason is logged.", valueName: "reason"))
    var override: String?
    @Flag(help: "Print it as JSON.") var json = false

    func run() throws {
        let db = try store.open()
        let door = SessionDoor(db: db, kiosk: store.kioskName, target: .session(session), direction: direction)
        let keys = try? Keyring.load(from: store.directory)
        let verdict = door.scan(code, keys: keys ?? nil, override: override, language: .en)
        if json {
            print(Output.json(verdict))
        } else {
            let who = verdict.name.map { " — \($0) (\(verdict.attendeeID ?? ""))" } ?? ""
            let count = verdict.capacity > 0 ? "\(verdict.occupancy)/\(verdict.capacity)" : "\(verdict.occupancy)"
            print("\(verdict.admitted ? "YES" : "NO")  \(verdict.message)\(who)  [\(count) inside]")
            if let detail = verdict.detail { print("    \(detail)") }
        }
        if !verdict.admitted { throw CommandFailure(message: "", status: 7) }
    }
}

extension ScanDirection: ExpressibleByArgument {}
