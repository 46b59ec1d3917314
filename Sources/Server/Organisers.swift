import CentralStorage
import Crypto
import Foundation

/// Slows down and then stops password guessing on the dashboard's sign-in, per account and per
/// client address: after `free` failures in a row, each further attempt waits a lockout that
/// doubles (5 s, 10 s, 20 s… up to 15 min), answered at once with the time left and without running
/// scrypt. A success clears the account's and the address's count. At most `concurrentChecks`
/// passwords are checked at once, so guessing in parallel cannot take the CPU from everything else.
actor SignInThrottle {
    struct Record {
        var failures = 0
        var lockedUntil = Date.distantPast
        var lastFailure = Date.distantPast
    }
    private var accounts: [String: Record] = [:]
    private var clients: [String: Record] = [:]
    private var lastThrottleLog: [String: (at: Date, quiet: Int)] = [:]
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    let freeForAccount: Int
    let freeForClient: Int
    let maxLockout: TimeInterval
    let concurrentChecks: Int

    init(freeForAccount: Int = 5, freeForClient: Int = 20, maxLockout: TimeInterval = 900, concurrentChecks: Int = 1) {
        self.freeForAccount = freeForAccount
        self.freeForClient = freeForClient
        self.maxLockout = maxLockout
        self.concurrentChecks = concurrentChecks
    }

    /// Seconds until `account` or `client` may try again; 0 when they may now.
    func wait(account: String, client: String, now: Date = Date()) -> Int {
        let until = max(accounts[account]?.lockedUntil ?? .distantPast, clients[client]?.lockedUntil ?? .distantPast)
        return until > now ? Int(until.timeIntervalSince(now).rounded(.up)) : 0
    }

    func failed(account: String, client: String, now: Date = Date()) {
        accounts[account] = Self.fail(accounts[account] ?? Record(), free: freeForAccount, cap: maxLockout, now: now)
        clients[client] = Self.fail(clients[client] ?? Record(), free: freeForClient, cap: maxLockout, now: now)
        // Unknown names too are counted: keep the table from growing without end.
        if accounts.count > 10_000 { accounts = accounts.filter { $0.value.lockedUntil > now } }
        if clients.count > 10_000 { clients = clients.filter { $0.value.lockedUntil > now } }
    }

    /// Whether a throttled attempt is logged: the first for an account and client, then one every
    /// 10 s with how many were not (an attack does not flood the journal). Returns the count left
    /// out since the last line, or nil when this one is left out too.
    func throttledLine(account: String, client: String, now: Date = Date()) -> Int? {
        let key = account + "\u{0}" + client
        if let last = lastThrottleLog[key], now.timeIntervalSince(last.at) < 10 {
            lastThrottleLog[key] = (last.at, last.quiet + 1)
            return nil
        }
        let quiet = lastThrottleLog[key]?.quiet ?? 0
        lastThrottleLog[key] = (now, 0)
        if lastThrottleLog.count > 10_000 {
            lastThrottleLog = lastThrottleLog.filter { now.timeIntervalSince($0.value.at) < 10 }
        }
        return quiet
    }

    func succeeded(account: String, client: String) {
        accounts[account] = nil
        clients[client] = nil
    }

    static func fail(_ record: Record, free: Int, cap: TimeInterval, now: Date) -> Record {
        var record = record
        // A quiet hour forgives.
        if now.timeIntervalSince(record.lastFailure) > 3600 { record.failures = 0 }
        record.failures += 1
        record.lastFailure = now
        if record.failures >= free {
            let lockout = min(cap, 5 * pow(2, Double(record.failures - free)))
            record.lockedUntil = now.addingTimeInterval(lockout)
        }
        return record
    }

    /// Waits until fewer than `concurrentChecks` password checks run; `release()` after the check.
    func acquire() async {
        if running >= concurrentChecks {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
    }

    func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }

    /// Whether `password` is `account`'s, checked off the concurrency pool: scrypt takes tens of
    /// milliseconds of CPU and 16 MiB, and run on the pool (two threads on a two-core server) it
    /// would hold up the kiosks' pushes and the dashboards' answers meanwhile. How many run at once
    /// is `acquire()`'s to say.
    static func check(_ password: String, against account: OrganiserAccount) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: account.accepts(password))
            }
        }
    }
}

extension OrganiserAccount {
    /// An account no one has, checked instead of a missing one so that an unknown name takes as
    /// long to refuse as a wrong password.
    static let decoy: OrganiserAccount = {
        let salt = Array(repeating: UInt8(0x5A), count: 16)
        return OrganiserAccount(
            name: "", salt: salt, hash: (try? derive("decoy password", salt: salt)) ?? [], canSeeNames: false)
    }()
}
