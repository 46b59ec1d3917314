import Foundation

/// A registered person, as the roster and organisers describe them.
///
/// JSON keys are snake_case and stable: scripts read them.
public struct Attendee: Codable, Sendable, Equatable, Hashable, Identifiable {
    public var id: String
    public var firstName: String
    public var lastName: String
    /// The name in its own script (Arabic, Chinese, Cyrillic…), when the roster gives it.
    public var nativeName: String
    public var organisation: String
    /// What they are, e.g. "Maire de Rennes".
    public var title: String
    /// ISO 3166-1 alpha-2 code, or empty.
    public var country: String
    public var role: Role
    public var delegation: String
    public var email: String
    public var language: String
    /// Session ids the attendee registered for.
    public var sessions: [String]
    /// Attention note for protocol staff; empty when none.
    public var vip: String
    public var notes: String
    /// Registered on site rather than pre-registered.
    public var walkIn: Bool
    /// Keyed digests of the registration system's ticket codes (``TicketCode``), never the codes:
    /// a scanned ticket is digested with the event's ticket key and looked up among these.
    public var tickets: [String]
    /// The registration awaits payment or approval: the door refuses to check them in, and says why.
    public var pending: Bool

    public init(
        id: String, firstName: String = "", lastName: String = "", nativeName: String = "",
        organisation: String = "", title: String = "", country: String = "", role: Role = .participant,
        delegation: String = "", email: String = "", language: String = "", sessions: [String] = [],
        vip: String = "", notes: String = "", walkIn: Bool = false, tickets: [String] = [], pending: Bool = false
    ) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.nativeName = nativeName
        self.organisation = organisation
        self.title = title
        self.country = country
        self.role = role
        self.delegation = delegation
        self.email = email
        self.language = language
        self.sessions = sessions
        self.vip = vip
        self.notes = notes
        self.walkIn = walkIn
        self.tickets = tickets
        self.pending = pending
    }

    enum CodingKeys: String, CodingKey {
        case id
        case firstName = "first_name"
        case lastName = "last_name"
        case nativeName = "native_name"
        case organisation, title, country, role, delegation, email, language, sessions, vip, notes
        case walkIn = "walk_in"
        case tickets, pending
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        firstName = try c.decodeIfPresent(String.self, forKey: .firstName) ?? ""
        lastName = try c.decodeIfPresent(String.self, forKey: .lastName) ?? ""
        nativeName = try c.decodeIfPresent(String.self, forKey: .nativeName) ?? ""
        organisation = try c.decodeIfPresent(String.self, forKey: .organisation) ?? ""
        title = try c.decodeIfPresent(String.self, forKey: .title) ?? ""
        country = try c.decodeIfPresent(String.self, forKey: .country) ?? ""
        role = try c.decode(Role.self, forKey: .role)
        delegation = try c.decodeIfPresent(String.self, forKey: .delegation) ?? ""
        email = try c.decodeIfPresent(String.self, forKey: .email) ?? ""
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? ""
        sessions = try c.decodeIfPresent([String].self, forKey: .sessions) ?? []
        vip = try c.decodeIfPresent(String.self, forKey: .vip) ?? ""
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? ""
        walkIn = try c.decodeIfPresent(Bool.self, forKey: .walkIn) ?? false
        tickets = try c.decodeIfPresent([String].self, forKey: .tickets) ?? []
        pending = try c.decodeIfPresent(Bool.self, forKey: .pending) ?? false
    }

    /// The same keys as ``json``: `tickets` and `pending` only when they say something, so that
    /// attendees without them read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(firstName, forKey: .firstName)
        try c.encode(lastName, forKey: .lastName)
        try c.encode(nativeName, forKey: .nativeName)
        try c.encode(organisation, forKey: .organisation)
        try c.encode(title, forKey: .title)
        try c.encode(country, forKey: .country)
        try c.encode(role, forKey: .role)
        try c.encode(delegation, forKey: .delegation)
        try c.encode(email, forKey: .email)
        try c.encode(language, forKey: .language)
        try c.encode(sessions, forKey: .sessions)
        try c.encode(vip, forKey: .vip)
        try c.encode(notes, forKey: .notes)
        try c.encode(walkIn, forKey: .walkIn)
        if !tickets.isEmpty { try c.encode(tickets, forKey: .tickets) }
        if pending { try c.encode(pending, forKey: .pending) }
    }

    /// "Anne Hidalgo"; the native-script name when there is no Latin one.
    public var displayName: String {
        let latin = [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ")
        return latin.isEmpty ? nativeName : latin
    }

    /// "HIDALGO Anne (安娜)": family name in capitals as French protocol writes it, then the name in
    /// its own script. What the door screens and the commands show.
    public var listName: String {
        var name = [lastName.uppercased(), firstName].filter { !$0.isEmpty }.joined(separator: " ")
        if !nativeName.isEmpty { name += name.isEmpty ? nativeName : " (\(nativeName))" }
        return name
    }

    /// "HIDALGO Anne" — the way French protocol lists sort and print names.
    public var sortKey: String {
        TextFolding.shared.fold(lastName + " " + firstName + " " + nativeName + " " + id)
    }
}
