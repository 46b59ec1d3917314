import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import Foundation
import KioskStore
import Printing
import Synchronization

/// Options of commands that print.
public struct PrintOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(
        help: ArgumentHelp(
            "CUPS queue (default: $ACCUEIL_PRINTER, else the print server's default).", valueName: "queue"))
    public var printer: String?

    @Option(
        name: .customLong("cups-server"),
        help: ArgumentHelp("Print server (default: $CUPS_SERVER, else this machine's).", valueName: "host[:port]"))
    public var cupsServer: String?

    public var client: CupsClient {
        CupsClient(server: cupsServer ?? ProcessInfo.processInfo.environment["CUPS_SERVER"])
    }

    public func printerName() throws -> String {
        if let printer, !printer.isEmpty { return printer }
        if let env = ProcessInfo.processInfo.environment["ACCUEIL_PRINTER"], !env.isEmpty { return env }
        guard let name = client.defaultPrinter() else {
            throw CommandFailure.usage("no printer given and the print server has no default: use --printer QUEUE")
        }
        return name
    }

    public func request(_ store: StoreOptions, badges: BadgeOptions, onlyOnce: Bool) throws -> PrintRequest {
        let name = try printerName()
        let settings = try PrinterSettings.load(store)[name] ?? PrinterSettings()
        return PrintRequest(
            printer: name, format: settings.format,
            template: settings.template ?? (settings.format == "zpl" ? "label-4x3" : badges.template),
            onlyOnce: onlyOnce)
    }
}

/// The door's print request, worked out at most once every `lifetime`: the daemon asks for it on
/// every check-in that prints, and working it out reads printers.json and, without --printer or
/// $ACCUEIL_PRINTER, asks CUPS for its default queue. A change to either is seen within `lifetime`.
/// A failure (no printer, a bad printers.json) is not kept: the next check-in tries again.
public final class PrintRequestSource: Sendable {
    private let make: @Sendable () throws -> PrintRequest
    private let lifetime: Duration
    private let held = Mutex<(request: PrintRequest, at: ContinuousClock.Instant)?>(nil)

    public init(lifetime: Duration = .seconds(2), _ make: @escaping @Sendable () throws -> PrintRequest) {
        (self.make, self.lifetime) = (make, lifetime)
    }

    public func current() throws -> PrintRequest {
        let now = ContinuousClock.now
        if let held = held.withLock({ $0 }), now - held.at < lifetime { return held.request }
        let request = try make()
        held.withLock { $0 = (request, now) }
        return request
    }
}

public func spooler(_ store: StoreOptions, _ badges: BadgeOptions, _ options: PrintOptions) throws -> PrintSpooler {
    let maker = try BadgeMaker(store: store)
    return PrintSpooler(
        db: maker.db, cups: options.client,
        source: StoreBadgeSource(
            maker: maker, badgesDirectory: badges.directory, settings: try PrinterSettings.load(store)))
}

extension PrinterSettings {
    public static func load(_ store: StoreOptions) throws -> [String: PrinterSettings] {
        do { return try load(from: store.directory) } catch let error as PrinterSettings.Invalid {
            throw CommandFailure.usage(error.description)
        }
    }

    public static func save(_ all: [String: PrinterSettings], _ store: StoreOptions) throws {
        try save(all, to: store.directory)
    }
}

public func describe(_ report: SpoolReport) -> [String] {
    report.submitted.map {
        "🖨 \($0.attendeeID): sent to \($0.printer) (CUPS job \($0.cupsJob.map(String.init) ?? "?"))"
    }
        + report.printed.map { "✓ \($0.attendeeID): printed on \($0.printer)" }
        + report.failed.map { "✗ \($0.attendeeID): print failed on \($0.printer)" }
        + report.waiting.map { "… \($0.job.attendeeID): waiting on \($0.job.printer): \($0.why)" }
        + report.deferred.map { "… \($0.jobs) badge\($0.jobs == 1 ? "" : "s") waiting on \($0.printer): \($0.why)" }
}
