import Foundation

/// The role printed on a badge and counted on the dashboard.
///
/// Raw values are the stable codes used in CSV files, JSON output and the event log.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    case electedOfficial = "elected_official"
    case embassy
    case delegation
    case speaker
    case press
    case staff
    case partner
    case participant

    /// Label in French, as printed on badges ("ÉLU·E").
    public var labelFR: String {
        switch self {
        case .electedOfficial: "ÉLU·E"
        case .embassy: "AMBASSADE"
        case .delegation: "DÉLÉGATION"
        case .speaker: "INTERVENANT·E"
        case .press: "PRESSE"
        case .staff: "ORGANISATION"
        case .partner: "PARTENAIRE"
        case .participant: "PARTICIPANT·E"
        }
    }

    /// Label in English, as printed on badges ("ELECTED OFFICIAL").
    public var labelEN: String {
        switch self {
        case .electedOfficial: "ELECTED OFFICIAL"
        case .embassy: "EMBASSY"
        case .delegation: "DELEGATION"
        case .speaker: "SPEAKER"
        case .press: "PRESS"
        case .staff: "STAFF"
        case .partner: "PARTNER"
        case .participant: "PARTICIPANT"
        }
    }

    /// "ÉLU·E / ELECTED OFFICIAL".
    public var label: String { "\(labelFR) / \(labelEN)" }

    /// One-letter code used in compact encodings (QR payloads).
    public var code: Character {
        switch self {
        case .electedOfficial: "E"
        case .embassy: "A"
        case .delegation: "D"
        case .speaker: "S"
        case .press: "P"
        case .staff: "O"
        case .partner: "T"
        case .participant: "V"
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses a role as registration systems and people write it, in French or English,
    /// with any case, accents, gender inflection or separator:
    /// "élu", "Élue", "Elected official", "ambassade", "délégation étrangère", "intervenant"…
    public init?(parsing text: String) {
        let key = Role.normalize(text)
        if key.isEmpty { return nil }
        if let role = Role(rawValue: key) {
            self = role
            return
        }
        if let role = Role.synonyms[key] {
            self = role
            return
        }
        // "Speaker pass", "Billet presse", "Délégué officiel": one known word decides, if only one role is named.
        let found = Set(
            key.split(separator: "_").compactMap { Role.synonyms[String($0)] ?? Role(rawValue: String($0)) })
        guard found.count == 1, let role = found.first else { return nil }
        self = role
    }

    /// Lowercased, accent-free, words joined by "_" ("Délégation étrangère" → "delegation_etrangere").
    static func normalize(_ text: String) -> String {
        String(decoding: TextFolding.shared.fold(text).utf8.map { $0 == 0x20 ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }

    static var synonymTable: [String: Role] { synonyms }

    private static let synonyms: [String: Role] = {
        let table: [Role: [String]] = [
            .electedOfficial: [
                "elu", "elue", "elus", "elues", "elu_e", "elu_local", "elue_locale", "elus_locaux",
                "elected", "elected_official", "elected_officials", "official", "mayor", "maire",
                "adjoint", "adjointe", "adjoint_au_maire", "adjointe_au_maire", "conseiller",
                "conseillere", "conseiller_municipal", "conseillere_municipale", "conseiller_regional",
                "conseillere_regionale", "conseiller_departemental", "conseillere_departementale",
                "president", "presidente", "depute", "deputee", "senateur", "senatrice", "ministre",
                "minister", "councillor", "councilor", "elected_representative", "elue_local", "elu_locale",
            ],
            .embassy: [
                "ambassade", "ambassades", "embassy", "embassies", "ambassadeur", "ambassadrice",
                "ambassador", "diplomate", "diplomat", "diplomatic", "corps_diplomatique",
                "diplomatic_corps", "consulat", "consulate",
            ],
            .delegation: [
                "delegation", "delegations", "delegation_etrangere", "delegations_etrangeres",
                "delegation_internationale", "foreign_delegation", "international_delegation",
                "delegue", "deleguee", "delegate", "delegates", "membre_de_delegation",
                "delegation_member",
            ],
            .speaker: [
                "intervenant", "intervenante", "intervenants", "intervenant_e", "orateur", "oratrice",
                "speaker", "speakers", "panelist", "panellist", "paneliste", "moderateur", "moderatrice",
                "moderator", "conferencier", "conferenciere", "keynote", "keynote_speaker",
            ],
            .press: [
                "presse", "press", "media", "medias", "journaliste", "journalist", "journalists",
                "photographe", "photographer",
            ],
            .staff: [
                "staff", "organisateur", "organisatrice", "organisateurs", "organisation", "organiser",
                "organizer", "organization", "equipe", "team", "benevole", "volunteer", "benevoles",
                "volunteers", "crew", "agent", "personnel",
            ],
            .partner: [
                "partenaire", "partenaires", "partner", "partners", "sponsor", "sponsors", "mecene",
                "exposant", "exposante", "exhibitor",
            ],
            .participant: [
                "participant", "participante", "participants", "participant_e", "attendee",
                "attendees", "visiteur", "visiteuse", "visitor", "guest", "invite", "invitee",
                "inscrit", "inscrite", "delegue_participant", "general", "standard",
            ],
        ]
        var map: [String: Role] = [:]
        for (role, words) in table {
            for word in words { map[word] = role }
        }
        return map
    }()
}
