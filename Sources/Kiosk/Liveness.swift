import Foundation

/// Each long-running loop of a station (sync upload, sync download, link probe, print spooler)
/// beats here at every turn; the systemd watchdog is fed only while every loop has beaten
/// recently, so that a wedged loop gets the station restarted instead of a daemon that answers
/// its health check while nothing moves.
public final class Liveness: @unchecked Sendable {
    /// Under `lock` (an NSLock: ThreadSanitizer sees it, not Synchronization's futex-based Mutex).
    private let lock = NSLock()
    private var beats: [String: ContinuousClock.Instant] = [:]
    /// How long each loop may stay silent (its longest wait plus a margin).
    private var limits: [String: Duration] = [:]

    public init() {}

    /// Registers a loop and how long it may be silent; call before it starts.
    public func expect(_ name: String, within limit: Duration) {
        lock.withLock { limits[name] = limit }
        beat(name)
    }

    public func beat(_ name: String) {
        let now = ContinuousClock.now
        lock.withLock { beats[name] = now }
    }

    /// The loops silent for longer than allowed, with for how long.
    public func stale(now: ContinuousClock.Instant = .now) -> [(name: String, silent: Duration)] {
        let (limits, beats) = lock.withLock { (self.limits, self.beats) }
        return limits.compactMap { name, limit in
            guard let last = beats[name] else { return nil }
            let silent = now - last
            return silent > limit ? (name, silent) : nil
        }.sorted { $0.name < $1.name }
    }
}
