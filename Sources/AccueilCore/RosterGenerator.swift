import Foundation

/// Generates fictional rosters shaped like the model event (a two-day international meeting of
/// local governments in Paris): French local authorities, foreign delegations with names in their
/// own scripts, embassies, speakers, press, staff and partners. Deterministic for a given seed.
///
/// Used for the demo roster (`demo/roster.csv`) and for benchmarks on 100,000 attendees; past a
/// few thousand people it invents surnames from syllables so that the vocabulary grows like a
/// real one instead of repeating a short list.
public struct RosterGenerator: Sendable {
    public var seed: UInt64

    public init(seed: UInt64 = 2026) { self.seed = seed }

    typealias RNG = SeededGenerator

    struct Culture {
        var country: String
        var language: String
        /// (Latin, native) pairs; native empty when the Latin form is the native one.
        var first: [(String, String)]
        var last: [(String, String)]
        /// Family name first in the native form (Chinese, Japanese, Korean, Vietnamese, Hungarian).
        var familyFirst: Bool = false
        var nativeSeparator: String = " "
    }

    static let french = Culture(
        country: "FR", language: "fr",
        first: [
            "Anne", "Hélène", "Jean-Pierre", "Marie", "François", "Sophie", "Nicolas", "Camille", "Éric", "Isabelle",
            "Laurent", "Nathalie", "Olivier", "Céline", "Stéphane", "Valérie", "Thierry", "Sandrine", "Benoît", "Chloé",
            "Frédéric", "Aurélie", "Jérôme", "Émilie", "Philippe", "Agnès", "Guillaume", "Brigitte", "Loïc", "Gaëlle",
            "Mathieu", "Maëlle", "Rémi", "Noémie", "Hervé", "Clémence", "Joël", "Solène", "Yannick", "Ségolène",
            "Marc-Antoine", "Anne-Sophie", "Jean", "Pierre", "Léa", "Inès", "Zoé", "Raphaël", "Théo", "Amélie",
        ].map { ($0, "") },
        last: [
            "Hidalgo", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
            "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
            "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
            "Le Gall", "Le Goff", "Kervella", "Ménard", "Rousseau", "Blanchard", "Guérin", "Boyer", "Chevalier",
            "Lemaître", "Faure", "Gauthier", "Perrin", "Clément", "Muller", "Schmitt", "Œuvray", "Cœurdevey",
            "Saint-Martin", "de La Tour", "d'Aubigné", "N'Diaye", "Brûlé", "Façon", "Joly", "Barbier", "Poirier",
        ].map { ($0, "") })

    static let cultures: [Culture] = [
        Culture(
            country: "MA", language: "ar",
            first: [
                ("Youssef", "يوسف"), ("Fatima", "فاطمة"), ("Mohamed", "محمد"), ("Khadija", "خديجة"),
                ("Karim", "كريم"), ("Nadia", "نادية"), ("Omar", "عمر"), ("Samira", "سميرة"), ("Rachid", "رشيد"),
                ("Leila", "ليلى"), ("Hassan", "حسن"), ("Amina", "أمينة"), ("Ahmed", "أحمد"),
            ],
            last: [
                ("El Amrani", "العمراني"), ("Benali", "بنعلي"), ("Alaoui", "العلوي"), ("Bennani", "بناني"),
                ("Tazi", "التازي"), ("Chraibi", "الشرايبي"), ("Idrissi", "الإدريسي"), ("Berrada", "برادة"),
            ]),
        Culture(
            country: "TN", language: "ar",
            first: [("Sami", "سامي"), ("Mouna", "منى"), ("Hichem", "هشام"), ("Ines", "إيناس"), ("Walid", "وليد")],
            last: [("Ben Salah", "بن صالح"), ("Trabelsi", "الطرابلسي"), ("Gharbi", "الغربي"), ("Jebali", "الجبالي")]),
        Culture(
            country: "LB", language: "ar",
            first: [("Rami", "رامي"), ("Nour", "نور"), ("Ziad", "زياد"), ("Rania", "رانيا")],
            last: [("Haddad", "حداد"), ("Khoury", "خوري"), ("Nassar", "نصار"), ("Saad", "سعد")]),
        Culture(
            country: "CN", language: "zh",
            first: [
                ("Xiaoming", "小明"), ("Wei", "伟"), ("Fang", "芳"), ("Jing", "静"), ("Lei", "磊"), ("Yang", "洋"),
                ("Min", "敏"), ("Jun", "军"), ("Hui", "慧"), ("Tao", "涛"),
            ],
            last: [
                ("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"),
                ("Zhao", "赵"), ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"),
            ], familyFirst: true, nativeSeparator: ""),
        Culture(
            country: "JP", language: "ja",
            first: [
                ("Haruki", "春樹"), ("Yuki", "由紀"), ("Takeshi", "武"), ("Aiko", "愛子"), ("Kenji", "健二"),
                ("Sakura", "さくら"), ("Hiroshi", "博"), ("Emi", "恵美"),
            ],
            last: [
                ("Sato", "佐藤"), ("Suzuki", "鈴木"), ("Takahashi", "高橋"), ("Tanaka", "田中"), ("Watanabe", "渡辺"),
                ("Ito", "伊藤"), ("Yamamoto", "山本"), ("Nakamura", "中村"),
            ], familyFirst: true),
        Culture(
            country: "KR", language: "ko",
            first: [("Minjun", "민준"), ("Seoyeon", "서연"), ("Jiho", "지호"), ("Hayoon", "하윤"), ("Dohyun", "도현")],
            last: [("Kim", "김"), ("Lee", "이"), ("Park", "박"), ("Choi", "최"), ("Jung", "정")],
            familyFirst: true, nativeSeparator: ""),
        Culture(
            country: "UA", language: "uk",
            first: [
                ("Olena", "Олена"), ("Andriy", "Андрій"), ("Iryna", "Ірина"), ("Oleksandr", "Олександр"),
                ("Yulia", "Юлія"),
            ],
            last: [
                ("Shevchenko", "Шевченко"), ("Kovalenko", "Коваленко"), ("Bondarenko", "Бондаренко"),
                ("Tkachenko", "Ткаченко"),
            ]),
        Culture(
            country: "BG", language: "bg",
            first: [
                ("Ivan", "Иван"), ("Maria", "Мария"), ("Georgi", "Георги"), ("Elena", "Елена"), ("Dimitar", "Димитър"),
            ],
            last: [("Petrov", "Петров"), ("Ivanova", "Иванова"), ("Dimitrov", "Димитров"), ("Georgieva", "Георгиева")]),
        Culture(
            country: "AM", language: "hy",
            first: [
                ("Armen", "Արմեն"), ("Anahit", "Անահիտ"), ("Tigran", "Տիգրան"), ("Lilit", "Լիլիթ"), ("Narek", "Նարեկ"),
            ],
            last: [
                ("Sargsyan", "Սարգսյան"), ("Hakobyan", "Հակոբյան"), ("Grigoryan", "Գրիգորյան"),
                ("Petrosyan", "Պետրոսյան"),
            ]),
        Culture(
            country: "GR", language: "el",
            first: [
                ("Nikos", "Νίκος"), ("Eleni", "Ελένη"), ("Giorgos", "Γιώργος"), ("Maria", "Μαρία"),
                ("Dimitris", "Δημήτρης"),
            ],
            last: [
                ("Papadopoulos", "Παπαδόπουλος"), ("Georgiou", "Γεωργίου"), ("Nikolaou", "Νικολάου"),
                ("Oikonomou", "Οικονόμου"),
            ]),
        Culture(
            country: "VN", language: "vi",
            first: [
                ("Van An", "Văn An"), ("Thi Lan", "Thị Lan"), ("Duc Minh", "Đức Minh"), ("Thu Huong", "Thu Hương"),
                ("Quoc Bao", "Quốc Bảo"),
            ],
            last: [("Nguyen", "Nguyễn"), ("Tran", "Trần"), ("Le", "Lê"), ("Pham", "Phạm"), ("Hoang", "Hoàng")],
            familyFirst: true),
        Culture(
            country: "IL", language: "he",
            first: [("David", "דוד"), ("Noa", "נועה"), ("Yossi", "יוסי"), ("Tamar", "תמר")],
            last: [("Cohen", "כהן"), ("Levi", "לוי"), ("Mizrahi", "מזרחי"), ("Peretz", "פרץ")]),
        Culture(
            country: "TH", language: "th",
            first: [("Somchai", "สมชาย"), ("Malee", "มาลี"), ("Niran", "นิรันดร์"), ("Suda", "สุดา")],
            last: [("Jaidee", "ใจดี"), ("Srisuk", "ศรีสุข"), ("Wongsa", "วงศา"), ("Boonmee", "บุญมี")]),
        Culture(
            country: "IN", language: "hi",
            first: [("Rahul", "राहुल"), ("Priya", "प्रिया"), ("Amit", "अमित"), ("Sunita", "सुनीता")],
            last: [("Sharma", "शर्मा"), ("Verma", "वर्मा"), ("Gupta", "गुप्ता"), ("Singh", "सिंह")]),
        Culture(
            country: "SN", language: "fr",
            first: ["Aminata", "Moussa", "Fatou", "Ousmane", "Awa", "Cheikh", "Mariama", "Ibrahima"].map { ($0, "") },
            last: ["Diop", "Ndiaye", "Fall", "Sow", "Diallo", "Sarr", "Mbaye", "Faye"].map { ($0, "") }),
        Culture(
            country: "CI", language: "fr",
            first: ["Kouassi", "Adjoua", "Yao", "Aya", "Koffi", "Affoué"].map { ($0, "") },
            last: ["Kouamé", "Konan", "Coulibaly", "Ouattara", "Bamba", "Traoré"].map { ($0, "") }),
        Culture(
            country: "DE", language: "de",
            first: ["Jürgen", "Ursula", "Katrin", "Stefan", "Jörg", "Anja"].map { ($0, "") },
            last: ["Müller", "Schäfer", "Weiß", "Groß", "Schröder", "Köhler"].map { ($0, "") }),
        Culture(
            country: "ES", language: "es",
            first: ["José", "Lucía", "Mónica", "Íñigo", "Begoña", "Álvaro"].map { ($0, "") },
            last: ["García", "Fernández", "López", "Muñoz", "Jiménez", "Peña"].map { ($0, "") }),
        Culture(
            country: "IT", language: "it",
            first: ["Giuseppe", "Chiara", "Niccolò", "Francesca", "Matteo"].map { ($0, "") },
            last: ["Rossi", "Esposito", "Bianchi", "Ricci", "De Luca"].map { ($0, "") }),
        Culture(
            country: "PL", language: "pl",
            first: ["Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech"].map { ($0, "") },
            last: ["Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński"].map { ($0, "") }),
        Culture(
            country: "TR", language: "tr",
            first: ["Ayşe", "Mehmet", "Şebnem", "İbrahim", "Gülşen"].map { ($0, "") },
            last: ["Yılmaz", "Şahin", "Çelik", "Öztürk", "Doğan"].map { ($0, "") }),
        Culture(
            country: "BR", language: "pt",
            first: ["João", "Conceição", "Luís", "Fernanda", "Sebastião"].map { ($0, "") },
            last: ["Silva", "Gonçalves", "Araújo", "Magalhães", "Assunção"].map { ($0, "") }),
        Culture(
            country: "CA", language: "fr",
            first: ["Geneviève", "Maxime", "Émilie", "Gabriel"].map { ($0, "") },
            last: ["Tremblay", "Gagnon", "Côté", "Bouchard"].map { ($0, "") }),
    ]

    static let frenchCities = [
        "Rennes", "Lyon", "Marseille", "Bordeaux", "Lille", "Nantes", "Strasbourg", "Toulouse", "Montpellier",
        "Nice", "Grenoble", "Dijon", "Angers", "Brest", "Le Havre", "Reims", "Saint-Étienne", "Toulon", "Metz",
        "Besançon", "Orléans", "Rouen", "Caen", "Nancy", "Limoges", "Clermont-Ferrand", "Tours", "Amiens",
        "Perpignan", "Poitiers", "Pau", "La Rochelle", "Quimper", "Lorient", "Vannes", "Saint-Malo", "Annecy",
        "Chambéry", "Avignon", "Nîmes", "Béziers", "Valence", "Aix-en-Provence", "Cergy", "Montreuil",
        "Saint-Denis", "Créteil", "Nanterre", "Villeurbanne", "Roubaix",
    ]
    static let regions = [
        "Bretagne", "Occitanie", "Normandie", "Grand Est", "Hauts-de-France", "Nouvelle-Aquitaine",
        "Auvergne-Rhône-Alpes", "Île-de-France", "Pays de la Loire", "Centre-Val de Loire",
    ]
    static let cityOf: [String: String] = [
        "MA": "Casablanca", "TN": "Tunis", "LB": "Beyrouth", "CN": "Chengdu", "JP": "Kyoto", "KR": "Busan",
        "UA": "Lviv", "BG": "Plovdiv", "AM": "Erevan", "GR": "Thessalonique", "VN": "Hué", "IL": "Haïfa",
        "TH": "Chiang Mai", "IN": "Pune", "SN": "Dakar", "CI": "Abidjan", "DE": "Stuttgart", "ES": "Séville",
        "IT": "Turin", "PL": "Cracovie", "TR": "Izmir", "BR": "Curitiba", "CA": "Québec",
    ]
    static let embassies = ["MA", "TN", "LB", "CN", "JP", "KR", "UA", "AM", "GR", "VN", "SN", "CI", "DE", "IN", "BR"]
    static let press = [
        "AFP", "Le Monde", "Ouest-France", "La Gazette des communes", "Reuters", "France 24", "RFI", "Le Parisien",
    ]
    static let partners = [
        "Banque des Territoires", "Agence française de développement", "Cités Unies France", "ONU-Habitat",
        "Région Île-de-France", "Fondation des Villes", "Caisse des Dépôts",
    ]
    static let syllables = [
        "ba", "bel", "ber", "bou", "ca", "cha", "cor", "da", "del", "dou", "fa", "fer", "ga", "gil", "gou", "la",
        "lan", "le", "lou", "ma", "mar", "mon", "na", "nel", "no", "pa", "per", "pi", "ra", "ro", "rou", "sa",
        "sal", "ta", "ter", "tin", "va", "vel", "vi", "zan", "quin", "rier", "ville", "court", "mont", "lin",
    ]

    /// Sessions of the model event: plenaries, workshops, micro-workshops, country groups.
    public static let sessionIDs: [String] =
        ["PLEN-OUV", "PLEN-CLO", "CEREMONIE"] + (1...12).map { "ATELIER-\($0)" } + (1...20).map { "MICRO-\($0)" }

    /// "de Rennes", "d'Angers", "du Havre".
    static func de(_ city: String) -> String {
        if city.hasPrefix("Le ") { return "du " + city.dropFirst(3) }
        if let first = TextFolding.shared.fold(String(city.prefix(1))).first, "aeiouy".contains(first) {
            return "d'" + city
        }
        return "de " + city
    }

    /// `count` fictional attendees with ids ACC-00001…
    public func attendees(count: Int) -> [Attendee] {
        var rng = RNG(state: seed)
        var out: [Attendee] = []
        var embassyCount = 0
        out.reserveCapacity(count)
        let idWidth = max(5, String(count).count)
        for n in 1...max(count, 1) where n <= count {
            let id = "ACC-" + String(repeating: "0", count: max(0, idWidth - String(n).count)) + String(n)
            out.append(make(id: id, n: n, count: count, embassies: &embassyCount, rng: &rng))
        }
        return out
    }

    private func syntheticSurname(_ rng: inout RNG) -> String {
        var name = ""
        for _ in 0..<(2 + rng.int(2)) { name += rng.pick(Self.syllables) }
        return name.prefix(1).uppercased() + name.dropFirst()
    }

    private func make(id: String, n: Int, count: Int, embassies: inout Int, rng: inout RNG) -> Attendee {
        let roll = rng.int(1000)
        let role: Role =
            roll < 200
            ? .electedOfficial
            : roll < 350
                ? .delegation
                : roll < 380
                    ? .embassy
                    : roll < 440
                        ? .speaker
                        : roll < 490 ? .press : roll < 550 ? .staff : roll < 600 ? .partner : .participant
        let foreign: Bool
        switch role {
        case .delegation, .embassy: foreign = true
        case .staff: foreign = false
        case .electedOfficial: foreign = rng.chance(0.12)
        default: foreign = rng.chance(0.18)
        }
        // Embassies take turns, so that all fifteen are represented.
        let embassy = Self.embassies[embassies % Self.embassies.count]
        if role == .embassy { embassies += 1 }
        let culture: Culture =
            role == .embassy
            ? Self.cultures.first { $0.country == embassy }!
            : foreign ? rng.pick(Self.cultures) : Self.french
        let (firstLatin, firstNative) = rng.pick(culture.first)
        var (lastLatin, lastNative) = rng.pick(culture.last)
        if count > 2000 && culture.country == "FR" && rng.chance(0.6) {
            lastLatin = syntheticSurname(&rng)
            lastNative = ""
        }
        var native = ""
        if !firstNative.isEmpty || !lastNative.isEmpty {
            let f = firstNative.isEmpty ? firstLatin : firstNative
            let l = lastNative.isEmpty ? lastLatin : lastNative
            native = culture.familyFirst ? l + culture.nativeSeparator + f : f + " " + l
        }
        let country = culture.country
        let city = country == "FR" ? rng.pick(Self.frenchCities) : Self.cityOf[country] ?? "Paris"
        let countryFR = Country.name(country, language: .fr)
        var organisation = ""
        var title = ""
        var delegation = ""
        var vip = ""
        switch role {
        case .electedOfficial:
            if country == "FR" {
                switch rng.int(10) {
                case 0:
                    let region = rng.pick(Self.regions)
                    organisation = "Région \(region)"
                    title = rng.chance(0.3) ? "Président·e de la Région \(region)" : "Conseiller·ère régional·e"
                case 1, 2:
                    organisation = "\(city) Métropole"
                    title = "Vice-président·e de \(city) Métropole"
                default:
                    organisation = "Ville \(Self.de(city))"
                    let r = rng.int(10)
                    title =
                        r == 0
                        ? "Maire \(Self.de(city))"
                        : r < 5 ? "Adjoint·e au maire \(Self.de(city))" : "Conseiller·ère municipal·e"
                    if r == 0 { vip = "Maire — accueil protocolaire" }
                }
                if rng.chance(0.01) {
                    title = "Ministre délégué·e aux Collectivités territoriales"
                    organisation = "Gouvernement"
                    vip = "Ministre — escorte jusqu'à la plénière, prévenir le protocole"
                }
            } else {
                organisation = "Ville \(Self.de(city))"
                title = rng.chance(0.3) ? "Maire \(Self.de(city))" : "Adjoint·e au maire"
                delegation = "Délégation \(countryFR)"
                if title.hasPrefix("Maire") { vip = "Maire étranger — interprète \(culture.language)" }
            }
        case .delegation:
            organisation = rng.chance(0.5) ? "Ville \(Self.de(city))" : "Association des villes (\(countryFR))"
            title = rng.pick([
                "Chef·fe de délégation", "Chargé·e de mission", "Directeur·rice des relations internationales",
                "Délégué·e",
            ])
            delegation = "Délégation \(countryFR)"
            if title.hasPrefix("Chef") { vip = "Chef de délégation" }
        case .embassy:
            organisation = "Ambassade (\(countryFR)) en France"
            title = rng.pick(["Ambassadeur·rice", "Premier·ère conseiller·ère", "Attaché·e de coopération"])
            if title.hasPrefix("Ambassadeur") { vip = "Ambassadeur — placement protocolaire au premier rang" }
        case .speaker:
            organisation =
                country == "FR"
                ? rng.pick(["Ville \(Self.de(city))", "Sciences Po", "CNRS", "Cerema"]) : "Ville \(Self.de(city))"
            title = rng.pick(["Intervenant·e plénière", "Animateur·rice d'atelier", "Chercheur·euse"])
        case .press:
            organisation = rng.pick(Self.press)
            title = rng.pick(["Journaliste", "Photographe", "Rédacteur·rice en chef"])
        case .staff:
            organisation = "Organisation de la Rencontre"
            title = rng.pick(["Accueil", "Logistique", "Protocole", "Interprète", "Régie"])
        case .partner:
            organisation = rng.pick(Self.partners)
            title = rng.pick(["Chargé·e de partenariats", "Directeur·rice", "Responsable de programme"])
        case .participant:
            organisation =
                country == "FR"
                ? rng.pick(["Ville \(Self.de(city))", "Département", "Agglomération \(Self.de(city))", "Association"])
                : "Ville \(Self.de(city))"
            title = rng.pick(["Directeur·rice général·e des services", "Chargé·e de mission", "Chef·fe de projet", ""])
        }
        var sessions = ["PLEN-OUV", "PLEN-CLO"]
        sessions.append("ATELIER-\(1 + rng.int(12))")
        if rng.chance(0.6) { sessions.append("MICRO-\(1 + rng.int(20))") }
        let emailLocal = TextFolding.shared.fold(firstLatin + " " + lastLatin).split(separator: " ").joined(
            separator: ".")
        let email =
            emailLocal.allSatisfy(\.isASCII) && !emailLocal.isEmpty
            ? "\(emailLocal)\(n % 7 == 0 ? String(n) : "")@example.org" : ""
        let language = country == "FR" ? "fr" : rng.chance(0.5) ? "en" : culture.language
        return Attendee(
            id: id, firstName: firstLatin, lastName: lastLatin, nativeName: native, organisation: organisation,
            title: title, country: country, role: role, delegation: delegation, email: email, language: language,
            sessions: sessions, vip: vip, notes: "")
    }

    /// The canonical CSV header, in the order `csv(_:)` writes it.
    public static let csvHeader = [
        "id", "first_name", "last_name", "native_name", "organisation", "title", "country", "role", "delegation",
        "email", "language", "sessions", "vip", "notes",
    ]

    /// Attendees as a canonical roster CSV (UTF-8, comma, quoted where needed).
    public static func csv(_ attendees: [Attendee]) -> String {
        var out = csvHeader.joined(separator: ",") + "\n"
        for a in attendees {
            let fields = [
                a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country, a.role.rawValue,
                a.delegation, a.email, a.language, a.sessions.joined(separator: "|"), a.vip, a.notes,
            ]
            out += CSVWriter.line(fields)
        }
        return out
    }
}

/// A fast, seedable random number generator (SplitMix64): the same seed gives the same sequence.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }
    init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// A valid index of `items` (0 when it is empty): for fuzzing.
    public mutating func index<T>(_ items: [T]) -> Int { items.isEmpty ? 0 : Int(next() % UInt64(items.count)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
}
