import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import Foundation
import KioskApp
import KioskStore
import Ops
import Printing

/// Options every command that touches a store takes.
public struct StoreOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The kiosk's data directory (default: $ACCUEIL_DATA, else the station's kiosk.yaml, else ~/.local/share/accueil).",
            valueName: "dir"))
    public var data: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "This station's name, recorded with each change (default: $ACCUEIL_KIOSK, else the station's kiosk.yaml, else the host name).",
            valueName: "name"))
    public var kiosk: String?

    public var directory: URL {
        if let data, !data.isEmpty { return URL(fileURLWithPath: data) }
        let env = ProcessInfo.processInfo.environment
        if let path = env["ACCUEIL_DATA"], !path.isEmpty { return URL(fileURLWithPath: path) }
        if let path = StationConfig.current?.string("data"), !path.isEmpty { return URL(fileURLWithPath: path) }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("accueil")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/accueil")
    }

    public var kioskName: String {
        if let kiosk, !kiosk.isEmpty { return kiosk }
        if let env = ProcessInfo.processInfo.environment["ACCUEIL_KIOSK"], !env.isEmpty { return env }
        if let name = StationConfig.current?.string("name"), !name.isEmpty { return name }
        return ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "kiosk"
    }

    public func open() throws -> KioskDatabase {
        do {
            return try KioskDatabase(directory: directory)
        } catch {
            throw CommandFailure(message: error.message, status: 2)
        }
    }

    /// The store, which must be there already: a command that reports on a station (`status`,
    /// `stats`, `backup`) never makes an empty one and reports on it.
    public func openExisting() throws -> KioskDatabase {
        let file = directory.appendingPathComponent(KioskDatabase.fileName).path
        guard FileManager.default.fileExists(atPath: file) else {
            throw CommandFailure(
                message:
                    "no kiosk store at \(file) (give --data, or set ACCUEIL_DATA, or `data` in \(StationConfig.path ?? StationConfig.installed))",
                status: 2)
        }
        return try open()
    }
}

/// The station's configuration, which the commands read for the store and the name the station's
/// service uses: `$ACCUEIL_CONFIG`, else `/etc/accueil/kiosk.yaml` when it is there. So
/// `accueil status` on an installed station looks at /var/lib/accueil, like the service.
public enum StationConfig {
    public static let installed = "/etc/accueil/kiosk.yaml"

    public static var path: String? {
        if let path = ProcessInfo.processInfo.environment["ACCUEIL_CONFIG"], !path.isEmpty { return path }
        return FileManager.default.isReadableFile(atPath: installed) ? installed : nil
    }

    /// The options a station's configuration file may set (kiosk/kiosk.yaml documents each one).
    public static let schema: [String: ConfigFile.Kind] = [
        "data": .string, "name": .string, "server": .string, "token": .string, "ca_file": .string,
        "listen": .string, "printer": .string, "no_print": .bool, "batch_size": .int,
        "mode": .choice(KioskMode.allCases.map(\.rawValue)), "session": .string, "room": .string,
        "direction": .choice(ScanDirection.allCases.map(\.rawValue)),
        "language": .choice(UILanguage.allCases.map(\.rawValue)), "pin": .string, "allow_hosts": .string,
        "time_zone": .string, "scan": .choice(KioskConfiguration.ScanAction.allCases.map(\.rawValue)),
    ]

    /// Nil without a file, or with one that cannot be read (the service says why when it starts).
    public static let current: ConfigFile? = path.flatMap { try? ConfigFile(path: $0, schema: schema) }
}

public func loadKeyring(_ store: StoreOptions) throws -> Keyring {
    guard let ring = try Keyring.load(from: store.directory) else {
        throw CommandFailure.usage("no badge keys in \(store.directory.path): run `accueil keys create` first")
    }
    return ring
}

extension BadgeMaker {
    /// The store's badge maker: its store and keyring.
    public init(store: StoreOptions) throws {
        try self.init(db: store.open(), ring: loadKeyring(store))
    }
}
