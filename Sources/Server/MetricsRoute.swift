import AccueilCore
import Foundation
import Hummingbird
import Metrics
import Prometheus
import Synchronization
import WebSupport

/// Prometheus metrics at `/metrics` (swift-metrics with the Prometheus backend), names prefixed
/// `accueil_`: counts and queue depths only, never a name.
///
/// Event counters come from the server's projection, which sees each stored event once; they are
/// brought up to date at each scrape. Gauges (people inside, sync lag, queues, print jobs) are
/// read from the projection and from what kiosks last reported.
enum ServerMetrics {
    static let registry = PrometheusCollectorRegistry()
    /// Bootstraps swift-metrics once per process.
    static let bootstrapped: Void = MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    /// The counter values already exported, to increment by what is new.
    static let exported = Mutex<[String: Int]>([:])

    static let counterNames: [String: (label: String, dimensions: [(String, String)])] = [
        "checkin": ("accueil_checkins_total", []),
        "checkin_refused": ("accueil_checkins_refused_total", []),
        "checkin_undone": ("accueil_checkins_undone_total", []),
        "print_requested": ("accueil_print_requests_total", []),
        "scan_entered": ("accueil_scans_total", [("verdict", "entered")]),
        "scan_override": ("accueil_scans_total", [("verdict", "override")]),
        "scan_exited": ("accueil_scans_total", [("verdict", "exited")]),
    ]

    static func update(
        counters: [String: Int], totals: DashboardTotals, sessions: [String: Session], cursor: Int64,
        kiosks: [String: KioskRegistry.Entry], now: Date = Date()
    ) {
        _ = bootstrapped
        let deltas: [(String, Int)] = exported.withLock { exported in
            var deltas: [(String, Int)] = []
            for (key, value) in counters where value > exported[key, default: 0] {
                deltas.append((key, value - exported[key, default: 0]))
                exported[key] = value
            }
            return deltas
        }
        for (key, delta) in deltas {
            if let known = counterNames[key] {
                Counter(label: known.label, dimensions: known.dimensions).increment(by: delta)
            } else if key.hasPrefix("scan_refused_") {
                Counter(
                    label: "accueil_scans_total",
                    dimensions: [("verdict", "refused"), ("reason", String(key.dropFirst("scan_refused_".count)))]
                ).increment(by: delta)
            }
        }
        let inside = totals.inside
        Gauge(label: "accueil_attendees_registered").record(totals.total.registered)
        Gauge(label: "accueil_attendees_checked_in").record(totals.total.checkedIn)
        Gauge(label: "accueil_events_stored").record(cursor)
        for session in sessions.keys {
            Gauge(label: "accueil_session_inside", dimensions: [("session", session)]).record(inside[session] ?? 0)
        }
        for (kiosk, entry) in kiosks {
            Gauge(label: "accueil_kiosk_last_contact_seconds", dimensions: [("kiosk", kiosk)])
                .record(now.timeIntervalSince(entry.lastContact))
            guard let health = entry.health else { continue }
            Gauge(label: "accueil_sync_lag_events", dimensions: [("kiosk", kiosk)]).record(
                max(0, cursor - health.cursor))
            Gauge(label: "accueil_outbox_events", dimensions: [("kiosk", kiosk)]).record(health.outbox)
            for state in ["pending", "submitted", "printed", "failed", "cancelled"] {
                Gauge(label: "accueil_print_jobs", dimensions: [("kiosk", kiosk), ("state", state)])
                    .record(health.printQueue[state] ?? 0)
            }
        }
    }
}

func addMetricsRoute(to router: Router<ClientContext>, projection: CentralProjection, registry: KioskRegistry) {
    router.get("/metrics") { _, _ -> Response in
        let (counters, _, _) = try await projection.tallies()
        let (totals, sessions, cursor) = try await projection.dashboard()
        ServerMetrics.update(
            counters: counters, totals: totals, sessions: sessions, cursor: cursor, kiosks: try await registry.entries()
        )
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: ServerMetrics.registry.emitToBuffer())))
    }
}
