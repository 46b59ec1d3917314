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
func keepScreenshot(_ browser: Browser, _ name: String) async throws {
    guard let folder = ProcessInfo.processInfo.environment["ACCUEIL_SCREENSHOTS"], !folder.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try await browser.screenshot(to: URL(fileURLWithPath: folder).appendingPathComponent(name).path)
}
