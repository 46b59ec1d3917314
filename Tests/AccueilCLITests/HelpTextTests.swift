import Foundation
import Testing
import Tooling

/// Every file a help text names exists: in the checkout (systemd/, kiosk/, badges/, docs/,
/// scripts/, demo/), or where the installer puts it (/etc/accueil, /usr/local/share/…) — checked
/// against a real `scripts/install --root` (issue 13: help texts pointed at systemd/kiosk.yaml and
/// systemd/nginx-accueil.conf, which did not exist).
@Suite("Help texts name files that exist")
struct HelpTextTests {
    /// `accueil --help` and every subcommand's, found by walking the SUBCOMMANDS lists.
    static func helpTexts() throws -> [(command: String, text: String)] {
        var found: [(String, String)] = []
        var queue: [[String]] = [[]]
        while let path = queue.popLast() {
            let result = try accueil(path + ["--help"])
            // A command's own help (an unknown one prints the top-level help, with an error).
            guard result.status == 0, result.stdout.contains("USAGE: accueil \(path.map { $0 + " " }.joined())")
            else {
                Issue.record("accueil \(path.joined(separator: " ")) --help: \(result.output.prefix(300))")
                continue
            }
            found.append((path.joined(separator: " "), result.stdout))
            guard let section = result.stdout.range(of: "SUBCOMMANDS:") else { continue }
            for line in result.stdout[section.upperBound...].split(separator: "\n") {
                // "  name    abstract" — a name starts two spaces in; wrapped abstracts start further.
                guard line.hasPrefix("  "), !line.hasPrefix("   "),
                    let name = line.split(separator: " ").first.map(String.init), !name.isEmpty
                else { continue }
                // "See 'accueil help <subcommand>'…" ends the list.
                if name == "help" || name == "See" { continue }
                queue.append(path + [name])
            }
        }
        return found
    }

    @Test("every path a help text names is in the checkout or the installed layout")
    func pathsExist() throws {
        let texts = try Self.helpTexts()
        #expect(texts.count > 40, "\(texts.map(\.command))")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-help-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let installed = try runProgram(
            sourceRoot.appendingPathComponent("scripts/install").path,
            ["--root", root.path, "--binary", accueilBinary.path], timeout: .seconds(120))
        #expect(installed.status == 0, "\(installed.output)")
        let pattern = try NSRegularExpression(
            pattern:
                #"(?<![\w./-])((?:/etc/accueil|/usr/local/share/accueil|/usr/local/share/doc/accueil|/etc/systemd/system)/[\w.-]+(?:/[\w.-]+)*|(?:systemd|kiosk|badges|docs|scripts|demo)/[\w.-]+(?:/[\w.-]+)*)"#
        )
        var checked = 0
        for (command, text) in texts {
            // Help text wraps lines: join them so that a path is whole.
            let flat = text.replacingOccurrences(of: "\n", with: " ")
            for match in pattern.matches(in: flat, range: NSRange(flat.startIndex..., in: flat)) {
                guard let range = Range(match.range(at: 1), in: flat) else { continue }
                let path = String(flat[range]).trimmingCharacters(in: CharacterSet(charactersIn: ".,;:)"))
                let place =
                    path.hasPrefix("/")
                    ? root.appendingPathComponent(String(path.dropFirst()))
                    : sourceRoot.appendingPathComponent(path)
                #expect(FileManager.default.fileExists(atPath: place.path), "accueil \(command) --help names \(path)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
