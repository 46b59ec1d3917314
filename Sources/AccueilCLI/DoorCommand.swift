import AccueilCore
import ArgumentParser
import BadgeCore
import CommandSupport
import Foundation
import KioskApp
import KioskStore
import Printing

#if canImport(Glibc)
    import Glibc
#endif

struct DoorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "door",
        abstract: "The door's terminal screen: type to search, Enter to check in.",
        discussion: """
            For staff at the desk, over SSH too. Results update as you type; a barcode scanner that \
            types an id and Enter checks that person in directly.

            Keys: type to search · ↑ ↓ choose · Enter check in · Ctrl-U undo the selected check-in \
            (asks why) · Ctrl-N register a walk-in · Ctrl-P reprint the selected badge (asks why) · \
            Ctrl-W delete a word · Esc clear or cancel · Ctrl-C quit. Check-ins made elsewhere on the \
            same store show within a second.

            With --print, each check-in also prints the badge (queued in the same transaction; \
            printer trouble shows on screen and the badge waits, the check-in stands).
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var badges: BadgeOptions
    @OptionGroup var printing: PrintOptions
    @Flag(help: "Print a badge at each check-in.") var print = false

    func run() throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw CommandFailure.usage("door needs a terminal (use search and checkin in scripts)")
        }
        // One store handle, shared with the spooler when printing.
        let spool = print ? try spooler(store, badges, printing) : nil
        let db = try spool?.db ?? store.open()
        let screen: DoorScreen
        do { screen = try DoorScreen(db: db, kiosk: store.kioskName) } catch { throw commandFailure(error) }
        if print {
            screen.spooler = spool
            screen.printRequest = try printing.request(store, badges: badges, onlyOnce: true)
        }
        try screen.run()
    }
}

/// The interactive screen. Single-threaded: one loop reads keys, acts and redraws.
final class DoorScreen {
    enum Mode {
        case search
        case undoReason(AttendeeRecord, reason: [Character])
        case reprintReason(AttendeeRecord, reason: [Character])
        case walkIn(field: Int, values: [[Character]])
    }

    enum Tone { case info, success, warning, error }

    let db: KioskDatabase
    let kiosk: String
    var roster: LiveRoster
    var query: [Character] = []
    var results: [RosterSnapshot.Result] = []
    var selected = 0
    var mode = Mode.search
    var message: (String, Tone) = ("", .info)
    var detail: String = ""
    var checkedIn = 0
    var registered = 0
    var running = true
    var spooler: PrintSpooler?
    var printRequest: PrintRequest?
    /// One line on the printer and its queue, when printing.
    var printerLine = ""
    private var pending: [UInt8] = []

    static let walkInFields = [
        "First name / Prénom", "Last name / Nom", "Organisation", "Country / Pays", "Role / Rôle [participant]",
    ]

    init(db: KioskDatabase, kiosk: String) throws(StoreError) {
        self.db = db
        self.kiosk = kiosk
        roster = try LiveRoster(db: db)
        try refreshCounts()
    }

    func refreshCounts() throws(StoreError) {
        let stats = try db.stats()
        checkedIn = stats.checkedIn
        registered = stats.registered
    }

    func record(_ result: RosterSnapshot.Result) -> AttendeeRecord {
        roster.current(result.record)
    }

    // MARK: Loop

    func run() throws {
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutablePointer(to: &raw.c_cc) { pointer in
            pointer.withMemoryRebound(to: cc_t.self, capacity: Int(NCCS)) { cc in
                cc[Int(VMIN)] = 0
                cc[Int(VTIME)] = 2  // wake up every 0.2 s to look for changes made elsewhere
            }
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l")
        defer {
            write("\u{1B}[?25h\u{1B}[?1049l")
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        }
        updateResults()
        render()
        var buffer = [UInt8](repeating: 0, count: 256)
        var idleTicks = 0
        while running {
            let n = read(STDIN_FILENO, &buffer, buffer.count)
            if n > 0 {
                idleTicks = 0
                handle(Array(buffer[0..<n]))
                render()
            } else {
                idleTicks += 1
                if idleTicks % 5 == 0 {
                    let changed = pollChanges()
                    let printed = spool().changed
                    if changed || printed { render() }
                }
            }
        }
    }

    /// Moves the print queue along, once; says what the pass did and whether the printer line changed.
    @discardableResult
    func spool() -> (report: SpoolReport?, changed: Bool) {
        guard let spooler, let request = printRequest else { return (nil, false) }
        let report = try? spooler.runOnce()
        let open = (try? db.printJobs(states: ["pending", "submitted"]).count) ?? 0
        let status =
            (try? spooler.cups.printer(request.printer)).map {
                $0.problems.isEmpty ? "ready" : $0.problems.joined(separator: "; ")
            }
            ?? "print server unreachable"
        var line = "🖨 \(request.printer): \(status) · \(open) badge(s) waiting"
        if let printed = report?.printed.last { line += " · last printed: \(printed.attendeeID)" }
        let changed = line != printerLine
        printerLine = line
        return (report, changed)
    }

    /// Picks up changes made by other processes on this store. Returns true when something changed.
    func pollChanges() -> Bool {
        guard roster.refresh(from: db) else { return false }
        try? refreshCounts()
        updateResults()
        return true
    }

    // MARK: Keys

    func handle(_ bytes: [UInt8]) {
        pending += bytes
        while !pending.isEmpty {
            let byte = pending[0]
            if byte == 0x1B {
                if pending.count >= 3 && pending[1] == UInt8(ascii: "[") {
                    let code = pending[2]
                    var consumed = 3
                    if code >= UInt8(ascii: "0") && code <= UInt8(ascii: "9") && pending.count >= 4 { consumed = 4 }
                    pending.removeFirst(consumed)
                    switch code {
                    case UInt8(ascii: "A"): move(-1)
                    case UInt8(ascii: "B"): move(1)
                    case UInt8(ascii: "5"): move(-10)
                    case UInt8(ascii: "6"): move(10)
                    default: break
                    }
                } else if pending.count >= 2 && pending[1] == UInt8(ascii: "O") && pending.count >= 3 {
                    pending.removeFirst(3)
                } else {
                    pending.removeFirst()
                    escape()
                }
                continue
            }
            if byte < 0x20 || byte == 0x7F {
                pending.removeFirst()
                control(byte)
                continue
            }
            // UTF-8 text: wait for a whole character.
            let length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
            guard pending.count >= length else { return }
            let text = String(decoding: pending[0..<length], as: UTF8.self)
            pending.removeFirst(length)
            type(text)
        }
    }

    func control(_ byte: UInt8) {
        switch byte {
        case 0x03: running = false  // Ctrl-C
        case 0x04: if case .search = mode, query.isEmpty { running = false }
        case 0x0D, 0x0A: enter()
        case 0x7F, 0x08: backspace()
        case 0x15: startUndo()  // Ctrl-U
        case 0x0E: startWalkIn()  // Ctrl-N
        case 0x10: startReprint()  // Ctrl-P
        case 0x17: deleteWord()  // Ctrl-W
        case 0x09: move(1)  // Tab
        default: break
        }
    }

    func type(_ text: String) {
        switch mode {
        case .search:
            query += Array(text)
            selected = 0
            updateResults()
        case .undoReason(let record, var reason):
            reason += Array(text)
            mode = .undoReason(record, reason: reason)
        case .reprintReason(let record, var reason):
            reason += Array(text)
            mode = .reprintReason(record, reason: reason)
        case .walkIn(let field, var values):
            values[field] += Array(text)
            mode = .walkIn(field: field, values: values)
        }
    }

    func backspace() {
        switch mode {
        case .search:
            if !query.isEmpty {
                query.removeLast()
                selected = 0
                updateResults()
            }
        case .undoReason(let record, var reason):
            if !reason.isEmpty { reason.removeLast() }
            mode = .undoReason(record, reason: reason)
        case .reprintReason(let record, var reason):
            if !reason.isEmpty { reason.removeLast() }
            mode = .reprintReason(record, reason: reason)
        case .walkIn(let field, var values):
            if !values[field].isEmpty { values[field].removeLast() }
            mode = .walkIn(field: field, values: values)
        }
    }

    func deleteWord() {
        guard case .search = mode else { return }
        while query.last == " " { query.removeLast() }
        while let last = query.last, last != " " { query.removeLast() }
        selected = 0
        updateResults()
    }

    func escape() {
        switch mode {
        case .search:
            query = []
            selected = 0
            updateResults()
            message = ("", .info)
        default:
            mode = .search
            message = ("Cancelled / Annulé", .info)
        }
    }

    func move(_ delta: Int) {
        guard case .search = mode, !results.isEmpty else { return }
        selected = min(max(selected + delta, 0), results.count - 1)
        updateDetail()
    }

    // MARK: Actions

    func updateResults() {
        let text = String(query).trimmingCharacters(in: .whitespaces)
        results = text.isEmpty ? [] : roster.search(text, limit: 50)
        if selected >= results.count { selected = max(0, results.count - 1) }
        updateDetail()
    }

    func updateDetail() {
        guard results.indices.contains(selected) else {
            detail = ""
            return
        }
        let a = record(results[selected]).attendee
        var parts: [String] = []
        if !a.title.isEmpty { parts.append(a.title) }
        if !a.organisation.isEmpty { parts.append(a.organisation) }
        if !a.country.isEmpty { parts.append(Country.name(a.country, language: .fr)) }
        if !a.delegation.isEmpty { parts.append(a.delegation) }
        if !a.language.isEmpty { parts.append("langue/language: \(a.language)") }
        if a.walkIn { parts.append("walk-in") }
        detail = parts.joined(separator: " · ")
    }

    func enter() {
        switch mode {
        case .search:
            // A registration ticket scanned (pretix, Eventbrite, Indico): that attendee, not a search.
            if results.first?.hit.match != .exact, let record = ticketHolder(String(query)) {
                guard !record.removed else {
                    message = (
                        "⛔ Registration cancelled / inscription annulée: \(record.attendee.listName)", .error
                    )
                    return
                }
                checkIn(record)
                return
            }
            guard results.indices.contains(selected) else {
                message = (query.isEmpty ? "Type a name / Tapez un nom" : "Nobody matches / Aucun résultat", .warning)
                return
            }
            checkIn(record(results[selected]))
        case .undoReason(let record, let reason):
            let text = String(reason).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else {
                message = ("A reason is needed / Motif obligatoire", .warning)
                return
            }
            do {
                try db.undoCheckIn(record.attendee.id, reason: text, kiosk: kiosk)
                mode = .search
                refresh(record.attendee.id, expectedEvents: 1)
                message = ("↺ Check-in of \(record.attendee.listName) undone / annulé: \(text)", .info)
            } catch {
                mode = .search
                message = (error.message, .error)
            }
        case .reprintReason(let record, let reason):
            let text = String(reason).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else {
                message = ("A reason is needed: lost, damaged, misprint / Motif obligatoire", .warning)
                return
            }
            mode = .search
            guard let request = printRequest else { return }
            do {
                _ = try db.reprint(record.attendee.id, reason: text, request: request, kiosk: kiosk)
                refresh(
                    record.attendee.id,
                    expectedEvents: text.lowercased() == "lost" || text.lowercased() == "perdu" ? 2 : 1)
                message = (
                    "🖨 Reprint of \(record.attendee.listName) queued / réimpression demandée: \(text)", .info
                )
                spool()
            } catch {
                message = (error.message, .error)
            }
        case .walkIn(let field, let values):
            if field + 1 < Self.walkInFields.count {
                mode = .walkIn(field: field + 1, values: values)
            } else {
                finishWalkIn(values)
            }
        }
    }

    /// The attendee a registration ticket code belongs to, when `text` is one.
    func ticketHolder(_ text: String) -> AttendeeRecord? {
        guard text.count >= 6, let tickets = ((try? Keyring.load(from: db.directory)) ?? nil)?.tickets,
            let digest = tickets.digest(scanned: text)
        else { return nil }
        return roster.record(ticket: digest)
    }

    func checkIn(_ record: AttendeeRecord) {
        let a = record.attendee
        do {
            let done = try db.doorCheckIn(a.id, kiosk: kiosk, print: printRequest)
            defer { describePrint(done.printing) }
            switch done.outcome {
            case .checkedIn(let r):
                let vip = a.vip.isEmpty ? "" : "   ★ VIP: \(a.vip)"
                message = (
                    "✓ \(a.listName) — \(a.role.label) — checked in / enregistré·e \(Output.time(r.at))\(vip)",
                    .success
                )
            case .alreadyCheckedIn(let previous):
                message = (
                    "⚠ \(a.listName): already checked in at \(Output.time(previous.at)) at \(previous.kiosk) / déjà enregistré·e",
                    .warning
                )
            case .pendingRegistration:
                message = (
                    "⛔ \(a.listName): registration pending (payment or approval) / inscription en attente",
                    .error
                )
            }
            refresh(a.id, expectedEvents: 1)
        } catch {
            message = (error.message, .error)
        }
    }

    /// Adds what became of the badge to the message line.
    func describePrint(_ queued: PrintQueueing) {
        switch queued {
        case .notAsked: return
        case .alreadyPrinted:
            message.0 += "   🖨 badge already printed (Ctrl-P to reprint)"
        case .queued(let job):
            let report = spool().report
            if report?.submitted.contains(where: { $0.id == job.id }) == true {
                message.0 += "   🖨 badge sent to \(job.printer)"
            } else {
                let why = report?.why(job) ?? "waiting"
                message.0 += "   🖨 badge waiting: \(why)"
                if message.1 == .success { message.1 = .warning }
            }
        }
    }

    func startReprint() {
        guard case .search = mode, results.indices.contains(selected) else { return }
        guard printRequest != nil else {
            message = ("Printing is off: start the door with --print / impression désactivée", .warning)
            return
        }
        mode = .reprintReason(record(results[selected]), reason: [])
        message = ("", .info)
    }

    func startUndo() {
        guard case .search = mode, results.indices.contains(selected) else { return }
        let r = record(results[selected])
        guard r.checkIn != nil else {
            message = ("\(r.attendee.listName) is not checked in / n'est pas enregistré·e", .warning)
            return
        }
        mode = .undoReason(r, reason: [])
        message = ("", .info)
    }

    func startWalkIn() {
        guard case .search = mode else { return }
        var values = Array(repeating: [Character](), count: Self.walkInFields.count)
        // What was typed in the search box is most likely the person's name.
        let words = String(query).split(separator: " ").map(String.init)
        if words.count >= 2 {
            values[0] = Array(words[0])
            values[1] = Array(words[1...].joined(separator: " "))
        } else if let only = words.first {
            values[1] = Array(only)
        }
        mode = .walkIn(field: 0, values: values)
        message = ("", .info)
    }

    func finishWalkIn(_ values: [[Character]]) {
        let text = values.map { String($0).trimmingCharacters(in: .whitespaces) }
        func fail(_ field: Int, _ why: String) {
            mode = .walkIn(field: field, values: values)
            message = (why, .error)
        }
        let form = WalkIn(
            firstName: text[0], lastName: text[1], organisation: text[2], country: text[3], role: text[4])
        var attendee: Attendee
        do {
            attendee = try form.attendee(id: "")
        } catch {
            // The form's fields: first name, last name, organisation, country, role.
            return fail(
                ["first_name": 1, "country": 3, "role": 4][error.field] ?? 0, "\(error.english) / \(error.french)")
        }
        do {
            attendee.id = try db.nextWalkInID(kiosk: kiosk)
            let r = try db.walkIn(attendee, kiosk: kiosk)
            mode = .search
            roster.refresh(from: db)
            try refreshCounts()
            query = Array(attendee.id)
            selected = 0
            updateResults()
            message = (
                "✓ Walk-in \(attendee.listName) (\(attendee.id)) registered and checked in / inscrit·e et enregistré·e \(Output.time(r.at))",
                .success
            )
        } catch {
            fail(4, error.message)
        }
    }

    /// After our own write of `expectedEvents` events: refresh that attendee, and pick up anything
    /// another process wrote meanwhile.
    func refresh(_ id: String, expectedEvents: Int) {
        roster.wrote(id, expectedEvents: expectedEvents, in: db)
        try? refreshCounts()
        updateDetail()
    }

    // MARK: Drawing

    func terminalSize() -> (rows: Int, columns: Int) {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
            return (Int(size.ws_row), Int(size.ws_col))
        }
        return (24, 80)
    }

    func render() {
        let (rows, columns) = terminalSize()
        var out = "\u{1B}[H\u{1B}[2J"
        func line(_ text: String, _ style: String = "") {
            out += style + Terminal.fit(text, columns) + (style.isEmpty ? "" : "\u{1B}[0m") + "\r\n"
        }
        line(" Accueil · \(kiosk)   Checked in / Arrivés: \(checkedIn) / \(registered)", "\u{1B}[1;7m")
        switch mode {
        case .search:
            line(" Search / Recherche › \(String(query))▏", "\u{1B}[1m")
        case .undoReason(let record, let reason):
            line(
                " Undo the check-in of \(record.attendee.listName) — reason / motif › \(String(reason))▏",
                "\u{1B}[1;33m")
        case .reprintReason(let record, let reason):
            line(
                " Reprint the badge of \(record.attendee.listName) — reason (lost, damaged, misprint) / motif › \(String(reason))▏",
                "\u{1B}[1;33m")
        case .walkIn(let field, let values):
            line(" Walk-in / Inscription sur place (Enter: next · Esc: cancel)", "\u{1B}[1;36m")
            for (i, name) in Self.walkInFields.enumerated() {
                line(
                    "   \(i == field ? "›" : " ") \(name): \(String(values[i]))\(i == field ? "▏" : "")",
                    i == field ? "\u{1B}[1m" : "")
            }
        }
        line(String(repeating: "─", count: max(columns - 1, 1)), "\u{1B}[2m")
        let used =
            6 + (detail.isEmpty ? 0 : 1)
            + { if case .walkIn = mode { return Self.walkInFields.count + 1 } else { return 0 } }()
        let visible = max(rows - used, 1)
        let first = max(0, selected - visible + 1)
        for (i, result) in results.enumerated().dropFirst(first).prefix(visible) {
            let r = record(result)
            let a = r.attendee
            let status = r.checkIn.map { "✓ \(Output.time($0.at)) \($0.kiosk)" } ?? "·"
            let text =
                "\(i == selected ? "▶" : " ") \(Terminal.pad(a.listName, 36)) \(Terminal.pad(a.role.label, 34)) \(Terminal.pad(a.organisation, 28)) \(status)"
            let roleColour = Terminal.colour(a.role)
            line(text, i == selected ? "\u{1B}[7m" : (r.checkIn != nil ? "\u{1B}[2m" : roleColour))
        }
        if results.isEmpty, case .search = mode {
            line(
                query.isEmpty
                    ? "   Type a name, organisation or id… / Tapez un nom, un organisme ou un numéro…"
                    : "   Nobody matches / Aucun résultat — Ctrl-N: walk-in / inscription sur place", "\u{1B}[2m")
        }
        // Footer, at the bottom of the screen.
        out += "\u{1B}[\(max(rows - 2, 1));1H"
        if !detail.isEmpty, case .search = mode {
            out += "\u{1B}[\(max(rows - 3, 1));1H"
            line(" " + detail, "\u{1B}[36m")
        }
        let tone: String
        switch message.1 {
        case .success: tone = "\u{1B}[1;32m"
        case .warning: tone = "\u{1B}[1;33m"
        case .error: tone = "\u{1B}[1;31m"
        case .info: tone = ""
        }
        line(" " + message.0, tone)
        let keys =
            printRequest == nil
            ? " Enter check in · ↑↓ choose · Ctrl-U undo · Ctrl-N walk-in · Esc clear · Ctrl-C quit"
            : " Enter check in + print · ↑↓ · Ctrl-U undo · Ctrl-P reprint · Ctrl-N walk-in · Esc · Ctrl-C quit   "
                + printerLine
        out += "\u{1B}[2m" + Terminal.fit(keys, columns) + "\u{1B}[0m"
        write(out)
    }

    func write(_ text: String) {
        var data = Array(text.utf8)
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeMutableBytes {
                Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset)
            }
            if n <= 0 { break }
            offset += n
        }
    }
}

/// Terminal text helpers: display width (wide East Asian characters take two columns).
enum Terminal {
    static func width(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
        {
            return 2
        }
        return 1
    }

    static func width(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + width($1) } }

    /// Cuts `text` to `columns` display columns.
    static func fit(_ text: String, _ columns: Int) -> String {
        var used = 0
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let w = width(scalar)
            if used + w > columns { break }
            used += w
            out.append(scalar)
        }
        return String(out)
    }

    /// `text` cut or padded to exactly `columns` display columns.
    static func pad(_ text: String, _ columns: Int) -> String {
        let cut = width(text) > columns ? fit(text, columns - 1) + "…" : text
        return cut + String(repeating: " ", count: max(0, columns - width(cut)))
    }

    /// A colour per role, so that roles are told apart at a glance.
    static func colour(_ role: Role) -> String {
        switch role {
        case .electedOfficial: "\u{1B}[34m"
        case .embassy: "\u{1B}[35m"
        case .delegation: "\u{1B}[36m"
        case .speaker: "\u{1B}[33m"
        case .press: "\u{1B}[31m"
        case .staff: "\u{1B}[32m"
        case .partner: "\u{1B}[95m"
        case .participant: ""
        }
    }
}
