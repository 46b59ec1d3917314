// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskStore
import Tooling

/// `accueil bench invitations`: the two figures of issue 18, on this program as shipped. A
/// generated roster is imported into a fresh data directory with a new keyring; then
/// `accueil invitations export` runs as its own process on it (wall time, peak memory from
/// getrusage), and `accueil invitations send` hands a smaller roster's mails to the machine's mail
/// server through /usr/sbin/sendmail (mails a second, memory sampled every half second). The mails
/// go to addresses under bench.invalid, a name that never resolves: a mail server set up to relay
/// gives them back as undeliverable, and nobody receives them.
struct BenchInvitationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invitations",
        abstract: "Invitations: the mail-merge export of a large roster, and e-mails handed to the local mail server.")

    @Option(help: "Attendees in the exported roster (0: skip the export).") var count = 100_000
    @Option(help: "Mails to send to the local mail server (0: skip sending).") var mails = 2_000
    @Option(help: "Workers handing mails to the mail server.") var workers = 4
    @Option(help: ArgumentHelp("Work in this directory (emptied first) instead of a temporary one.", valueName: "dir"))
    var data: String?
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var export_attendees: Int
        var export_seconds: Double
        var export_peak_mb: Double
        var export_files: Int
        var mails: Int
        var send_seconds: Double
        var mails_per_second: Double
        /// Resident memory a quarter of the way through (fonts loaded, every worker busy) and at the end.
        var send_rss_mb_quarter: Double
        var send_rss_mb_last: Double
        var send_peak_mb: Double
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    func run() throws {
        let directory =
            data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-invitations-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if data == nil { try? FileManager.default.removeItem(at: directory) } }
        let program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var figures = Figures(
            export_attendees: count, export_seconds: 0, export_peak_mb: 0, export_files: 0, mails: mails,
            send_seconds: 0, mails_per_second: 0, send_rss_mb_quarter: 0, send_rss_mb_last: 0, send_peak_mb: 0)

        func station(_ name: String, _ attendees: [Attendee]) throws -> URL {
            let store = directory.appendingPathComponent(name)
            let db = try KioskDatabase(directory: store)
            _ = try db.importRoster(attendees, kiosk: "bench")
            try Keyring.create(event: "BENCH", eventName: "Rencontre internationale des gouvernements locaux — Paris")
                .save(to: store)
            return store
        }

        if count > 0 {
            log("Importing \(count) attendees…")
            let store = try station("export", RosterGenerator(seed: 18).attendees(count: count))
            let out = directory.appendingPathComponent("merge").path
            log("Exporting…")
            let start = DispatchTime.now()
            let child = try spawn(
                program,
                [
                    "invitations", "export", "--data", store.path, "--out", out, "--dates", "2027-06-03..2027-06-04",
                    "--venue", "Palais des congrès, Paris",
                ],
                stderr: .file(directory.appendingPathComponent("export.log").path))
            let end = child.wait(timeout: .seconds(3600))
            figures.export_seconds = seconds(since: start)
            guard end.status == 0 else {
                let said =
                    (try? String(contentsOfFile: directory.appendingPathComponent("export.log").path, encoding: .utf8))
                    ?? ""
                throw CommandFailure(
                    message: "invitations export failed (\(end.status)): \(said.suffix(2000))", status: 2)
            }
            figures.export_peak_mb = Double(child.peakKilobytes ?? 0) / 1024
            figures.export_files = (try FileManager.default.contentsOfDirectory(atPath: out)).count
        }

        if mails > 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sendmail") else {
                throw CommandFailure.usage("no /usr/sbin/sendmail: install a mail server (postfix) to measure sending")
            }
            var attendees = RosterGenerator(seed: 81).attendees(count: mails)
            for index in attendees.indices { attendees[index].email = "attendee-\(index + 1)@bench.invalid" }
            let store = try station("send", attendees)
            log("Sending \(mails) mails to the local mail server…")
            let start = DispatchTime.now()
            let child = try spawn(
                program,
                [
                    "invitations", "send", "--data", store.path, "--from", "bench@bench.invalid", "--workers",
                    String(workers),
                ],
                stdout: .file(directory.appendingPathComponent("send.out").path),
                stderr: .file(directory.appendingPathComponent("send.log").path))
            var samples: [Double] = []
            while child.isRunning {
                if let text = try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                    let kb = line.split(separator: " ").compactMap({ Double($0) }).first
                {
                    samples.append(kb / 1024)
                }
                usleep(500_000)
            }
            figures.send_seconds = seconds(since: start)
            let said =
                (try? String(contentsOfFile: directory.appendingPathComponent("send.out").path, encoding: .utf8)) ?? ""
            guard child.poll()?.status == 0, said.contains("Sent \(mails) invitation(s)") else {
                let log =
                    (try? String(contentsOfFile: directory.appendingPathComponent("send.log").path, encoding: .utf8))
                    ?? ""
                throw CommandFailure(
                    message: "invitations send did not send them all: \(said) \(log.suffix(2000))", status: 2)
            }
            figures.mails_per_second = Double(mails) / figures.send_seconds
            // A quarter of the way (start-up done: the fonts of every script met so far are loaded),
            // and the last.
            figures.send_rss_mb_quarter = samples.isEmpty ? 0 : samples[samples.count / 4]
            figures.send_rss_mb_last = samples.last ?? 0
            figures.send_peak_mb = Double(child.peakKilobytes ?? 0) / 1024
        }

        if json {
            print(Output.json(figures))
            return
        }
        if count > 0 {
            print(
                "export: \(count) attendees in \(fmt(figures.export_seconds)) s, peak \(fmt(figures.export_peak_mb)) MB, \(figures.export_files) files (targets: < 120 s, < 300 MB)"
            )
        }
        if mails > 0 {
            print(
                "send: \(mails) mails in \(fmt(figures.send_seconds)) s = \(fmt(figures.mails_per_second)) mails/s; memory \(fmt(figures.send_rss_mb_quarter)) MB a quarter of the way → \(fmt(figures.send_rss_mb_last)) MB at the end, peak \(fmt(figures.send_peak_mb)) MB (targets: ≥ 50 mails/s, flat)"
            )
        }
    }
}
