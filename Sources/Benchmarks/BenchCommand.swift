// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import CommandSupport
import Foundation
import KioskApp
import KioskStore
import Printing
import RosterFiles

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `accueil bench`: the benchmarks behind BENCHMARKS.md, each a subcommand.
public struct BenchCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure import, index, search, check-in and memory on a generated roster.",
        discussion: """
            Build with `swift build -c release` and run `.build/release/accueil bench` for figures \
            worth writing down (BENCHMARKS.md). Works in a temporary directory unless --data is given.
            """,
        subcommands: [
            BenchRunCommand.self, BenchBadgesCommand.self, BenchPrintCommand.self, BenchSyncCommand.self,
            BenchKioskCommand.self, BenchKioskAPICommand.self, BenchDashboardCommand.self, BenchSignInCommand.self,
            BenchHoldCommand.self, BenchTicketsCommand.self, BenchVolunteerCommand.self, BenchInvitationsCommand.self,
            BenchServersCommand.self,
        ],
        defaultSubcommand: BenchRunCommand.self
    )
}

struct BenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "door", abstract: "Roster import, search index, search, check-in and memory (default).")

    @Option(help: "Attendees in the generated roster.") var count = 100_000
    @Option(help: "Search queries to time.") var queries = 20_000
    @Option(help: "Check-ins to time.") var checkins = 2_000
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("Work in this directory (emptied first) instead of a temporary one.", valueName: "dir"))
    var data: String?
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var attendees: Int
        var import_seconds: Double
        var reimport_seconds: Double
        var xlsx_import_seconds: Double
        var xlsx_megabytes: Double
        var index_build_seconds: Double
        var snapshot_load_seconds: Double
        var search_queries: Int
        var search_p50_ms: Double
        var search_p99_ms: Double
        var search_max_ms: Double
        var search_by_script: [String: [String: Double]]
        var checkins: Int
        var checkin_p50_ms: Double
        var checkin_p99_ms: Double
        /// A walk-in registered through another connection (another door, sync), then picked up
        /// by a door's roster in memory and found by a search.
        var walkin_elsewhere_p50_ms: Double
        var walkin_elsewhere_p99_ms: Double
        var memory_rss_mb: Double
    }

    func run() throws {
        let directory =
            data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if data == nil { try? FileManager.default.removeItem(at: directory) } }

        log("Generating \(count) attendees…")
        let attendees = RosterGenerator(seed: seed).attendees(count: count)
        let csv = Array(RosterGenerator.csv(attendees).utf8)
        let csvFile = directory.appendingPathComponent("roster.csv")
        try Data(csv).write(to: csvFile)

        // Import: read the file, parse, write to the store, as `roster import` does.
        let db = try KioskDatabase(directory: directory.appendingPathComponent("store"))
        log("Importing…")
        var start = DispatchTime.now()
        let parsed = try RosterParser.parse(Array(try Data(contentsOf: csvFile)))
        _ = try db.importRoster(parsed.attendees, kiosk: "bench")
        let importSeconds = seconds(since: start)
        start = DispatchTime.now()
        let parsedAgain = try RosterParser.parse(Array(try Data(contentsOf: csvFile)))
        _ = try db.importRoster(parsedAgain.attendees, kiosk: "bench")
        let reimportSeconds = seconds(since: start)

        // The same roster as an Excel workbook, imported into a store of its own.
        log("Importing the same roster as .xlsx…")
        let records = try CSVReader(delimiter: UInt8(ascii: ",")).records(String(decoding: csv, as: UTF8.self))
        let xlsxFile = directory.appendingPathComponent("roster.xlsx")
        try WorkbookWriter.xlsx(sheet: "Roster", rows: records.map(\.fields)).write(to: xlsxFile)
        let xlsxMegabytes =
            Double((try? FileManager.default.attributesOfItem(atPath: xlsxFile.path)[.size] as? Int) ?? 0) / 1e6
        let xlsxStore = try KioskDatabase(directory: directory.appendingPathComponent("store-xlsx"))
        start = DispatchTime.now()
        let fromWorkbook = try RosterFile.parse(try Data(contentsOf: xlsxFile), options: RosterOptions())
        _ = try xlsxStore.importRoster(fromWorkbook.attendees, kiosk: "bench")
        let xlsxSeconds = seconds(since: start)
        guard fromWorkbook.attendees == parsed.attendees else {
            let first = zip(fromWorkbook.attendees, parsed.attendees).first { $0 != $1 }
            throw CommandFailure(
                message:
                    "the .xlsx import differs from the CSV import (\(fromWorkbook.attendees.count) and \(parsed.attendees.count) attendees; first difference: \(first.map { "\($0) ≠ \($1)" } ?? "none")), rejections \(fromWorkbook.rejections.prefix(3))",
                status: 1)
        }

        log("Indexing…")
        start = DispatchTime.now()
        let snapshot = try db.snapshot()
        let snapshotSeconds = seconds(since: start)
        start = DispatchTime.now()
        let index = SearchIndex(attendees)
        let indexSeconds = seconds(since: start)

        log("Searching…")
        var rng = SystemRandomNumberGenerator()
        let queryList = Self.queries(attendees, count: queries, using: &rng)
        var all: [Double] = []
        var byScript: [String: [Double]] = [:]
        all.reserveCapacity(queryList.count)
        var found = 0
        for (script, query) in queryList {
            let t = DispatchTime.now()
            let hits = index.search(query, limit: 20)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6
            found += hits.isEmpty ? 0 : 1
            all.append(ms)
            byScript[script, default: []].append(ms)
        }
        guard found * 10 >= queryList.count * 9 else {
            throw CommandFailure(
                message: "only \(found) of \(queryList.count) benchmark queries found anyone", status: 1)
        }

        log("Checking in…")
        var checkinTimes: [Double] = []
        for attendee in attendees.shuffled(using: &rng).prefix(checkins) {
            let t = DispatchTime.now()
            _ = try db.checkIn(attendee.id, kiosk: "bench")
            checkinTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6)
        }
        _ = snapshot

        // Walk-ins at another door: this door's roster in memory picks each up (refresh) and finds it.
        log("Walk-ins registered elsewhere…")
        var live = try LiveRoster(db: db)
        let elsewhere = try KioskDatabase(directory: directory.appendingPathComponent("store"))
        var walkInTimes: [Double] = []
        for i in 1...200 {
            let walkIn = Attendee(
                id: "W-bench-2-\(i)", firstName: "Zéphyrine", lastName: "Quasimodo\(i)", role: .participant)
            _ = try elsewhere.walkIn(walkIn, kiosk: "bench-2")
            let t = DispatchTime.now()
            live.refresh(from: db)
            let hits = live.search("Quasimodo\(i)", limit: 20)
            walkInTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6)
            guard hits.first?.record.attendee.id == walkIn.id else {
                throw CommandFailure(message: "walk-in \(walkIn.id) not found after a refresh", status: 1)
            }
        }

        log("Measuring memory in a fresh process…")
        let rss = try Self.memoryOfFreshProcess(directory: directory.appendingPathComponent("store"))

        let figures = Figures(
            attendees: count, import_seconds: importSeconds, reimport_seconds: reimportSeconds,
            xlsx_import_seconds: xlsxSeconds, xlsx_megabytes: xlsxMegabytes,
            index_build_seconds: indexSeconds, snapshot_load_seconds: snapshotSeconds, search_queries: all.count,
            search_p50_ms: percentile(all, 50), search_p99_ms: percentile(all, 99), search_max_ms: all.max() ?? 0,
            search_by_script: byScript.mapValues {
                ["p50_ms": percentile($0, 50), "p99_ms": percentile($0, 99), "queries": Double($0.count)]
            },
            checkins: checkinTimes.count, checkin_p50_ms: percentile(checkinTimes, 50),
            checkin_p99_ms: percentile(checkinTimes, 99), walkin_elsewhere_p50_ms: percentile(walkInTimes, 50),
            walkin_elsewhere_p99_ms: percentile(walkInTimes, 99), memory_rss_mb: rss)
        if json {
            print(Output.json(figures))
        } else {
            print("attendees                \(count)")
            print("import (parse + store)   \(fmt(importSeconds)) s    re-import unchanged \(fmt(reimportSeconds)) s")
            print("import of the .xlsx      \(fmt(xlsxSeconds)) s    (\(fmt(xlsxMegabytes)) MB workbook)")
            print("index build              \(fmt(indexSeconds)) s    load store + index \(fmt(snapshotSeconds)) s")
            print(
                "search (\(all.count) queries)  p50 \(fmt(percentile(all, 50))) ms  p99 \(fmt(percentile(all, 99))) ms  max \(fmt(all.max() ?? 0)) ms"
            )
            for (script, times) in byScript.sorted(by: { $0.key < $1.key }) {
                print(
                    "  \(script.padding(toLength: 22, withPad: " ", startingAt: 0)) p50 \(fmt(percentile(times, 50))) ms  p99 \(fmt(percentile(times, 99))) ms  (\(times.count))"
                )
            }
            print(
                "check-in, durable        p50 \(fmt(percentile(checkinTimes, 50))) ms  p99 \(fmt(percentile(checkinTimes, 99))) ms  (\(checkinTimes.count))"
            )
            print(
                "walk-in at another door, seen here  p50 \(fmt(percentile(walkInTimes, 50))) ms  p99 \(fmt(percentile(walkInTimes, 99))) ms  (\(walkInTimes.count), refresh + search)"
            )
            print("memory, process holding the index  \(fmt(rss)) MB RSS")
        }
    }

    func log(_ text: String) { if !json { Output.err(text) } }

    /// Queries of 3–6 characters as door staff type them, in each script of the roster, plus
    /// two-word queries and five-letter-or-longer names with one typo.
    static func queries(_ attendees: [Attendee], count: Int, using rng: inout SystemRandomNumberGenerator) -> [(
        String, String
    )] {
        var out: [(String, String)] = []
        out.reserveCapacity(count)
        var tries = 0
        while out.count < count && tries < count * 20 {
            tries += 1
            let a = attendees.randomElement(using: &rng)!
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let word = a.lastName.split(separator: " ").first.map(String.init) ?? a.lastName
                guard word.count >= 3 else { continue }
                out.append(("latin prefix", String(word.prefix(Int.random(in: 3...6, using: &rng)))))
            case 1:
                guard let word = a.nativeName.split(separator: " ").first.map(String.init),
                    let script = scriptName(word)
                else { continue }
                let n =
                    script == "han/kana/hangul"
                    ? min(word.count, Int.random(in: 1...3, using: &rng))
                    : min(word.count, Int.random(in: 3...6, using: &rng))
                out.append((script, String(word.prefix(n))))
            case 2:
                guard a.lastName.count >= 5, a.lastName.allSatisfy(\.isLetter) else { continue }
                var chars = Array(a.lastName)
                let i = Int.random(in: 1..<(chars.count - 1), using: &rng)
                chars.swapAt(i, i + 1)
                out.append(("latin one typo", String(chars)))
            default:
                guard a.firstName.count >= 3, a.lastName.count >= 3 else { continue }
                out.append(("two words", "\(a.firstName.prefix(4)) \(a.lastName.prefix(3))"))
            }
        }
        return out
    }

    static func scriptName(_ word: String) -> String? {
        guard let scalar = word.unicodeScalars.first else { return nil }
        switch scalar.value {
        case 0x0600...0x06FF: return "arabic"
        case 0x0400...0x04FF: return "cyrillic"
        case 0x0530...0x058F: return "armenian"
        case 0x0370...0x03FF: return "greek"
        case 0x0590...0x05FF: return "hebrew"
        case 0x0900...0x097F: return "devanagari"
        case 0x0E00...0x0E7F: return "thai"
        case 0x3040...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7AF: return "han/kana/hangul"
        case 0x0041...0x024F, 0x1E00...0x1EFF: return "latin (vietnamese)"
        default: return nil
        }
    }

    static func memoryOfFreshProcess(directory: URL) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "hold", "--data", directory.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}

/// Loads a store and its search index, then prints the resident memory in MB (for `bench`).
struct BenchHoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Load a store's roster and search index; print resident memory (MB).",
        shouldDisplay: false)

    @Option var data: String

    func run() throws {
        let db = try KioskDatabase(directory: URL(fileURLWithPath: data))
        let snapshot = try db.snapshot()
        precondition(snapshot.index.count > 0)
        print(fmt(residentMegabytes()))
        withExtendedLifetime(snapshot) {}
    }
}

/// VmRSS of this process, from /proc.
func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
        return kb / 1024
    }
    return -1
}

/// Asks a server's `/api/v1/health` every `interval` until it answers 200 (it answers 503 until
/// its log is folded); throws `failure` after `limit`.
func waitForHealth(_ url: URL, every interval: Duration, within limit: Duration, failure: String) async throws {
    let started = ContinuousClock.now
    var ask = URLRequest(url: url.appendingPathComponent("api/v1/health"))
    ask.timeoutInterval = 5
    while ContinuousClock.now - started < limit {
        if let (_, response) = try? await URLSession.shared.data(for: ask),
            (response as? HTTPURLResponse)?.statusCode == 200
        {
            return
        }
        try await Task.sleep(for: interval)
    }
    throw CommandFailure(message: failure, status: 1)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func fmt(_ value: Double) -> String { String(format: value < 1 ? "%.3f" : "%.2f", value) }

struct BenchBadgesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "badges", abstract: "QR signing and verifying, badge rendering to PDF and PNG, an 800-badge sheet."
    )

    @OptionGroup var options: BadgeOptions
    @Option(help: "Badges to render one by one, per format.") var renders = 200
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var sign_encode_p50_ms: Double
        var sign_encode_p99_ms: Double
        var verify_p50_ms: Double
        var verify_p99_ms: Double
        var pdf_p50_ms: Double
        var pdf_p99_ms: Double
        var png_p50_ms: Double
        var png_p99_ms: Double
        var sheet_800_seconds: Double
        var template: String
    }

    func run() throws {
        let ring = try Keyring.create(
            event: "RGL26", eventName: "Rencontre internationale des gouvernements locaux — Paris")
        let signing = try ring.signingKey()
        let verifier = ring.verifier
        let people = RosterGenerator(seed: 7).attendees(count: 800)
        func ms(_ block: () throws -> Void) rethrows -> Double {
            let t = DispatchTime.now()
            try block()
            return Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6
        }
        var texts: [String] = []
        var signTimes: [Double] = []
        for a in people + people {
            signTimes.append(
                try ms {
                    let text = try BadgePayload(
                        event: ring.event, attendeeID: a.id, version: 1, role: a.role, keyID: signing.id
                    ).signed(with: signing.key)
                    _ = try QRMatrix(text)
                    texts.append(text)
                })
        }
        var verifyTimes: [Double] = []
        for text in texts { verifyTimes.append(try ms { _ = try verifier.verify(text) }) }

        let renderer = try options.renderer()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-badges-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let contents = zip(people, texts).map { BadgeContent(attendee: $0, eventName: ring.eventName, qrText: $1) }
        _ = try renderer.pdf(contents[0], to: dir.appendingPathComponent("warm.pdf").path)
        _ = try renderer.png(contents[0], to: dir.appendingPathComponent("warm.png").path)
        var pdfTimes: [Double] = []
        var pngTimes: [Double] = []
        for (i, content) in contents.prefix(renders).enumerated() {
            pdfTimes.append(try ms { _ = try renderer.pdf(content, to: dir.appendingPathComponent("\(i).pdf").path) })
            pngTimes.append(try ms { _ = try renderer.png(content, to: dir.appendingPathComponent("\(i).png").path) })
        }
        let sheetSeconds =
            try ms {
                _ = try renderer.sheet(
                    contents, to: dir.appendingPathComponent("sheet.pdf").path, perPage: renderer.template.perPage ?? 0)
            } / 1000

        let f = Figures(
            sign_encode_p50_ms: percentile(signTimes, 50), sign_encode_p99_ms: percentile(signTimes, 99),
            verify_p50_ms: percentile(verifyTimes, 50), verify_p99_ms: percentile(verifyTimes, 99),
            pdf_p50_ms: percentile(pdfTimes, 50), pdf_p99_ms: percentile(pdfTimes, 99),
            png_p50_ms: percentile(pngTimes, 50),
            png_p99_ms: percentile(pngTimes, 99), sheet_800_seconds: sheetSeconds, template: renderer.template.name)
        if json {
            print(Output.json(f))
            return
        }
        print("template                 \(f.template)")
        print(
            "QR sign + encode         p50 \(fmt(f.sign_encode_p50_ms)) ms  p99 \(fmt(f.sign_encode_p99_ms)) ms  (\(signTimes.count))"
        )
        print(
            "QR verify                p50 \(fmt(f.verify_p50_ms)) ms  p99 \(fmt(f.verify_p99_ms)) ms  (\(verifyTimes.count))"
        )
        print("one badge to PDF         p50 \(fmt(f.pdf_p50_ms)) ms  p99 \(fmt(f.pdf_p99_ms)) ms  (\(pdfTimes.count))")
        print(
            "one badge to PNG (150 dpi) p50 \(fmt(f.png_p50_ms)) ms  p99 \(fmt(f.png_p99_ms)) ms  (\(pngTimes.count))")
        print("800 badges, one sheet PDF  \(fmt(f.sheet_800_seconds)) s")
    }
}

struct BenchPrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Check-in to job accepted by cupsd, and a burst of queued badges submitted back to back.",
        discussion:
            "Needs a printer on the local cupsd (a cups-pdf queue will do); cancels its leftover jobs at the end.")

    @OptionGroup var badges: BadgeOptions
    @OptionGroup var printing: PrintOptions
    @Option(help: "Check-ins timed one by one.") var checkins = 100
    @Option(help: "Badges queued, then submitted back to back.") var burst = 200
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Figures: Encodable {
        var printer: String
        var checkin_to_accepted_p50_ms: Double
        var checkin_to_accepted_p99_ms: Double
        var burst: Int
        var burst_to_accepted_seconds: Double
        var burst_lost: Int
    }

    func run() throws {
        let printer = try printing.printerName()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-bench-print-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StoreOptions.parse(["--data", dir.path, "--kiosk", "bench"])
        let db = try store.open()
        let people = RosterGenerator(seed: 3).attendees(count: checkins + burst)
        try db.importRoster(people, kiosk: "bench")
        try Keyring.create(event: "BENCH", eventName: "Accueil benchmark").save(to: store.directory)
        let spool = try spooler(store, badges, printing)
        let request = try printing.request(store, badges: badges, onlyOnce: true)
        var submittedIDs: [Int] = []
        defer { for id in submittedIDs { try? printing.client.cancel(id, printer: printer) } }

        var times: [Double] = []
        for person in people.prefix(checkins) {
            let t = DispatchTime.now()
            let (_, queued) = try db.checkIn(person.id, kiosk: "bench", print: request)
            let report = try spool.runOnce()
            guard case .queued(let job) = queued, let sent = report.submitted.first(where: { $0.id == job.id }) else {
                throw CommandFailure(
                    message: "\(person.id): not accepted: \(report.waiting.map(\.why) + report.deferred.map(\.why))",
                    status: 9)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6)
            submittedIDs.append(sent.cupsJob ?? 0)
        }
        for person in people.dropFirst(checkins) { _ = try db.checkIn(person.id, kiosk: "bench", print: request) }
        let t = DispatchTime.now()
        var accepted = 0
        while true {
            let report = try spool.runOnce()
            accepted += report.submitted.count
            submittedIDs += report.submitted.compactMap(\.cupsJob)
            if try db.printJobs(states: ["pending"], limit: 1).isEmpty { break }
            if !report.waiting.filter({ $0.job.state == "pending" }).isEmpty || !report.deferred.isEmpty {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let burstSeconds = Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
        let f = Figures(
            printer: printer, checkin_to_accepted_p50_ms: percentile(times, 50),
            checkin_to_accepted_p99_ms: percentile(times, 99),
            burst: burst, burst_to_accepted_seconds: burstSeconds, burst_lost: burst - accepted)
        if json {
            print(Output.json(f))
            return
        }
        print("printer                       \(printer)")
        print(
            "check-in to job accepted      p50 \(fmt(f.checkin_to_accepted_p50_ms)) ms  p99 \(fmt(f.checkin_to_accepted_p99_ms)) ms  (\(times.count))"
        )
        print(
            "\(burst) queued badges to accepted  \(fmt(burstSeconds)) s  (\(accepted) accepted, \(f.burst_lost) lost)")
    }
}
