/// Someone not on the list, as staff type them in at a door: one rule for every way in (the
/// browser door's form, the terminal door, `accueil walkin`), and the same checks as a roster row
/// (a name, a known country and role, a plausible e-mail address).
public struct WalkIn: Sendable, Equatable {
    public var firstName = ""
    public var lastName = ""
    public var nativeName = ""
    public var organisation = ""
    public var title = ""
    /// An ISO 3166 code or a country's name in French or English.
    public var country = ""
    /// A role's name in French or English, or empty for a participant.
    public var role = ""
    public var delegation = ""
    public var email = ""
    public var language = ""

    /// The field a walk-in is refused for, and why, in French and English.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The form's field: `first_name` (no name at all), `country`, `role` or `email`.
        public var field: String
        public var english: String
        public var french: String
        public var description: String { english }

        public func message(_ language: String) -> String { language == "fr" ? french : english }
    }

    public init(
        firstName: String = "", lastName: String = "", nativeName: String = "", organisation: String = "",
        title: String = "", country: String = "", role: String = "", delegation: String = "", email: String = "",
        language: String = ""
    ) {
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
    }

    /// The attendee to register under `id`, every field trimmed; or the first field that is wrong.
    public func attendee(id: String) throws(Problem) -> Attendee {
        let first = firstName.trimmed
        let last = lastName.trimmed
        let native = nativeName.trimmed
        guard !(first + last + native).isEmpty else {
            throw Problem(field: "first_name", english: "a walk-in needs a name", french: "un nom est nécessaire")
        }
        var code = ""
        let countryText = country.trimmed
        if !countryText.isEmpty {
            guard let found = Country.code(for: countryText) else {
                throw Problem(
                    field: "country",
                    english: "unknown country \"\(countryText)\": give an ISO 3166 code or a French or English name",
                    french: "pays inconnu « \(countryText) » : un code ISO 3166 ou un nom en français ou en anglais")
            }
            code = found
        }
        var parsedRole = Role.participant
        let roleText = role.trimmed
        if !roleText.isEmpty {
            guard let found = Role(parsing: roleText) else {
                let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw Problem(
                    field: "role", english: "unknown role \"\(roleText)\" (one of \(known))",
                    french: "rôle inconnu « \(roleText) » (parmi \(known))")
            }
            parsedRole = found
        }
        let mail = email.trimmed
        guard mail.isEmpty || RosterParser.isPlausibleEmail(mail) else {
            throw Problem(
                field: "email", english: "\"\(mail)\" is not an e-mail address",
                french: "« \(mail) » n'est pas une adresse e-mail")
        }
        return Attendee(
            id: id, firstName: first, lastName: last, nativeName: native, organisation: organisation.trimmed,
            title: title.trimmed, country: code, role: parsedRole, delegation: delegation.trimmed, email: mail,
            language: language.trimmed.lowercased(), walkIn: true)
    }
}
