import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import Foundation
import KioskStore
import Ops

/// `accueil`: the one binary of Accueil. Each role and action is a subcommand.
public struct AccueilCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "accueil",
        abstract: "Badges and check-in for conferences: roster, door search and check-in, offline first.",
        discussion: """
            Every command works on a kiosk's local store, a directory given by --data (default: \
            $ACCUEIL_DATA, else ~/.local/share/accueil). Every change is an event in an append-only \
            log, durable on disk when the command returns.

            Exit statuses: 0 success; 2 usage error or nothing done (unreadable file, bad options); \
            3 some roster rows rejected; 4 already checked in; 5 unknown attendee id; 6 nothing to undo; \
            7 badge refused by `badge verify`; 8 a name has characters no installed font can draw; \
            9 printing trouble (print server unreachable, printer refusing, test page not printed); \
            10 sync with the central server failed: unreachable, or refused (`sync run --once`); \
            11 the mail server stopped taking invitations (`invitations send`; the rest waits in the queue).
            """,
        version: AccueilVersion.current,
        subcommands: [
            RosterCommand.self, SearchCommand.self, CheckInCommand.self, UndoCommand.self, WalkInCommand.self,
            StatsCommand.self, DoorCommand.self, KeysCommand.self, BadgeCommand.self, PrintersCommand.self,
            PrintCommand.self, SyncCommand.self, ServerCommand.self, TokenCommand.self, KioskCommand.self,
            StatusCommand.self, SessionsCommand.self, OrganiserCommand.self, BackupCommand.self, RestoreCommand.self,
            PurgeCommand.self, InvitationsCommand.self,
            BenchCommand.self,
        ]
    )

    public init() {}

    static func report(_ failure: CommandFailure) -> Never {
        if !failure.message.isEmpty { FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8)) }
        Foundation.exit(failure.status)
    }

    /// Runs the command line and exits with the statuses documented above. Usage errors exit 2
    /// (not ArgumentParser's 64) so that scripts see one code for "nothing was done".
    public static func mainWithExitCodes() async -> Never {
        bootstrapLogging()
        // The event's time zone, from the station's configuration when there is one (the server
        // and the kiosk daemon read theirs again, with --config).
        if let name = StationConfig.current?.string("time_zone"), let zone = EventTime.parse(name) {
            EventTime.use(zone)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as StoreError {
            report(commandFailure(error))
        } catch let error as BadgeError {
            report(commandFailure(error))
        } catch let error as CommandFailure {
            report(error)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message.isEmpty ? "" : message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// A command failed in a way the user should read; `status` is the process exit status.
struct CommandFailure: Error {
    var message: String
    var status: Int32

    static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, status: 2) }
}

/// Options every command that touches a store takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The kiosk's data directory (default: $ACCUEIL_DATA, else the station's kiosk.yaml, else ~/.local/share/accueil).",
            valueName: "dir"))
    var data: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "This station's name, recorded with each change (default: $ACCUEIL_KIOSK, else the station's kiosk.yaml, else the host name).",
            valueName: "name"))
    var kiosk: String?

    var directory: URL {
        if let data, !data.isEmpty { return URL(fileURLWithPath: data) }
        let env = ProcessInfo.processInfo.environment
        if let path = env["ACCUEIL_DATA"], !path.isEmpty { return URL(fileURLWithPath: path) }
        if let path = StationConfig.current?.string("data"), !path.isEmpty { return URL(fileURLWithPath: path) }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("accueil")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/accueil")
    }

    var kioskName: String {
        if let kiosk, !kiosk.isEmpty { return kiosk }
        if let env = ProcessInfo.processInfo.environment["ACCUEIL_KIOSK"], !env.isEmpty { return env }
        if let name = StationConfig.current?.string("name"), !name.isEmpty { return name }
        return ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "kiosk"
    }

    func open() throws -> KioskDatabase {
        do {
            return try KioskDatabase(directory: directory)
        } catch {
            throw CommandFailure(message: error.message, status: 2)
        }
    }

    /// The store, which must be there already: a command that reports on a station (`status`,
    /// `stats`, `backup`) never makes an empty one and reports on it.
    func openExisting() throws -> KioskDatabase {
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
enum StationConfig {
    static let installed = "/etc/accueil/kiosk.yaml"

    static var path: String? {
        if let path = ProcessInfo.processInfo.environment["ACCUEIL_CONFIG"], !path.isEmpty { return path }
        return FileManager.default.isReadableFile(atPath: installed) ? installed : nil
    }

    /// Nil without a file, or with one that cannot be read (the service says why when it starts).
    static let current: ConfigFile? = path.flatMap { try? ConfigFile(path: $0, schema: KioskCommand.schema) }
}

/// Maps errors to the documented exit statuses.
func commandFailure(_ error: any Error) -> CommandFailure {
    if let failure = error as? CommandFailure { return failure }
    if let error = error as? BadgeError { return CommandFailure(message: error.description, status: 2) }
    guard let error = error as? StoreError else { return CommandFailure(message: "\(error)", status: 1) }
    return switch error.kind {
    case .unknownAttendee: CommandFailure(message: error.message, status: 5)
    case .notCheckedIn: CommandFailure(message: error.message, status: 6)
    case .idTaken, .unknownSession: CommandFailure(message: error.message, status: 2)
    case .failure: CommandFailure(message: error.message, status: 1)
    }
}

extension Role: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension RosterPreset: ExpressibleByArgument {}

// MARK: Output helpers

enum Output {

    /// "09:12", in the event's time zone (`EventTime`).
    static func time(_ date: Date) -> String { EventTime.hhmm(date) }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func json(_ value: some Encodable) -> String { JSONText.pretty(value) }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func err(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// Writes a line to standard output at once, unbuffered: what is printed has happened.
    static func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}
