import Foundation
import TestSupport
import Testing

/// Reads the port a kiosk daemon says its web UI is on.
func kioskPort(log: String) async throws -> Int {
    // Up to a minute: a debug build starting beside browsers and other tests on two cores is slow.
    for _ in 0..<600 {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if let range = text.range(of: "status API on http://127.0.0.1:") {
            return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("the kiosk did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    return 0
}

/// Keeps a screenshot for the docs when $ACCUEIL_SCREENSHOTS names a folder (kiosk/screenshots is
/// made this way: `ACCUEIL_SCREENSHOTS=$PWD/kiosk/screenshots scripts/test`).
/// Runs `accueil kiosk` on `box` with `arguments`, opens its screen in headless Chromium (a window of
/// `windowSize`), and hands both to `body`; the browser and the daemon are stopped after, whatever happens.
func withStation(
    _ box: Sandbox, _ arguments: [String], windowSize: String = "1280,800", _ body: (Browser) async throws -> Void
) async throws {
    let log = box.root.appendingPathComponent("kiosk.log").path
    let kiosk = try spawn(
        accueilBinary.path, ["kiosk", "--data", box.data, "--listen", "127.0.0.1:0"] + arguments,
        stderr: .file(log))
    defer {
        kiosk.send(SIGKILL)
        kiosk.wait(timeout: .seconds(10))
    }
    let port = try await kioskPort(log: log)
    let browser = try await Browser(windowSize: windowSize)
    do {
        try await browser.open("http://127.0.0.1:\(port)/")
        try await body(browser)
    } catch {
        await browser.quit()
        throw error
    }
    await browser.quit()
}

/// axe-core's critical and serious violations on the page as it is now, one line each ("rule
/// (impact): what is wrong — where"). axe-core's script comes from ACCUEIL_AXE_JS (scripts/deps.sh,
/// accueil_install_axe); without it the check fails, it is not skipped.
func accessibilityProblems(_ browser: Browser) async throws -> [String] {
    guard let path = ProcessInfo.processInfo.environment["ACCUEIL_AXE_JS"], !path.isEmpty,
        let axe = try? String(contentsOfFile: path, encoding: .utf8)
    else {
        return ["axe-core missing: ACCUEIL_AXE_JS is not set (scripts/test sets it: accueil_install_axe)"]
    }
    _ = try await browser.script(axe + "\n;return typeof axe;")
    let answer = try await browser.asyncScript(
        """
        const r = await axe.run(document, { resultTypes: ["violations"] });
        done(JSON.stringify(r.violations.filter(v => v.impact === "critical" || v.impact === "serious")
          .map(v => v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).join(", "))));
        """)
    guard let text = answer as? String, let lines = try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    else { return ["axe-core did not run: \(answer ?? "nil")"] }
    return lines
}

/// Waits for `css`'s text to contain `text`; if it never does, the failure says what the screen showed.
func see(
    _ browser: Browser, _ css: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    if ["#rtitle", "#rname", "#rnative", "#rdetail", "#answer"].contains(css) {
        if try await seeOutcome(browser, String(css.dropFirst()), text) { return }
    } else if try await browser.waitFor(css, containing: text, seconds: 20) {
        return
    }
    let screen = try await browser.script(
        "return ['q', 'message', 'rtitle', 'rdetail', 'name', 'reasonerror'].map(id => id + '=' + JSON.stringify((document.getElementById(id) || {}).value ?? (document.getElementById(id) || {}).textContent)).join(' ') + ' result.hidden=' + (document.getElementById('result') || {}).hidden"
    )
    Issue.record(
        "\(css) never showed \"\(text)\"; \(try await browser.text(css)) | \(screen ?? "")",
        sourceLocation: sourceLocation)
}

/// The door's outcome box clears itself (a green one after 2.5 s), and so does the self-service
/// answer (after 8 s); on a loaded machine the test may look later than that. The pages record each
/// outcome they showed (`window.__shown`): one shown since the last one this field was seen in
/// counts, as does the box on screen now. Each field keeps its own place in the record, so an
/// outcome already seen never answers for a later one. The self-service answer is one field that
/// tests read twice (the name, then "printing"): the outcome it was last seen in may answer again.
func seeOutcome(_ browser: Browser, _ field: String, _ text: String) async throws -> Bool {
    let wanted = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    let again = field == "answer" ? 0 : 1
    return try await browser.waitUntil(
        """
        (() => {
          const shown = window.__shown || [], seen = (window.__seen = window.__seen || {});
          const box = document.getElementById('result'), el = document.getElementById('\(field)');
          if ((!box || !box.hidden) && el && el.textContent.includes(\(wanted))) {
            seen['\(field)'] = shown.length - 1 + \(again); return true;
          }
          for (let i = seen['\(field)'] || 0; i < shown.length; i++) {
            if ((shown[i]['\(field)'] || '').includes(\(wanted))) { seen['\(field)'] = i + \(again); return true; }
          }
          return false;
        })()
        """, seconds: 20)
}

func keepScreenshot(_ browser: Browser, _ name: String) async throws {
    guard let folder = ProcessInfo.processInfo.environment["ACCUEIL_SCREENSHOTS"], !folder.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try await browser.screenshot(to: URL(fileURLWithPath: folder).appendingPathComponent(name).path)
}
