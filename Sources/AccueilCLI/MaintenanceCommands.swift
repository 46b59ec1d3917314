import AccueilCore
import ArgumentParser
import CentralStorage
import CommandSupport
import Foundation
import GRDB
import Kiosk
import KioskStore
import Server
import Tooling

/// What a backup folder holds (`backup.json`).
struct BackupManifest: Codable {
    /// kiosk | central-sqlite | central-postgres
    var kind: String
    var createdAt: Date
    var source: String
    var files: [String]

    enum CodingKeys: String, CodingKey {
        case kind, source, files
        case createdAt = "created_at"
    }
}

/// `accueil backup`: a consistent copy of a running store.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract:
            "Copy a running store, consistently, into a new folder: a kiosk's (--data) or the central one (--store).",
        discussion: """
            A kiosk store and a SQLite central store are copied with SQLite's online backup: every \
            change committed before the copy ends is in it, while check-ins go on. A PostgreSQL \
            central store is copied with pg_dump (its custom format). The folder also gets the \
            kiosk's other files (badge keys, printer settings) and backup.json. Bring it back with \
            `accueil restore`.
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The central store to copy instead of a kiosk's: sqlite:PATH or postgres://…", valueName: "store"))
    var central: String?
    @Option(help: ArgumentHelp("The folder to write (new or empty).", valueName: "dir")) var out: String

    func run() async throws {
        let folder = URL(fileURLWithPath: out)
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: folder.path), !existing.isEmpty {
            throw CommandFailure.usage("\(out) is not empty: give a new folder")
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var manifest: BackupManifest
        if let central, centralSQLitePath(central) == nil {
            let dump = folder.appendingPathComponent("central.pgdump").path
            let outcome = try runProgram(
                Self.postgresTool("pg_dump"),
                ["--format=custom", "--no-owner", "--file=\(dump)", "--dbname=\(central)"],
                timeout: .seconds(3600))
            guard outcome.status == 0 else {
                throw CommandFailure(message: "pg_dump failed: \(outcome.stderr.trimmed)", status: 1)
            }
            manifest = BackupManifest(
                kind: "central-postgres", createdAt: Date(), source: redacted(central), files: ["central.pgdump"])
        } else if let central, let path = centralSQLitePath(central) {
            guard fm.fileExists(atPath: path) else { throw CommandFailure.usage("no central store at \(path)") }
            do {
                let source = try DatabasePool(path: path)
                let destination = try DatabaseQueue(path: folder.appendingPathComponent("central.sqlite").path)
                try source.backup(to: destination)
                try destination.close()
                try source.close()
            } catch { throw CommandFailure(message: "cannot back up \(path): \(error)", status: 1) }
            manifest = BackupManifest(
                kind: "central-sqlite", createdAt: Date(), source: path, files: ["central.sqlite"])
        } else {
            let db = try store.openExisting()
            do { try db.backup(to: folder.appendingPathComponent(KioskDatabase.fileName).path) } catch {
                throw commandFailure(error)
            }
            var files = [KioskDatabase.fileName]
            // The kiosk's other files: badge keys, printer settings…
            for name in (try? fm.contentsOfDirectory(atPath: store.directory.path)) ?? []
            where !name.hasPrefix(KioskDatabase.fileName) {
                let source = store.directory.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    continue
                }
                try fm.copyItem(at: source, to: folder.appendingPathComponent(name))
                files.append(name)
            }
            manifest = BackupManifest(kind: "kiosk", createdAt: Date(), source: store.directory.path, files: files)
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: folder.appendingPathComponent("backup.json"))
        print("backed up \(manifest.source) to \(out) (\(manifest.kind): \(manifest.files.joined(separator: ", ")))")
    }

    /// pg_dump / pg_restore from PATH, or from the newest PostgreSQL installed.
    static func postgresTool(_ name: String) -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted()
        return versions.last.map { "/usr/lib/postgresql/\($0)/bin/\(name)" } ?? name
    }
}

/// `accueil restore`: a backup folder back into place.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring a backup folder back: into a kiosk's data directory (--data) or a central store (--store).",
        discussion: """
            Stop the service using the store first. A store that already holds events is only \
            replaced with --force.
            """
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "The backup folder (made by `accueil backup`).") var folder: String
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp("The central store to restore into: sqlite:PATH or postgres://…", valueName: "store"))
    var central: String?
    @Flag(help: "Replace a store that already holds events.") var force = false

    func run() async throws {
        let source = URL(fileURLWithPath: folder)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: source.appendingPathComponent("backup.json")),
            let manifest = try? decoder.decode(BackupManifest.self, from: data)
        else { throw CommandFailure.usage("\(folder) is not a backup folder (no readable backup.json)") }
        let fm = FileManager.default
        switch manifest.kind {
        case "kiosk":
            guard central == nil else {
                throw CommandFailure.usage("this is a kiosk's backup: give --data, not --store")
            }
            let target = store.directory
            let database = target.appendingPathComponent(KioskDatabase.fileName).path
            if fm.fileExists(atPath: database) {
                let db = try store.open()
                if let status = try? SyncStatus.read(from: db), Date().timeIntervalSince(status.heartbeat) < 5 {
                    throw CommandFailure.usage("the kiosk daemon is running on \(target.path): stop it first")
                }
                if !force, (try? db.logVersion()) ?? 0 > 0 {
                    throw CommandFailure.usage("\(target.path) already holds a store: add --force to replace it")
                }
            }
            try fm.createDirectory(at: target, withIntermediateDirectories: true)
            try copySQLite(from: source.appendingPathComponent(KioskDatabase.fileName).path, to: database)
            for name in manifest.files where name != KioskDatabase.fileName {
                let destination = target.appendingPathComponent(name)
                try? fm.removeItem(at: destination)
                try fm.copyItem(at: source.appendingPathComponent(name), to: destination)
            }
            let db = try store.open()
            print("restored the kiosk store into \(target.path): \(try db.stats().checkedIn) checked in")
        case "central-sqlite":
            guard let central, let path = centralSQLitePath(central) else {
                throw CommandFailure.usage("this is a SQLite central store's backup: give --store sqlite:PATH")
            }
            if fm.fileExists(atPath: path), !force {
                throw CommandFailure.usage("\(path) exists: add --force to replace it")
            }
            try copySQLite(from: source.appendingPathComponent("central.sqlite").path, to: path)
            print("restored the central store into \(path)")
        case "central-postgres":
            guard let central, centralSQLitePath(central) == nil else {
                throw CommandFailure.usage("this is a PostgreSQL backup: give --store postgres://…")
            }
            var arguments = ["--no-owner", "--dbname=\(central)"]
            if force { arguments += ["--clean", "--if-exists"] }
            let outcome = try runProgram(
                BackupCommand.postgresTool("pg_restore"),
                arguments + [source.appendingPathComponent("central.pgdump").path], timeout: .seconds(3600))
            guard outcome.status == 0 else {
                throw CommandFailure(
                    message:
                        "pg_restore failed\(force ? "" : " (a database with tables needs --force)"): \(outcome.stderr.trimmed)",
                    status: 1)
            }
            print("restored the central store into \(redacted(central))")
        default:
            throw CommandFailure.usage("unknown kind of backup: \(manifest.kind)")
        }
    }

    /// Replaces the SQLite database at `path` with the one at `backup`, page by page.
    func copySQLite(from backup: String, to path: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        do {
            let source = try DatabaseQueue(
                path: backup,
                configuration: {
                    var c = Configuration()
                    c.readonly = true
                    return c
                }())
            let destination = try DatabaseQueue(path: path)
            try source.backup(to: destination)
            try destination.close()
            try source.close()
        } catch { throw CommandFailure(message: "cannot restore \(backup) into \(path): \(error)", status: 1) }
    }
}

/// `accueil purge`: personal data out, anonymous counts kept, after the event.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete personal data after the event (names, e-mails, notes, reasons); keep anonymous counts.",
        discussion: """
            Works on a kiosk's store (--data) or the central store (--store, with the server \
            stopped; its server's projection checkpoint goes too). Ids, roles, countries, delegations, check-ins and sessions attended stay, so \
            `accueil stats` gives the same counts after; the files are rewritten so that nothing \
            purged stays in them. Purge the server and every kiosk (or wipe the kiosks): a kiosk \
            that syncs with a server not purged would get the data back. Needs --yes.
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp("The central store to purge instead of a kiosk's.", valueName: "store"))
    var central: String?
    @Flag(help: "Yes, delete the personal data for good.") var yes = false

    func run() async throws {
        guard yes else { throw CommandFailure.usage("this deletes personal data for good: add --yes") }
        if let central {
            let changed = try await usingCentralStore(central) { try await $0.purgePersonalData() }
            print("purged \(changed) events of the central store \(redacted(central))")
            // The server's projection checkpoint beside a SQLite store holds names too. (Elsewhere,
            // a server finds its checkpoint older than the purge, deletes it and writes a new one.)
            if let file = centralSQLitePath(central) {
                let checkpoint = ServerConfiguration.defaultCheckpoint(store: central, directory: ".")
                if (try? FileManager.default.removeItem(atPath: checkpoint)) != nil {
                    print("deleted the server's projection checkpoint \(checkpoint) beside \(file)")
                }
            }
        } else {
            let db = try store.open()
            do {
                let before = try db.stats()
                let changed = try db.purgePersonalData()
                let after = try db.stats()
                print(
                    "purged \(changed) events in \(store.directory.path); counts kept: \(after.checkedIn) of \(after.registered) checked in"
                        + (before.checkedIn == after.checkedIn && before.registered == after.registered
                            ? "" : " (changed!)"))
            } catch { throw commandFailure(error) }
        }
    }
}
