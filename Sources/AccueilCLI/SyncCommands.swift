import AccueilCore
import ArgumentParser
import CommandSupport
import Foundation
import KioskStore
import Sync

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange events with other kiosks by file (no network needed), and see what waits to be sent.",
        discussion: """
            Every change is an event; stores that hold the same events agree, whatever the order they \
            came in. `sync export` writes this store's events as JSON lines (one WireEvent a line); \
            `sync import` applies a file from another kiosk: new events are added, known ones ignored, \
            concurrent check-ins of one person kept and flagged as duplicates. The server sync of the \
            central store will use the same events.
            """,
        subcommands: [
            SyncRunCommand.self, SyncExportCommand.self, SyncImportCommand.self, SyncStatusCommand.self,
            SyncRetrySetAsideCommand.self,
        ]
    )
}

struct SyncExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write this store's events to a file.")
    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (JSON lines).", valueName: "file")) var out: String

    func run() throws {
        let db = try store.open()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        let events = try db.allEvents()
        for event in events {
            data.append(try encoder.encode(WireEvent(event)))
            data.append(0x0A)
        }
        do { try data.write(to: URL(fileURLWithPath: out)) } catch {
            throw CommandFailure.usage("cannot write \(out): \(error.localizedDescription)")
        }
        print("\(out): \(events.count) events")
    }
}

struct SyncImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Apply another kiosk's events; a bad line is named and nothing is applied.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "A file written by `sync export`.") var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure.usage("cannot read \(file)")
        }
        let decoder = JSONDecoder()
        var events: [Event] = []
        for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            do {
                events.append(try decoder.decode(WireEvent.self, from: Data(line)).event())
            } catch let error as SyncError {
                throw CommandFailure.usage("\(file), line \(number + 1): \(error)")
            } catch {
                throw CommandFailure.usage("\(file), line \(number + 1): not an event (\(error))")
            }
        }
        let db = try store.open()
        let fresh = try db.applyRemote(events)
        print("\(file): \(events.count) events, \(fresh) new, \(events.count - fresh) already here")
    }
}

struct SyncStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Events waiting to be sent, and the download cursor.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let db = try store.open()
        let depth = try db.outboxCount()
        let cursor = try db.syncCursor()
        if json {
            print(Output.json(["outbox": depth, "cursor": Int(cursor)]))
        } else {
            print("Not yet sent: \(depth) events · server changes read up to: \(cursor)")
        }
    }
}

/// `accueil sync retry-set-aside`: sends again the changes the server refused (after the server was
/// upgraded, or the cause fixed). The kiosk daemon does it by itself when this program is upgraded.
struct SyncRetrySetAsideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-set-aside",
        abstract: "Put the changes the server refused back in the outbox, to be sent again.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let db = try store.open()
        let count: Int
        do { count = try db.requeueSetAside() } catch { throw commandFailure(error) }
        print("\(count) change\(count == 1 ? "" : "s") back in the outbox")
    }
}
