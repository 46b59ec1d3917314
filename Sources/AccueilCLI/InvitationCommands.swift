// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import CommandSupport
import Foundation
import Invitations
import KioskStore
import Ops
import Printing

struct InvitationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invitations",
        abstract: "Get each attendee their badge code before the event: a mail-merge export, or e-mails.",
        discussion: """
            Each attendee gets their signed badge code (the QR code the self-service stations and \
            the doors read) and a one-page e-badge PDF, in their language (French or English, from \
            the roster's language column, else their country). Run it on a station whose data \
            directory has the roster and the event's keys (`accueil keys create`, or a station \
            that synced them from the server): codes are signed with that station's key, which every \
            station verifies.
            Settings come from the options, else the file given by --config (YAML; keys: from, \
            reply_to, sendmail, smtp, smtp_ca_file, dates, venue, event_name), else /etc/accueil/invitations.yaml.
            """,
        subcommands: [InvitationsExportCommand.self, InvitationsSendCommand.self, InvitationsStatusCommand.self]
    )
}

/// Which attendees, and the event's words, shared by the three commands.
struct InvitationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Settings file (YAML).", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("The event's days: 2027-06-03, or 2027-06-03..2027-06-04.", valueName: "days"))
    var dates: String?
    @Option(help: "The venue, as written in the letter (e.g. \"Palais des congrès, Paris\").") var venue: String?
    @Option(name: .customLong("event-name"), help: "The event's name (default: the keyring's).") var eventName: String?
    @Option(help: "Only these roles (repeatable).") var role: [Role] = []
    @Option(help: "Only this delegation (repeatable).") var delegation: [String] = []
    @Option(help: "Only these attendee ids (repeatable).") var id: [String] = []

    static let schema: [String: ConfigFile.Kind] = [
        "from": .string, "reply_to": .string, "sendmail": .string, "smtp": .string, "smtp_ca_file": .string,
        "dates": .string, "venue": .string, "event_name": .string,
    ]
    static let defaultConfig = "/etc/accueil/invitations.yaml"

    func settings() throws -> ConfigFile {
        if let config { return try ConfigFile(path: config, schema: Self.schema) }
        if FileManager.default.fileExists(atPath: Self.defaultConfig) {
            return try ConfigFile(path: Self.defaultConfig, schema: Self.schema)
        }
        return ConfigFile()
    }

    func event(ring: Keyring, settings: ConfigFile, from: String?, replyTo: String?) throws -> InvitationEvent {
        var days: (DateComponents, DateComponents)?
        if let text = settings.pick(dates, env: nil, "dates") {
            guard let parsed = InvitationEvent.days(text) else {
                throw CommandFailure.usage(
                    "--dates: \"\(text)\" is not a day (2027-06-03) or two (2027-06-03..2027-06-04)")
            }
            days = parsed
        }
        let sender: MailAddress
        let reply: MailAddress?
        do {
            sender = try MailAddress(
                parsing: settings.pick(from, env: "ACCUEIL_MAIL_FROM", "from")
                    ?? "Accueil <accueil@localhost.localdomain>")
            reply = try settings.pick(replyTo, env: nil, "reply_to").map { try MailAddress(parsing: $0) }
        } catch {
            throw CommandFailure.usage("\(error)")
        }
        return InvitationEvent(
            name: settings.pick(eventName, env: nil, "event_name") ?? ring.eventName, firstDay: days?.0,
            lastDay: days?.1, venue: settings.pick(venue, env: nil, "venue") ?? "", from: sender, replyTo: reply)
    }

    /// What export and send both start from: the station's badge signer, the settings, the event's
    /// words and the chosen attendees (at least one).
    func prepare(_ store: StoreOptions, from: String?, replyTo: String?) throws -> (
        maker: BadgeMaker, settings: ConfigFile, event: InvitationEvent, records: [AttendeeRecord], pending: Int
    ) {
        let maker = try BadgeMaker(store: store)
        let settings = try settings()
        let event = try event(ring: maker.ring, settings: settings, from: from, replyTo: replyTo)
        let (records, pending) = try select(maker.db)
        guard !records.isEmpty else { throw CommandFailure.usage("no attendee matches these filters") }
        return (maker, settings, event, records, pending)
    }

    /// The chosen attendees, by last name; pending registrations and removed ones are left out.
    func select(_ db: KioskDatabase) throws -> (records: [AttendeeRecord], pending: Int) {
        let ids = Set(id)
        let delegations = Set(delegation.map { TextFolding.shared.fold($0) })
        let all = try db.attendees().filter { !$0.removed }
        for wanted in ids where !all.contains(where: { $0.attendee.id == wanted }) {
            throw CommandFailure(message: "unknown attendee id \"\(wanted)\": not on the roster", status: 5)
        }
        let chosen = all.filter {
            (role.isEmpty || role.contains($0.attendee.role)) && (ids.isEmpty || ids.contains($0.attendee.id))
                && (delegations.isEmpty || delegations.contains(TextFolding.shared.fold($0.attendee.delegation)))
        }
        // By last name; each key computed once.
        let records = chosen.filter { !$0.attendee.pending }.map { ($0.attendee.sortKey, $0) }
            .sorted { $0.0 < $1.0 }.map(\.1)
        return (records, chosen.count - records.count)
    }
}

struct InvitationsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a mail-merge folder: invitations.csv, and each attendee's QR code (PNG) and e-badge (PDF).",
        discussion: """
            invitations.csv has a line per attendee: id, first_name, last_name, email, language (fr \
            or en), role, delegation, qr_text (the signed badge code), qr_png and badge_pdf (file \
            names in the folder). Use it in the organisers' own mail merge; the QR text or the PNG \
            goes into the letter, the PDF as an attachment. Pending registrations are left out.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: InvitationOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write (made if missing).", valueName: "dir"))
    var out: String

    func run() throws {
        let (maker, _, event, records, pending) = try options.prepare(store, from: nil, replyTo: nil)
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let csvPath = folder.appendingPathComponent("invitations.csv").path
        guard FileManager.default.createFile(atPath: csvPath, contents: nil),
            let csv = FileHandle(forWritingAtPath: csvPath)
        else { throw CommandFailure.usage("cannot write \(csvPath)") }
        defer { try? csv.close() }
        csv.write(
            Data(
                CSVWriter.line([
                    "id", "first_name", "last_name", "email", "language", "role", "delegation", "qr_text", "qr_png",
                    "badge_pdf",
                ]).utf8))
        let stems = Self.uniqueStems(records.map(\.attendee.id))
        let bar =
            Output.stderrIsTerminal && records.count >= 200
            ? ProgressBar(total: records.count, label: "Exporting") : nil
        // Blocks of attendees drawn on every core; lines written in order after each block.
        let block = 512
        for start in stride(from: 0, to: records.count, by: block) {
            let slice = Array(records[start..<min(start + block, records.count)])
            let lines = LinesBox(count: slice.count)
            DispatchQueue.concurrentPerform(iterations: slice.count) { index in
                let record = slice[index]
                let stem = stems[start + index]
                do {
                    let qr = try maker.qrText(for: record)
                    let invitation = Invitation(
                        attendee: record.attendee, badgeVersion: record.badgeVersion, qrText: qr)
                    let matrix = try QRMatrix(qr)
                    try QRImage.write(QRImage.pngData(matrix), to: folder.appendingPathComponent("\(stem).png").path)
                    try invitation.eBadge(for: event).pdf(
                        to: folder.appendingPathComponent("\(stem).pdf").path, matrix: matrix)
                    let a = record.attendee
                    lines.set(
                        index,
                        .success(
                            CSVWriter.reportLine([
                                a.id, a.firstName, a.lastName, a.email, invitation.language.rawValue, a.role.rawValue,
                                a.delegation, qr, "\(stem).png", "\(stem).pdf",
                            ])))
                } catch {
                    lines.set(index, .failure(CommandFailure(message: "\(record.attendee.id): \(error)", status: 2)))
                }
            }
            for line in try lines.all() { csv.write(Data(line.utf8)) }
            bar?.update(start + slice.count)
        }
        bar?.finish()
        let languages = Dictionary(grouping: records) { Invitation.language(of: $0.attendee) }
        let withoutAddress = records.filter { $0.attendee.email.isEmpty }.count
        print(
            "\(out): invitations.csv and \(records.count) QR codes and e-badges (\(languages[.fr]?.count ?? 0) in French, \(languages[.en]?.count ?? 0) in English)"
        )
        if withoutAddress > 0 { print("\(withoutAddress) attendee(s) have no e-mail address on the roster.") }
        if pending > 0 { print("\(pending) pending registration(s) left out: they cannot check in yet.") }
    }

    /// File names for ids: the id made safe, and a number after it when two ids make the same name.
    static func uniqueStems(_ ids: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return ids.map { id in
            let stem = Invitation.fileStem(id)
            let key = stem.lowercased()
            let count = seen[key, default: 0]
            seen[key] = count + 1
            return count == 0 ? stem : "\(stem)-\(count + 1)"
        }
    }
}

/// Lines made on several threads, kept in order.
final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [Result<String, CommandFailure>?]

    init(count: Int) { lines = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ line: Result<String, CommandFailure>) {
        lock.lock()
        lines[index] = line
        lock.unlock()
    }

    func all() throws -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return try lines.map { try ($0 ?? .failure(CommandFailure(message: "a line is missing", status: 2))).get() }
    }
}

struct InvitationsSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "E-mail each attendee their badge: the QR code in the letter, the e-badge PDF attached.",
        discussion: """
            Mails go through the machine's mail server, by its sendmail(8) program (Postfix, Exim… \
            set up to relay to the organisers' provider), or with --smtp straight to an SMTP relay \
            (STARTTLS required before the password, AUTH PLAIN). Every mail is a job in a durable queue \
            (invitations.sqlite in the data directory), like a print job: running the command again \
            sends only what is not sent yet, so an interrupted run is resumed by running it again, \
            and nobody gets two copies. A mail caught at the moment of a crash is marked uncertain \
            and not sent again on its own (see `invitations status`; `--resend --id` sends it). A \
            reissued badge (`badge reissue`) makes the next run send the new code. Addresses that \
            cannot be mailed are refused with the reason.
            Exit status 11 when the mail server stopped taking mail: what is left waits in the queue.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: InvitationOptions
    @Option(help: ArgumentHelp("The sender, \"Name <address>\" (default: from the settings).", valueName: "address"))
    var from: String?
    @Option(name: .customLong("reply-to"), help: ArgumentHelp("Where answers go.", valueName: "address"))
    var replyTo: String?
    @Option(help: ArgumentHelp("The mail server's sendmail program (default /usr/sbin/sendmail).", valueName: "path"))
    var sendmail: String?
    @Option(
        help: ArgumentHelp(
            "Send through this SMTP relay instead: smtp://USER:PASSWORD@HOST:587 (STARTTLS), smtps://…:465, smtp+plain://HOST:25 ($ACCUEIL_SMTP).",
            valueName: "url"))
    var smtp: String?
    @Option(
        name: .customLong("smtp-ca-file"),
        help: ArgumentHelp("Certificate authorities (PEM) to trust for the relay.", valueName: "pem"))
    var smtpCAFile: String?
    @Flag(name: .customLong("dry-run"), help: "Say what would be sent; send and record nothing.") var dryRun = false
    @Flag(help: "Send a new copy to the chosen attendees even if they got one (use with --id).") var resend = false
    @Option(help: "Mails handed to the mail server at once.") var workers = 4
    @Option(help: ArgumentHelp("At most this many mails a second (0: no limit).", valueName: "n")) var rate = 0.0

    func run() throws {
        // One sender at a time per data directory: a second one would take the first one's mails
        // in hand for interrupted ones.
        try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
        let lock = store.directory.appendingPathComponent("invitations.lock").path
        guard try FileLock.exclusiveIfFree(lock, send) != nil else {
            throw CommandFailure.usage(
                "another `accueil invitations send` is sending from \(store.directory.path): let it finish, or stop it first"
            )
        }
    }

    func send() throws {
        let (maker, settings, event, records, pending) = try options.prepare(store, from: from, replyTo: replyTo)
        if resend && options.id.isEmpty {
            throw CommandFailure.usage("--resend sends second copies: name the attendees with --id")
        }
        let queue: MailQueue
        do { queue = try MailQueue(directory: store.directory) } catch {
            throw CommandFailure(message: "cannot open the mail queue in \(store.directory.path): \(error)", status: 2)
        }
        if !dryRun {
            let caught = try queue.settleInterrupted()
            for mail in caught {
                Output.err(
                    "warning: \(mail.attendee) <\(mail.address)>: the last run stopped while handing this mail to the mail server; it may have left (Message-ID <\(mail.messageID)>). It is not sent again unless you run `accueil invitations send --resend --id \(mail.attendee)`."
                )
            }
        }
        let wanted = records.map { record in
            let address = record.attendee.email.trimmingCharacters(in: .whitespaces)
            return (
                attendee: record.attendee.id, version: record.badgeVersion, address: address,
                problem: MailAddress.problem(address),
                language: Invitation.language(of: record.attendee).rawValue
            )
        }
        let domain = event.from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let planned = try queue.plan(wanted, resend: resend, domain: domain, dryRun: dryRun)
        let names = Dictionary(records.map { ($0.attendee.id, $0.attendee.listName) }) { first, _ in first }
        if dryRun {
            print(
                "Would send \(planned.queued) invitation(s) (\(planned.languages["fr", default: 0]) in French, \(planned.languages["en", default: 0]) in English); \(planned.skipped) already sent or waiting."
            )
            for (id, reason) in planned.refusals { print("  cannot send to \(id) \(names[id] ?? ""): \(reason)") }
            let waiting = try queue.queued().count
            if waiting > planned.queued { print("\(waiting - planned.queued) more already wait in the queue.") }
            if pending > 0 { print("\(pending) pending registration(s) left out.") }
            return
        }
        let transport: any MailTransport
        let through: String
        if let relay = settings.pick(smtp, env: "ACCUEIL_SMTP", "smtp") {
            do {
                let smtp = try SMTPTransport(url: relay, caFile: settings.pick(smtpCAFile, env: nil, "smtp_ca_file"))
                (transport, through) = (smtp, smtp.description)
            } catch {
                throw CommandFailure.usage("\(error)")
            }
        } else {
            let local = SendmailTransport(
                path: settings.pick(sendmail, env: nil, "sendmail") ?? "/usr/sbin/sendmail", spool: store.directory)
            (transport, through) = (local, local.path)
        }
        let db = maker.db
        let sender = InvitationSender(
            queue: queue, transport: transport, envelopeFrom: event.from.address, workers: workers, rate: rate
        ) { mail in
            guard let record = try db.attendee(id: mail.attendee), !record.removed else {
                throw CommandFailure(message: "no longer on the roster", status: 5)
            }
            guard record.badgeVersion == mail.version else {
                throw CommandFailure(
                    message:
                        "badge version \(mail.version) was replaced by \(record.badgeVersion): the next run sends the new one",
                    status: 2)
            }
            let qr = try maker.qrText(for: record)
            let invitation = Invitation(attendee: record.attendee, badgeVersion: record.badgeVersion, qrText: qr)
            let matrix = try QRMatrix(qr)
            let pdf = try invitation.eBadge(for: event).pdfData(matrix: matrix)
            return invitation.message(
                for: event, to: mail.address, messageID: mail.messageID, qrPNG: try QRImage.pngData(matrix), pdf: pdf)
        }
        let total = try queue.queued().count
        let bar = Output.stderrIsTerminal && total > 1 ? ProgressBar(total: total, label: "Sending") : nil
        let outcome = try sender.run { progress in bar?.update(progress.done) }
        bar?.finish()
        print("Sent \(outcome.sent) invitation(s) through \(through).")
        let refusals = planned.refusals + outcome.refused.map { ($0.0.attendee, $0.1) }
        if !refusals.isEmpty {
            print("Not sent (\(refusals.count)):")
            for (id, reason) in refusals { print("  \(id) \(names[id] ?? ""): \(reason)") }
        }
        if planned.skipped > 0 { print("\(planned.skipped) already sent earlier (or waiting).") }
        if pending > 0 { print("\(pending) pending registration(s) left out.") }
        if let stopped = outcome.stopped {
            let left = try queue.queued().count
            throw CommandFailure(
                message:
                    "the mail server stopped taking mail: \(stopped). \(left) mail(s) wait in the queue: run `accueil invitations send` again.",
                status: 11)
        }
    }
}

struct InvitationsStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "What the mail queue holds: sent, waiting, refused (with why), uncertain.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Every mail as JSON.") var json = false

    func run() throws {
        let queue: MailQueue
        do { queue = try MailQueue(directory: store.directory) } catch {
            throw CommandFailure(message: "cannot open the mail queue in \(store.directory.path): \(error)", status: 2)
        }
        let mails = try queue.all()
        if json {
            struct Line: Encodable {
                var attendee: String
                var version: Int
                var copy: Int
                var address: String
                var language: String
                var state: String
                var reason: String
                var message_id: String
                var updated: String
            }
            print(
                Output.json(
                    mails.map {
                        Line(
                            attendee: $0.attendee, version: $0.version, copy: $0.copy, address: $0.address,
                            language: $0.language, state: $0.state.rawValue, reason: $0.reason,
                            message_id: $0.messageID,
                            updated: Output.iso($0.updatedAt))
                    }))
            return
        }
        let counts = try queue.counts()
        print(
            MailQueue.State.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", "))
        for mail in mails where mail.state == .refused || mail.state == .uncertain || !mail.reason.isEmpty {
            print("  \(mail.state.rawValue): \(mail.attendee) <\(mail.address)>: \(mail.reason)")
        }
    }
}
