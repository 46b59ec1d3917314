import AccueilCore
import Foundation
import KioskStore

/// Makes the document a print job prints (a badge PDF, or ZPL for a thermal printer).
public protocol BadgeDocumentSource {
    /// The bytes to send and their MIME type.
    func document(for job: PrintJob) throws -> (data: Data, format: String, options: [String: String])
}

/// What one pass over the print queue did.
public struct SpoolReport: Sendable, Equatable {
    public var submitted: [PrintJob] = []
    public var printed: [PrintJob] = []
    public var failed: [PrintJob] = []
    /// Jobs still waiting, with why, in plain words.
    public var waiting: [(job: PrintJob, why: String)] = []
    /// Printers away or refusing jobs: the jobs held for one until it is back, how many, and why.
    public var deferred: [(printer: String, jobs: Int, why: String)] = []

    /// Why this job (due in this pass) is still waiting, if it is.
    public func why(_ job: PrintJob) -> String? {
        waiting.first { $0.job.id == job.id }?.why ?? deferred.first { $0.printer == job.printer }?.why
    }

    public static func == (a: SpoolReport, b: SpoolReport) -> Bool {
        a.submitted == b.submitted && a.printed == b.printed && a.failed == b.failed
            && a.waiting.map(\.job) == b.waiting.map(\.job) && a.waiting.map(\.why) == b.waiting.map(\.why)
            && a.deferred.map(\.printer) == b.deferred.map(\.printer)
            && a.deferred.map(\.jobs) == b.deferred.map(\.jobs)
            && a.deferred.map(\.why) == b.deferred.map(\.why)
    }
}

/// Moves badges from the store's print queue to CUPS and follows them until printed.
///
/// A check-in is never undone by printing trouble: jobs wait with the reason in plain words and
/// are retried with backoff (1 s, 2 s, 4 s… up to a minute): a job CUPS refused, on its own; the
/// jobs of a printer away or refusing jobs, together, held until the printer is back (tried again
/// at the printer's next try, or as soon as a new badge for it is due). A job handed to CUPS just
/// before a crash is found again by its title, so it is never printed twice.
public struct PrintSpooler {
    public let db: KioskDatabase
    public let cups: CupsClient
    public let source: any BadgeDocumentSource

    public init(db: KioskDatabase, cups: CupsClient, source: any BadgeDocumentSource) {
        self.db = db
        self.cups = cups
        self.source = source
    }

    /// Submits what is due and updates what was submitted. Blocking: run it off the concurrency pool.
    public func runOnce(now: Date = Date()) throws(StoreError) -> SpoolReport {
        var report = SpoolReport()
        var printers: [String: Result<PrinterStatus, PrintError>] = [:]
        func status(_ name: String) -> Result<PrinterStatus, PrintError> {
            if let known = printers[name] { return known }
            let result: Result<PrinterStatus, PrintError>
            do { result = .success(try cups.printer(name)) } catch { result = .failure(error) }
            printers[name] = result
            return result
        }

        // 1. Follow jobs already handed to CUPS (the active jobs, one query per printer).
        var cupsJobs: [String: Result<[Int: CupsJob], PrintError>] = [:]
        for job in try db.printJobs(states: ["submitted"], limit: 10_000) {
            guard let cupsID = job.cupsJob else { continue }
            if cupsJobs[job.printer] == nil {
                do {
                    cupsJobs[job.printer] = .success(
                        Dictionary(
                            try cups.jobs(printer: job.printer, activeOnly: true).map { ($0.id, $0) },
                            uniquingKeysWith: { a, _ in a }))
                } catch {
                    cupsJobs[job.printer] = .failure(error)
                }
            }
            let found: CupsJob?
            do throws(PrintError) {
                // Still active: in the printer's short list. Finished: ask for that job alone.
                if let active = try cupsJobs[job.printer]!.get()[cupsID] {
                    found = active
                } else {
                    found = try cups.job(cupsID, printer: job.printer)
                }
            } catch {
                if error.message != job.lastError {
                    try db.updatePrintJob(job.id, state: "submitted", error: error.message, now: now)
                }
                report.waiting.append((job, error.message))
                continue
            }
            guard let current = found else {
                try db.updatePrintJob(
                    job.id, state: "failed", error: "\(PrinterWords.noLongerKnows.english) \(cupsID)", now: now)
                report.failed.append(job)
                continue
            }
            switch current.state {
            case "completed":
                try db.updatePrintJob(job.id, state: "printed", error: nil, now: now)
                report.printed.append(job)
            case "cancelled", "aborted":
                let why = current.state == "cancelled" ? "cancelled at the print server" : "the printer aborted it"
                try db.updatePrintJob(job.id, state: "failed", error: why, now: now)
                report.failed.append(job)
            default:
                let problems = (try? status(job.printer).get().problems) ?? []
                let why =
                    problems.isEmpty
                    ? "\(PrinterWords.printingState.english)\(current.state))" : problems.joined(separator: "; ")
                if why != job.lastError { try db.updatePrintJob(job.id, state: "submitted", error: why, now: now) }
                report.waiting.append((job, why))
            }
        }

        // 2. Hand due jobs to CUPS. The jobs that must wait (the printer away, refusing jobs, or
        // CUPS failing) are written down together at the end, in one transaction: with the printer
        // unplugged at a busy door, each check-in's job would otherwise cost a commit of its own.
        var waits: [PrintJobUpdate] = []
        defer {
            // A failure here only loses the waits' bookkeeping (an attempt, the next try's time):
            // the jobs stay pending and are tried again on the next pass.
            try? db.updatePrintJobs(waits, now: now)
        }
        // A printer away or refusing jobs: the jobs due on it are held until it is back, in one
        // statement, and the printer gets its next try; the jobs held before are not rewritten.
        // (Each job had its own next try and was rewritten at each: with the printer unplugged at
        // a busy door, that work grew with the queue.)
        func holdAll(_ name: String, _ why: String) throws(StoreError) {
            let count = try db.holdPrintJobs(printer: name, error: why, now: now)
            report.deferred.append((name, count, why))
        }
        func handOver(_ jobs: [PrintJob], to printer: PrinterStatus) throws(StoreError) {
            for job in jobs {
                func wait(_ why: String) {
                    let next = now.addingTimeInterval(PrintJob.retryWait(attempts: job.attempts + 1))
                    waits.append(
                        PrintJobUpdate(id: job.id, state: "pending", error: why, attempted: true, nextAttempt: next))
                    report.waiting.append((job, why))
                }
                do {
                    // Found again after a crash between handing it over and writing that down?
                    if job.attempts > 0,
                        let earlier = try cups.jobs(printer: job.printer).first(where: {
                            $0.title == job.title && !["cancelled", "aborted"].contains($0.state)
                        })
                    {
                        try db.updatePrintJob(job.id, state: "submitted", cupsJob: earlier.id, error: nil, now: now)
                        report.submitted.append(job)
                        continue
                    }
                    let document: (data: Data, format: String, options: [String: String])
                    do {
                        document = try source.document(for: job)
                    } catch {
                        try db.updatePrintJob(
                            job.id, state: "failed", error: "\(PrinterWords.cannotMake.english) \(error)", now: now)
                        report.failed.append(job)
                        continue
                    }
                    // Written down before handing it over, so that a crash in between is recognised.
                    try db.updatePrintJob(job.id, state: "pending", error: job.lastError, attempted: true, now: now)
                    let cupsID = try cups.submit(
                        printer: job.printer, title: job.title, document: document.data, format: document.format,
                        options: document.options)
                    let waitingWhy = printer.problems.isEmpty ? nil : printer.problems.joined(separator: "; ")
                    try db.updatePrintJob(job.id, state: "submitted", cupsJob: cupsID, error: waitingWhy, now: now)
                    var submitted = job
                    submitted.cupsJob = cupsID
                    report.submitted.append(submitted)
                } catch let error as PrintError {
                    wait(error.message)
                } catch let error as StoreError {
                    throw error
                } catch {
                    wait("\(error)")
                }
            }
        }
        // The printers with badges due, and those waited for whose next try has come.
        let candidates = Set(try db.printersWithDuePrintJobs(now: now)).union(try db.printersToTryAgain(now: now))
        for name in candidates.sorted() {
            let printer: PrinterStatus
            switch status(name) {
            case .failure(let error):
                try holdAll(name, error.message)
                continue
            case .success(let s): printer = s
            }
            guard printer.acceptingJobs else {
                try holdAll(name, printer.problems.joined(separator: "; "))
                continue
            }
            try db.releasePrintJobs(printer: name, now: now)  // back: what waited for it is due
            try handOver(try db.duePrintJobs(printer: name, now: now), to: printer)
        }
        return report
    }
}
