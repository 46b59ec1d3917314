import Foundation

/// What an import changed.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0

    public init() {}
}

/// The roster as it is, as a plan reads it: each attendee by id with whether they are removed.
/// A dictionary is one; the server's projection is another, read in place (a million attendees
/// copied into a dictionary for each piece of an upload took half a gigabyte).
public protocol CurrentRoster {
    /// The attendee with this id, and whether they are removed; nil when not on the roster.
    subscript(_ id: String) -> (Attendee, Bool)? { get }
    /// Calls `body` with the id of everyone on the roster and not removed.
    func forEachPresent(_ body: (String) -> Void)
}

extension Dictionary: CurrentRoster where Key == String, Value == (Attendee, Bool) {
    public func forEachPresent(_ body: (String) -> Void) {
        for (id, (_, removed)) in self where !removed { body(id) }
    }
}

/// What importing a roster over the current one does, worked out before anything is written (the
/// kiosk's store and the server both follow it): new ids are added, changed ones updated, identical
/// ones left alone (so the same file twice changes nothing), and, with `removeMissing`, the ones
/// absent from the file removed. Check-ins are not the roster's business and are never touched.
public struct RosterPlan: Sendable {
    public private(set) var summary = ImportSummary()
    /// Attendees to write (an `attendee.upserted` event each), in file order.
    public private(set) var upserts: [Attendee] = []
    /// Ids to remove (an `attendee.removed` event each).
    public private(set) var removals: [String] = []

    /// `existing`: the current roster, by id, with whether each one is removed. `cancelled`: ids the
    /// file lists as cancelled registrations, removed when they are on the roster.
    public init(
        incoming: [Attendee], existing: some CurrentRoster, removeMissing: Bool, cancelled: [String] = []
    ) {
        var inFile = Set<String>()
        inFile.reserveCapacity(incoming.count)
        for var attendee in incoming {
            inFile.insert(attendee.id)
            if let (current, removed) = existing[attendee.id] {
                // A walk-in later found in the roster stays marked as a walk-in.
                attendee.walkIn = current.walkIn
                if current == attendee && !removed {
                    summary.unchanged += 1
                    continue
                }
                summary.updated += 1
            } else {
                summary.added += 1
            }
            upserts.append(attendee)
        }
        if removeMissing {
            existing.forEachPresent { id in
                if !inFile.contains(id) { removals.append(id) }
            }
        }
        for id in Set(cancelled) where existing[id]?.1 == false && !inFile.contains(id) {
            if !removeMissing { removals.append(id) }
        }
        removals.sort()
        summary.removed = removals.count
    }

    /// The removals that end a roster sent in pieces with `removeMissing` (each piece applied
    /// without it): whoever is on the roster and not among `keeping`, the ids of the whole file.
    public init(keeping ids: Set<String>, existing: some CurrentRoster) {
        existing.forEachPresent { id in
            if !ids.contains(id) { removals.append(id) }
        }
        removals.sort()
        summary.removed = removals.count
    }
}
