// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskStore
import NIOCore
import NIOHTTP1
import Tooling
import WebClient

/// `accueil bench tickets`: registration tickets at the door. Writes a generated roster as an
/// export with a ticket secret per attendee (pretix's alphabet and length), imports it as
/// `roster import` does (parse, digests under the event's ticket key, store), starts the kiosk
/// daemon on it, and times `POST /api/v1/scan` — what the door screen sends when a ticket is
/// scanned — from the request to the verdict, checking every answer.
struct BenchTicketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickets",
        abstract: "Registration tickets: import with ticket codes, and scan → verdict at the door API.")

    @Option(help: "Attendees in the generated roster.") var count = 100_000
    @Option(help: "Scans to time.") var scans = 3_000
    @Option(help: ArgumentHelp("Work in this directory (emptied first) instead of a temporary one.", valueName: "dir"))
    var data: String?
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var attendees: Int
        var import_seconds: Double
        var scans: Int
        var scan_p50_ms: Double
        var scan_p99_ms: Double
        var scan_max_ms: Double
        var unknown_p99_ms: Double
        var store_lookup_p99_ms: Double
        var wrong_answers: Int
        var ok: Bool
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() async throws {
        let directory =
            data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-tickets-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if data == nil { try? FileManager.default.removeItem(at: directory) } }
        let store = directory.appendingPathComponent("data")

        // The export: the generated roster with a pretix-like secret per ticket.
        var random = SeededGenerator(seed: 15)
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        let attendees = RosterGenerator(seed: 15).attendees(count: count)
        var secrets: [String] = []
        secrets.reserveCapacity(count)
        var csv = "id,first_name,last_name,native_name,organisation,country,role,Ticket secret\n"
        for a in attendees {
            let secret = String((0..<32).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            secrets.append(secret)
            let fields = [
                a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.country, a.role.rawValue, secret,
            ]
            csv += fields.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            csv += "\n"
        }

        let db = try KioskDatabase(directory: store)
        let ring = try Keyring.create(event: "BENCH", eventName: "Bench")
        try ring.save(to: store)
        guard let tickets = ring.tickets else { throw CommandFailure(message: "no ticket key", status: 1) }
        let importStart = DispatchTime.now()
        var parsed = try RosterParser.parse(Array(csv.utf8))
        parsed.sealTickets { tickets.digest(normalised: $0) }
        _ = try db.importRoster(parsed.attendees, kiosk: "bench")
        let importSeconds = seconds(since: importStart)
        guard parsed.rejections.isEmpty, parsed.withTickets == count else {
            throw CommandFailure(
                message: "bench: the export did not import whole: \(parsed.rejections.prefix(3))", status: 1)
        }
        log(
            "\(count) attendees with tickets imported in \(String(format: "%.1f", importSeconds)) s; starting the kiosk…"
        )

        let logFile = directory.appendingPathComponent("kiosk.log").path
        let (kiosk, port) = try await BenchKioskCommand.startKiosk(
            ["kiosk", "--data", store.path, "--name", "bench", "--listen", "127.0.0.1:0", "--no-print"],
            logFile: logFile,
            environment: ProcessInfo.processInfo.environment.merging(
                ["SWIFT_BACKTRACE": "enable=no"], uniquingKeysWith: { $1 }))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        guard let pageToken = kioskPageToken(port: UInt16(port)) else {
            throw CommandFailure(message: "bench: the kiosk's page has no page token", status: 1)
        }
        let http = try WebClient(configuration: .init(tls: nil))

        func scan(_ text: String) async throws -> (ms: Double, answer: [String: Any]) {
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["text": text]))
            let start = DispatchTime.now()
            let response = try await http.execute(
                .POST, "http://127.0.0.1:\(port)/api/v1/scan",
                headers: ["Content-Type": "application/json", "X-Accueil-Page": pageToken], body: body,
                timeout: .seconds(30))
            let ms = seconds(since: start) * 1000
            return (ms, (try? JSONSerialization.jsonObject(with: response.bytes) as? [String: Any]) ?? [:])
        }

        // The daemon builds its index at the first request: not a scan's cost.
        _ = try await scan("warm-up")
        var known: [Double] = []
        var unknown: [Double] = []
        var wrong = 0
        for i in 0..<scans {
            if i % 10 == 9 {
                let (ms, answer) = try await scan(String((0..<32).map { _ in alphabet[Int(random.next() % 31)] }))
                unknown.append(ms)
                if answer["status"] as? String != "unknown" { wrong += 1 }
            } else {
                let pick = Int(random.next() % UInt64(count))
                let (ms, answer) = try await scan(secrets[pick])
                known.append(ms)
                let id = (answer["attendee"] as? [String: Any])?["id"] as? String
                if answer["status"] as? String != "found" || id != attendees[pick].id { wrong += 1 }
            }
        }
        await http.shutdown()
        // The store's own lookup (accueil checkin, sessions scan, a session door): no index in memory.
        var lookups: [Double] = []
        for _ in 0..<200 {
            let pick = Int(random.next() % UInt64(count))
            let start = DispatchTime.now()
            let found = try db.attendee(ticket: tickets.digest(normalised: secrets[pick]))
            lookups.append(seconds(since: start) * 1000)
            if found?.attendee.id != attendees[pick].id { wrong += 1 }
        }
        let figures = Figures(
            attendees: count, import_seconds: importSeconds, scans: scans, scan_p50_ms: percentile(known, 50),
            scan_p99_ms: percentile(known, 99), scan_max_ms: known.max() ?? 0, unknown_p99_ms: percentile(unknown, 99),
            store_lookup_p99_ms: percentile(lookups, 99),
            wrong_answers: wrong, ok: wrong == 0)
        if json {
            print(Output.json(figures))
        } else {
            let fmt = { (v: Double) in String(format: "%.2f", v) }
            print("registration tickets, \(count) attendees")
            print("import with ticket codes (parse, digests, store): \(String(format: "%.1f", importSeconds)) s")
            print(
                "scan → verdict (POST /api/v1/scan), \(known.count) known tickets: p50 \(fmt(figures.scan_p50_ms)) ms, p99 \(fmt(figures.scan_p99_ms)) ms, max \(fmt(figures.scan_max_ms)) ms"
            )
            print("unknown tickets (\(unknown.count)): p99 \(fmt(figures.unknown_p99_ms)) ms; wrong answers: \(wrong)")
            print("store lookup (accueil checkin, session doors), 200: p99 \(fmt(figures.store_lookup_p99_ms)) ms")
        }
        if !figures.ok { throw ExitCode(1) }
    }
}
