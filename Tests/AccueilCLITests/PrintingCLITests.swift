import AccueilCore
import Foundation
import KioskStore
import Printing
import TestSupport
import Testing

/// A real cupsd of the tests' own, apart from the machine's (`accueil_start_test_cupsd` in
/// scripts/deps.sh, which scripts/test runs: its folder is `$ACCUEIL_TEST_CUPS`, its socket
/// `$CUPS_SERVER`, which every `accueil` the tests start inherits), with queues made for one test
/// each: a PDF printer whose jobs land in a folder (the "capture" backend), or raw to a socket.
enum Cups {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ path: String, _ arguments: [String]) -> (status: Int32, output: String) {
        do {
            let outcome = try runProgram(path, arguments, timeout: .seconds(60))
            return (outcome.status, outcome.output)
        } catch {
            return (-1, "\(error)")
        }
    }

    /// The private cupsd's folder; a test that prints fails, and says how, without it.
    static var root: String {
        get throws {
            guard let root = ProcessInfo.processInfo.environment["ACCUEIL_TEST_CUPS"], !root.isEmpty,
                FileManager.default.fileExists(atPath: root + "/etc/cupsd.conf"),
                ProcessInfo.processInfo.environment["CUPS_SERVER"] == root + "/cups.sock"
            else {
                throw Missing(
                    description:
                        "the printing tests need the tests' own cupsd: run them through scripts/test, or first "
                        + "`source scripts/deps.sh; accueil_start_test_cupsd` in the shell that runs `swift test`")
            }
            return root
        }
    }

    /// A CUPS command-line tool (lpadmin, cupsdisable, cancel…) on the tests' cupsd.
    @discardableResult
    static func tool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let administration = ["lpadmin", "cupsdisable", "cupsenable", "cupsreject", "cupsaccept"].contains(name)
        return run((administration ? "/usr/sbin/" : "/usr/bin/") + name, ["-h", try root + "/cups.sock"] + arguments)
    }

    static var isRunning: Bool { (try? tool("lpstat", ["-r"]))?.output.contains("scheduler is running") == true }

    /// Starts the tests' cupsd again if it is not running. `runProgram` gives it a clean signal
    /// mask: started with the test runner's blocked signals, cupsd would never notice its backends
    /// finishing. Without -f, cupsd returns once it has started; it is ready when it answers.
    static func ensureRunning() throws {
        let root = try root
        if isRunning { return }
        run("/usr/sbin/cupsd", ["-c", root + "/etc/cupsd.conf", "-s", root + "/etc/cups-files.conf"])
        for _ in 0..<100 where !isRunning { usleep(100_000) }
        #expect(isRunning, "the tests' cupsd did not start (\(root)/log/error_log)")
    }

    /// Stops the tests' cupsd (SIGTERM, so that it saves the queues the tests made; SIGKILL if it
    /// will not go). The machine's cupsd, if any, is not touched.
    static func stop() throws {
        // Started without -f, cupsd runs again as `cupsd -C FILE`: matched from the start of the line.
        let match = "^/usr/sbin/cupsd -[cC] \(try root)/etc/cupsd\\.conf"
        run("/usr/bin/pkill", ["-TERM", "-f", "--", match])
        for _ in 0..<50 where isRunning { usleep(100_000) }
        if isRunning { run("/usr/bin/pkill", ["-KILL", "-f", "--", match]) }
        for _ in 0..<50 where isRunning { usleep(100_000) }
    }

    /// A PDF printer whose jobs land, as it would receive them (through CUPS's filters), as PDF
    /// files in a folder of their own.
    static func pdfQueue() throws -> (name: String, output: URL) {
        try ensureRunning()
        let root = try root
        let name = "accueil-t\(UUID().uuidString.prefix(8).lowercased())"
        let output = URL(fileURLWithPath: "\(root)/printed/\(name)")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let added = try tool(
            "lpadmin", ["-p", name, "-E", "-v", "capture:" + output.path, "-P", root + "/capture.ppd"])
        #expect(added.status == 0, "lpadmin: \(added.output)")
        return (name, output)
    }

    /// A raw queue to socket://127.0.0.1:port, as for a Zebra printer.
    static func rawQueue(port: UInt16) throws -> String {
        try ensureRunning()
        let name = "accueil-z\(UUID().uuidString.prefix(8).lowercased())"
        let added = try tool("lpadmin", ["-p", name, "-E", "-v", "socket://127.0.0.1:\(port)", "-m", "raw"])
        #expect(added.status == 0, "lpadmin: \(added.output)")
        return name
    }

    static func remove(_ name: String) { _ = try? tool("lpadmin", ["-x", name]) }

    /// The PDFs a queue of `pdfQueue` printed, once `count` of them are there (waits up to 30 s).
    static func pdfs(in folder: URL, count: Int) -> [URL] {
        var found: [URL] = []
        for _ in 0..<300 {
            found = ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "pdf" }
            if found.count >= count { break }
            usleep(100_000)
        }
        return found
    }
}

/// A one-shot TCP listener on 127.0.0.1 that keeps what a raw print queue sends it.
final class SocketPrinter: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var received: [Data] = []

    init() throws {
        let (fd, port) = listenOnLoopback(backlog: 4)
        self.fd = fd
        self.port = port
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var data = Data()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    data.append(contentsOf: buffer[0..<n])
                }
                close(client)
                lock.lock()
                received.append(data)
                lock.unlock()
            }
        }
    }

    func documents(count: Int) -> [String] {
        for _ in 0..<200 {
            lock.lock()
            let done = received.count >= count
            lock.unlock()
            if done { break }
            usleep(100_000)
        }
        lock.lock()
        defer { lock.unlock() }
        return received.map { String(decoding: $0, as: UTF8.self) }
    }

    deinit { close(fd) }
}

@Suite("Printing through a real cupsd", .serialized)
struct PrintingCLITests {
    func demo() throws -> Sandbox {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        #expect(try box.run(["keys", "create"]).status == 0)
        return box
    }

    func jobs(_ box: Sandbox) throws -> [[String: Any]] {
        try #require(try box.json(["print", "jobs"]) as? [[String: Any]])
    }

    func qr(_ box: Sandbox, _ id: String) throws -> String {
        try box.run(["badge", "qr", id]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("check in and print: the badge lands in the PDF printer, and its QR code is the attendee's")
    func printsToCupsPDF() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        let result = try box.run(["checkin", "ACC-00007", "--print", "--printer", queue])
        #expect(result.status == 0 && result.stdout.contains("badge sent to \(queue)"), "\(result.output)")
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60", "--printer", queue]).status == 0)
        let pdfs = Cups.pdfs(in: output, count: 1)
        #expect(pdfs.count == 1)
        let codes = try qrCodes(inPDF: try #require(pdfs.first).path)
        #expect(codes == [try qr(box, "ACC-00007")])
        #expect(try box.run(["badge", "verify", codes.first ?? ""]).status == 0)
        #expect(try jobs(box).first?["state"] as? String == "printed")
        // Printed once: a second --print is refused by the policy, a reprint needs a reason.
        let again = try box.run(["checkin", "ACC-00007", "--print", "--printer", queue])
        #expect(again.stdout.contains("already printed"))
        #expect(try jobs(box).count == 1)
    }

    @Test("a ZPL badge for a Zebra printer on a raw queue: printer fonts, native name as bitmap, ^BQ QR code")
    func zpl() throws {
        let listener = try SocketPrinter()
        let queue = try Cups.rawQueue(port: listener.port)
        defer { Cups.remove(queue) }
        let box = try demo()
        #expect(try box.run(["printers", "set", queue, "--format", "zpl"]).status == 0)
        let typo = try box.run(["printers", "set", queue + "-typo", "--format", "zpl"])
        #expect(typo.status == 9 && typo.stderr.contains("no printer"), "\(typo.output)")
        // Someone of the demo roster whose native name is not in Latin letters.
        let roster = try String(contentsOfFile: demoRoster, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let row = try #require(roster.first { $0.count > 3 && $0[3].unicodeScalars.contains { $0.value > 0x500 } })
        let id = String(row[0])
        let latinName = "\(row[1]) \(row[2])"
        #expect(try box.run(["checkin", id, "--print", "--printer", queue]).status == 0)
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        let documents = listener.documents(count: 1)
        let zpl = try #require(documents.first)
        #expect(zpl.hasPrefix("^XA") && zpl.contains("^XZ"))
        let code = try qr(box, id)
        #expect(zpl.contains("^BQN,2,") && zpl.contains("^FDQA,\(code)^FS"))
        #expect(zpl.contains("^GFA,"), "the native-script name goes as a bitmap")
        #expect(zpl.contains("^FD\(latinName)^FS"))
    }

    @Test("a disabled queue: the check-in stands, the job waits visibly, and prints once the queue is enabled")
    func disabledQueue() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        try Cups.tool("cupsdisable", [queue])
        let result = try box.run(["checkin", "ACC-00011", "--print", "--printer", queue])
        #expect(result.status == 0, "\(result.output)")
        #expect(try box.run(["print", "run", "--timeout", "1", "--printer", queue]).status == 9)
        let waiting = try jobs(box).first
        #expect(waiting?["state"] as? String == "submitted")
        let lastError = (waiting?["last_error"] as? String) ?? ""
        #expect(lastError.contains("stopped"), "\(lastError)")
        #expect(Cups.pdfs(in: output, count: 0).isEmpty)
        try Cups.tool("cupsenable", [queue])
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        #expect(Cups.pdfs(in: output, count: 1).count == 1)
        usleep(1_000_000)
        #expect(Cups.pdfs(in: output, count: 1).count == 1, "printed exactly once")
    }

    @Test("a queue that rejects jobs: the job waits with the reason, and prints once accepted again")
    func rejectingQueue() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        try Cups.tool("cupsreject", [queue])
        let result = try box.run(["checkin", "ACC-00012", "--print", "--printer", queue])
        #expect(result.status == 0 && result.stdout.contains("refuses"), "\(result.output)")
        let stats = try #require(try box.json(["stats"]) as? [String: Any])
        #expect(stats["checked_in"] as? Int == 1)
        #expect(try jobs(box).first?["state"] as? String == "pending")
        try Cups.tool("cupsaccept", [queue])
        #expect(try box.run(["print", "retry", "--printer", queue]).status == 0)
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        #expect(Cups.pdfs(in: output, count: 1).count == 1)
        #expect(try jobs(box).map { $0["state"] as? String } == ["printed"])
    }

    @Test("cupsd stopped: check-ins go on, badges wait, and all print exactly once when it is back")
    func stoppedCupsd() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        try Cups.stop()
        defer { try? Cups.ensureRunning() }
        for id in ["ACC-00021", "ACC-00022", "ACC-00023"] {
            let result = try box.run(["checkin", id, "--print", "--printer", queue])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("unreachable"), "\(result.output)")
        }
        #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 3)
        #expect(try jobs(box).allSatisfy { $0["state"] as? String == "pending" })
        try Cups.ensureRunning()
        #expect(try box.run(["print", "retry"]).status == 0)
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "90"]).status == 0)
        let pdfs = Cups.pdfs(in: output, count: 3)
        #expect(pdfs.count == 3)
        let codes = Set(try pdfs.flatMap { try qrCodes(inPDF: $0.path) })
        #expect(codes == Set(try ["ACC-00021", "ACC-00022", "ACC-00023"].map { try qr(box, $0) }))
    }

    @Test("a job cancelled from outside shows as failed, and prints once after a retry")
    func cancelledOutside() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        try Cups.tool("cupsdisable", [queue])
        #expect(try box.run(["checkin", "ACC-00031", "--print", "--printer", queue]).status == 0)
        let cupsJob = try #require(try jobs(box).first?["cups_job"] as? Int)
        #expect(try Cups.tool("cancel", ["\(queue)-\(cupsJob)"]).status == 0)
        _ = try box.run(["print", "run", "--timeout", "1"])
        let failed = try #require(try jobs(box).first)
        #expect(failed["state"] as? String == "failed")
        let why = (failed["last_error"] as? String) ?? ""
        #expect(why.contains("cancelled"), "\(why)")
        try Cups.tool("cupsenable", [queue])
        #expect(try box.run(["print", "retry", "--printer", queue]).status == 0)
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        #expect(Cups.pdfs(in: output, count: 1).count == 1)
        usleep(1_000_000)
        #expect(Cups.pdfs(in: output, count: 1).count == 1, "printed exactly once")
    }

    @Test("reroute waiting jobs to another printer; a reprint for a lost badge prints a new version")
    func rerouteAndReprint() throws {
        let (broken, _) = try Cups.pdfQueue()
        let (good, output) = try Cups.pdfQueue()
        defer {
            Cups.remove(broken)
            Cups.remove(good)
        }
        let box = try demo()
        try Cups.tool("cupsreject", [broken])
        #expect(try box.run(["checkin", "ACC-00041", "--print", "--printer", broken]).status == 0)
        let moved = try box.run(["print", "reroute", broken, good])
        #expect(moved.status == 0 && moved.stdout.contains("1 jobs moved"), "\(moved.output)")
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        let first = try #require(Cups.pdfs(in: output, count: 1).first)
        let oldCode = try #require(try qrCodes(inPDF: first.path).first)

        #expect(try box.run(["print", "reprint", "ACC-00041", "--printer", good]).status != 0, "a reason is required")
        let reprint = try box.run(["print", "reprint", "ACC-00041", "--reason", "lost", "--printer", good])
        #expect(reprint.status == 0 && reprint.stdout.contains("1 reprints"), "\(reprint.output)")
        #expect(try box.run(["print", "run", "--until-idle", "--timeout", "60"]).status == 0)
        let pdfs = Cups.pdfs(in: output, count: 2)
        #expect(pdfs.count == 2)
        let newCode = try #require(try pdfs.filter { $0 != first }.flatMap { try qrCodes(inPDF: $0.path) }.first)
        #expect(newCode != oldCode)
        #expect(try box.run(["badge", "verify", newCode]).status == 0)
        #expect(try box.run(["badge", "verify", oldCode]).stderr.contains("reissued"))
    }

    @Test("printers lists queues with their state in words; print test prints")
    func printersAndTestPage() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = Sandbox()
        try Cups.tool("cupsdisable", [queue])
        let listed = try box.run(["printers"])
        #expect(listed.stdout.contains(queue) && listed.stdout.contains("stopped"), "\(listed.output)")
        try Cups.tool("cupsenable", [queue])
        let test = try accueil(["print", "test", "--printer", queue, "--timeout", "60"])
        #expect(test.status == 0 && test.stdout.contains("Printed."), "\(test.output)")
        #expect(Cups.pdfs(in: output, count: 1).count == 1)
        #expect(try accueil(["print", "test", "--printer", "no-such-queue"]).status == 9)
    }

    @Test("the door screen with --print: Enter checks in and the badge comes out; Ctrl-P reprints with a reason")
    func doorScreenPrints() throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(accueilBinary.path) door --data \(box.data) --kiosk door-3 --print --printer \(queue)")
        _ = try tmux.waitFor("Search")
        try tmux.keys("ACC-00050")
        _ = try tmux.waitFor("ACC-00050")
        try tmux.keys("Enter")
        _ = try tmux.waitFor("badge sent to \(queue)")
        try tmux.keys("C-p")
        _ = try tmux.waitFor("reason (lost, damaged, misprint)")
        try tmux.keys("damaged", "Enter")
        _ = try tmux.waitFor("Reprint of")
        let pdfs = Cups.pdfs(in: output, count: 2)
        #expect(pdfs.count == 2)
        let codes = try pdfs.flatMap { try qrCodes(inPDF: $0.path) }
        #expect(Set(codes) == [try qr(box, "ACC-00050")])
        try tmux.keys("C-c")
    }

    @Test("a job handed to CUPS just before a crash is found again by its title, not printed twice")
    func crashBetweenSubmitAndRecord() throws {
        let (queue, _) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        try Cups.tool("cupsdisable", [queue])  // keep the job in CUPS while we look
        let box = try demo()
        let db = try KioskDatabase(directory: URL(fileURLWithPath: box.data))
        let (_, queued) = try db.checkIn("ACC-00060", kiosk: "door-1", print: PrintRequest(printer: queue))
        guard case .queued(let job) = queued else {
            Issue.record("not queued")
            return
        }
        // What a crash leaves: the job handed to CUPS (under its title), the store not told.
        let cups = CupsClient()
        let cupsID = try cups.submit(
            printer: queue, title: job.title, document: Data("%PDF-1.4\n%%EOF\n".utf8), format: "application/pdf",
            options: [:])
        try db.updatePrintJob(job.id, state: "pending", attempted: true)
        #expect(try box.run(["print", "run", "--timeout", "1", "--printer", queue]).status == 9)
        let after = try #require(try db.printJob(job.id))
        #expect(after.state == "submitted" && after.cupsJob == cupsID)
        let mine = try cups.jobs(printer: queue).filter { $0.title == job.title }
        #expect(mine.count == 1, "handed to CUPS once: \(mine)")
        try cups.cancel(cupsID, printer: queue)
    }

    @Test(
        "the door screen in headless Chromium: search as you type, check in and print, a scanner burst, undo, the offline banner"
    )
    func doorInBrowser() async throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        let server = try ServerProcess(store: box.root.appendingPathComponent("central.sqlite").path)
        let made = try accueil(["token", "create", "--kiosk", "door-1", "--role", "organiser", "--store", server.store])
        let token = try #require(made.stdout.split(separator: "\n").last.map(String.init))
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            [
                "kiosk", "--data", box.data, "--name", "door-1", "--server", server.url, "--token", token, "--listen",
                "127.0.0.1:0", "--printer", queue, "--language", "en",
            ], stderr: .file(log))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        let browser = try await Browser()
        do {
            try await browser.open("http://127.0.0.1:\(port)/")
            let online = try await browser.waitFor("#online", containing: "Online")
            let footer = try await browser.text("footer")
            #expect(online, "\(footer)")
            #expect(footer.contains("Printer ready"), "\(footer)")
            #expect(try await browser.script("return document.documentElement.lang") as? String == "en")

            // Search as you type, one typo forgiven; the result opens the attendee's card.
            try await browser.type("#q", "hidlago")
            #expect(try await browser.waitFor("#results", containing: "HIDALGO"))
            try await browser.click("#results li")
            #expect(try await browser.waitFor("#name", containing: "HIDALGO"))
            let id = try #require(try await browser.script("return current.id") as? String)

            // Check in and print: the badge reaches the PDF printer with this attendee's QR code.
            try await browser.click("#checkin")
            #expect(try await browser.waitFor("#message", containing: "Checked in"))
            #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 1)
            // The kiosk's spooler sends it; the PDF is read once CUPS says it is printed.
            let printed = try eventually(60) { try jobs(box).first?["state"] as? String == "printed" }
            #expect(printed, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let pdfs = Cups.pdfs(in: output, count: 1)
            #expect(pdfs.count == 1)
            #expect(try pdfs.flatMap { try qrCodes(inPDF: $0.path) } == [try qr(box, id)])
            // The status bar tells the last print.
            #expect(try await browser.waitFor("#printer", containing: "last badge"))
            try await keepScreenshot(browser, "door-en.png")

            // A scanner typing an id and Enter, with the focus away from the search box.
            #expect(try await browser.waitUntil("document.getElementById('result').hidden"))
            try await browser.click("#card h2")
            try await browser.burst("ACC-00042\n")
            #expect(try await browser.waitFor("#name", containing: "BENNANI"))
            // And the badge QR of the first attendee: verified, opens their card.
            try await browser.burst(try qr(box, id) + "\n")
            #expect(try await browser.waitFor("#name", containing: "HIDALGO"))

            // Undo (F9, the outcome still on the screen), with a reason picked in the page.
            try await browser.burst(Browser.Key.f9)
            try await browser.click("#reason-reason_wrong_person")
            try await browser.click("#reasonok")
            #expect(try await browser.waitFor("#message", containing: "Check-in undone"))
            #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 0)

            // Someone not on the list: the walk-in form (F4, over the outcome) registers, checks in and prints them.
            try await browser.burst(Browser.Key.f4)
            try await browser.type("#walkform input[name=first_name]", "Ngozi")
            try await browser.type("#walkform input[name=last_name]", "Okafor")
            try await browser.type("#walkform input[name=country]", "Nigeria")
            try await browser.click("#walkok")
            #expect(try await browser.waitFor("#name", containing: "OKAFOR"))
            #expect(try await browser.waitFor("#message", containing: "Checked in"))
            let walkIn = try #require(try await browser.script("return current.id") as? String)
            #expect(walkIn == "W-door-1-1")
            #expect(try eventually(60) { try jobs(box).filter { $0["state"] as? String == "printed" }.count == 2 })
            let record = try #require(
                (try box.json(["search", "Okafor"]) as? [String: Any])?["results"] as? [[String: Any]]
            ).first
            #expect(record?["walk_in"] as? Bool == true && record?["country"] as? String == "NG")
            #expect(record?["checked_in"] as? Bool == true)

            // The server goes away: the status bar says so, and since when.
            server.kill9()
            #expect(try await browser.waitFor("#online", containing: "Offline since", seconds: 15))
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test("self-service: the confirmation e-mail's QR prints the badge, nothing else is open without the PIN")
    func selfServiceInBrowser() async throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try demo()
        let log = box.root.appendingPathComponent("kiosk.log").path
        let kiosk = try spawn(
            accueilBinary.path,
            [
                "kiosk", "--data", box.data, "--name", "self-1", "--listen", "127.0.0.1:0", "--printer", queue,
                "--mode", "self-service", "--pin", "4321",
            ], stderr: .file(log))
        defer {
            kiosk.send(SIGKILL)
            kiosk.wait(timeout: .seconds(10))
        }
        let port = try await kioskPort(log: log)
        // Without the PIN, the staff API is closed: no search, no attendee, no check-in by id.
        for (method, path) in [("GET", "/api/v1/search?q=a"), ("GET", "/api/v1/attendees/ACC-00001")] {
            let answer = try #require(loopbackHTTP(port: UInt16(port), method: method, path: path, body: nil))
            #expect(answer.status == 403, "\(path): \(answer.status)")
        }
        let forced = try #require(
            loopbackHTTP(
                port: UInt16(port), method: "POST", path: "/api/v1/checkin", body: Data(#"{"id":"ACC-00001"}"#.utf8)))
        #expect(forced.status == 403)
        let browser = try await Browser()
        do {
            try await browser.open("http://127.0.0.1:\(port)/")
            #expect(try await browser.waitFor("#scan", containing: "confirmation"))
            try await keepScreenshot(browser, "self-service-fr.png")
            // A plain id typed on the scanner opens nothing.
            try await browser.burst("ACC-00001\n")
            #expect(try await browser.waitFor("#answer", containing: "accueil"))
            #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 0)
            // The signed code of the confirmation e-mail: checked in, badge printed, greeted by first name
            // in their own language.
            let code = try qr(box, "ACC-00001")
            try await browser.burst(code + "\n")
            let first = try #require(
                (try box.json(["search", "ACC-00001"]) as? [String: Any])?["results"] as? [[String: Any]]
            ).first
            let firstName = try #require(first?["first_name"] as? String)
            #expect(try await browser.waitFor("#answer", containing: firstName))
            #expect(try eventually(60) { try jobs(box).first?["state"] as? String == "printed" })
            let pdfs = Cups.pdfs(in: output, count: 1)
            #expect(try pdfs.flatMap { try qrCodes(inPDF: $0.path) } == [code])
            try await keepScreenshot(browser, "self-service-printing.png")
            // The same code again prints nothing more.
            try await browser.burst(code + "\n")
            var again = ""
            for _ in 0..<100 where !again.contains("desk") && !again.contains("accueil") {
                try await Task.sleep(for: .milliseconds(100))
                again = try await browser.text("#answer")
            }
            #expect(again.contains("desk") || again.contains("accueil"), "\(again)")
            #expect(try jobs(box).count == 1)
            // Staff: a wrong PIN is refused; the right one opens the door screen, and Lock closes it again.
            try await browser.click("#staff")
            try await browser.type("#pin", "0000")
            try await browser.click("#unlock")
            #expect(try await browser.waitFor("#pinmessage", containing: "PIN"))
            try await browser.type("#pin", "4321")
            try await browser.click("#unlock")
            #expect(try await browser.waitFor("#walkin", containing: "Inscription"))
            try await browser.type("#q", "hidalgo")
            #expect(try await browser.waitFor("#results", containing: "HIDALGO"))
            try await browser.click("#results li")
            #expect(try await browser.waitFor("#name", containing: "HIDALGO"))
            try await keepScreenshot(browser, "door-fr.png")
            try await browser.click("#lock")
            #expect(try await browser.waitFor("#scan", containing: "confirmation"))
            let closed = try #require(
                loopbackHTTP(port: UInt16(port), method: "GET", path: "/api/v1/search?q=a", body: nil))
            #expect(closed.status == 403)
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test("printer-state-reasons are said in words")
    func reasonsInWords() {
        let status = PrinterStatus(
            name: "p", isDefault: false, state: "stopped", acceptingJobs: false,
            reasons: ["media-empty-error", "media-jam-error", "offline-report", "none"], info: "", deviceURI: "",
            media: [])
        let words = status.problems.joined(separator: "; ")
        for expected in ["stopped", "refuses new jobs", "out of badges or paper", "paper jam", "offline"] {
            #expect(words.contains(expected), "\(words)")
        }
        #expect(!status.isReady)
        let fine = PrinterStatus(
            name: "p", isDefault: true, state: "idle", acceptingJobs: true, reasons: ["none"], info: "", deviceURI: "",
            media: [])
        #expect(fine.problems.isEmpty && fine.isReady)
    }

    @Test("every trouble the spooler can say is said in French too, for the pages")
    func troubleInFrench() {
        let all = PrinterStatus(
            name: "p", isDefault: false, state: "stopped", acceptingJobs: false,
            reasons: [
                "media-empty-error", "media-jam-error", "media-low-report", "offline-report", "cover-open-error",
                "marker-supply-empty-error", "toner-low-report", "cups-missing-filter-warning", "fuser-over-temp-error",
            ], info: "", deviceURI: "", media: [])
        let english = all.problems.joined(separator: "; ")
        #expect(all.problems.count == 11, "\(english)")
        let french = PrinterWords.french(english)
        // No sentence of the table is left in English; CUPS's own reason name stays as it is.
        for (sentence, _) in PrinterWords.table { #expect(!french.contains(sentence), "\(sentence) in: \(french)") }
        #expect(french.contains("bourrage") && french.contains("fuser-over-temp") && french.contains("capot"))
        #expect(
            PrinterWords.french("the print server (cupsd at localhost:631) is unreachable: is CUPS running?")
                == "le serveur d'impression (cupsd à localhost:631) est injoignable: CUPS est-il lancé ?")
        #expect(PrinterWords.french("badge queue \"Zebra-1\"") == "badge queue \"Zebra-1\"")
    }
}
