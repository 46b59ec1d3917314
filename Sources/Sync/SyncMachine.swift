import Foundation

/// The kiosk's sync loop as a pure state machine: it says what to do next, the caller does it and
/// reports back. Uploads and downloads are independent: an upload error never stops downloading
/// others' changes, and the other way round. Failures back off (1 s doubling to 30 s); a check-in
/// never waits for any of it.
///
/// ```swift
/// var machine = SyncMachine(now: clock.now)
/// while true {
///     switch machine.next(now: clock.now, outboxDepth: store.outboxCount()) {
///     case .push: …; machine.pushSucceeded(now:) or machine.pushFailed(now:error:)
///     case .pull(let cursor): …; machine.pullSucceeded(now:cursor:more:) or machine.pullFailed(now:error:)
///     case .wait(let until): sleep until then, or until a local change
///     }
/// }
/// ```
public struct SyncMachine: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case push
        case pull(cursor: Int64)
        case wait(until: Date)
    }

    public private(set) var cursor: Int64
    public private(set) var lastSuccess: Date?
    public private(set) var lastError: String?
    /// Online as far as we know: the last exchange with the server worked.
    public private(set) var online = false
    private var pushFailures = 0
    private var pullFailures = 0
    private var nextPushAt: Date
    private var nextPullAt: Date
    /// How often to ask for changes when nothing happens (a long poll waits this long server-side).
    public var pollInterval: TimeInterval

    public init(cursor: Int64 = 0, now: Date, pollInterval: TimeInterval = 1) {
        self.cursor = cursor
        self.pollInterval = pollInterval
        nextPushAt = now
        nextPullAt = now
    }

    static func backoff(_ failures: Int) -> TimeInterval { failures == 0 ? 0 : min(30, pow(2, Double(failures - 1))) }

    /// What to do now. Pushes come first when the outbox has events and a push is due.
    public func next(now: Date, outboxDepth: Int) -> Action {
        if outboxDepth > 0 && now >= nextPushAt { return .push }
        if now >= nextPullAt { return .pull(cursor: cursor) }
        let pushAt = outboxDepth > 0 ? nextPushAt : .distantFuture
        return .wait(until: min(pushAt, nextPullAt))
    }

    /// For a caller that runs uploads and downloads side by side (the kiosk daemon): is a push due
    /// (outbox not empty, not backing off)?
    public func pushDue(now: Date, outboxDepth: Int) -> Bool { outboxDepth > 0 && now >= nextPushAt }

    /// When the next download is due (now or in the past: at once).
    public var pullDueAt: Date { nextPullAt }

    /// When the next upload may be tried (backing off after failures).
    public var pushDueAt: Date { nextPushAt }

    public mutating func pushSucceeded(now: Date) {
        pushFailures = 0
        nextPushAt = now
        succeeded(now)
    }

    public mutating func pushFailed(now: Date, error: String) {
        pushFailures += 1
        nextPushAt = now.addingTimeInterval(Self.backoff(pushFailures))
        failed(error)
    }

    /// `more`: the server has more changes right away.
    public mutating func pullSucceeded(now: Date, cursor: Int64, more: Bool) {
        pullFailures = 0
        self.cursor = max(self.cursor, cursor)
        nextPullAt = more ? now : now.addingTimeInterval(pollInterval)
        succeeded(now)
    }

    public mutating func pullFailed(now: Date, error: String) {
        pullFailures += 1
        nextPullAt = now.addingTimeInterval(Self.backoff(pullFailures))
        failed(error)
    }

    /// The server answers again after the link was down (a probe got through): upload and
    /// download at once instead of waiting out the backoff.
    public mutating func linkRestored(now: Date) {
        pushFailures = 0
        pullFailures = 0
        nextPushAt = now
        nextPullAt = now
        succeeded(now)
        lastError = nil
    }

    /// The server did not answer a probe: offline, whatever requests are still waiting.
    public mutating func linkLost(error: String) {
        failed(error)
    }

    /// A local change: push it as soon as possible, even while backing off from a pull error.
    public mutating func localChange(now: Date) {
        if pushFailures == 0 { nextPushAt = now }
    }

    private mutating func succeeded(_ now: Date) {
        lastSuccess = now
        online = true
        if pushFailures == 0 && pullFailures == 0 { lastError = nil }
    }

    private mutating func failed(_ error: String) {
        online = false
        lastError = error
    }
}
