// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import Kiosk
import KioskApp
import KioskStore

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find attendees by name, native-script name, organisation, delegation or id.",
        discussion: """
            Accents and case do not matter ("helene" finds "Hélène", "oeuvre" finds "Œuvre"), words \
            can come in any order and be cut short ("hid" finds "Hidalgo"), and one typo is forgiven \
            in names of five letters or more ("Hidlago"). Names typed in Arabic, Chinese, Japanese, \
            Korean, Cyrillic, Armenian, Greek, Hebrew, Thai or Vietnamese are found too. Results are \
            ranked exact > prefix > one typo, and show the role and whether the person is checked in.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "What to look for.")
    var query: [String]

    @Option(help: "Most results to show.")
    var limit = 20

    @Flag(help: "Print results as JSON.")
    var json = false

    func run() throws {
        let db = try store.open()
        let snapshot: RosterSnapshot
        do { snapshot = try db.snapshot() } catch { throw commandFailure(error) }
        let text = query.joined(separator: " ")
        let results = snapshot.search(text, limit: max(1, limit))
        if json {
            struct Out: Encodable {
                var query: String
                var count: Int
                var results: [AttendeeJSON]
            }
            print(
                Output.json(
                    Out(
                        query: text, count: results.count,
                        results: results.map {
                            AttendeeJSON(
                                attendee: $0.record.attendee, checkIn: $0.record.checkIn,
                                duplicates: $0.record.duplicates,
                                match: $0.hit.match, score: $0.hit.score == .max ? nil : $0.hit.score)
                        })))
            return
        }
        if results.isEmpty {
            print("No attendee matches \"\(text)\".")
            return
        }
        for result in results { print(Format.line(result.record)) }
    }
}

enum Format {
    /// "ACC-00042  HIDALGO Anne (…)  ÉLU·E / ELECTED OFFICIAL  Ville de Paris  ✓ 09:12 door-2"
    static func line(_ record: AttendeeRecord) -> String {
        let a = record.attendee
        var parts = [a.id, a.listName]
        parts.append(a.role.label)
        let place = [a.organisation, a.country.isEmpty ? "" : Country.name(a.country)].filter { !$0.isEmpty }
        if !place.isEmpty { parts.append(place.joined(separator: ", ")) }
        if let checkIn = record.checkIn {
            parts.append("✓ in \(Output.time(checkIn.at)) \(checkIn.kiosk)")
        } else {
            parts.append("not in")
        }
        return parts.joined(separator: "  ")
    }
}

struct CheckInCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkin",
        abstract: "Check attendees in by id or registration ticket code.",
        discussion: """
            Each argument is an attendee id, or a registration ticket's code as a scanner reads it \
            (pretix ticket secret, Eventbrite barcode, Indico ticket QR text) when the roster was \
            imported with those codes. The check-in is on disk when the command prints it. A second check-in of the same person is \
            refused ("already checked in at 09:12 at door-2") and recorded as a duplicate attempt.

            Exit status: 0 checked in; 4 already checked in; 5 unknown id or ticket, or a cancelled \
            registration's ticket; 7 registration pending (payment or approval: not checked in). With \
            several ids, the highest of these.

            With --print, the badge is queued in the same transaction as the check-in and sent to the \
            printer at once; printer trouble leaves it waiting (see `accueil print jobs`), never \
            undoes the check-in. A badge is printed once unless --print-policy always; reprints go \
            through `accueil print reprint` with a reason.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var printing: PrintOptions

    @Flag(help: "Queue and print the badge.") var print = false

    @Option(
        name: .customLong("print-policy"),
        help: "once (default): a badge prints only once; always: print at every --print.")
    var printPolicy = "once"

    @Argument(help: "Attendee ids or registration ticket codes.")
    var ids: [String]

    @Flag(help: "Print the outcome as JSON (one object per id, in an array).")
    var json = false

    struct Out: Encodable {
        var id: String
        var status: String
        var checked_in_at: String?
        var kiosk: String?
        var message: String
        var attendee: AttendeeJSON?
        var print_job: String?
        var print_state: String?
        var print_message: String?
    }

    func run() throws {
        guard !ids.isEmpty else { throw CommandFailure.usage("give at least one attendee id") }
        guard ["once", "always"].contains(printPolicy) else {
            throw CommandFailure.usage("--print-policy must be once or always")
        }
        let spool = print ? try spooler(store, badges, printing) : nil
        let db = try spool?.db ?? store.open()
        let request = print ? try printing.request(store, badges: badges, onlyOnce: printPolicy == "once") : nil
        var status: Int32 = 0
        var outs: [Out] = []
        var queued: [String: PrintQueueing] = [:]
        let tickets = ((try? Keyring.load(from: db.directory)) ?? nil)?.tickets
        for given in ids {
            var out: Out
            // An id first; else a registration ticket's code, answered under its attendee's id (the
            // code itself is never repeated).
            var id = given
            if try db.attendee(id: given) == nil, let digest = tickets?.digest(scanned: given),
                let holder = try db.attendee(ticket: digest)
            {
                id = holder.attendee.id
                if holder.removed {
                    status = max(status, 5)
                    out = Out(
                        id: id, status: "cancelled", checked_in_at: nil, kiosk: nil,
                        message: "\(id): registration cancelled: ticket refused", attendee: nil)
                    if !json { Output.err(out.message) }
                    outs.append(out)
                    continue
                }
            }
            do {
                let done = try db.doorCheckIn(id, kiosk: store.kioskName, print: request)
                queued[id] = done.printing
                switch done.outcome {
                case .checkedIn(let record):
                    let a = done.attendee.attendee
                    var message =
                        "✓ checked in: \(a.listName) (\(id)), \(a.role.label), \(Output.time(record.at)) at \(record.kiosk)"
                    if !a.vip.isEmpty { message += "\n  VIP: \(a.vip)" }
                    out = Out(
                        id: id, status: done.status, checked_in_at: Output.iso(record.at), kiosk: record.kiosk,
                        message: message, attendee: AttendeeJSON(attendee: a, checkIn: done.attendee.checkIn))
                case .alreadyCheckedIn(let previous):
                    status = max(status, 4)
                    out = Out(
                        id: id, status: done.status, checked_in_at: Output.iso(previous.at),
                        kiosk: previous.kiosk,
                        message: "\(id): already checked in at \(Output.time(previous.at)) at \(previous.kiosk)",
                        attendee: nil)
                case .pendingRegistration:
                    status = max(status, 7)
                    out = Out(
                        id: id, status: done.status, checked_in_at: nil, kiosk: nil,
                        message: "\(id): registration pending (payment or approval): not checked in", attendee: nil)
                }
            } catch {
                guard error.kind == .unknownAttendee else { throw commandFailure(error) }
                status = max(status, 5)
                out = Out(
                    id: id, status: "unknown", checked_in_at: nil, kiosk: nil, message: error.message, attendee: nil)
            }
            if !json {
                if out.status == "checked_in" { Output.line(out.message) } else { Output.err(out.message) }
            }
            outs.append(out)
        }
        if let spool {
            // Hand the new jobs to the printer now; trouble leaves them queued, the check-ins stand.
            let report = try spool.runOnce()
            for i in outs.indices {
                guard let printing = queued[outs[i].id] else { continue }
                switch printing {
                case .notAsked: break
                case .alreadyPrinted(let job):
                    outs[i].print_job = job.id.uuidString
                    outs[i].print_state = "already_printed"
                    outs[i].print_message =
                        "badge already printed (\(job.state)); use `accueil print reprint` with a reason"
                case .queued(let job):
                    outs[i].print_job = job.id.uuidString
                    if let sent = report.submitted.first(where: { $0.id == job.id }) {
                        outs[i].print_state = "submitted"
                        outs[i].print_message =
                            "badge sent to \(sent.printer) (CUPS job \(sent.cupsJob.map(String.init) ?? "?"))"
                    } else {
                        let why =
                            report.why(job) ?? report.failed.first { $0.id == job.id }.map { _ in "failed" } ?? "queued"
                        outs[i].print_state = report.failed.contains { $0.id == job.id } ? "failed" : "pending"
                        outs[i].print_message = "badge queued, not printed yet: \(why)"
                    }
                }
                if !json, let message = outs[i].print_message { Output.line("  🖨 \(message)") }
            }
        }
        if json { Swift.print(Output.json(outs)) }
        if status != 0 { throw CommandFailure(message: "", status: status) }
    }
}

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Reverse an attendee's check-in (kept in the history, with the reason).",
        discussion: "Exit status: 0 undone; 5 unknown id; 6 not checked in."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "Attendee id.")
    var id: String

    @Option(help: "Why (e.g. \"wrong person\").")
    var reason: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        let trimmed = reason.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw CommandFailure.usage("--reason must say why") }
        let db = try store.open()
        let undone: CheckInRecord
        do { undone = try db.undoCheckIn(id, reason: trimmed, kiosk: store.kioskName) } catch {
            throw commandFailure(error)
        }
        if json {
            struct Out: Encodable {
                var id: String
                var status = "undone"
                var undone_checkin_at: String
                var undone_checkin_kiosk: String
                var reason: String
            }
            print(
                Output.json(
                    Out(
                        id: id, undone_checkin_at: Output.iso(undone.at), undone_checkin_kiosk: undone.kiosk,
                        reason: trimmed)))
        } else {
            print("↺ check-in of \(id) (\(Output.time(undone.at)) at \(undone.kiosk)) undone: \(trimmed)")
        }
    }
}

struct WalkInCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkin",
        abstract: "Register someone who is not on the roster, and check them in.",
        discussion:
            "The new attendee is marked as a walk-in; their id is printed (W-KIOSK-1, W-KIOSK-2… unless --id is given)."
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("first-name")) var firstName = ""
    @Option(name: .customLong("last-name")) var lastName = ""
    @Option(name: .customLong("native-name"), help: "Name in its own script.") var nativeName = ""
    @Option var organisation = ""
    @Option var title = ""
    @Option(help: "ISO code or country name.") var country = ""
    @Option(help: ArgumentHelp("Role (default: participant).", valueName: "role")) var role: Role = .participant
    @Option var delegation = ""
    @Option var email = ""
    @Option var language = ""
    @Option(help: "Attendee id (default: the next W-KIOSK-n).") var id: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func run() throws {
        let form = WalkIn(
            firstName: firstName, lastName: lastName, nativeName: nativeName, organisation: organisation,
            title: title, country: country, role: role.rawValue, delegation: delegation, email: email,
            language: language)
        // Checked before the store is opened: a typo costs nothing.
        var attendee: Attendee
        do {
            attendee = try form.attendee(id: id ?? "")
        } catch {
            throw CommandFailure.usage(
                error.field == "first_name" ? "give a name: --first-name, --last-name or --native-name" : error.english)
        }
        let db = try store.open()
        do {
            if id == nil { attendee.id = try db.nextWalkInID(kiosk: store.kioskName) }
            let record = try db.walkIn(attendee, kiosk: store.kioskName)
            if json {
                print(Output.json(AttendeeJSON(attendee: attendee, checkIn: record)))
            } else {
                print(
                    "✓ walk-in registered and checked in: \(attendee.listName) (\(attendee.id)), \(attendee.role.label), \(Output.time(record.at)) at \(record.kiosk)"
                )
            }
        } catch {
            throw commandFailure(error)
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts: registered, checked in, by role and country, walk-ins, duplicates.",
        discussion: """
            --json prints an object with registered, checked_in, walk_ins, duplicates (check-ins made \
            twice at doors that did not know, e.g. offline), duplicate_attempts (second check-ins \
            refused), by_role, by_country and by_delegation (each {registered, checked_in}), \
            international (attendees from outside France, {registered, checked_in}) and outbox (changes \
            not yet sent to the server).

            With --server, the counts are the central server's, over every kiosk's events.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Ask this central server instead of the local store.", valueName: "url"))
    var server: String?
    @OptionGroup var access: ServerAccess
    @Flag(help: "Print the counts as JSON.") var json = false

    func run() async throws {
        var stats: Stats
        if server != nil {
            let client = try syncClient(
                server: server, token: access.token, kiosk: store.kioskName, caFile: access.caFile)
            do { stats = try await client.get("api/v1/stats", as: Stats.self) } catch {
                throw CommandFailure(message: "stats from \(client.server.absoluteString): \(error)", status: 10)
            }
        } else {
            let db = try store.openExisting()
            do { stats = try db.stats() } catch { throw commandFailure(error) }
        }
        for role in Role.allCases where stats.byRole[role.rawValue] == nil {
            stats.byRole[role.rawValue] = Stats.Count(registered: 0, checkedIn: 0)
        }
        if json {
            print(Output.json(stats))
            return
        }
        let percent = stats.registered == 0 ? 0 : stats.checkedIn * 100 / stats.registered
        print("Checked in: \(stats.checkedIn) / \(stats.registered) registered (\(percent)%)")
        print(
            "Walk-ins: \(stats.walkIns)   duplicates: \(stats.duplicates)   refused second check-ins: \(stats.refusedAttempts)   not yet synced: \(stats.outbox)"
        )
        let foreign = stats.international
        let share = stats.checkedIn == 0 ? 0 : foreign.checkedIn * 100 / stats.checkedIn
        print(
            "International: \(foreign.checkedIn) / \(foreign.registered) registered (\(share)% of arrivals)   France: \(stats.checkedIn - foreign.checkedIn)"
        )
        print("")
        print("By role:")
        for role in Role.allCases {
            let c = stats.byRole[role.rawValue]!
            print(
                "  \(role.label.padding(toLength: 34, withPad: " ", startingAt: 0)) \(String(c.checkedIn).leftPad(5)) / \(c.registered)"
            )
        }
        print("")
        print("By country:")
        for (code, c) in stats.byCountry.sorted(by: { $0.value.registered > $1.value.registered }) {
            let name = "\(Country.name(code, language: .fr)) (\(code))"
            print(
                "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(String(c.checkedIn).leftPad(5)) / \(c.registered)"
            )
        }
        if !stats.byDelegation.isEmpty {
            print("")
            print("By delegation:")
            for (name, c) in stats.byDelegation.sorted(by: { $0.key < $1.key }) {
                print(
                    "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(String(c.checkedIn).leftPad(5)) / \(c.registered)"
                )
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
