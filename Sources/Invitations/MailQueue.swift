import Foundation
import GRDB
import StoreSupport

/// The durable queue of invitation e-mails (`invitations.sqlite` in the data directory): one row per
/// mail, as a print job is one row. A mail goes queued → sending → sent, or refused (with the
/// reason). `sending` is written and committed before the mail is handed to the mail server, and
/// `sent` right after: a run killed between the two leaves it `uncertain`, and such a mail is never
/// sent again on its own (nobody gets two copies); `send --resend --id` sends it when the mail
/// server's log shows it did not leave.
public final class MailQueue: Sendable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued, sending, sent, refused, uncertain
    }

    public struct Mail: Sendable, Equatable, FetchableRecord {
        public var id: Int64
        public var attendee: String
        public var version: Int
        public var copy: Int
        public var address: String
        public var language: String
        public var state: State
        public var reason: String
        public var messageID: String
        public var updatedAt: Date
    }

    public static let fileName = "invitations.sqlite"
    let db: DatabasePool

    public init(directory: URL) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE mail (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        attendee TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        copy INTEGER NOT NULL,
                        address TEXT NOT NULL,
                        language TEXT NOT NULL,
                        state TEXT NOT NULL,
                        reason TEXT NOT NULL DEFAULT '',
                        message_id TEXT NOT NULL,
                        updated_at DOUBLE NOT NULL,
                        UNIQUE (attendee, version, copy)
                    );
                    CREATE INDEX mail_state ON mail (state, id);
                    """)
        }
        db = try SQLiteFile.open(path: directory.appendingPathComponent(Self.fileName).path, migrator: migrator)
    }

    /// What a run found left by the one before: mails caught between `sending` and `sent`.
    @discardableResult
    public func settleInterrupted(now: Date = Date()) throws -> [Mail] {
        try db.write { db in
            let caught = try Mail.fetchAll(db, sql: "SELECT * FROM mail WHERE state = 'sending' ORDER BY id")
            try db.execute(
                sql: """
                    UPDATE mail SET state = 'uncertain', updated_at = ?,
                    reason = 'the run stopped while handing it to the mail server: it may have left'
                    WHERE state = 'sending'
                    """, arguments: [now.timeIntervalSince1970])
            return caught
        }
    }

    /// The wanted mail for each attendee: `(attendee, badge version, address or nil with why not,
    /// language)`. An attendee whose current badge has a mail queued, sent or uncertain gets
    /// nothing new; a refused one is queued again when the address changed; a reissued badge
    /// (higher version) gets a new mail. With `resend`, a new copy is queued whatever was sent.
    /// With `dryRun`, says what it would do and changes nothing.
    public func plan(
        _ wanted: [(attendee: String, version: Int, address: String, problem: String?, language: String)],
        resend: Bool = false, domain: String, dryRun: Bool = false, now: Date = Date()
    ) throws -> Plan {
        var plan = Plan()
        try db.writeWithoutTransaction { db in
            try db.inTransaction {
                plan = try self.plan(db, wanted, resend: resend, domain: domain, now: now)
                return dryRun ? .rollback : .commit
            }
        }
        return plan
    }

    public struct Plan: Sendable {
        public var queued = 0
        public var skipped = 0
        /// Newly queued mails by language.
        public var languages: [String: Int] = [:]
        /// Attendees whose address cannot be mailed: (id, why).
        public var refusals: [(String, String)] = []
    }

    private func plan(
        _ db: Database,
        _ wanted: [(attendee: String, version: Int, address: String, problem: String?, language: String)],
        resend: Bool, domain: String, now: Date
    ) throws -> Plan {
        var result = Plan()
        let time = now.timeIntervalSince1970
        for want in wanted {
            let latest = try Mail.fetchOne(
                db, sql: "SELECT * FROM mail WHERE attendee = ? AND version = ? ORDER BY copy DESC LIMIT 1",
                arguments: [want.attendee, want.version])
            let state: State = want.problem == nil ? .queued : .refused
            // A copy already waiting is the copy: --resend adds none.
            let waiting = latest?.state == .queued
            if let latest, !resend || waiting {
                let readdressed = latest.state == .refused && latest.address != want.address
                let requeue = readdressed || (latest.state == .queued && latest.address != want.address)
                guard requeue else {
                    // Still refused for the same address: said again, not counted as sent.
                    if latest.state == .refused {
                        result.refusals.append((want.attendee, latest.reason))
                    } else {
                        result.skipped += 1
                    }
                    continue
                }
                try db.execute(
                    sql:
                        "UPDATE mail SET address = ?, language = ?, state = ?, reason = ?, updated_at = ? WHERE id = ?",
                    arguments: [
                        want.address, want.language, state.rawValue, want.problem ?? "", time, latest.id,
                    ])
            } else {
                let copy = (latest?.copy ?? 0) + 1
                let stem = want.attendee.unicodeScalars.map {
                    $0.isASCII && CharacterSet.alphanumerics.contains($0) ? String($0) : "_"
                }.joined()
                let messageID =
                    "invitation.\(stem).v\(want.version).\(copy).\(String(UInt64(time * 1000), radix: 36))@\(domain)"
                try db.execute(
                    sql: """
                        INSERT INTO mail (attendee, version, copy, address, language, state, reason, message_id, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        want.attendee, want.version, copy, want.address, want.language, state.rawValue,
                        want.problem ?? "", messageID, time,
                    ])
            }
            if let problem = want.problem {
                result.refusals.append((want.attendee, problem))
            } else {
                result.queued += 1
                result.languages[want.language, default: 0] += 1
            }
        }
        return result
    }

    /// The queued mails, oldest first, at most `limit`.
    public func queued(limit: Int = 1_000_000) throws -> [Mail] {
        try db.read { db in
            try Mail.fetchAll(
                db, sql: "SELECT * FROM mail WHERE state = 'queued' ORDER BY id LIMIT ?", arguments: [limit])
        }
    }

    /// Marks `id` as being handed to the mail server (committed before it is).
    public func markSending(_ id: Int64, now: Date = Date()) throws {
        try set(id, .sending, reason: "", now: now)
    }

    public func set(_ id: Int64, _ state: State, reason: String, now: Date = Date()) throws {
        try db.write { db in
            try db.execute(
                sql: "UPDATE mail SET state = ?, reason = ?, updated_at = ? WHERE id = ?",
                arguments: [state.rawValue, reason, now.timeIntervalSince1970, id])
        }
    }

    /// Back to the queue after a temporary failure, saying why.
    public func requeue(_ id: Int64, reason: String, now: Date = Date()) throws {
        try set(id, .queued, reason: reason, now: now)
    }

    public func all() throws -> [Mail] {
        try db.read { db in try Mail.fetchAll(db, sql: "SELECT * FROM mail ORDER BY id") }
    }

    public func counts() throws -> [State: Int] {
        try db.read { db in
            var counts: [State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM mail GROUP BY state") {
                if let state = State(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}

extension MailQueue.Mail {
    public init(row: Row) throws {
        id = row["id"]
        attendee = row["attendee"]
        version = row["version"]
        copy = row["copy"]
        address = row["address"]
        language = row["language"]
        state = MailQueue.State(rawValue: row["state"]) ?? .queued
        reason = row["reason"]
        messageID = row["message_id"]
        updatedAt = Date(timeIntervalSince1970: row["updated_at"])
    }
}
