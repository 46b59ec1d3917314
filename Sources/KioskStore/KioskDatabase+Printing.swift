import AccueilCore
import Foundation
import GRDB

/// One print job moved to `state` (`updatePrintJobs`).
public struct PrintJobUpdate: Sendable, Equatable {
    public var id: UUID
    public var state: String
    public var cupsJob: Int?
    public var error: String?
    public var attempted: Bool
    public var nextAttempt: Date?

    public init(
        id: UUID, state: String, cupsJob: Int? = nil, error: String? = nil, attempted: Bool = false,
        nextAttempt: Date? = nil
    ) {
        (self.id, self.state, self.cupsJob, self.error, self.attempted, self.nextAttempt) = (
            id, state, cupsJob, error, attempted, nextAttempt
        )
    }
}

/// Where and how to print a badge.
public struct PrintRequest: Sendable, Equatable {
    public var printer: String
    /// "pdf" (any CUPS printer) or "zpl" (Zebra thermal printers on a raw queue).
    public var format: String
    public var template: String
    /// Print a badge only once unless a reprint (with a reason) is asked for.
    public var onlyOnce: Bool

    public init(printer: String, format: String = "pdf", template: String = "a6", onlyOnce: Bool = true) {
        self.printer = printer
        self.format = format
        self.template = template
        self.onlyOnce = onlyOnce
    }
}

/// What happened to a print request.
public enum PrintQueueing: Sendable, Equatable {
    case notAsked
    case queued(PrintJob)
    /// Not queued: the badge was printed (or is printing) already and the policy prints once.
    case alreadyPrinted(PrintJob)
}

extension PrintJob {
    /// How long a job waits before its next try once it has been tried `attempts` times: 1 s, 2 s,
    /// 4 s… up to a minute.
    public static func retryWait(attempts: Int) -> TimeInterval { min(60, pow(2, Double(max(0, attempts - 1)))) }

    /// ``retryWait(attempts:)`` in SQL, in milliseconds, for a row about to be tried once more:
    /// `tries` names its column counting the tries before this one.
    static func retryWaitSQL(tries: String) -> String { "MIN(60000, 1000 << MIN(MAX(\(tries), 0), 6))" }

    /// The `next_attempt_at` of a job held until its printer is back (``KioskDatabase/holdPrintJobs``).
    static let waitingForPrinter = Int64.max
}

/// A badge in the print queue. It survives crashes and reboots: pending → submitted → printed, or
/// failed (visible, retried on demand), or cancelled.
public struct PrintJob: Sendable, Equatable, Codable {
    public var id: UUID
    public var attendeeID: String
    public var badgeVersion: Int
    public var printer: String
    public var format: String
    public var template: String
    public var reason: String?
    public var state: String
    public var cupsJob: Int?
    public var attempts: Int
    public var lastError: String?
    public var kiosk: String
    public var createdAt: Date
    public var updatedAt: Date
    public var nextAttemptAt: Date

    /// The CUPS job title, by which a job submitted just before a crash is found again.
    public var title: String { "accueil-\(id.text)" }

    enum CodingKeys: String, CodingKey {
        case id, printer, format, template, reason, state, attempts, kiosk
        case attendeeID = "attendee_id"
        case badgeVersion = "badge_version"
        case cupsJob = "cups_job"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case nextAttemptAt = "next_attempt_at"
    }

    static let columns =
        "id, attendee_id, badge_version, printer, format, template, reason, state, cups_job, attempts, last_error, kiosk, created_at, updated_at, next_attempt_at"

    init(
        id: UUID, attendeeID: String, badgeVersion: Int, printer: String, format: String, template: String,
        reason: String?, state: String, cupsJob: Int?, attempts: Int, lastError: String?, kiosk: String,
        createdAt: Date, updatedAt: Date, nextAttemptAt: Date
    ) {
        (self.id, self.attendeeID, self.badgeVersion, self.printer, self.format, self.template) = (
            id, attendeeID, badgeVersion, printer, format, template
        )
        (self.reason, self.state, self.cupsJob, self.attempts, self.lastError, self.kiosk) = (
            reason, state, cupsJob, attempts, lastError, kiosk
        )
        (self.createdAt, self.updatedAt, self.nextAttemptAt) = (createdAt, updatedAt, nextAttemptAt)
    }

    init(row: Row) {
        id = UUID(text: row[0] as String) ?? UUID()
        attendeeID = row[1]
        badgeVersion = row[2]
        printer = row[3]
        format = row[4]
        template = row[5]
        reason = row[6]
        state = row[7]
        cupsJob = row[8]
        attempts = row[9]
        lastError = row[10]
        kiosk = row[11]
        createdAt = Date(timeIntervalSince1970: Double(row[12] as Int64) / 1000)
        updatedAt = Date(timeIntervalSince1970: Double(row[13] as Int64) / 1000)
        let next: Int64 = row[14]
        // Held until its printer is back: no time of its own.
        nextAttemptAt =
            next == Self.waitingForPrinter ? .distantFuture : Date(timeIntervalSince1970: Double(next) / 1000)
    }
}

extension KioskDatabase {
    /// Queues the attendee's badge (one print job and its event) and counts the print on their row.
    /// `badgeVersion`, when the caller has just read the row, saves reading it again. With
    /// `countOnRow` false (a first print, `reason` nil), the caller counts the print on the row
    /// itself, in an update it makes anyway. `printsOnRow`, the prints the caller has just read on
    /// the row: none means that no badge of theirs was ever queued here (each job is queued with
    /// its `badgePrintRequested` event, which the row counts), so a once-only request need not
    /// look for one in the queue.
    static func enqueue(
        _ db: Database, attendeeID: String, request: PrintRequest, reason: String?, kiosk: String, now: Date,
        badgeVersion: Int? = nil, countOnRow: Bool = true, printsOnRow: Int? = nil
    ) throws -> PrintQueueing {
        if request.onlyOnce && reason == nil && printsOnRow != 0,
            let existing = try firstRow(
                db.cachedStatement(
                    sql: """
                        SELECT \(PrintJob.columns) FROM print_jobs WHERE attendee_id = ? AND state IN ('pending', 'submitted', 'printed')
                        ORDER BY created_at DESC LIMIT 1
                        """), arguments: [attendeeID], PrintJob.init(row:))
        {
            return .alreadyPrinted(existing)
        }
        let version =
            try badgeVersion
            ?? Int.fetchOne(
                db.cachedStatement(sql: "SELECT badge_version FROM attendees WHERE id = ?"), arguments: [attendeeID])
            ?? 1
        let id = UUID.timeOrdered()
        let ms = milliseconds(now)
        try db.cachedStatement(
            sql: """
                INSERT INTO print_jobs (id, attendee_id, badge_version, printer, format, template, reason, state, attempts,
                    kiosk, created_at, updated_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                id.text, attendeeID, version, request.printer, request.format, request.template, reason, kiosk,
                ms, ms, ms,
            ])
        try append(
            db,
            Event(attendeeID: attendeeID, at: now, kiosk: kiosk, body: .badgePrintRequested(job: id, reason: reason)))
        // What folding the new `badgePrintRequested` event changes: one more print, and reprint.
        if countOnRow {
            try db.cachedStatement(
                sql: "UPDATE attendees SET prints = prints + 1, reprints = reprints + ? WHERE id = ?"
            )
            .execute(arguments: [reason == nil ? 0 : 1, attendeeID])
        }
        let at = Date(timeIntervalSince1970: Double(ms) / 1000)
        return .queued(
            PrintJob(
                id: id, attendeeID: attendeeID, badgeVersion: version, printer: request.printer,
                format: request.format, template: request.template, reason: reason, state: "pending", cupsJob: nil,
                attempts: 0, lastError: nil, kiosk: kiosk, createdAt: at, updatedAt: at, nextAttemptAt: at))
    }

    /// Queues a badge again, for a reason (lost, damaged, misprint…). A lost badge is reissued first
    /// (new QR version, the old one refused), in the same transaction.
    public func reprint(
        _ attendeeID: String, reason: String, request: PrintRequest, kiosk: String, at now: Date = Date()
    )
        throws(StoreError) -> PrintJob
    {
        let reason = reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw StoreError("a reprint needs a reason (lost, damaged, misprint…)") }
        return try write { db in
            _ = try Self.onRoster(db, attendeeID)
            if reason.lowercased() == "lost" || reason.lowercased() == "perdu" {
                try Self.append(
                    db, Event(attendeeID: attendeeID, at: now, kiosk: kiosk, body: .badgeReissued(reason: reason)))
                try Self.refresh(db, attendeeID: attendeeID)
            }
            guard
                case .queued(let job) = try Self.enqueue(
                    db, attendeeID: attendeeID, request: request, reason: reason, kiosk: kiosk, now: now)
            else { throw StoreError("the reprint was not queued") }
            return job
        }
    }

    /// The queue, newest first.
    public func printJobs(states: [String]? = nil, limit: Int = 200) throws(StoreError) -> [PrintJob] {
        try read { db in
            let filter = states.map { "WHERE state IN (\($0.map { "'\($0)'" }.joined(separator: ",")))" } ?? ""
            return try Row.fetchAll(
                db, sql: "SELECT \(PrintJob.columns) FROM print_jobs \(filter) ORDER BY created_at DESC LIMIT ?",
                arguments: [limit]
            ).map(PrintJob.init(row:))
        }
    }

    /// The print queue at a glance, for status screens and the server: jobs by state, the latest
    /// job, and the error of the newest job still waiting or failed (the printer's trouble).
    public func printSummary() throws(StoreError) -> PrintSummary {
        try read { db in
            // Counters and an index's first entries (migration v7), whatever the queue's length:
            // the newest job of each state there is, and of those the newest.
            let counts = try Self.printJobCounts(db)
            let newest = "SELECT \(PrintJob.columns) FROM print_jobs WHERE state = ? ORDER BY created_at DESC LIMIT 1"
            let newestByState = try counts.keys.sorted().compactMap { state in
                try Row.fetchOne(db.cachedStatement(sql: newest), arguments: [state]).map(PrintJob.init(row:))
            }
            func latest(_ jobs: [PrintJob]) -> PrintJob? {
                jobs.max { ($0.createdAt, $0.id.text) < ($1.createdAt, $1.id.text) }
            }
            return PrintSummary(
                counts: counts, last: latest(newestByState),
                trouble: latest(newestByState.filter { ["pending", "failed"].contains($0.state) })?.lastError)
        }
    }

    /// How many print jobs are in each state (pending, submitted, printed, failed, cancelled).
    public func printJobCounts() throws(StoreError) -> [String: Int] {
        try read { db in try Self.printJobCounts(db) }
    }

    /// The counts the print queue's triggers keep (migration v7).
    static func printJobCounts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, n FROM print_job_counts WHERE n > 0")) {
            counts[row[0]] = row[1]
        }
        return counts
    }

    public func printJob(_ id: UUID) throws(StoreError) -> PrintJob? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(PrintJob.columns) FROM print_jobs WHERE id = ?", arguments: [id.text]
            )
            .map(PrintJob.init(row:))
        }
    }

    /// Pending jobs whose next attempt is due, oldest first; only `printer`'s when given.
    public func duePrintJobs(printer: String? = nil, now: Date = Date()) throws(StoreError) -> [PrintJob] {
        var arguments: StatementArguments = [Self.milliseconds(now)]
        if let printer { arguments += [printer] }
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(PrintJob.columns) FROM print_jobs WHERE state = 'pending' AND next_attempt_at <= ?
                    \(printer == nil ? "" : "AND printer = ?") ORDER BY created_at
                    """,
                arguments: arguments
            ).map(PrintJob.init(row:))
        }
    }

    /// The printers with pending jobs due now.
    public func printersWithDuePrintJobs(now: Date = Date()) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT DISTINCT printer FROM print_jobs WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY printer",
                arguments: [Self.milliseconds(now)])
        }
    }

    /// The printer is away, refusing jobs, or CUPS fails: the jobs due on it (new ones, or all of
    /// them the first time) are held until it is back, in one statement: their attempt counted,
    /// `error` as their last error. They are not rewritten again while it stays away: the printer
    /// has one next try (1 s, 2 s, 4 s… up to a minute, ``PrintJob/retryWait(attempts:)`` counted
    /// in the printer's failures), found by ``printersToTryAgain(now:)``. (Each job used to get
    /// its own next try, and be rewritten at each: with a printer away at a busy door, the writes
    /// grew with the queue, 2,464 rows a second at 62,891 badges waiting.) Returns how many jobs
    /// wait for the printer now.
    @discardableResult
    public func holdPrintJobs(printer: String, error: String, now: Date = Date()) throws(StoreError) -> Int {
        let at = Self.milliseconds(now)
        return try write { db in
            try db.execute(
                sql: """
                    UPDATE print_jobs SET last_error = ?, attempts = attempts + 1, updated_at = ?, next_attempt_at = ?
                    WHERE state = 'pending' AND printer = ? AND next_attempt_at <= ?
                    """, arguments: [error, at, PrintJob.waitingForPrinter, printer, at])
            let held = db.changesCount
            try db.execute(
                sql: """
                    INSERT INTO printer_waits (printer, failures, next_try_at, error, waiting) VALUES (?, 1, ?, ?, ?)
                    ON CONFLICT (printer) DO UPDATE SET failures = failures + 1,
                        next_try_at = ? + \(PrintJob.retryWaitSQL(tries: "failures")), error = excluded.error,
                        waiting = waiting + excluded.waiting
                    """, arguments: [printer, at + Int64(PrintJob.retryWait(attempts: 1) * 1000), error, held, at])
            return try Int.fetchOne(
                db, sql: "SELECT waiting FROM printer_waits WHERE printer = ?", arguments: [printer])
                ?? held
        }
    }

    /// Printers waited for (``holdPrintJobs(printer:error:now:)``) whose next try is due.
    public func printersToTryAgain(now: Date = Date()) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT printer FROM printer_waits WHERE next_try_at <= ? ORDER BY printer",
                arguments: [Self.milliseconds(now)])
        }
    }

    /// The printer is back: the jobs held for it are due now. Returns how many.
    @discardableResult
    public func releasePrintJobs(printer: String, now: Date = Date()) throws(StoreError) -> Int {
        // The spooler asks at every pass for every printer that answers: a read, not a write
        // transaction beside the door's check-ins, when the printer was not waited for.
        func waited(_ db: Database) throws -> Bool {
            try Bool.fetchOne(db, sql: "SELECT 1 FROM printer_waits WHERE printer = ?", arguments: [printer]) == true
        }
        guard try read(waited) else { return 0 }
        return try write { db in
            guard try waited(db) else { return 0 }
            try db.execute(
                sql: """
                    UPDATE print_jobs SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at = ? AND printer = ?
                    """, arguments: [Self.milliseconds(now), PrintJob.waitingForPrinter, printer])
            let released = db.changesCount
            try db.execute(sql: "DELETE FROM printer_waits WHERE printer = ?", arguments: [printer])
            return released
        }
    }

    /// Moves a job to `state`, with what happened.
    public func updatePrintJob(
        _ id: UUID, state: String, cupsJob: Int? = nil, error: String? = nil, attempted: Bool = false,
        nextAttempt: Date? = nil, now: Date = Date()
    ) throws(StoreError) {
        try updatePrintJobs(
            [
                PrintJobUpdate(
                    id: id, state: state, cupsJob: cupsJob, error: error, attempted: attempted,
                    nextAttempt: nextAttempt)
            ], now: now)
    }

    /// Several jobs moved in one transaction (one fsync): the spooler's "still waiting" for every
    /// job due while the printer is away, which would otherwise each be a commit of its own beside
    /// the door's check-ins.
    public func updatePrintJobs(_ updates: [PrintJobUpdate], now: Date = Date()) throws(StoreError) {
        guard !updates.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE print_jobs SET state = ?, cups_job = COALESCE(?, cups_job), last_error = ?,
                        attempts = attempts + ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?
                    WHERE id = ?
                    """)
            for update in updates {
                try statement.execute(arguments: [
                    update.state, update.cupsJob, update.error, update.attempted ? 1 : 0,
                    update.nextAttempt.map { Self.milliseconds($0) }, Self.milliseconds(now), update.id.text,
                ])
            }
        }
    }

    /// Makes waiting and failed jobs due now (`print retry`). Returns how many.
    @discardableResult
    public func retryPrintJobs(now: Date = Date()) throws(StoreError) -> Int {
        try write { db in
            try db.execute(
                sql:
                    "UPDATE print_jobs SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state IN ('pending', 'failed')",
                arguments: [Self.milliseconds(now), Self.milliseconds(now)])
            let count = db.changesCount
            try db.execute(sql: "DELETE FROM printer_waits")  // every printer tried again at once
            return count
        }
    }

    /// Sends the jobs not yet printed from printer `from` to printer `to`. Returns the jobs moved
    /// that had already been handed to `from` (the caller cancels them there).
    public func reroutePrintJobs(from: String, to: String, now: Date = Date()) throws(StoreError) -> (
        moved: Int, withdrawn: [PrintJob]
    ) {
        try write { db in
            let submitted = try Row.fetchAll(
                db, sql: "SELECT \(PrintJob.columns) FROM print_jobs WHERE printer = ? AND state = 'submitted'",
                arguments: [from]
            ).map(PrintJob.init(row:))
            try db.execute(
                sql: """
                    UPDATE print_jobs SET printer = ?, state = 'pending', cups_job = NULL, next_attempt_at = ?, updated_at = ?,
                        last_error = NULL
                    WHERE printer = ? AND state IN ('pending', 'failed', 'submitted')
                    """, arguments: [to, Self.milliseconds(now), Self.milliseconds(now), from])
            let moved = db.changesCount
            try db.execute(sql: "DELETE FROM printer_waits WHERE printer = ?", arguments: [from])  // none left for it
            return (moved, submitted)
        }
    }
}

/// `KioskDatabase.printSummary()`.
public struct PrintSummary: Sendable, Equatable {
    public var counts: [String: Int]
    public var last: PrintJob?
    public var trouble: String?
}
