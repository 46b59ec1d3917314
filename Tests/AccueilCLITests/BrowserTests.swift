import Foundation
import TestSupport
import Testing

/// Headless Chromium driven through chromedriver (the W3C WebDriver protocol), as a person at the
/// kiosk's touch screen would use it.
final class Browser {
    let driver: Spawned
    let port: UInt16
    let session: String
    let log: String

    /// The browser's profile folder: also how its processes are found again to end them.
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path

    init() async throws {
        log =
            FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(UUID().uuidString).log").path
        driver = try spawn("/usr/bin/chromedriver", ["--port=0"], stdout: .file(log), stderr: .null)
        var port = 0
        for _ in 0..<100 where port == 0 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "started successfully on port ") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            if port == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        self.port = UInt16(port)
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", "--lang=fr",
                            "--user-data-dir=\(profile)", "--disable-crash-reporter", "--disable-breakpad",
                            "--no-first-run",
                        ],
                    ],
                ]
            ]
        ]
        let created = try Self.call(UInt16(port), "/session", "POST", capabilities)
        session = try #require((created["value"] as? [String: Any])?["sessionId"] as? String, "\(created)")
    }

    static func call(_ port: UInt16, _ path: String, _ method: String, _ body: [String: Any]? = nil) throws
        -> [String: Any]
    {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = try #require(
            loopbackHTTP(port: port, method: method, path: path, body: data), "chromedriver: no answer")
        return (try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]) ?? [:]
    }

    @discardableResult
    func command(_ path: String, _ method: String = "POST", _ body: [String: Any]? = nil) async throws -> Any? {
        try Self.call(port, "/session/\(session)\(path)", method, body ?? (method == "POST" ? [:] : nil))["value"]
    }

    func open(_ url: String) async throws { try await command("/url", "POST", ["url": url]) }

    func element(_ css: String) async throws -> String {
        let found = try await command("/element", "POST", ["using": "css selector", "value": css])
        return try #require((found as? [String: Any])?.values.first as? String, "no element \(css): \(found ?? "")")
    }

    func type(_ css: String, _ text: String) async throws {
        try await command("/element/\(try await element(css))/value", "POST", ["text": text])
    }

    func click(_ css: String) async throws { try await command("/element/\(try await element(css))/click") }

    /// Runs JavaScript in the page and returns its result.
    func script(_ source: String) async throws -> Any? {
        try await command("/execute/sync", "POST", ["script": source, "args": []])
    }

    func text(_ css: String) async throws -> String {
        (try await script("const e = document.querySelector(\(quoted(css))); return e ? e.innerText : '';") as? String)
            ?? ""
    }

    /// Keys pressed one after the other as fast as the browser takes them, wherever the focus is:
    /// what a barcode scanner in keyboard mode does.
    func burst(_ keys: String) async throws {
        let actions = keys.flatMap { key -> [[String: Any]] in
            let value = key == "\n" ? "\u{E007}" : String(key)
            return [["type": "keyDown", "value": value], ["type": "keyUp", "value": value]]
        }
        try await command("/actions", "POST", ["actions": [["type": "key", "id": "scanner", "actions": actions]]])
    }

    func answerPrompt(_ text: String) async throws {
        try await command("/alert/text", "POST", ["text": text])
        try await command("/alert/accept")
    }

    func screenshot(to path: String) async throws {
        let encoded = try #require(try await command("/screenshot", "GET") as? String)
        try Data(base64Encoded: encoded)?.write(to: URL(fileURLWithPath: path))
    }

    /// Waits up to `seconds` for `css`'s text to contain `expected`.
    func waitFor(_ css: String, containing expected: String, seconds: Double = 10) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await text(css).contains(expected) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func quit() async {
        _ = try? await command("", "DELETE")
        driver.sendToGroup(SIGKILL)  // chromedriver and the browsers it started
        driver.wait(timeout: .seconds(10))
        _ = try? runProgram("/usr/bin/pkill", ["-KILL", "-f", profile], timeout: .seconds(10))
        try? FileManager.default.removeItem(atPath: profile)
    }

    private func quoted(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast()
            .description
    }
}

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
func keepScreenshot(_ browser: Browser, _ name: String) async throws {
    guard let folder = ProcessInfo.processInfo.environment["ACCUEIL_SCREENSHOTS"], !folder.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try await browser.screenshot(to: URL(fileURLWithPath: folder).appendingPathComponent(name).path)
}
