import ArgumentParser
import CentralStorage
import Foundation
import Sync

/// An error of a store's user, told apart from the store's opening (`usingCentralStore`).
private struct ErrorInside: Error { var error: any Error }

/// Opens the central store named by `--store`, runs `body` on it, and closes it. A store that
/// cannot be opened is a usage error (exit 2), said with the spec.
public func usingCentralStore<T>(_ spec: String, _ body: (any CentralStore) async throws -> T) async throws -> T {
    do {
        return try await CentralStorage.withCentralStore(spec) { store in
            do { return try await body(store) } catch { throw ErrorInside(error: error) }
        }
    } catch let inside as ErrorInside {
        throw inside.error
    } catch let error as SyncError {
        throw CommandFailure.usage("cannot open the central store \(redacted(spec)): \(error)")
    }
}

/// A store spec with its password hidden, for logs.
public func redacted(_ spec: String) -> String {
    guard var components = URLComponents(string: spec), components.password != nil else { return spec }
    components.password = "***"
    return components.string ?? spec
}

public let centralStoreHelp = ArgumentHelp(
    "Central store: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (default: $ACCUEIL_STORE, else sqlite:accueil-central.sqlite).",
    valueName: "store")

public func centralStoreSpec(_ option: String?) -> String {
    option ?? ProcessInfo.processInfo.environment["ACCUEIL_STORE"] ?? "sqlite:accueil-central.sqlite"
}
