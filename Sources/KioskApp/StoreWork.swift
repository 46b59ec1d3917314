import Dispatch

/// Store work that blocks, run on threads of its own: a write waits for the disk (fsync), and a
/// count over a million attendees takes seconds. Swift's concurrency runs every request of the
/// daemon on as many threads as the machine has cores (two on a kiosk); a handler that blocked
/// one of them would hold up every other screen's requests meanwhile.
///
/// The door's check-ins do not come here: they go through the store's group commit, which is
/// asynchronous already (`KioskDatabase.doorCheckInGrouped`).
enum StoreWork {
    private static let queue = DispatchQueue(
        label: "accueil.kiosk.store", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Starts `work` on a store thread without waiting for it: work whose outcome nobody awaits
    /// (the door index's rebuild), which must handle its own errors.
    static func start(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }
}
