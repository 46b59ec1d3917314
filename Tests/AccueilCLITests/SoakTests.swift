import Foundation
import Testing

/// The kiosk daemon under the load of busy door screens (`accueil bench kiosk-api`, run on the
/// binary under test — the release build in `scripts/test`): 16 clients for 30 s mixing check-ins
/// (half with a badge to print), undos, reprints, searches, scans, status and stats polling. The
/// daemon must stay up, every answer must be well-formed, its memory must stay flat, and every
/// acknowledged check-in must be in the store exactly once.
@Suite(.serialized) struct SoakTests {
    @Test func kioskAPIUnderConcurrentLoad() throws {
        let result = try accueil(
            ["bench", "kiosk-api", "--clients", "16", "--seconds", "30", "--count", "5000", "--json"],
            timeout: .seconds(180))
        print("soak, kiosk API: \(result.stdout)")
        #expect(result.status == 0, "\(result.output)")
        let figures = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
        #expect(figures["daemon_alive"] as? Bool == true)
        #expect(figures["bad_answers"] as? Int == 0, "\(figures["first_bad_answers"] ?? "")")
        #expect((figures["ledger_mismatches"] as? [Any])?.isEmpty == true, "\(figures["ledger_mismatches"] ?? "")")
        #expect((figures["checkins_acknowledged"] as? Int ?? 0) > 50)
        // Memory: a leak of a few kilobytes per request would show as hundreds of MB here. Not
        // under a sanitizer (scripts/test's sanitizer stage sets ACCUEIL_SANITIZER): AddressSanitizer
        // keeps freed memory in quarantine, so the process grows whatever the code does.
        let start = figures["rss_start_mb"] as? Double ?? 0
        let end = figures["rss_end_mb"] as? Double ?? 0
        let tenths = figures["rss_tenths_mb"] as? [Double] ?? []
        #expect(tenths.count == 10, "\(figures)")
        if ProcessInfo.processInfo.environment["ACCUEIL_SANITIZER"] == nil, tenths.count == 10 {
            #expect(end < start + 150, "RSS went from \(start) MB to \(end) MB")
            // Flat once warm: from the end of the third tenth (the roster checked in, the
            // connections open) to the end. With an arena per thread it kept growing (BENCHMARKS.md).
            #expect(tenths[9] < tenths[2] + 16, "RSS by tenth of the run: \(tenths) MB")
        }
    }
}
