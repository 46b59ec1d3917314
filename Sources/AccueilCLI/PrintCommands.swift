import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import CommandSupport
import Foundation
import KioskStore
import Printing
import Synchronization

struct PrintersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "printers",
        abstract: "List the print server's printers with their state, or set a printer's format.",
        subcommands: [PrintersListCommand.self, PrintersSetCommand.self], defaultSubcommand: PrintersListCommand.self)
}

struct PrintersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List printers and their state (default).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: PrintOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let printers: [PrinterStatus]
        do { printers = try options.client.printers() } catch {
            throw CommandFailure(message: error.message, status: 9)
        }
        let settings = try PrinterSettings.load(store)
        if json {
            print(Output.json(printers))
            return
        }
        if printers.isEmpty { print("The print server has no printers.") }
        for p in printers {
            let format = settings[p.name]?.format ?? "pdf"
            let state = p.problems.isEmpty ? "ready" : p.problems.joined(separator: "; ")
            print(
                "\(p.isDefault ? "*" : " ") \(p.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(p.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(format)  \(state)"
            )
        }
    }
}

struct PrintersSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Say what a printer takes: pdf (default) or zpl (Zebra, raw queue).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "CUPS queue name.") var printer: String
    @Option(help: "pdf or zpl.") var format = "pdf"
    @Option(help: "Template it prints (default: a6 for pdf, label-4x3 for zpl).") var template: String?
    @Option(help: "Printer resolution, for zpl (203 or 300).") var dpi: Double?
    @Option(
        name: .customLong("cups-server"),
        help: ArgumentHelp("Print server (default: $CUPS_SERVER, else this machine's).", valueName: "host[:port]"))
    var cupsServer: String?
    @Flag(help: "Keep the setting even if the print server has no such queue (yet).") var force = false

    func run() throws {
        guard ["pdf", "zpl"].contains(format) else { throw CommandFailure.usage("--format must be pdf or zpl") }
        // A queue the print server does not have is a typo until said otherwise.
        if !force {
            let client = CupsClient(server: cupsServer ?? ProcessInfo.processInfo.environment["CUPS_SERVER"])
            do { _ = try client.printer(printer) } catch {
                throw CommandFailure(
                    message: "\(error.message) (accueil printers lists them; --force keeps the setting anyway)",
                    status: 9)
            }
        }
        var all = try PrinterSettings.load(store)
        all[printer] = PrinterSettings(format: format, template: template, dpi: dpi)
        try PrinterSettings.save(all, store)
        print("\(printer): \(format)\(template.map { ", template \($0)" } ?? "")")
    }
}

struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "The print queue: jobs, retry, reroute, cancel, reprint, test page, and the spooler.",
        discussion: """
            A badge to print is a job in the kiosk store (pending → submitted → printed, or failed), \
            written with its check-in, so that it survives a crash or a reboot. Printer trouble never \
            undoes a check-in: jobs wait, with the reason in plain words, and are retried. \
            `accueil print run` keeps the queue moving (the kiosk daemon will do it by itself).
            """,
        subcommands: [
            PrintJobsCommand.self, PrintRunCommand.self, PrintRetryCommand.self, PrintRerouteCommand.self,
            PrintCancelCommand.self, PrintReprintCommand.self, PrintTestCommand.self,
        ]
    )
}

struct PrintJobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List the print queue, newest first.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only jobs in these states (pending, submitted, printed, failed, cancelled).") var state: [String] =
        []
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let db = try store.open()
        let jobs = try db.printJobs(states: state.isEmpty ? nil : state)
        if json {
            print(Output.json(jobs))
            return
        }
        if jobs.isEmpty { print("The print queue is empty.") }
        for job in jobs {
            let reprints = (try? db.attendee(id: job.attendeeID))??.reprints ?? 0
            print(
                "\(job.id.uuidString.prefix(8))  \(job.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(job.attendeeID)  \(job.printer)  \(job.format)\(job.reason.map { "  reprint: \($0)" } ?? "")\(reprints > 0 ? " (\(reprints) reprints)" : "")\(job.lastError.map { "  — \($0)" } ?? "")"
            )
        }
    }
}

struct PrintRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Keep the print queue moving: submit, follow, retry.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var options: PrintOptions
    @Flag(name: .customLong("until-idle"), help: "Stop when no job is waiting or printing.") var untilIdle = false
    @Option(help: "Give up after this many seconds (0: never).") var timeout: Double = 0
    @Option(help: "Seconds between passes.") var interval: Double = 0.5

    func run() throws {
        let spool = try spooler(store, badges, options)
        let start = Date()
        while true {
            for line in describe(try spool.runOnce()) where !line.hasPrefix("…") { Output.line(line) }
            let open = try spool.db.printJobs(states: ["pending", "submitted"]).count
            if untilIdle && open == 0 { return }
            if timeout > 0 && Date().timeIntervalSince(start) > timeout {
                throw CommandFailure(message: "\(open) jobs still waiting after \(Int(timeout)) s", status: 9)
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}

struct PrintRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Resubmit waiting and failed jobs now.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var options: PrintOptions

    func run() throws {
        let spool = try spooler(store, badges, options)
        let count = try spool.db.retryPrintJobs()
        print("\(count) jobs due now.")
        for line in describe(try spool.runOnce()) { print(line) }
    }
}

struct PrintRerouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reroute", abstract: "Send the jobs not yet printed on one printer to another.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var options: PrintOptions
    @Argument(help: "From this queue.") var from: String
    @Argument(help: "To this queue.") var to: String

    func run() throws {
        let spool = try spooler(store, badges, options)
        let (moved, withdrawn) = try spool.db.reroutePrintJobs(from: from, to: to)
        for job in withdrawn {
            if let id = job.cupsJob { try? spool.cups.cancel(id, printer: from) }
        }
        print(
            "\(moved) jobs moved from \(from) to \(to)\(withdrawn.isEmpty ? "" : " (\(withdrawn.count) withdrawn from \(from))")."
        )
        for line in describe(try spool.runOnce()) { print(line) }
    }
}

struct PrintCancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a print job (its id or the first characters of it).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: PrintOptions
    @Argument(help: "Job id.") var job: String

    func run() throws {
        let db = try store.open()
        let matches = try db.printJobs(limit: 100_000).filter {
            $0.id.uuidString.lowercased().hasPrefix(job.lowercased())
        }
        guard matches.count == 1, let found = matches.first else {
            throw CommandFailure.usage(
                matches.isEmpty ? "no print job \(job)" : "\(job) matches several jobs: give more characters")
        }
        if found.state == "submitted", let id = found.cupsJob { try? options.client.cancel(id, printer: found.printer) }
        try db.updatePrintJob(found.id, state: "cancelled", error: "cancelled by staff")
        print("Job \(found.id.uuidString.prefix(8)) for \(found.attendeeID) cancelled.")
    }
}

struct PrintReprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprint",
        abstract: "Print an attendee's badge again, for a reason; \"lost\" also reissues it (the old QR is refused).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var options: PrintOptions
    @Argument(help: "Attendee id.") var id: String
    @Option(help: "lost, damaged, misprint…") var reason: String

    func run() throws {
        let spool = try spooler(store, badges, options)
        let job = try spool.db.reprint(
            id, reason: reason, request: options.request(store, badges: badges, onlyOnce: false), kiosk: store.kioskName
        )
        let record = try spool.db.attendee(id: id)
        print(
            "Reprint of \(id) queued (\(reason); \(record?.reprints ?? 0) reprints for this attendee; badge version \(record?.badgeVersion ?? 1))."
        )
        for line in describe(try spool.runOnce()) where line.contains(job.attendeeID) { print(line) }
    }
}

struct PrintTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Print a test badge (a fictional attendee) and wait for it.")
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var options: PrintOptions
    @Option(help: "Seconds to wait for the printer.") var timeout: Double = 30

    func run() throws {
        let client = options.client
        let name = try options.printerName()
        let template = try BadgeTemplate.load(named: badges.template, from: badges.directory)
        let renderer = try BadgeRenderer(template: template, badgesDirectory: badges.directory)
        let ring = try Keyring.create(event: "TEST", eventName: "Accueil — test badge / badge de test")
        let signing = try ring.signingKey()
        let person = Attendee(
            id: "TEST-1", firstName: "Test", lastName: "Badge", nativeName: "اختبار · 测试 · Тест",
            organisation: "Accueil", title: "Test page", country: "FR", role: .staff)
        let content = BadgeContent(
            attendee: person, eventName: ring.eventName,
            qrText: try BadgePayload(event: "TEST", attendeeID: person.id, version: 1, role: .staff, keyID: signing.id)
                .signed(with: signing.key))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-test-\(getpid()).pdf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try renderer.pdf(content, to: path)
        do {
            let status = try client.printer(name)
            if !status.problems.isEmpty { print("\(name): \(status.problems.joined(separator: "; "))") }
            let id = try client.submit(
                printer: name, title: "accueil-test", document: try Data(contentsOf: URL(fileURLWithPath: path)),
                format: "application/pdf",
                options: ["media": "Custom.\(Int(template.width))x\(Int(template.height))mm", "print-scaling": "none"])
            print("Test badge sent to \(name) (CUPS job \(id)).")
            let start = Date()
            while Date().timeIntervalSince(start) < timeout {
                if let job = try client.job(id, printer: name), job.isFinished {
                    guard job.state == "completed" else {
                        throw CommandFailure(message: "test badge \(job.state)", status: 9)
                    }
                    print("Printed.")
                    return
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            throw CommandFailure(
                message:
                    "not printed after \(Int(timeout)) s: \((try? client.printer(name).problems.joined(separator: "; ")) ?? "")",
                status: 9)
        } catch let error as PrintError {
            throw CommandFailure(message: error.message, status: 9)
        }
    }
}
