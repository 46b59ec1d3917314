import Foundation

/// A session of the programme: a plenary, a workshop, a 20-minute micro-workshop, a country-group
/// meeting, the ceremony. Doors of its room admit people by its access rule, up to its capacity.
///
/// Sessions travel in the event log like attendees do (subject `session:ID`, see `Event.Body.sessionScheduled`),
/// so every kiosk gets the schedule through sync and keeps it offline.
public struct Session: Sendable, Equatable, Hashable, Identifiable, Codable {
    public var id: String
    public var title: String
    public var room: String
    public var start: Date
    public var end: Date
    /// People allowed inside at once; 0 for no limit.
    public var capacity: Int
    public var access: SessionAccess
    /// Free text for people: plenary, workshop, micro-workshop, country group, ceremony…
    public var kind: String

    public init(
        id: String, title: String, room: String = "", start: Date, end: Date, capacity: Int = 0,
        access: SessionAccess = .open, kind: String = ""
    ) {
        self.id = id
        self.title = title
        self.room = room
        self.start = start.roundedToMilliseconds
        self.end = end.roundedToMilliseconds
        self.capacity = capacity
        self.access = access
        self.kind = kind
    }

    /// Doors open this long before the start.
    public static let doorsOpenBefore: TimeInterval = 30 * 60
    /// Events about a session are filed under this subject instead of an attendee id.
    public static let subjectPrefix = "session:"

    public static func subject(_ id: String) -> String { subjectPrefix + id }

    /// The session id of an event subject, or nil when the subject is an attendee.
    public static func id(ofSubject subject: String) -> String? {
        subject.hasPrefix(subjectPrefix) ? String(subject.dropFirst(subjectPrefix.count)) : nil
    }

    enum CodingKeys: String, CodingKey {
        case id, title, room, capacity, access, kind
        case start = "starts_at"
        case end = "ends_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        title = try c.decodeIfPresent(String.self, forKey: .title) ?? ""
        room = try c.decodeIfPresent(String.self, forKey: .room) ?? ""
        // Milliseconds since 1970, the log's unit of time.
        start = Date(timeIntervalSince1970: Double(try c.decode(Int64.self, forKey: .start)) / 1000)
        end = Date(timeIntervalSince1970: Double(try c.decode(Int64.self, forKey: .end)) / 1000)
        capacity = try c.decodeIfPresent(Int.self, forKey: .capacity) ?? 0
        let rule = try c.decodeIfPresent(String.self, forKey: .access) ?? "open"
        do { access = try SessionAccess(parsing: rule) } catch {
            throw Swift.DecodingError.dataCorruptedError(
                forKey: .access, in: c, debugDescription: error.description)
        }
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(room, forKey: .room)
        try c.encode(Int64((start.timeIntervalSince1970 * 1000).rounded()), forKey: .start)
        try c.encode(Int64((end.timeIntervalSince1970 * 1000).rounded()), forKey: .end)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(access.description, forKey: .access)
        try c.encode(kind, forKey: .kind)
    }
}

/// Who may enter a session, as the schedule file writes it:
/// `open`, `registered` (the attendee's sessions list it), `roles=elected_official,speaker`,
/// `countries=DE,AT` (a country group), `delegations=Japan;Korea`. Staff pass every rule.
public enum SessionAccess: Sendable, Equatable, Hashable, CustomStringConvertible {
    case open
    case registered
    case roles([Role])
    case countries([String])
    case delegations([String])

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(ParseError) {
        let rule = text.trimmed
        let folded = TextFolding.shared.fold(rule)
        if folded.isEmpty || folded == "open" || folded == "ouvert" || folded == "libre" {
            self = .open
            return
        }
        if ["registered", "inscrits", "inscrit", "sur inscription"].contains(folded) {
            self = .registered
            return
        }
        guard let equals = rule.firstIndex(of: "=") else {
            throw ParseError(
                description:
                    "unknown access rule \"\(rule)\": write open, registered, roles=…, countries=… or delegations=…")
        }
        let key = TextFolding.shared.fold(String(rule[..<equals]))
        let list = rule[rule.index(after: equals)...]
            .split(whereSeparator: { ",;|".contains($0) }).map { String($0).trimmed }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw ParseError(description: "the access rule \"\(rule)\" lists nobody") }
        switch key {
        case "roles", "role":
            var roles: [Role] = []
            for name in list {
                guard let role = Role(parsing: name) else {
                    throw ParseError(
                        description:
                            "unknown role \"\(name)\" in \"\(rule)\" (roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                if !roles.contains(role) { roles.append(role) }
            }
            self = .roles(roles.sorted())
        case "countries", "country", "pays":
            var codes: [String] = []
            for name in list {
                guard let code = Country.code(for: name) else {
                    throw ParseError(description: "unknown country \"\(name)\" in \"\(rule)\"")
                }
                if !codes.contains(code) { codes.append(code) }
            }
            self = .countries(codes.sorted())
        case "delegations", "delegation":
            self = .delegations(list)
        default:
            throw ParseError(
                description:
                    "unknown access rule \"\(rule)\": write open, registered, roles=…, countries=… or delegations=…")
        }
    }

    public var description: String {
        switch self {
        case .open: "open"
        case .registered: "registered"
        case .roles(let roles): "roles=" + roles.map(\.rawValue).joined(separator: ",")
        case .countries(let codes): "countries=" + codes.joined(separator: ",")
        case .delegations(let names): "delegations=" + names.joined(separator: ";")
        }
    }

    /// Why `attendee` may not enter `session` under this rule, or nil when they may.
    public func refusal(_ attendee: Attendee, session: String) -> ScanRefusal? {
        if attendee.role == .staff { return nil }
        switch self {
        case .open: return nil
        case .registered: return attendee.sessions.contains(session) ? nil : .notRegistered
        case .roles(let roles): return roles.contains(attendee.role) ? nil : .roleNotAllowed
        case .countries(let codes): return codes.contains(attendee.country) ? nil : .notInGroup
        case .delegations(let names):
            let mine = TextFolding.shared.fold(attendee.delegation)
            return !mine.isEmpty && names.contains(where: { TextFolding.shared.fold($0) == mine }) ? nil : .notInGroup
        }
    }
}

/// Why a session door said no. Stable codes: stored in the log, sent to screens, counted.
public enum ScanRefusal: String, Sendable, Codable, CaseIterable {
    /// Not on this kiosk's roster (or removed from it).
    case notOnRoster = "not_on_roster"
    case notRegistered = "not_registered"
    case roleNotAllowed = "role_not_allowed"
    case notInGroup = "not_in_group"
    case roomFull = "room_full"
    case notOpenYet = "not_open_yet"
    case sessionOver = "session_over"
    /// A valid but older badge: a new one was printed since.
    case badgeReissued = "badge_reissued"
    /// Signature wrong, unknown key, other event, damaged: not a badge this event issued.
    case forged
    /// Not a badge code at all (an e-ticket number, a product barcode).
    case notABadge = "not_a_badge"
}

/// A session's current definition, folded from its events: the latest schedule line wins.
public struct SessionState: Sendable, Equatable {
    public var session: Session?

    public static func fold<S: Sequence>(_ events: S) -> SessionState where S.Element == Event {
        var latest: Event?
        for event in events {
            guard case .sessionScheduled = event.body else { continue }
            if latest == nil || Event.logOrder(latest!, event) { latest = event }
        }
        guard let latest, case .sessionScheduled(let session) = latest.body else { return SessionState() }
        return SessionState(session: session)
    }
}

/// Reads a schedule file: one session per line.
///
/// Columns (headers in English or French, any order): id, title, room, start, end, capacity, access,
/// and optionally kind. Times are `2026-06-12 09:30` or `2026-06-12T09:30` in `timeZone`, or ISO 8601
/// with an offset (`2026-06-12T09:30:00+02:00`). Every bad cell is reported with its line and column.
public enum ScheduleParser {
    public struct Parsed: Sendable {
        public var sessions: [Session]
        public var rejections: [RowRejection]
    }

    enum Column: String, CaseIterable { case id, title, room, start, end, capacity, access, kind }

    static let synonyms: [String: Column] = [
        "id": .id, "session": .id, "session id": .id, "code": .id, "identifiant": .id,
        "title": .title, "titre": .title, "name": .title, "nom": .title, "intitule": .title,
        "room": .room, "salle": .room, "lieu": .room, "location": .room,
        "start": .start, "debut": .start, "starts": .start, "start time": .start, "heure de debut": .start,
        "end": .end, "fin": .end, "ends": .end, "end time": .end, "heure de fin": .end,
        "capacity": .capacity, "capacite": .capacity, "jauge": .capacity, "places": .capacity,
        "access": .access, "acces": .access, "admission": .access,
        "kind": .kind, "type": .kind, "format": .kind,
    ]

    public static func parse(_ data: [UInt8], timeZone: TimeZone = .current) throws(RosterFileError) -> Parsed {
        let (text, _) = TextDecoder.decode(data)
        let records: [CSVRecord]
        do { records = try CSVReader(delimiter: CSVReader.detectDelimiter(text)).records(text) } catch {
            throw RosterFileError("The file is not valid CSV: \(error.description).")
        }
        guard let header = records.first else { throw RosterFileError("The file is empty: no header line.") }
        var columnOf: [Column: Int] = [:]
        for (index, name) in header.fields.enumerated() {
            if let column = synonyms[TextFolding.shared.fold(name)], columnOf[column] == nil {
                columnOf[column] = index
            }
        }
        let missing = [Column.id, .start, .end].filter { columnOf[$0] == nil }
        guard missing.isEmpty else {
            throw RosterFileError(
                "Missing column\(missing.count > 1 ? "s" : ""): \(missing.map(\.rawValue).joined(separator: ", ")). A schedule needs id, title, room, start, end, capacity, access."
            )
        }
        var result = Parsed(sessions: [], rejections: [])
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            func cell(_ column: Column) -> String {
                guard let index = columnOf[column], index < record.fields.count else { return "" }
                return record.fields[index].trimmed
            }
            var bad = false
            func reject(_ column: Column?, _ reason: String, _ value: String = "") {
                bad = true
                let index = column.flatMap { columnOf[$0] }
                result.rejections.append(
                    RowRejection(
                        line: record.line, column: index.map { $0 + 1 } ?? 0,
                        columnName: index.map { header.fields[$0] } ?? "", reason: reason, value: value))
            }
            let id = cell(.id)
            if id.isEmpty { reject(.id, "no session id") }
            if id.contains(where: { $0.isWhitespace }) { reject(.id, "a session id has no spaces", id) }
            if let first = seen[id], !id.isEmpty { reject(.id, "the same id is already on line \(first)", id) }
            let start = time(cell(.start), timeZone)
            let end = time(cell(.end), timeZone)
            if start == nil { reject(.start, "not a date and time (write 2026-06-12 09:30)", cell(.start)) }
            if end == nil { reject(.end, "not a date and time (write 2026-06-12 10:30)", cell(.end)) }
            if let start, let end, end <= start { reject(.end, "the session ends before it starts", cell(.end)) }
            let capacityText = cell(.capacity)
            let capacity = capacityText.isEmpty ? 0 : Int(capacityText)
            if capacity == nil || capacity! < 0 {
                reject(.capacity, "not a number of people (0 or empty for no limit)", capacityText)
            }
            var access = SessionAccess.open
            do { access = try SessionAccess(parsing: cell(.access)) } catch { reject(.access, error.description) }
            if bad { continue }
            seen[id] = record.line
            result.sessions.append(
                Session(
                    id: id, title: cell(.title).isEmpty ? id : cell(.title), room: cell(.room), start: start!,
                    end: end!, capacity: capacity!, access: access, kind: cell(.kind)))
        }
        return result
    }

    /// `2026-06-12 09:30`, `2026-06-12T09:30[:00]`, with an optional `Z` or `±HH:MM` offset.
    static func time(_ text: String, _ zone: TimeZone) -> Date? {
        let scalars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[from..<from + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard scalars.count >= 16, let year = number(0, 4), scalars[4] == 0x2D, let month = number(5, 2),
            scalars[7] == 0x2D, let day = number(8, 2), scalars[10] == 0x20 || scalars[10] == 0x54,
            let hour = number(11, 2), scalars[13] == 0x3A, let minute = number(14, 2)
        else { return nil }
        var index = 16
        var second = 0
        if index < scalars.count, scalars[index] == 0x3A {
            guard let s = number(index + 1, 2) else { return nil }
            second = s
            index += 3
        }
        var offset: Int?
        if index < scalars.count {
            let rest = String(decoding: scalars[index...], as: UTF8.self)
            if rest == "Z" {
                offset = 0
            } else if let sign = rest.first, sign == "+" || sign == "-", rest.count == 6,
                let h = Int(rest.dropFirst().prefix(2)), let m = Int(rest.suffix(2))
            {
                offset = (sign == "-" ? -1 : 1) * (h * 3600 + m * 60)
            } else {
                return nil
            }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offset.flatMap { TimeZone(secondsFromGMT: $0) } ?? zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else {
            return nil
        }
        return date
    }
}
