import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why talking to the browser failed.
public struct WebDriverError: Error, CustomStringConvertible {
    public var description: String
    /// The W3C error code chromedriver answered with ("no such element", "stale element reference"…).
    public var code: String?
    public init(_ description: String, code: String? = nil) {
        self.description = description
        self.code = code
    }
}

/// Headless Chromium driven through chromedriver (the W3C WebDriver protocol), as a person at the
/// kiosk's touch screen would use it.
public final class Browser {
    public let driver: Spawned
    public let port: UInt16
    public let session: String
    public let log: String

    /// The browser's profile folder: also how its processes are found again to end them.
    public let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        .path

    /// Starts chromedriver and a headless Chromium (Debian's chromium and chromium-driver).
    public init(windowSize: String = "1280,800", language: String = "fr") async throws {
        log =
            FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(UUID().uuidString).log").path
        // A free port of our choosing, and chromedriver is ready when its /status says so
        // (WebDriver's readiness state), not when its output says it started. Another program may
        // take the port between its release here and chromedriver's bind: chromedriver then exits,
        // and another port is tried.
        var chosen: (driver: Spawned, port: UInt16)?
        for _ in 0..<5 where chosen == nil {
            let (fd, free) = listenOnLoopback(backlog: 1)
            close(fd)
            let started = try spawn("/usr/bin/chromedriver", ["--port=\(free)"], stdout: .file(log), stderr: .null)
            // Up to a minute: on two cores busy with other browsers and daemons it has taken over 10 s.
            for _ in 0..<600 {
                if let status = try? await Self.call(free, "/status", "GET", nil),
                    (status["value"] as? [String: Any])?["ready"] as? Bool == true
                {
                    chosen = (started, free)
                    break
                }
                if started.poll() != nil { break }  // it ended: the port was taken
                try await Task.sleep(for: .milliseconds(100))
            }
            if chosen == nil {
                started.sendToGroup(SIGKILL)
                _ = started.wait(timeout: .seconds(5))
            }
        }
        guard let chosen else {
            throw WebDriverError("chromedriver did not start (is chromium-driver installed?)")
        }
        (driver, port) = (chosen.driver, chosen.port)
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=\(windowSize)",
                            "--lang=\(language)",
                            "--user-data-dir=\(profile)", "--disable-crash-reporter", "--disable-breakpad",
                            "--no-first-run",
                        ],
                        // What the page sees as the browser's languages (navigator.languages, Accept-Language).
                        "prefs": ["intl.accept_languages": language],
                    ],
                ]
            ]
        ]
        let created = try await Self.call(UInt16(port), "/session", "POST", capabilities)
        guard let id = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            driver.sendToGroup(SIGKILL)
            throw WebDriverError("chromedriver did not open a browser: \(created)")
        }
        session = id
    }

    /// One WebDriver request. chromedriver is waited for on a thread of Dispatch's, not on one of
    /// the few threads async code runs on (one per core): a browser slow to answer then holds up no
    /// one else.
    static func call(_ port: UInt16, _ path: String, _ method: String, _ body: [String: Any]?) async throws
        -> [String: Any]
    {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let answer = await withCheckedContinuation { (continuation: CheckedContinuation<Data?, Never>) in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: loopbackHTTP(port: port, method: method, path: path, body: data, pageToken: false)?.body)
            }
        }
        guard let answer else { throw WebDriverError("chromedriver: no answer to \(method) \(path)") }
        return (try JSONSerialization.jsonObject(with: answer) as? [String: Any]) ?? [:]
    }

    @discardableResult
    public func command(_ path: String, _ method: String = "POST", _ body: [String: Any]? = nil) async throws -> Any? {
        let value = try await Self.call(
            port, "/session/\(session)\(path)", method, body ?? (method == "POST" ? [:] : nil))["value"]
        if let failure = value as? [String: Any], let error = failure["error"] as? String {
            throw WebDriverError("chromedriver: \(method) \(path): \(error): \(failure["message"] ?? "")", code: error)
        }
        return value
    }

    public func open(_ url: String) async throws { try await command("/url", "POST", ["url": url]) }

    /// The W3C key under which chromedriver names an element it found.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// The element `css` selects, waiting up to `seconds` for it to appear: after a click that
    /// submits a form, the next page may still be on its way.
    public func element(_ css: String, seconds: Double = 10) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                let found = try await command("/element", "POST", ["using": "css selector", "value": css])
                guard let id = (found as? [String: Any])?[Self.elementKey] as? String else {
                    throw WebDriverError("chromedriver named no element for \(css): \(found ?? "")")
                }
                return id
            } catch let error as WebDriverError where error.code == "no such element" && Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    public func type(_ css: String, _ text: String) async throws {
        try await onElement(css) { try await command("/element/\($0)/value", "POST", ["text": text]) }
    }

    public func click(_ css: String) async throws {
        try await onElement(css) { try await command("/element/\($0)/click") }
    }

    /// Runs `action` on the element `css` selects, finding it again if the page replaced it in
    /// between (a "stale element": the page re-rendered or navigated).
    private func onElement(_ css: String, _ action: (String) async throws -> Any?) async throws {
        for attempt in 1...20 {
            do {
                _ = try await action(try await element(css))
                return
            } catch let error as WebDriverError where error.code == "stale element reference" && attempt < 20 {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Runs JavaScript in the page and returns its result.
    public func script(_ source: String) async throws -> Any? {
        try await command("/execute/sync", "POST", ["script": source, "args": []])
    }

    /// Runs JavaScript that ends by calling `done(result)` (fetches, timers) and returns the result.
    public func asyncScript(_ source: String) async throws -> Any? {
        try await command(
            "/execute/async", "POST",
            [
                "script":
                    "const done = arguments[arguments.length - 1]; (async () => { \(source) })().catch(e => done('error: ' + e));",
                "args": [],
            ])
    }

    public func text(_ css: String) async throws -> String {
        (try await script("const e = document.querySelector(\(quoted(css))); return e ? e.innerText : '';") as? String)
            ?? ""
    }

    /// Keys pressed one after the other as fast as the browser takes them, wherever the focus is:
    /// what a barcode scanner in keyboard mode does.
    public func burst(_ keys: String) async throws {
        try await press(keys.map { $0 == "\n" ? Key.enter : String($0) }, source: "scanner")
    }

    /// `keys` (each a character or a `Key`) pressed one after the other, each followed by a pause of
    /// `pause` ms: a person typing, a slow scanner. `source` names the input device.
    public func press(_ keys: [String], pause: Int = 0, source: String = "keyboard") async throws {
        let actions = keys.flatMap { value -> [[String: Any]] in
            [["type": "keyDown", "value": value], ["type": "keyUp", "value": value]]
                + (pause > 0 ? [["type": "pause", "duration": pause]] : [])
        }
        try await command("/actions", "POST", ["actions": [["type": "key", "id": source, "actions": actions]]])
    }

    public func answerPrompt(_ text: String) async throws {
        try await command("/alert/text", "POST", ["text": text])
        try await command("/alert/accept")
    }

    public func screenshot(to path: String) async throws {
        guard let encoded = try await command("/screenshot", "GET") as? String else {
            throw WebDriverError("no screenshot")
        }
        try Data(base64Encoded: encoded)?.write(to: URL(fileURLWithPath: path))
    }

    /// Waits up to `seconds` for `css`'s text to contain `expected`.
    /// (It looks once more after the deadline: on a busy machine the waiting task may only wake up
    /// after it, and what it waited for may have come meanwhile.)
    public func waitFor(_ css: String, containing expected: String, seconds: Double = 20) async throws -> Bool {
        try await poll(seconds) { try await text(css).contains(expected) }
    }

    /// Waits up to `seconds` for the JavaScript `condition` (an expression) to be true in the page.
    public func waitUntil(_ condition: String, seconds: Double = 20) async throws -> Bool {
        try await poll(seconds) { try await script("return !!(\(condition));") as? Bool == true }
    }

    /// Asks `check` every 50 ms for up to `seconds`, and once more after the deadline.
    private func poll(_ seconds: Double, _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await check()
    }

    /// WebDriver's codes for the keys a door uses, for `burst`.
    public enum Key {
        public static let enter = "\u{E007}", escape = "\u{E00C}", up = "\u{E013}", down = "\u{E015}"
        public static let f2 = "\u{E032}", f4 = "\u{E034}", f9 = "\u{E039}"
    }

    public func quit() async {
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
