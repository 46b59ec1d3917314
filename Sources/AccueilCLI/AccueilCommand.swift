import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import Benchmarks
import CommandSupport
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
        } catch let error as ConfigFile.Invalid {
            report(commandFailure(error))
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
