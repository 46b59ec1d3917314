import Testing

@testable import AccueilCore

@Suite("Roles")
struct RoleTests {
    @Test("every synonym in the table parses to its role, also capitalised and with accents")
    func everySynonym() {
        #expect(Role.synonymTable.count > 100)
        for (word, role) in Role.synonymTable {
            let spaced = word.replacingOccurrences(of: "_", with: " ")
            #expect(Role(parsing: spaced) == role, "\(spaced)")
            #expect(Role(parsing: spaced.uppercased()) == role, "\(spaced.uppercased())")
        }
    }

    @Test(
        "French and English spellings from real exports",
        arguments: [
            ("élu", Role.electedOfficial), ("Élue", .electedOfficial), ("ÉLU·E", .electedOfficial),
            ("Elected official", .electedOfficial), ("Maire", .electedOfficial), ("ambassade", .embassy),
            ("Embassy", .embassy), ("délégation étrangère", .delegation), ("Délégation", .delegation),
            ("intervenant", .speaker), ("Intervenante", .speaker), ("INTERVENANT·E", .speaker), ("presse", .press),
            ("Press", .press), ("organisateur", .staff), ("Staff", .staff), ("partenaire", .partner),
            ("Partner", .partner), ("participant", .participant), ("Participante", .participant),
            ("elected_official", .electedOfficial), ("  speaker ", .speaker), ("Speaker pass", .speaker),
            ("Billet presse", .press), ("Délégué", .delegation),
        ])
    func spellings(text: String, role: Role) {
        #expect(Role(parsing: text) == role)
    }

    @Test("unknown or ambiguous roles are refused", arguments: ["", "astronaute", "presse et partenaire", "123"])
    func refused(text: String) {
        #expect(Role(parsing: text) == nil)
    }

    @Test("labels are bilingual")
    func labels() {
        #expect(Role.electedOfficial.label == "ÉLU·E / ELECTED OFFICIAL")
        #expect(Role.embassy.label == "AMBASSADE / EMBASSY")
        #expect(Set(Role.allCases.map(\.code)).count == Role.allCases.count)
    }
}

@Suite("Countries")
struct CountryTests {
    @Test(
        "codes and names in French and English",
        arguments: [
            ("FR", "FR"), ("fra", "FR"), ("France", "FR"), ("Allemagne", "DE"), ("Germany", "DE"), ("DEU", "DE"),
            ("Côte d'Ivoire", "CI"), ("cote d ivoire", "CI"), ("Ivory Coast", "CI"), ("Corée du Sud", "KR"),
            ("South Korea", "KR"), ("Chine", "CN"), ("China", "CN"), ("États-Unis", "US"), ("USA", "US"),
            ("Royaume-Uni", "GB"), ("UK", "GB"), ("Maroc", "MA"), ("Sénégal", "SN"), ("Arménie", "AM"),
            ("Viêt Nam", "VN"), ("Vietnam", "VN"), ("Japon", "JP"), ("Liban", "LB"),
        ])
    func resolves(text: String, code: String) {
        #expect(Country.code(for: text) == code)
    }

    @Test("nonsense is not a country", arguments: ["Atlantis", "XX", "", "Frnce"])
    func unknown(text: String) {
        #expect(Country.code(for: text) == nil)
    }

    @Test("names for display")
    func names() {
        #expect(Country.name("DE", language: .fr) == "Allemagne")
        #expect(Country.name("DE", language: .en) == "Germany")
    }
}
