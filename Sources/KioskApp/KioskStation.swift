import AccueilCore
import Foundation
import Hummingbird
import Kiosk
import KioskStore
import Logging
import Ops
import ServiceLifecycle
import Sync
import Synchronization

/// Everything a kiosk station runs, as services of one `ServiceGroup`: the print spooler, sync
/// with the server (or, standalone, the heartbeat that tells `accueil status` the daemon runs),
/// the badge keys' follower, the systemd watchdog, and the HTTP application of its mode.
///
/// They start in that order and stop in the reverse one on SIGTERM or SIGINT: the screen stops
/// taking requests first, the spooler last, once nothing can queue a badge any more. Any of them
/// ending, or failing, stops the others: systemd sees the daemon exit and restarts it.
public struct KioskStation: Sendable {
    public var configuration: KioskConfiguration
    public var parts: KioskParts
    /// The server that hands this station its badge keys (`GET /api/v1/keys`); nil standalone.
    public var keys: SyncClient?
    /// The print spooler's loop, run on a thread of its own (CUPS calls block) until the flag it
    /// is given says to stop; nil on a station that does not print.
    public var spooler: (@Sendable (_ stopping: @escaping @Sendable () -> Bool) -> Void)?
    /// What the watchdog asks about before it tells systemd the station is alive.
    public var liveness: Liveness
    /// Called once the screen listens, with its port (after `READY=1` is sent to systemd).
    public var onRunning: @Sendable (Int) -> Void

    public init(
        configuration: KioskConfiguration, parts: KioskParts, keys: SyncClient? = nil,
        spooler: (@Sendable (_ stopping: @escaping @Sendable () -> Bool) -> Void)? = nil, liveness: Liveness,
        onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        (self.configuration, self.parts, self.keys, self.spooler, self.liveness, self.onRunning) = (
            configuration, parts, keys, spooler, liveness, onRunning
        )
    }

    /// The services, in the order they start. Building them builds the door's index first.
    public func services() throws -> [any Service] {
        let (configuration, parts, liveness, onRunning) = (configuration, parts, liveness, onRunning)
        let (kiosk, db) = (configuration.kiosk, parts.db)
        let app = try buildKioskApplication(configuration, parts: parts) { port in
            Systemd.notify(
                "READY=1\nSTATUS=\(configuration.mode.rawValue) screen on http://\(configuration.host):\(port)/")
            onRunning(port)
        }
        var services: [any Service] = []
        if let spooler {
            // Its longest step is a CUPS call on a print server that stopped answering.
            liveness.expect("print spooler", within: .seconds(120))
            services.append(ThreadService(name: "print spooler", body: spooler))
        }
        if let sync = parts.sync {
            services.append(TaskService { await sync.run() })
        } else {
            services.append(
                TaskService {
                    // Standalone: no sync, but the heartbeat that tells `accueil status` the daemon runs.
                    var status = SyncStatus(kiosk: kiosk, server: nil, pid: getpid(), now: Date())
                    status.cursor = (try? db.syncCursor()) ?? 0
                    while !Task.isCancelled {
                        status.heartbeat = Date()
                        try? status.write(to: db)
                        try? await Task.sleep(for: .seconds(1))
                    }
                })
        }
        if let keys {
            let directory = db.directory
            services.append(TaskService { await followKeys(keys, directory: directory, kiosk: kiosk) })
        }
        services.append(
            TaskService {
                // The watchdog is fed only while sync and the print spooler really turn.
                await Systemd.watchdog(alive: {
                    let stale = liveness.stale()
                    for (name, silent) in stale {
                        kioskLog.critical(
                            "watchdog: \(name) has not moved for \(silent.components.seconds) s; not telling systemd the station is alive",
                            metadata: ["kiosk": "\(kiosk)"])
                    }
                    return stale.isEmpty
                })
            })
        services.append(app)
        return services
    }

    /// Runs the station (`services`, made by `services()`) until SIGTERM or SIGINT, or until one
    /// of them ends.
    public func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "accueil.kiosk.services")))
        try await group.run()
        Systemd.notify("STOPPING=1")
    }
}

/// A loop that never waits on Swift's concurrency (it blocks: CUPS calls, sleeps), on a thread of
/// its own: its stop flag is raised on graceful shutdown or cancellation, and the service ends
/// when the loop returns.
struct ThreadService: Service {
    let name: String
    let body: @Sendable (_ stopping: @escaping @Sendable () -> Bool) -> Void

    final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    func run() async throws {
        let flag = Flag()
        let stopping: @Sendable () -> Bool = { flag.raised.load(ordering: .relaxed) }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        body(stopping)
                        done.resume()
                    }
                    thread.name = name
                    thread.start()
                }
            } onCancel: {
                flag.raised.store(true, ordering: .relaxed)
            }
        } onGracefulShutdown: {
            flag.raised.store(true, ordering: .relaxed)
        }
    }
}

/// An asynchronous loop (sync, the key follower, the heartbeat, the watchdog) as a service: it is
/// cancelled on graceful shutdown, and loops until then.
struct TaskService: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
