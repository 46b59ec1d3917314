// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import Kiosk
import KioskStore
import RosterFiles
import Sync

struct RosterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Import the pre-registered roster, or generate a fictional one.",
        subcommands: [RosterImportCommand.self, RosterGenerateCommand.self]
    )
}

struct RosterImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a registration export (CSV or Excel .xlsx) into the store.",
        discussion: """
            Columns are found by their header, in any order and any case, in French or English: \
            id, first_name (prénom), last_name (nom), native_name, organisation, title (fonction), \
            country (pays: ISO code or name), role, delegation, email, language, sessions (ids separated \
            by |), vip, notes. Only id, a name and role are required. A column that looks like one of \
            these but is not read is named in a warning.

            --preset reads the exports of pretix ("Order data" order positions, check-in list; in \
            English, French or German), Eventbrite (attendee report) and Indico (registrations) as \
            those systems write them. Their ticket or product names ("Entrée / Admission") are read \
            as roles where they name one, else take the default role (participant, or \
            --default-role); the import lists each name and the role it became, and --role-map \
            refines. Cancelled, refunded and "Not Attending" registrations are skipped (and removed if \
            an earlier import added them: the doors then refuse their tickets as cancelled); pending ones \
            (unpaid, awaiting approval) are imported marked pending, and the doors refuse them with \
            the reason, unless --accept-pending. Indico's numeric ids are prefixed "indico-".

            Registration tickets: the codes attendees carry (pretix's ticket secret, Eventbrite's \
            barcode, Indico's check-in secret or ticket QR text, or a "ticket code" / "barcode" / \
            "code billet" column; several per cell allowed) are kept so that scanning the ticket \
            finds the attendee at every door. They are credentials: only HMAC digests under the \
            event's ticket key (in the badge keyring, keys.json) are stored, never the codes. A \
            local import therefore needs the station's keyring (accueil keys create, or a station \
            that synced its keys); with --server, the server makes the digests with its own.

            CSV delimiter (, ; tab) and encoding (UTF-8 with or without BOM, UTF-16, Windows-1252) are \
            detected. An Excel workbook (.xlsx) is read from its first sheet, or --sheet, or the \
            preset's usual one (pretix: "Order positions"); rejections then name the sheet and row. \
            Other files (PDF, .xls, .ods…) are refused with what they are. Importing the same file again changes nothing; a changed row updates its attendee \
            and never touches their check-in. Bad rows are reported with line, column and reason, and \
            the good rows are imported.

            With --server, the file is read here and applied on the central server instead, from \
            where every kiosk gets it (a kiosk that starts empty downloads the whole roster at once). \
            A roster of more than 20,000 attendees is sent in pieces of 20,000, each applied as it \
            arrives (with --remove-missing, the others are removed after the last piece): if the \
            upload stops half-way, import the file again.

            Exit status: 0 every row imported; 3 some rows rejected; 2 nothing imported (usage error, \
            unreadable file, --strict with bad rows); 10 the server could not be reached.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The export: CSV or an Excel workbook (.xlsx).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The workbook's sheet to read (default: the first).", valueName: "name"))
    var sheet: String?

    @Flag(
        name: .customLong("accept-pending"),
        help:
            "Import registrations whose payment or approval is pending as confirmed (default: marked pending, refused at the door)."
    )
    var acceptPending = false

    @Option(
        name: .customLong("map"),
        help: ArgumentHelp(
            "Read a header as a column: \"Nom=last_name\". Repeatable. Column \"ignore\" leaves it out.",
            valueName: "header=column"))
    var maps: [String] = []

    @Option(help: ArgumentHelp("Column layout of an export: pretix, eventbrite or indico.", valueName: "name"))
    var preset: RosterPreset?

    @Option(
        name: .customLong("role-map"),
        help: ArgumentHelp(
            "Read a role cell as a role: \"Billet VIP=elected_official\". Repeatable.", valueName: "value=role"))
    var roleMaps: [String] = []

    @Option(
        name: .customLong("default-role"),
        help: ArgumentHelp("Role for rows with an empty role, or files without a role column.", valueName: "role"))
    var defaultRole: Role?

    @Flag(
        name: .customLong("remove-missing"), help: "Remove attendees that are not in this file (their history stays).")
    var removeMissing = false

    @Flag(help: "Import nothing if any row is bad.")
    var strict = false

    @Flag(name: .customLong("dry-run"), help: "Only report what the import would do.")
    var dryRun = false

    @Option(
        help: ArgumentHelp("Apply it on this central server (default: the local store).", valueName: "url"))
    var server: String?
    @OptionGroup var access: ServerAccess

    @Flag(help: "Print the summary as JSON.")
    var json = false

    struct Summary: Encodable {
        var file: String
        var sheet: String?
        var encoding: String
        var delimiter: String
        var rows: Int
        var imported: Int
        var added: Int
        var updated: Int
        var unchanged: Int
        var removed: Int
        var skipped: Int
        var pending: Int
        var tickets: Int
        var rejected: Int
        var dry_run: Bool
        var rejections: [RowRejection]
        var warnings: [RowRejection]
        var unused_columns: [String]
        var role_values: [RoleValue]
    }

    func run() async throws {
        var options = RosterOptions(preset: preset, defaultRole: defaultRole, acceptPending: acceptPending)
        for map in maps {
            guard let eq = map.lastIndex(of: "="),
                let field = RosterField(
                    rawValue: String(map[map.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
            else {
                throw CommandFailure.usage(
                    "--map \"\(map)\": expected HEADER=COLUMN with COLUMN one of \(RosterField.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            options.headerMap[String(map[..<eq])] = field
        }
        for map in roleMaps {
            guard let eq = map.lastIndex(of: "="), let role = Role(parsing: String(map[map.index(after: eq)...])) else {
                throw CommandFailure.usage(
                    "--role-map \"\(map)\": expected VALUE=ROLE with ROLE one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            options.roleMap[String(map[..<eq])] = role
        }

        let data: Data
        do {
            // Mapped: to the server the file is read twice, and its pages need not stay in memory.
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: server == nil ? [] : .alwaysMapped)
        } catch {
            throw CommandFailure.usage("cannot read \(file): \((error as NSError).localizedDescription)")
        }
        var parsed: ParsedRoster
        // For the server, ids of the whole file (with --remove-missing): everyone else is removed.
        var keep: [String] = []
        do {
            if server != nil {
                // Read through once to check the whole file (rows refused, counts) before anything
                // is sent; its attendees are read again, piece by piece, as they are sent.
                var reader = try RosterFile.open(data, sheet: sheet, options: options)
                while let piece = try reader.piece(SyncClient.rosterPieceAttendees) {
                    if removeMissing { keep.append(contentsOf: piece.attendees.map(\.id)) }
                }
                parsed = reader.roster
            } else {
                parsed = try RosterFile.parse(data, sheet: sheet, options: options)
            }
        } catch {
            throw CommandFailure.usage("\(file): \(error.message)")
        }

        let refuse = strict && !parsed.rejections.isEmpty
        let withTickets = parsed.withTickets
        if server == nil, withTickets > 0 {
            // Codes never reach the store: digests under the event's ticket key do.
            guard var ring = try Keyring.load(from: store.directory) else {
                throw CommandFailure.usage(
                    "\(file): \(withTickets) rows carry registration ticket codes, which are kept only as digests under the event's ticket key, and this station has no badge keys (\(Keyring.url(in: store.directory).path)): create them (accueil keys create) or let the station fetch the server's (accueil kiosk --server), then import again; or leave the codes out with --map \"\(parsed.mappedHeaders.first { $0.value == .ticketCode }?.key ?? "HEADER")=ignore\""
                )
            }
            if ring.addTicketKey() {
                guard ring.keys.allSatisfy({ $0.station == nil }) else {
                    throw CommandFailure.usage(
                        "this station's badge keys come from a server whose keyring has no ticket key yet: let the station sync its keys again (the server adds one), or import with --server"
                    )
                }
                try ring.save(to: store.directory)
            }
            guard let tickets = ring.tickets else {
                throw CommandFailure.usage("the ticket key in keys.json is unreadable")
            }
            parsed.sealTickets { tickets.digest(normalised: $0) }
        }
        var changes = ImportSummary()
        if !refuse, server != nil {
            let client = try syncClient(
                server: server, token: access.token, kiosk: store.kioskName, caFile: access.caFile)
            do {
                var reader = try RosterFile.open(data, sheet: sheet, options: options)
                changes = try await client.uploadRoster(
                    count: parsed.attendeesTaken, keep: keep, cancelled: parsed.cancelledIDs,
                    removeMissing: removeMissing, dryRun: dryRun
                ) { most in
                    try reader.piece(most).map { ($0.attendees, withTickets > 0 ? $0.ticketCodes : nil) }
                }
            } catch let error as SyncError {
                throw CommandFailure(
                    message: "roster import on \(client.server.absoluteString) failed: \(error)", status: 10)
            }
        } else if !refuse {
            let db = try store.open()
            let total = parsed.attendees.count
            let bar =
                Output.stderrIsTerminal && !json && total >= 1000 ? ProgressBar(total: total, label: "Importing") : nil
            var progress: (@Sendable (Int) -> Void)? = nil
            if let bar { progress = { done in bar.update(done) } }
            do {
                changes = try db.importRoster(
                    parsed.attendees, removeMissing: removeMissing, cancelled: parsed.cancelledIDs, dryRun: dryRun,
                    kiosk: store.kioskName,
                    progress: progress)
            } catch {
                throw commandFailure(error)
            }
            bar?.finish()
        }
        let imported = refuse || dryRun ? 0 : changes.added + changes.updated + changes.unchanged
        let summary = Summary(
            file: file, sheet: parsed.sheet, encoding: parsed.encoding.rawValue,
            delimiter: parsed.delimiter == "\t" ? "tab" : String(parsed.delimiter), rows: parsed.rowCount,
            imported: imported, added: changes.added, updated: changes.updated, unchanged: changes.unchanged,
            removed: changes.removed, skipped: parsed.skipped, pending: parsed.pending, tickets: withTickets,
            rejected: parsed.rejections.count, dry_run: dryRun, rejections: parsed.rejections,
            warnings: parsed.warnings, unused_columns: parsed.unusedHeaders, role_values: parsed.roleValues)
        if json {
            print(Output.json(summary))
        } else {
            if let sheet = parsed.sheet {
                print("\(file): \(parsed.rowCount) rows (sheet \"\(sheet)\")")
            } else {
                print("\(file): \(parsed.rowCount) rows (\(parsed.encoding.rawValue), delimiter \(summary.delimiter))")
            }
            for rejection in parsed.rejections.prefix(200) { print("  rejected: \(rejection)") }
            if parsed.rejections.count > 200 { print("  … and \(parsed.rejections.count - 200) more rejected rows") }
            for warning in parsed.warnings.prefix(50) { print("  warning: \(warning)") }
            if parsed.warnings.count > 50 { print("  … and \(parsed.warnings.count - 50) more warnings") }
            if parsed.skipped > 0 { print("  skipped \(parsed.skipped) cancelled registrations") }
            if parsed.pending > 0 {
                print(
                    acceptPending
                        ? "  \(parsed.pending) pending registrations (unpaid or awaiting approval) imported as confirmed (--accept-pending)"
                        : "  \(parsed.pending) pending registrations (unpaid or awaiting approval) imported as pending: the doors refuse them until a new export confirms them (--accept-pending imports them as confirmed)"
                )
            }
            if withTickets > 0 {
                print("  \(withTickets) attendees with registration tickets (kept as keyed digests, never the codes)")
            }
            // How ticket and product names became roles, when any was not a role's own name.
            if !parsed.roleValues.isEmpty,
                preset != nil || parsed.roleValues.contains(where: { $0.source != .recognised })
            {
                print(
                    "  roles read from the \"\(parsed.mappedHeaders.first { $0.value == .role }?.key ?? "role")\" column:"
                )
                for use in parsed.roleValues.prefix(30) {
                    let how =
                        switch use.source {
                        case .recognised: ""
                        case .mapped: " (--role-map)"
                        case .defaulted: " (no role in the name: default; --role-map \"\(use.value)=ROLE\" to change)"
                        }
                    print(
                        "    \"\(use.value)\" → \(use.role.rawValue), \(use.rows) row\(use.rows == 1 ? "" : "s")\(how)")
                }
                if parsed.roleValues.count > 30 { print("    … and \(parsed.roleValues.count - 30) more") }
            }
            if !parsed.unusedHeaders.isEmpty {
                print("  columns not used: \(parsed.unusedHeaders.joined(separator: ", "))")
            }
            if refuse {
                print("Nothing imported: \(parsed.rejections.count) bad rows and --strict.")
            } else {
                let verb = dryRun ? "Would import" : "Imported"
                print(
                    "\(verb) \(parsed.attendees.count + parsed.attendeesTaken): \(changes.added) added, \(changes.updated) updated, \(changes.unchanged) unchanged"
                        + (removeMissing || changes.removed > 0 ? ", \(changes.removed) removed" : "")
                        + (parsed.rejections.isEmpty ? "." : "; \(parsed.rejections.count) rejected."))
            }
        }
        if refuse || (parsed.attendees.isEmpty && !parsed.rejections.isEmpty) {
            throw CommandFailure(message: "", status: 2)
        }
        if !parsed.rejections.isEmpty { throw CommandFailure(message: "", status: 3) }
    }
}

struct RosterGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a fictional roster of the model event as CSV (for demos and benchmarks).",
        discussion: "The demo roster demo/roster.csv is `accueil roster generate --count 800`."
    )

    @Option(help: "Number of attendees.")
    var count = 800

    @Option(help: "Random seed; the same seed gives the same roster.")
    var seed: UInt64 = 2026

    @Option(
        name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        guard count > 0 else { throw CommandFailure.usage("--count must be at least 1") }
        let csv = RosterGenerator.csv(RosterGenerator(seed: seed).attendees(count: count))
        if let output {
            do {
                try Data(csv.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw CommandFailure.usage("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(csv.utf8))
        }
    }
}

/// A progress bar on standard error, for long imports on a terminal.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let lock = NSLock()
    private var lastPercent = -1

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    func update(_ done: Int) {
        lock.lock()
        defer { lock.unlock() }
        let percent = min(100, done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
