import Testing

@testable import AccueilCore

@Suite("Search")
struct SearchIndexTests {
    static let people: [Attendee] = [
        Attendee(
            id: "P-001", firstName: "Anne", lastName: "Hidalgo", organisation: "Ville de Paris",
            title: "Maire de Paris", country: "FR", role: .electedOfficial),
        Attendee(
            id: "P-002", firstName: "Hélène", lastName: "Œuvray", organisation: "Région Bretagne", country: "FR",
            role: .electedOfficial),
        Attendee(
            id: "P-003", firstName: "Youssef", lastName: "El Amrani", nativeName: "يوسف العمراني",
            organisation: "Ville de Casablanca", country: "MA", role: .delegation, delegation: "Délégation du Maroc"),
        Attendee(
            id: "P-004", firstName: "Xiaoming", lastName: "Wang", nativeName: "王小明", organisation: "Ville de Chengdu",
            country: "CN", role: .delegation),
        Attendee(id: "P-005", firstName: "Aiko", lastName: "Sato", nativeName: "佐藤 愛子", country: "JP", role: .embassy),
        Attendee(
            id: "P-006", firstName: "Ivan", lastName: "Petrov", nativeName: "Иван Петров", country: "BG",
            role: .delegation),
        Attendee(
            id: "P-007", firstName: "Armen", lastName: "Sargsyan", nativeName: "Արմեն Սարգսյան", country: "AM",
            role: .electedOfficial),
        Attendee(
            id: "P-008", firstName: "Nikos", lastName: "Papadopoulos", nativeName: "Νίκος Παπαδόπουλος", country: "GR",
            role: .speaker),
        Attendee(
            id: "P-009", firstName: "Thu Huong", lastName: "Nguyen", nativeName: "Nguyễn Thu Hương", country: "VN",
            role: .press),
        Attendee(id: "P-010", firstName: "Anne-Sophie", lastName: "Hidalgo-Martin", country: "FR", role: .participant),
        Attendee(id: "P-011", firstName: "Hidalgo", lastName: "Fernández", country: "ES", role: .partner),
        Attendee(id: "P-012", firstName: "Minjun", lastName: "Kim", nativeName: "김민준", country: "KR", role: .staff),
        Attendee(
            id: "P-013", firstName: "Sakura", lastName: "Suzuki", nativeName: "鈴木 さくら", country: "JP", role: .speaker),
        Attendee(
            id: "P-014", firstName: "Somchai", lastName: "Jaidee", nativeName: "สมชาย ใจดี", country: "TH",
            role: .participant),
        Attendee(id: "P-015", firstName: "Hidalga", lastName: "Ruiz", country: "ES", role: .participant),
    ]
    static let index = SearchIndex(people)

    func ids(_ query: String) -> [String] { Self.index.search(query).map { Self.people[$0.index].id } }

    @Test(
        "finds people whatever the script, accents, case or word order",
        arguments: [
            ("helene", "P-002"), ("HÉLÈNE", "P-002"), ("oeuvray", "P-002"), ("œuvray hélène", "P-002"),
            ("hidalgo anne", "P-001"), ("anne hidalgo", "P-001"), ("hid ann", "P-001"), ("يوسف", "P-003"),
            ("العمراني", "P-003"), ("الْعُمْرَانِي", "P-003"), ("王小明", "P-004"), ("小明", "P-004"), ("王", "P-004"),
            ("佐藤", "P-005"), ("愛子", "P-005"), ("Петров", "P-006"), ("петр", "P-006"), ("Սարգսյան", "P-007"),
            ("Παπαδόπουλος", "P-008"), ("παπαδοπουλος", "P-008"), ("Nguyễn Hương", "P-009"), ("nguyen huong", "P-009"),
            ("김민준", "P-012"), ("민준", "P-012"), ("サクラ", "P-013"), ("สมชาย", "P-014"), ("casablanca", "P-003"),
            ("maroc", "P-003"), ("P-006", "P-006"), ("chengdu", "P-004"), ("maire paris", "P-001"),
        ])
    func finds(query: String, expected: String) {
        #expect(ids(query).first == expected, "\(query) → \(ids(query))")
    }

    @Test(
        "one typo is forgiven in words of five letters or more",
        arguments: [
            ("Hidlago", "P-001"), ("Hidalgi", "P-001"), ("Hidalo", "P-001"), ("Hiddalgo", "P-001"),
            ("Sargsian", "P-007"),
            ("Papadopolos", "P-008"), ("Youssed", "P-003"),
        ])
    func typo(query: String, expected: String) {
        #expect(ids(query).contains(expected), "\(query) → \(ids(query))")
    }

    @Test("no typo allowance on short words, none beyond one edit")
    func typoLimits() {
        #expect(ids("Anme").isEmpty)
        #expect(ids("Hdlgao").isEmpty)
        #expect(ids("P-0O6").isEmpty)
    }

    @Test("exact before prefix before typo; names before other fields")
    func ranking() {
        // "hidalgo": exact surname (P-001), exact first name (P-011), a compound part (P-010), a typo (P-015).
        let results = Self.index.search("hidalgo")
        let order = results.map { Self.people[$0.index].id }
        #expect(Array(order.prefix(3)).sorted() == ["P-001", "P-010", "P-011"])
        #expect(order.last == "P-015")
        #expect(results.first?.match == .exact)
        #expect(results.last?.match == .fuzzy)
        // "hid": all prefixes; ties broken by name order.
        #expect(ids("hid").allSatisfy { ["P-001", "P-010", "P-011", "P-015"].contains($0) })
        // The last name before the first: Hidalgo Anne and Hidalgo-Martin before Fernández Hidalgo,
        // although "Fernández" comes first in name order.
        #expect(Array(order.prefix(2)).sorted() == ["P-001", "P-010"] && order[2] == "P-011", "\(order)")
        let hid = ids("hid")
        #expect(hid.firstIndex(of: "P-011")! > hid.firstIndex(of: "P-001")!, "\(hid)")
        // Two words: the same rule ("mar" on Dupont Marc and Martin Zoé).
        let two = SearchIndex([
            Attendee(id: "A", firstName: "Marc", lastName: "Dupont"),
            Attendee(id: "B", firstName: "Zoé", lastName: "Martin"),
        ])
        #expect(two.search("mar").map(\.index) == [1, 0])
    }

    @Test("every query word must match")
    func conjunctive() {
        #expect(ids("anne petrov").isEmpty)
        #expect(ids("zzzz").isEmpty)
        #expect(ids("").isEmpty)
        #expect(ids("  ,; ").isEmpty)
    }

    @Test("the limit is respected and the best come first")
    func limit() {
        let many =
            (0..<500).map { Attendee(id: "M\($0)", firstName: "Marie", lastName: "Martin\($0)", role: .participant) }
            + [Attendee(id: "X", firstName: "Mar", lastName: "Exact", role: .participant)]
        let index = SearchIndex(many)
        let hits = index.search("mar", limit: 10)
        #expect(hits.count == 10)
        #expect(many[hits[0].index].id == "X")
    }
}
