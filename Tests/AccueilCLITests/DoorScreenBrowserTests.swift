import Foundation
import TestSupport
import Testing

/// The door screen as a volunteer uses it with a queue: keyboard only, a full-screen outcome for each
/// check-in, reasons picked in the page, names in every script shown the right way round, the walk-in
/// form on a small screen, and no critical or serious accessibility problem (axe-core), in headless
/// Chromium against the real kiosk daemon.
@Suite("The door screen for a queue: keyboard, outcomes, reasons, scripts, walk-ins, accessibility")
struct DoorScreenBrowserTests {
    /// A few people whose names exercise the screen: two Martins (↓/↑), Arabic, Hebrew and Chinese
    /// native names beside Latin ones, a pending registration.
    func station() throws -> Sandbox {
        let box = Sandbox()
        let roster = try box.file(
            "roster.csv",
            """
            id,first_name,last_name,native_name,organisation,title,country,role,delegation,email,language,sessions,vip,notes
            P-1,Mouna,Trabelsi,منى الطرابلسي,Ville de Sfax,Maire adjointe,TN,elected_official,,mouna@example.org,ar,,,
            P-2,Léa,Martin,,Ville de Lyon,Cheffe de projet,FR,participant,,lea@example.org,fr,,,
            P-3,Léo,Martin,,Ville de Lille,Chargé de mission,FR,participant,,leo@example.org,fr,,,
            P-4,Wei,Chen,陈伟,Ville de Chengdu,,CN,delegation,Délégation chinoise,wei@example.org,zh,,,
            P-5,Yossi,Cohen,יוסי כהן,Ambassade d'Israël,Conseiller,IL,embassy,,yossi@example.org,he,,Protocole : accueil par le maire,
            """)
        #expect(try box.run(["roster", "import", roster]).status == 0)
        #expect(try box.run(["keys", "create"]).status == 0)
        return box
    }

    func hidden(_ browser: Browser, _ id: String) async throws -> Bool {
        try await browser.script("return document.getElementById('\(id)').hidden") as? Bool == true
    }

    @Test("keyboard only: type, ↓/↑, Enter checks in and prints, the outcome covers the screen and clears, Esc clears")
    func keyboardFlow() async throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try station()
        try await withStation(box, ["--name", "door-1", "--printer", queue, "--language", "en"]) { browser in
            try await see(browser, "#keys", "Enter")
            #expect(try await browser.script("return document.activeElement.id") as? String == "q")
            // Two Martins: the first is chosen, ↓ the second, ↑ back; the card follows.
            try await browser.type("#q", "martin")
            try await see(browser, "#results", "Léo")
            #expect(
                try await browser.waitUntil("document.querySelector('#r0').getAttribute('aria-selected') === 'true'"))
            let first = try await browser.text("#name")
            try await browser.burst(Browser.Key.down)
            #expect(
                try await browser.waitUntil("document.querySelector('#r1').getAttribute('aria-selected') === 'true'"))
            let second = try await browser.text("#name")
            #expect(first != second && [first, second].allSatisfy { $0.contains("MARTIN") }, "\(first) / \(second)")
            try await browser.burst(Browser.Key.up)
            try await see(browser, "#name", first)
            // Only what fits: someone not yet here has "check in and print", no reprint, no undo.
            #expect(try await !hidden(browser, "checkin"))
            #expect(try await hidden(browser, "reprint"))
            #expect(try await hidden(browser, "undo"))
            // Enter: checked in, printing; the outcome fills the screen in green; the field is empty and ready.
            // (The outcome clears itself after a few seconds: its size is taken the moment it shows.)
            _ = try await browser.script(
                """
                new MutationObserver(() => {
                  const box = document.getElementById('result'), v = document.documentElement;
                  if (box.hidden || window.__cover !== undefined) return;
                  const r = box.getBoundingClientRect();
                  window.__cover = r.left <= 0 && r.top <= 0 && r.width >= v.clientWidth && r.height >= v.clientHeight;
                }).observe(document.getElementById('result'), { attributes: true });
                return 0;
                """)
            try await browser.burst(Browser.Key.enter)
            try await see(browser, "#rtitle", "Checked in")
            try await see(browser, "#rdetail", "badge printing")
            #expect(try await browser.script("return document.getElementById('result').className") as? String == "ok")
            #expect(try await browser.script("return window.__cover") as? Bool == true)
            #expect(try await browser.script("return document.getElementById('q').value") as? String == "")
            #expect(try await browser.script("return document.activeElement.id") as? String == "q")
            try await keepScreenshot(browser, "door-outcome-checked-in-en.png")
            // The badge comes out of CUPS.
            let done = try eventually(60) {
                (try box.json(["print", "jobs"]) as? [[String: Any]])?.first?["state"] as? String == "printed"
            }
            #expect(done)
            #expect(Cups.pdfs(in: output, count: 1).count == 1)
            // Typing the next name clears the outcome and goes into the search field.
            try await browser.type("#q", "trab")
            #expect(try await hidden(browser, "result"))
            try await see(browser, "#results", "TRABELSI")
            // The one already in: amber, with when and where; reprint and undo offered, not check-in.
            _ = try await browser.script("document.getElementById('q').value = ''; return 0;")
            try await browser.type("#q", first.split(separator: " ").last.map(String.init) ?? "")
            try await see(browser, "#name", first)
            try await see(browser, "#state", "door-1")
            #expect(try await hidden(browser, "checkin"))
            #expect(try await !hidden(browser, "reprint"))
            #expect(try await !hidden(browser, "undo"))
            try await browser.burst(Browser.Key.enter)
            try await see(browser, "#rtitle", "Already checked in")
            try await see(browser, "#rdetail", "door-1")
            #expect(try await browser.script("return document.getElementById('result').className") as? String == "warn")
            try await keepScreenshot(browser, "door-outcome-already-en.png")
            // Esc: the outcome goes; Esc again: the search and the card are cleared.
            try await browser.burst(Browser.Key.escape)
            #expect(try await hidden(browser, "result"))
            try await browser.burst(Browser.Key.escape)
            #expect(try await browser.script("return document.getElementById('q').value") as? String == "")
            #expect(try await hidden(browser, "card"))
            // Clear button: visible with text, empties the field.
            try await browser.type("#q", "chen")
            #expect(try await browser.waitUntil("!document.getElementById('clear').hidden"))
            try await browser.click("#clear")
            #expect(try await browser.script("return document.getElementById('q').value") as? String == "")
        }
        #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 1)
    }

    @Test("reasons are picked in the page: F2 reprint (lost), F9 undo (other needs a text), both logged")
    func reasonPicker() async throws {
        let box = try station()
        #expect(try box.run(["checkin", "P-4"]).status == 0)
        let (queue, _) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        try await withStation(box, ["--name", "door-1", "--printer", queue, "--language", "fr"]) { browser in
            try await browser.type("#q", "chen")
            try await see(browser, "#name", "CHEN")
            // F2: the picker, in the page (no browser prompt); 1 = lost; Enter confirms.
            try await browser.burst(Browser.Key.f2)
            #expect(try await browser.waitUntil("!document.getElementById('reasons').hidden"))
            try await see(browser, "#reasonlist", "Badge perdu")
            try await keepScreenshot(browser, "door-reasons-fr.png")
            try await browser.burst("1" + Browser.Key.enter)
            try await see(browser, "#rtitle", "Badge envoyé")
            // F9 undo (over the outcome, if it still shows): "Other" without a text is refused in the
            // dialog; with one it is done.
            try await browser.burst(Browser.Key.f9)
            #expect(try await browser.waitUntil("!document.getElementById('reasons').hidden"))
            try await browser.burst("4")
            #expect(try await browser.script("return document.activeElement.id") as? String == "reasontext")
            try await browser.click("#reasonok")
            try await see(browser, "#reasonerror", "Précisez")
            try await browser.type("#reasontext", "arrivée saisie par erreur")
            try await browser.burst(Browser.Key.enter)
            try await see(browser, "#rtitle", "Arrivée annulée")
            #expect(try await hidden(browser, "reasons"))
            // Esc in the picker cancels without doing anything.
            try await see(browser, "#state", "Pas encore")
        }
        let log = try box.run(["sync", "export", "--out", box.root.appendingPathComponent("e.jsonl").path])
        #expect(log.status == 0)
        let events = try String(contentsOfFile: box.root.appendingPathComponent("e.jsonl").path, encoding: .utf8)
        #expect(events.contains("Badge perdu"), "\(events)")
        #expect(events.contains("arrivée saisie par erreur"))
        #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 0)
    }

    @Test("one scan of a badge checks in and prints (scan: checkin); unknown and forged codes are red, full screen")
    func scanToPrint() async throws {
        let (queue, output) = try Cups.pdfQueue()
        defer { Cups.remove(queue) }
        let box = try station()
        let code = try box.run(["badge", "qr", "P-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await withStation(box, ["--name", "door-2", "--printer", queue, "--scan", "checkin", "--language", "fr"]) {
            browser in
            try await see(browser, "#online", "Local")
            try await browser.burst(code + "\n")
            try await see(browser, "#rtitle", "Enregistré")
            try await see(browser, "#rdetail", "badge en impression")
            try await see(browser, "#rnative", "منى")
            try await keepScreenshot(browser, "door-outcome-scan-fr.png")
            // The badge is read once CUPS says it is printed.
            let done = try eventually(60) {
                (try box.json(["print", "jobs"]) as? [[String: Any]])?.first?["state"] as? String == "printed"
            }
            #expect(done)
            let pdfs = Cups.pdfs(in: output, count: 1)
            #expect(pdfs.count == 1)
            let printed = try pdfs.flatMap { try qrCodes(inPDF: $0.path) }
            #expect(printed.count == 1)
            // The printed badge scanned at the door: amber, already in.
            try await browser.burst((printed.first ?? code) + "\n")
            try await see(browser, "#rtitle", "Déjà enregistré")
            // A slow scanner (a Bluetooth one, or a busy browser: 120 ms between keys) is still a scan,
            // never a search for a name: the code, typed into the field, is recognised on Enter.
            let other = try box.run(["badge", "qr", "P-4"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await browser.press(
                (other + "\n").map { $0 == "\n" ? Browser.Key.enter : String($0) }, pause: 120, source: "slow-scanner")
            try await see(browser, "#rname", "CHEN")
            try await see(browser, "#rtitle", "Enregistré")
            #expect(try await browser.script("return document.getElementById('q').value") as? String == "")
            // A forged badge (signature changed): red, with the reason.
            var forged = code
            forged.removeLast(3)
            forged += "AAA"
            try await browser.burst(forged + "\n")
            try await see(browser, "#rtitle", "Code inconnu")
            #expect(try await browser.script("return document.getElementById('result').className") as? String == "bad")
            #expect(try await browser.text("#rdetail") != "")
            try await keepScreenshot(browser, "door-outcome-unknown-fr.png")
        }
        #expect((try box.json(["stats"]) as? [String: Any])?["checked_in"] as? Int == 2)
    }

    @Test("names mixing scripts are isolated (bdi / dir=auto) wherever a name is shown")
    func bidiNames() async throws {
        let box = try station()
        try await withStation(box, ["--name", "door-1", "--no-print", "--language", "fr"]) { browser in
            for (query, native) in [("trabelsi", "منى"), ("cohen", "יוסי")] {
                _ = try await browser.script("document.getElementById('q').value = ''; return 0;")
                try await browser.type("#q", query)
                try await see(browser, "#native", native)
                // Every element that shows a name or a line with one is its own bidi island.
                let open = try await browser.script(
                    """
                    return [...document.querySelectorAll('#name, #native, #details, #results .name, #results .native, #results .meta, #rname, #rnative, #rdetail')]
                      .filter(e => getComputedStyle(e).unicodeBidi !== 'isolate').map(e => e.id || e.className);
                    """)
                #expect((open as? [Any])?.isEmpty == true, "not isolated: \(open ?? "")")
                // The Latin name reads left to right, the native one right to left, each whole.
                #expect(
                    try await browser.script("return getComputedStyle(document.getElementById('native')).direction")
                        as? String == "rtl")
                #expect(
                    try await browser.script("return getComputedStyle(document.getElementById('name')).direction")
                        as? String == "ltr")
            }
            try await keepScreenshot(browser, "door-bidi-fr.png")
        }
    }

    @Test("the walk-in form is complete and fits at 1024×768; a walk-in with every field is registered and checked in")
    func walkInForm() async throws {
        let box = try station()
        try await withStation(box, ["--name", "door-1", "--no-print", "--language", "fr"], windowSize: "1024,768") {
            browser in
            try await browser.burst(Browser.Key.f4)
            #expect(try await browser.waitUntil("!document.getElementById('walkform').hidden"))
            let outside = try await browser.script(
                """
                const form = document.querySelector('#walkform form').getBoundingClientRect();
                return [...document.querySelectorAll('#walkform input, #walkform select, #walkform button')].filter(e => {
                  const r = e.getBoundingClientRect();
                  return r.left < form.left - 0.5 || r.right > form.right + 0.5 || r.bottom > innerHeight || r.right > innerWidth;
                }).map(e => e.name || e.id);
                """)
            #expect((outside as? [Any])?.isEmpty == true, "outside the dialog or the screen: \(outside ?? "")")
            try await keepScreenshot(browser, "door-walkin-fr-1024x768.png")
            for (field, value) in [
                ("first_name", "Amal"), ("last_name", "Haddad"), ("native_name", "أمل حداد"), ("title", "Journaliste"),
                ("organisation", "L'Orient-Le Jour"), ("country", "Liban"), ("delegation", "Presse libanaise"),
            ] {
                try await browser.type("#walkform input[name=\(field)]", value)
            }
            _ = try await browser.script(
                "document.querySelector('#walkform select[name=role]').value = 'press'; return 0;")
            try await browser.click("#walkok")
            try await see(browser, "#rtitle", "Enregistré")
            try await see(browser, "#details", "Liban")
        }
        let found = try #require(
            (try box.json(["search", "Haddad"]) as? [String: Any])?["results"] as? [[String: Any]]
        ).first
        #expect(found?["country"] as? String == "LB" && found?["native_name"] as? String == "أمل حداد")
        #expect(found?["title"] as? String == "Journaliste" && found?["delegation"] as? String == "Presse libanaise")
        #expect(found?["role"] as? String == "press" && found?["checked_in"] as? Bool == true)
    }

    @Test("axe-core finds no critical or serious problem on the door, session and self-service screens, in each state")
    func accessibility() async throws {
        let box = try station()
        #expect(try box.run(["checkin", "P-5"]).status == 0)
        var problems: [String] = []
        try await withStation(box, ["--name", "door-1", "--no-print", "--language", "fr"]) { browser in
            try await see(browser, "#counts", "1 / 5")
            problems += try await accessibilityProblems(browser).map { "door, empty: " + $0 }
            try await browser.type("#q", "cohen")
            try await see(browser, "#name", "COHEN")
            problems += try await accessibilityProblems(browser).map { "door, card: " + $0 }
            try await browser.burst(Browser.Key.enter)
            try await see(browser, "#rtitle", "Déjà")
            problems += try await accessibilityProblems(browser).map { "door, outcome: " + $0 }
            try await browser.burst(Browser.Key.f9)
            #expect(try await browser.waitUntil("!document.getElementById('reasons').hidden"))
            problems += try await accessibilityProblems(browser).map { "door, reasons: " + $0 }
            try await browser.burst(Browser.Key.escape + Browser.Key.f4)
            #expect(try await browser.waitUntil("!document.getElementById('walkform').hidden"))
            problems += try await accessibilityProblems(browser).map { "door, walk-in: " + $0 }
        }
        // The session door: waiting, a refusal with the supervisor's form open.
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        let schedule = try box.file(
            "schedule.csv",
            """
            id,title,room,start,end,capacity,access
            AT-1,Atelier eau,Salle 2,\(format.string(from: Date().addingTimeInterval(-600))),\(format.string(from: Date().addingTimeInterval(3000))),0,"roles=elected_official"
            """)
        #expect(try box.run(["sessions", "import", schedule]).status == 0)
        let code = try box.run(["badge", "qr", "P-2"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await withStation(
            box, ["--name", "room-1", "--no-print", "--mode", "session", "--session", "AT-1", "--pin", "1234"]
        ) { browser in
            try await see(browser, "#title", "Atelier eau")
            problems += try await accessibilityProblems(browser).map { "session door: " + $0 }
            try await browser.burst(code + "\n")
            #expect(try await browser.waitUntil("!document.getElementById('override').hidden"))
            try await browser.click("#override")
            problems += try await accessibilityProblems(browser).map { "session door, override: " + $0 }
        }
        try await withStation(box, ["--name", "self-1", "--no-print", "--mode", "self-service", "--pin", "1234"]) {
            browser in
            try await see(browser, "#scan", "QR")
            problems += try await accessibilityProblems(browser).map { "self-service: " + $0 }
            try await browser.click("#staff")
            problems += try await accessibilityProblems(browser).map { "self-service, PIN: " + $0 }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
