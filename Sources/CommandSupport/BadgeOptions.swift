import ArgumentParser
import Badges
import Foundation

/// Where badge templates and their assets are: --badges, $ACCUEIL_BADGES, ./badges, next to the
/// installed binary (../share/accueil/badges), the source tree the binary was built in, or
/// /etc/accueil/badges (the Debian package).
public struct BadgeOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(
        help: ArgumentHelp(
            "Folder with templates/ and assets (default: $ACCUEIL_BADGES, else found next to the program).",
            valueName: "dir"))
    public var badges: String?

    @Option(help: ArgumentHelp("Template name (a file in badges/templates without .json).", valueName: "name"))
    public var template = "a6"

    public var directory: URL {
        if let badges { return URL(fileURLWithPath: badges) }
        if let env = ProcessInfo.processInfo.environment["ACCUEIL_BADGES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("badges")
        ]
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(dir.appendingPathComponent("../share/accueil/badges").standardized)
        while dir.path != "/" {
            candidates.append(dir.appendingPathComponent("badges"))
            dir = dir.deletingLastPathComponent()
        }
        // The Debian package keeps them in /etc (conffiles: edited templates survive upgrades).
        candidates.append(URL(fileURLWithPath: "/etc/accueil/badges"))
        candidates.append(URL(fileURLWithPath: "/usr/share/accueil/badges"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("templates").path) }
            ?? candidates[0]
    }

    public func renderer(_ name: String? = nil) throws -> BadgeRenderer {
        try BadgeRenderer(named: name ?? template, badgesDirectory: directory)
    }
}
