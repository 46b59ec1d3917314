import Foundation

/// Something that happened, as the append-only log keeps it. State is derived from these.
public struct Event: Sendable, Equatable, Identifiable {
    /// Unique across all kiosks and the server; sync is idempotent by this id.
    public var id: UUID
    public var attendeeID: String
    /// When it happened, by the clock of the kiosk that recorded it.
    public var at: Date
    /// Name of the kiosk (or "import", "server") that recorded it.
    public var kiosk: String
    public var body: Body

    public init(id: UUID = .timeOrdered(), attendeeID: String, at: Date, kiosk: String, body: Body) {
        self.id = id
        self.attendeeID = attendeeID
        self.at = at.roundedToMilliseconds
        self.kiosk = kiosk
        self.body = body
    }

    public enum Body: Sendable, Equatable {
        /// Created or updated from a roster import, an organiser's edit or a walk-in.
        case attendeeUpserted(Attendee)
        /// Removed from the roster (`--remove-missing`). Their check-ins stay in the log.
        case attendeeRemoved
        /// Arrived at a door.
        case checkedIn
        /// A door that knew the person was already in refused a second check-in.
        case checkInRefused(previousKiosk: String, previousAt: Date)
        /// A check-in reversed by staff; `checkIn` is the id of the check-in event it cancels.
        case checkInUndone(checkIn: UUID, reason: String)
        /// A new badge replaces the previous one (lost, damaged): its QR carries the next version
        /// and older badges are refused.
        case badgeReissued(reason: String)
        /// A badge was sent to the print queue; `reason` is nil for the first print, else why it
        /// is printed again (lost, damaged, misprint).
        case badgePrintRequested(job: UUID, reason: String?)
        /// A session's schedule line, created or changed (subject `session:ID`, not an attendee).
        case sessionScheduled(Session)
        /// Entered a session's room through one of its doors. `override` is the supervisor's reason
        /// when the door had said no (room full, not registered…), nil otherwise.
        case sessionEntered(session: String, override: String?)
        /// Left a session's room.
        case sessionExited(session: String)
        /// A session door said no, and why.
        case sessionRefused(session: String, reason: ScanRefusal)
    }

    /// Stable type names, as stored and sent over the wire.
    public var type: String {
        switch body {
        case .attendeeUpserted: "attendee.upserted"
        case .attendeeRemoved: "attendee.removed"
        case .checkedIn: "checkin"
        case .checkInRefused: "checkin.refused"
        case .checkInUndone: "checkin.undone"
        case .badgeReissued: "badge.reissued"
        case .badgePrintRequested: "badge.print_requested"
        case .sessionScheduled: "session.scheduled"
        case .sessionEntered: "session.entered"
        case .sessionExited: "session.exited"
        case .sessionRefused: "session.refused"
        }
    }

    /// Orders events the same way on every machine: by time, then kiosk, then id.
    public static func logOrder(_ a: Event, _ b: Event) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kiosk != b.kiosk { return a.kiosk < b.kiosk }
        return a.id.text < b.id.text
    }
}

/// A check-in as the state shows it.
public struct CheckInRecord: Sendable, Equatable, Codable {
    public var eventID: UUID
    public var at: Date
    public var kiosk: String

    public init(eventID: UUID, at: Date, kiosk: String) {
        self.eventID = eventID
        self.at = at
        self.kiosk = kiosk
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case at, kiosk
    }
}

/// Where an attendee is: inside a session's room since a time, having come in at a kiosk.
public struct Presence: Sendable, Equatable, Codable {
    public var session: String
    public var since: Date
    public var kiosk: String

    public init(session: String, since: Date, kiosk: String) {
        self.session = session
        self.since = since
        self.kiosk = kiosk
    }
}

/// One attendee's current state, folded from their events.
public struct AttendeeState: Sendable, Equatable {
    public var attendee: Attendee?
    public var removed: Bool = false
    /// The arrival that counts: the earliest check-in not undone.
    public var checkIn: CheckInRecord?
    /// Other check-ins not undone (two doors checked the same person in while offline): a
    /// possible second badge, for staff to look at.
    public var duplicateCheckIns: [CheckInRecord] = []
    /// Second check-ins that a door refused because it knew the person was in.
    public var refusedAttempts: Int = 0
    public var undoCount: Int = 0
    /// Version of the attendee's current badge: 1, plus one per reissue.
    public var badgeVersion: Int = 1
    /// Badges sent to print, and how many of them were reprints.
    public var prints: Int = 0
    public var reprints: Int = 0
    /// The session room they are in, as far as the doors know: the latest entry not followed by
    /// an exit of that session. Entering another session moves them there (one body, one room).
    public var inside: Presence?
    /// Sessions they entered at least once, sorted (attendance reports).
    public var attended: [String] = []

    public init() {}

    public var isCheckedIn: Bool { checkIn != nil }

    /// Folds one attendee's events. The result does not depend on the order of `events`.
    public static func fold<S: Sequence>(_ events: S) -> AttendeeState where S.Element == Event {
        let sorted = events.sorted(by: Event.logOrder)
        var state = AttendeeState()
        var undone = Set<UUID>()
        var checkIns: [CheckInRecord] = []
        var seen = Set<UUID>()
        for event in sorted {
            guard seen.insert(event.id).inserted else { continue }
            switch event.body {
            case .attendeeUpserted(let attendee):
                state.attendee = attendee
                state.removed = false
            case .attendeeRemoved:
                state.removed = true
            case .checkedIn:
                checkIns.append(CheckInRecord(eventID: event.id, at: event.at, kiosk: event.kiosk))
            case .checkInRefused:
                state.refusedAttempts += 1
            case .checkInUndone(let checkIn, _):
                undone.insert(checkIn)
                state.undoCount += 1
            case .badgeReissued:
                state.badgeVersion += 1
            case .badgePrintRequested(_, let reason):
                state.prints += 1
                if reason != nil { state.reprints += 1 }
            case .sessionEntered(let session, _):
                state.inside = Presence(session: session, since: event.at, kiosk: event.kiosk)
                if !state.attended.contains(session) { state.attended.append(session) }
            case .sessionExited(let session):
                if state.inside?.session == session { state.inside = nil }
            case .sessionScheduled, .sessionRefused:
                break
            }
        }
        let active = checkIns.filter { !undone.contains($0.eventID) }
        state.checkIn = active.first
        state.duplicateCheckIns = Array(active.dropFirst())
        state.attended.sort()
        return state
    }

    /// Folds a whole log into per-attendee states.
    public static func foldAll<S: Sequence>(_ events: S) -> [String: AttendeeState] where S.Element == Event {
        var byAttendee: [String: [Event]] = [:]
        for event in events { byAttendee[event.attendeeID, default: []].append(event) }
        return byAttendee.mapValues { fold($0) }
    }
}

extension Date {
    /// The log keeps times to the millisecond; events are made with such times so that what is
    /// returned equals what is read back.
    public var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

extension UUID {
    /// A version 4 UUID from the system's random generator (getrandom), without the file
    /// descriptor Foundation's `UUID()` opens each time on Linux.
    public static func random() -> UUID { stamped(version: 4) { _ in } }

    /// A version 7 UUID: the time in milliseconds, then 74 random bits. Ids made one after the
    /// other sort one after the other, so the rows a group commit adds to an index keyed by id
    /// (the events' `id`, the print jobs') land on the same last page instead of one random page
    /// each: fewer pages written and synced per check-in.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        return stamped(version: 7) { raw in
            for i in 0..<6 { raw[i] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - i))) }
        }
    }

    /// The canonical text, as `uuidString` gives it (upper-case hex, 8-4-4-4-12), without the
    /// `snprintf` Foundation formats it with on Linux: a check-in writes three or four ids, and its
    /// log line two more.
    public var text: String {
        withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                let digits: StaticString = "0123456789ABCDEF"
                var at = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = digits.utf8Start[Int(byte >> 4)]
                    out[at + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    /// The id written as canonical text, in either case (`UUID(uuidString:)`'s format: 36
    /// characters, hyphens after the 8th, 12th, 16th and 20th hex digits), without the `sscanf`
    /// Foundation parses it with on Linux: the server's fold reads one id per event.
    public init?(text: some StringProtocol) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed =
            text.utf8.withContiguousStorageIfAvailable { Self.parse($0, into: &bytes) }
            ?? Array(text.utf8).withUnsafeBufferPointer { Self.parse($0, into: &bytes) }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>, into bytes: inout uuid_t) -> Bool {
        guard utf8.count == 36 else { return false }
        @inline(__always) func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        return withUnsafeMutableBytes(of: &bytes) { out in
            var at = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard utf8[at] == UInt8(ascii: "-") else { return false }
                    at += 1
                }
                guard let high = nibble(utf8[at]), let low = nibble(utf8[at + 1]) else { return false }
                out[index] = high << 4 | low
                at += 2
            }
            return true
        }
    }

    /// 128 random bits, what `fill` writes over them, then the version and RFC 9562's variant.
    private static func stamped(version: UInt8, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            fill(raw)
            raw[6] = (raw[6] & 0x0F) | (version << 4)
            raw[8] = (raw[8] & 0x3F) | 0x80
            return UUID(
                uuid: (
                    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11],
                    raw[12], raw[13], raw[14], raw[15]
                ))
        }
    }
}
