import Foundation

/// Counts for `accueil stats`, the kiosk's status API and the server's `GET /api/v1/stats`.
public struct Stats: Sendable, Codable, Equatable {
    public struct Count: Sendable, Codable, Equatable {
        public var registered: Int
        public var checkedIn: Int
        public init(registered: Int, checkedIn: Int) {
            self.registered = registered
            self.checkedIn = checkedIn
        }
        enum CodingKeys: String, CodingKey {
            case registered
            case checkedIn = "checked_in"
        }
    }
    public var registered = 0
    public var checkedIn = 0
    public var walkIns = 0
    /// Check-ins beyond the first for one person, made at doors that did not know (offline).
    public var duplicates = 0
    /// Second check-ins refused by a door that knew.
    public var refusedAttempts = 0
    public var byRole: [String: Count] = [:]
    public var byCountry: [String: Count] = [:]
    /// Foreign delegations (and other groups the roster names), by name.
    public var byDelegation: [String: Count] = [:]
    /// Attendees from outside France (a country given, not FR).
    public var international = Count(registered: 0, checkedIn: 0)
    /// Events waiting to be sent to the server.
    public var outbox = 0

    enum CodingKeys: String, CodingKey {
        case registered
        case checkedIn = "checked_in"
        case walkIns = "walk_ins"
        case duplicates
        case refusedAttempts = "duplicate_attempts"
        case byRole = "by_role"
        case byCountry = "by_country"
        case byDelegation = "by_delegation"
        case international
        case outbox
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        registered = try c.decode(Int.self, forKey: .registered)
        checkedIn = try c.decode(Int.self, forKey: .checkedIn)
        walkIns = try c.decodeIfPresent(Int.self, forKey: .walkIns) ?? 0
        duplicates = try c.decodeIfPresent(Int.self, forKey: .duplicates) ?? 0
        refusedAttempts = try c.decodeIfPresent(Int.self, forKey: .refusedAttempts) ?? 0
        byRole = try c.decodeIfPresent([String: Count].self, forKey: .byRole) ?? [:]
        byCountry = try c.decodeIfPresent([String: Count].self, forKey: .byCountry) ?? [:]
        byDelegation = try c.decodeIfPresent([String: Count].self, forKey: .byDelegation) ?? [:]
        international =
            try c.decodeIfPresent(Count.self, forKey: .international) ?? Count(registered: 0, checkedIn: 0)
        outbox = try c.decodeIfPresent(Int.self, forKey: .outbox) ?? 0
    }

    /// The counts of folded attendee states (the server's view; a kiosk counts the same in SQL).
    public init<S: Sequence>(states: S) where S.Element == AttendeeState {
        for state in states {
            guard let attendee = state.attendee, !state.removed else { continue }
            let arrived = state.checkIn != nil ? 1 : 0
            registered += 1
            checkedIn += arrived
            if attendee.walkIn { walkIns += 1 }
            duplicates += state.duplicateCheckIns.count
            refusedAttempts += state.refusedAttempts
            byRole[attendee.role.rawValue, default: Count(registered: 0, checkedIn: 0)].add(arrived)
            if !attendee.country.isEmpty {
                byCountry[attendee.country, default: Count(registered: 0, checkedIn: 0)].add(arrived)
                if attendee.country != "FR" { international.add(arrived) }
            }
            if !attendee.delegation.isEmpty {
                byDelegation[attendee.delegation, default: Count(registered: 0, checkedIn: 0)].add(arrived)
            }
        }
    }
}

extension Stats.Count {
    mutating func add(_ arrived: Int) {
        registered += 1
        checkedIn += arrived
    }
}
