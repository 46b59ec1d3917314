import Foundation
import Synchronization

/// Each long-running loop of a station (sync upload, sync download, link probe, print spooler)
/// beats here at every turn; the systemd watchdog is fed only while every loop has beaten
/// recently, so that a wedged loop gets the station restarted instead of a daemon that answers
/// its health check while nothing moves.
public final class Liveness: Sendable {
    private let beats = Mutex<[String: ContinuousClock.Instant]>([:])
    /// How long each loop may stay silent (its longest wait plus a margin).
    private let limits = Mutex<[String: Duration]>([:])

    public init() {}

    /// Registers a loop and how long it may be silent; call before it starts.
    public func expect(_ name: String, within limit: Duration) {
        limits.withLock { $0[name] = limit }
        beat(name)
    }

    public func beat(_ name: String) {
        let now = ContinuousClock.now
        beats.withLock { $0[name] = now }
    }

    /// The loops silent for longer than allowed, with for how long.
    public func stale(now: ContinuousClock.Instant = .now) -> [(name: String, silent: Duration)] {
        let limits = limits.withLock { $0 }
        let beats = beats.withLock { $0 }
        return limits.compactMap { name, limit in
            guard let last = beats[name] else { return nil }
            let silent = now - last
            return silent > limit ? (name, silent) : nil
        }.sorted { $0.name < $1.name }
    }
}
