import AccueilCore
import Foundation

/// An event as it crosses the network (kiosk ↔ server), versioned with the API (`/api/v1/`).
///
/// `payload` is the same JSON text the log stores (`EventCodec`), so an event is stored once and
/// sent as is. `seq` is the server's global sequence number, set on events the server hands out.
public struct WireEvent: Codable, Sendable, Equatable {
    public var id: UUID
    public var type: String
    public var attendeeID: String
    /// Milliseconds since 1970, by the clock of the kiosk that recorded it.
    public var at: Int64
    public var kiosk: String
    public var payload: String?
    public var seq: Int64?

    enum CodingKeys: String, CodingKey {
        case id, type, at, kiosk, payload, seq
        case attendeeID = "attendee_id"
    }

    public init(
        id: UUID, type: String, attendeeID: String, at: Int64, kiosk: String, payload: String?, seq: Int64? = nil
    ) {
        self.id = id
        self.type = type
        self.attendeeID = attendeeID
        self.at = at
        self.kiosk = kiosk
        self.payload = payload
        self.seq = seq
    }

    public init(_ event: Event, seq: Int64? = nil) {
        id = event.id
        type = event.type
        attendeeID = event.attendeeID
        at = Int64((event.at.timeIntervalSince1970 * 1000).rounded())
        kiosk = event.kiosk
        payload = EventCodec.payload(event.body)
        self.seq = seq
    }

    /// The event, or why it cannot be one (unknown type, bad payload, empty ids).
    public func event() throws(SyncError) -> Event {
        guard !attendeeID.isEmpty, attendeeID.utf8.count <= EventLimits.maxIDBytes else {
            throw .invalid("event \(id): attendee_id is empty or longer than \(EventLimits.maxIDBytes) bytes")
        }
        guard !kiosk.isEmpty, kiosk.utf8.count <= EventLimits.maxKioskBytes else {
            throw .invalid("event \(id): kiosk is empty or longer than \(EventLimits.maxKioskBytes) bytes")
        }
        guard (payload?.utf8.count ?? 0) <= EventLimits.maxPayloadBytes else {
            throw .invalid("event \(id): payload over \(EventLimits.maxPayloadBytes) bytes")
        }
        let body: Event.Body
        do { body = try EventCodec.body(type: type, payload: payload) } catch { throw .invalid(error.description) }
        if case .attendeeUpserted(let attendee) = body, attendee.id != attendeeID {
            throw .invalid("event \(id): the attendee in the payload is \(attendee.id), not \(attendeeID)")
        }
        // A session's schedule is filed under its own subject, and nothing else is.
        let sessionSubject = Session.id(ofSubject: attendeeID)
        if case .sessionScheduled(let session) = body {
            guard sessionSubject == session.id else {
                throw .invalid("event \(id): a session schedule must be filed under session:\(session.id)")
            }
        } else if sessionSubject != nil {
            throw .invalid("event \(id): \(type) is about an attendee, not \(attendeeID)")
        }
        return Event(
            id: id, attendeeID: attendeeID, at: Date(timeIntervalSince1970: Double(at) / 1000), kiosk: kiosk, body: body
        )
    }
}

/// `POST /api/v1/events`: a kiosk's batch.
public struct PushRequest: Codable, Sendable, Equatable {
    public var kiosk: String
    public var events: [WireEvent]

    public init(kiosk: String, events: [WireEvent]) {
        self.kiosk = kiosk
        self.events = events
    }
}

/// The server's answer to a push: every event of the batch is stored (new or already there).
public struct PushResponse: Codable, Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// `GET /api/v1/events?since=CURSOR`: changes after a cursor, in server order.
public struct PullResponse: Codable, Sendable, Equatable {
    public var events: [WireEvent]
    /// Pass this as `since` next time.
    public var cursor: Int64
    /// More changes wait beyond this page.
    public var more: Bool

    public init(events: [WireEvent], cursor: Int64, more: Bool) {
        self.events = events
        self.cursor = cursor
        self.more = more
    }
}

public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case transport(String)
    /// The server answered that the data is wrong (400, 413, 422): sending it again as it is will
    /// not help. `why` is in words, with the server's reason.
    case refused(status: Int, why: String)

    public var description: String {
        switch self {
        case .invalid(let why): "invalid: \(why)"
        case .transport(let why): why
        case .refused(_, let why): why
        }
    }
}

/// Limits both ends agree on.
public enum SyncLimits {
    /// Largest batch a kiosk may push at once (the server answers 413 beyond it).
    public static let maxBatch = EventLimits.maxBatchEvents
}

/// `GET /api/v1/snapshot`: what a new kiosk starts from, compact: each attendee's current roster
/// entry as one flat row (their latest `attendee.upserted` event, without JSON inside JSON), the
/// other events that still count (check-ins, undos, reissues, prints, removals) as they are, and
/// the cursor to pull changes after.
///
/// Asked for with `limit` (and `after`), it is one page of at most that many attendees, in id
/// order: `next` is then the id to ask after for the following page, absent on the last one.
public struct Snapshot: Codable, Sendable, Equatable {
    public var cursor: Int64
    public var roster: [RosterRow]
    public var events: [WireEvent]
    public var next: String?

    public init(cursor: Int64, roster: [RosterRow], events: [WireEvent], next: String? = nil) {
        self.cursor = cursor
        self.roster = roster
        self.events = events
        self.next = next
    }

    /// Every event of the snapshot, the roster rows turned back into `attendee.upserted` events.
    public func allEvents() throws(SyncError) -> [Event] {
        var all: [Event] = []
        all.reserveCapacity(roster.count + events.count)
        for row in roster { all.append(row.event) }
        for wire in events { all.append(try wire.event()) }
        return all
    }

    /// One `attendee.upserted` event as a JSON array:
    /// `[event_id, at, kiosk, id, first_name, last_name, native_name, organisation, title, country,
    /// role, delegation, email, language, sessions ("|"-separated), vip, notes, walk_in]`, then, when
    /// the attendee has them, tickets ("|"-separated digests) and pending (true).
    public struct RosterRow: Codable, Sendable, Equatable {
        public var eventID: UUID
        public var at: Int64
        public var kiosk: String
        public var attendee: Attendee

        public init?(_ event: Event) {
            guard case .attendeeUpserted(let attendee) = event.body else { return nil }
            eventID = event.id
            at = Int64((event.at.timeIntervalSince1970 * 1000).rounded())
            kiosk = event.kiosk
            self.attendee = attendee
        }

        public var event: Event {
            Event(
                id: eventID, attendeeID: attendee.id, at: Date(timeIntervalSince1970: Double(at) / 1000), kiosk: kiosk,
                body: .attendeeUpserted(attendee))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            let a = attendee
            try c.encode(eventID.text)
            try c.encode(at)
            try c.encode(kiosk)
            for field in [a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country] {
                try c.encode(field)
            }
            try c.encode(a.role.rawValue)
            for field in [a.delegation, a.email, a.language, a.sessions.joined(separator: "|"), a.vip, a.notes] {
                try c.encode(field)
            }
            try c.encode(a.walkIn)
            // Later additions, trailing so that older readers stop before them: ticket digests
            // ("|"-separated) and the pending mark, written only when they say something.
            if !a.tickets.isEmpty || a.pending {
                try c.encode(a.tickets.joined(separator: "|"))
                if a.pending { try c.encode(true) }
            }
        }

        public init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            guard let id = UUID(text: try c.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad event id")
            }
            eventID = id
            at = try c.decode(Int64.self)
            kiosk = try c.decode(String.self)
            let attendeeID = try c.decode(String.self)
            let (first, last, native) = (
                try c.decode(String.self), try c.decode(String.self), try c.decode(String.self)
            )
            let (organisation, title, country) = (
                try c.decode(String.self), try c.decode(String.self), try c.decode(String.self)
            )
            let roleName = try c.decode(String.self)
            guard let role = Role(rawValue: roleName) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown role \(roleName)")
            }
            let (delegation, email, language) = (
                try c.decode(String.self), try c.decode(String.self), try c.decode(String.self)
            )
            let sessions = try c.decode(String.self)
            let (vip, notes) = (try c.decode(String.self), try c.decode(String.self))
            let walkIn = try c.decode(Bool.self)
            let tickets = c.isAtEnd ? "" : try c.decode(String.self)
            let pending = c.isAtEnd ? false : try c.decode(Bool.self)
            attendee = Attendee(
                id: attendeeID, firstName: first, lastName: last, nativeName: native, organisation: organisation,
                title: title, country: country, role: role, delegation: delegation, email: email, language: language,
                sessions: sessions.isEmpty ? [] : sessions.split(separator: "|").map(String.init), vip: vip,
                notes: notes, walkIn: walkIn,
                tickets: tickets.isEmpty ? [] : tickets.split(separator: "|").map(String.init), pending: pending)
        }
    }
}

/// `POST /api/v1/roster`: a roster parsed from a registration export, applied on the server.
public struct RosterUpload: Codable, Sendable {
    public var attendees: [Attendee]
    public var removeMissing: Bool
    public var dryRun: Bool
    /// Each attendee's registration ticket codes as read from the export, parallel to `attendees`
    /// (nil when none): the server keeps only their digests, made with the event's ticket key.
    public var ticketCodes: [[String]]?
    /// Ids the export lists as cancelled registrations: removed if on the roster (nil from older clients).
    public var cancelled: [String]?

    public init(
        attendees: [Attendee], removeMissing: Bool, dryRun: Bool, ticketCodes: [[String]]? = nil,
        cancelled: [String]? = nil
    ) {
        self.attendees = attendees
        self.removeMissing = removeMissing
        self.dryRun = dryRun
        self.ticketCodes = ticketCodes
        self.cancelled = cancelled
    }

    enum CodingKeys: String, CodingKey {
        case attendees
        case removeMissing = "remove_missing"
        case dryRun = "dry_run"
        case ticketCodes = "ticket_codes"
        case cancelled
    }
}

/// The last request of a roster sent in pieces (`POST /api/v1/roster/removals`): the ids of the
/// whole file, after each piece was sent as a `RosterUpload` without `remove_missing`. Whoever else
/// is on the roster is removed. A separate route, so that a server that does not know it refuses it
/// (404) instead of taking it for a roster with nobody in it.
public struct RosterRemovals: Codable, Sendable {
    public var keep: [String]
    public var dryRun: Bool

    public init(keep: [String], dryRun: Bool) {
        self.keep = keep
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case keep
        case dryRun = "dry_run"
    }
}

/// What a kiosk tells the server about itself every few seconds (`POST /api/v1/kiosk/health`), for
/// the organisers' dashboard: changes waiting to be sent, its print queue and printer trouble.
public struct KioskHealth: Codable, Sendable, Equatable {
    public var outbox: Int
    public var printQueue: [String: Int]
    public var printerTrouble: String?
    public var lastPrintAt: Date?
    public var cursor: Int64
    public var mode: String?
    /// Changes the server refused for good, set aside on the kiosk (nil from older kiosks).
    public var setAside: Int?
    public var setAsideReason: String?

    public init(
        outbox: Int, printQueue: [String: Int], printerTrouble: String?, lastPrintAt: Date?, cursor: Int64,
        mode: String?, setAside: Int? = nil, setAsideReason: String? = nil
    ) {
        self.setAside = setAside
        self.setAsideReason = setAsideReason
        self.outbox = outbox
        self.printQueue = printQueue
        self.printerTrouble = printerTrouble
        self.lastPrintAt = lastPrintAt
        self.cursor = cursor
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey {
        case outbox, cursor, mode
        case printQueue = "print_queue"
        case printerTrouble = "printer_trouble"
        case lastPrintAt = "last_print_at"
        case setAside = "set_aside"
        case setAsideReason = "set_aside_reason"
    }
}
