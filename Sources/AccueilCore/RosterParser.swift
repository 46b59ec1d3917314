import Foundation

/// A column of the canonical roster, as named in CSV headers and in `--map`.
public enum RosterField: String, CaseIterable, Sendable, Codable {
    case id
    case firstName = "first_name"
    case lastName = "last_name"
    /// A single "name" column, split into first and last name on its first space.
    case fullName = "full_name"
    case nativeName = "native_name"
    case organisation, title, country, role, delegation, email, language, sessions, vip, notes
    /// Registration status ("Canceled", "Cancelled", "Annulé"…): such rows are skipped.
    case status
    /// Parts of a composite id (pretix: order code and position).
    case orderCode = "order_code"
    case position
    /// The buyer's e-mail, used when the attendee's own is empty (pretix).
    case buyerEmail = "buyer_email"
    /// An organisation used when the attendee's own is empty (pretix's invoice company).
    case organisationFallback = "organisation_fallback"
    /// "No" marks a registration whose payment is pending (pretix's check-in list).
    case paid
    /// The registration system's ticket code (pretix's ticket secret, Eventbrite's barcode, Indico's
    /// check-in secret or ticket QR text); several per cell are allowed. Kept only as keyed digests.
    case ticketCode = "ticket_code"
    /// A column to leave out.
    case ignore
}

/// Known export layouts of registration systems, in the languages they export.
///
/// Headers are copied from the exporters' source and translations (pretix 2026.8:
/// `base/exporters/orderlist.py` "Order positions", `plugins/checkinlists/exporters.py`
/// "Check-in list", their French and German catalogues; Indico `registration/util.py`
/// `generate_spreadsheet_from_registrations`; Eventbrite's attendee report).
public enum RosterPreset: String, CaseIterable, Sendable, Codable {
    case pretix, eventbrite, indico

    /// Header as written → field; folded once (`headers`).
    private var table: [(RosterField, [String])] {
        switch self {
        case .pretix:
            return [
                (.orderCode, ["Order code", "Code de commande", "Bestellnummer"]),
                (.position, ["Position ID", "ID de la position", "Position"]),
                // The product is the ticket's name, the organiser's own wording (see `ticketNames`).
                (.role, ["Product", "Produit", "Produkt"]),
                (.fullName, ["Attendee name", "Nom du participant", "Name Teilnehmer*in"]),
                (
                    .firstName,
                    [
                        "Attendee name: Given name", "Nom du participant : Prénom", "Name Teilnehmer*in: Vorname",
                        "Teilnehmer*innenname: Vorname",
                    ]
                ),
                (
                    .lastName,
                    [
                        "Attendee name: Family name", "Nom du participant : Nom de famille",
                        "Name Teilnehmer*in: Nachname", "Teilnehmer*innenname: Nachname",
                    ]
                ),
                (.email, ["Attendee email", "E-mail du participant", "E-Mail Teilnehmer*in"]),
                // The order's (buyer's) address; the check-in list's "E-mail" is the attendee's or else the buyer's.
                (.buyerEmail, ["Email", "E-Mail", "E-mail"]),
                (.organisation, ["Attendee company", "Entreprise du participant", "Teilnehmer*innen-Firma"]),
                // Older exports and the check-in list: the position's company, else the invoice's.
                (.organisationFallback, ["Company", "Entreprise", "Firma"]),
                (.country, ["Country", "Pays", "Land"]),
                (.status, ["Status", "Statut"]),
                (.paid, ["Paid", "Payé", "bezahlt"]),
                (
                    .notes,
                    [
                        "Order comment", "Commentaire de commande", "Bestellkommentar", "Comment", "Commentaire",
                        "Kommentar",
                    ]
                ),
                (.vip, ["Check-in text", "Texte d'enregistrement", "Check-in-Hinweis"]),
                (.language, ["Order locale", "Langue de la commande", "Bestellsprache"]),
                // "Order positions" has "Ticket secret"; the check-in list "Secret" when asked to
                // include the QR-code secret.
                (.ticketCode, ["Ticket secret", "Secret du billet", "Ticket-Code", "Secret"]),
                // Known and deliberately not read: the address state ("État" is not a status) and the
                // buyer's invoice address.
                (
                    .ignore,
                    [
                        "State", "État", "Bundesstaat", "Zustand", "Invoice address company",
                        "Adresse de facturation de l'entreprise", "Rechnungsadresse: Firma", "Invoice address name",
                        "Nom de l'adresse de facturation", "Rechnungsadresse: Name", "Invoice address country",
                        "Adresse de facturation (pays)", "Rechnungsadresse: Land", "Variation", "Variante",
                        "Phone number", "Numéro de téléphone",
                        "Telefonnummer", "Event slug", "Titre de l'événement", "Kurzname der Veranstaltung",
                        "Pseudonymization ID", "ID pseudonyme", "Pseudonyme ID", "Requires special attention",
                        "Nécessite une attention particulière", "Benötigt besondere Behandlung",
                        "Email address verified", "Adresse e-mail vérifiée", "E-Mail-Adresse verifiziert",
                    ]
                ),
            ]
        case .eventbrite:
            // Attendee report ("Attendee Summary"), in English and French.
            return [
                (
                    .id,
                    [
                        "Attendee #", "Attendee No", "Attendee ID", "N° de participant", "Numéro de participant",
                        "ID du participant",
                    ]
                ),
                (.firstName, ["First Name", "Prénom"]),
                (.lastName, ["Last Name", "Nom", "Nom de famille"]),
                (.email, ["Email", "E-mail", "Adresse e-mail"]),
                (.role, ["Ticket Type", "Type de billet"]),
                (.organisation, ["Company", "Société", "Entreprise"]),
                (.title, ["Job Title", "Intitulé du poste", "Poste"]),
                (.status, ["Attendee Status", "Statut du participant", "Statut"]),
                (.country, ["Work Country", "Home Country", "Pays (travail)", "Pays (domicile)", "Pays"]),
                // The number the ticket's QR code and barcode carry.
                (.ticketCode, ["Barcode #", "Barcode", "N° de code-barres", "Code-barres"]),
                (
                    .ignore,
                    [
                        "Order #", "Order No", "N° de commande", "Numéro de commande", "Order Date",
                        "Date de la commande", "Quantity", "Quantité",
                        "Order Type", "Type de commande", "Buyer Email", "E-mail de l'acheteur",
                    ]
                ),
            ]
        case .indico:
            // Registrations export: "ID" is the registration's number in its form (1, 2, 3…); "Title"
            // is Mr/Ms/Dr, "Position" the job title.
            return [
                (.id, ["ID"]),
                // "Name" is always English (first and last name); a form's own fields are in its language.
                (.fullName, ["Name"]),
                (.firstName, ["First Name", "Prénom"]),
                (.lastName, ["Last Name", "Nom", "Nom de famille"]),
                (.email, ["Email Address", "Email", "Adresse e-mail", "E-mail"]),
                (.organisation, ["Affiliation"]),
                (.title, ["Position", "Fonction", "Poste"]),
                (.country, ["Country", "Pays"]),
                (.status, ["Registration state", "État de l'inscription", "Statut de l'inscription"]),
                // Not in Indico's spreadsheet: its check-in API's `checkin_secret`, added as a column.
                (.ticketCode, ["Check-in secret", "checkin_secret", "Ticket UUID"]),
                (
                    .ignore,
                    [
                        "Title", "Titre", "Phone Number", "Numéro de téléphone", "Price", "Prix", "Checked in",
                        "Check-in date",
                    ]
                ),
            ]
        }
    }

    /// Header (as folded) → field, applied before the generic synonyms.
    var headers: [String: RosterField] {
        var map: [String: RosterField] = [:]
        for (field, names) in table {
            for name in names {
                let key = RosterParser.fold(name)
                if map[key] == nil { map[key] = field }
            }
        }
        return map
    }

    /// Indico has no role column: everyone is a participant unless the file says otherwise.
    var defaultRole: Role? { self == .indico ? .participant : nil }

    /// The role column holds ticket or product names, the organiser's own wording: a name that is
    /// no role takes the default role instead of rejecting the row.
    var ticketNames: Bool { self != .indico }

    /// Indico's ids are bare numbers that other sources also use.
    var idPrefix: String { self == .indico ? "indico-" : "" }

    /// The sheet of a workbook export that lists attendees, in each language.
    public var sheetNames: [String] {
        switch self {
        case .pretix: ["Order positions", "Position de commande", "Bestellzeilen", "Check-in list"]
        case .eventbrite, .indico: []
        }
    }
}

/// What `roster import` is told beyond the file.
public struct RosterOptions: Sendable {
    public var preset: RosterPreset?
    /// Header → field, from `--map "Nom=last_name"`.
    public var headerMap: [String: RosterField]
    /// Role cell value → role, from `--role-map "Billet VIP=elected_official"`.
    public var roleMap: [String: Role]
    /// Role for rows whose role cell is empty, or for files with no role column; with a preset,
    /// also for ticket names that are no role.
    public var defaultRole: Role?
    /// Import registrations whose payment or approval is pending as confirmed (by default they are
    /// imported marked pending, and the door refuses them).
    public var acceptPending: Bool

    public init(
        preset: RosterPreset? = nil, headerMap: [String: RosterField] = [:], roleMap: [String: Role] = [:],
        defaultRole: Role? = nil, acceptPending: Bool = false
    ) {
        self.preset = preset
        self.headerMap = headerMap
        self.roleMap = roleMap
        self.defaultRole = defaultRole
        self.acceptPending = acceptPending
    }
}

/// A row the import refused, with where and why.
public struct RowRejection: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Line of the file where the row starts (the header is line 1); in a workbook, the row number.
    public var line: Int
    /// 1-based column number, 0 when the problem is the row as a whole.
    public var column: Int
    /// The header of that column as written in the file.
    public var columnName: String
    public var reason: String
    public var value: String
    /// The workbook's sheet the row is on; nil for CSV.
    public var sheet: String? = nil

    public init(line: Int, column: Int, columnName: String, reason: String, value: String, sheet: String? = nil) {
        self.line = line
        self.column = column
        self.columnName = columnName
        self.reason = reason
        self.value = value
        self.sheet = sheet
    }

    enum CodingKeys: String, CodingKey {
        case line, column, reason, value, sheet
        case columnName = "column_name"
    }

    /// "line 14" in a CSV file, "sheet Order positions, row 14" in a workbook.
    public static func place(_ line: Int, sheet: String?) -> String {
        sheet.map { "sheet \($0), row \(line)" } ?? "line \(line)"
    }

    public var description: String {
        let row = Self.place(line, sheet: sheet)
        let place = column > 0 ? "\(row), column \(column) (\(columnName))" : row
        return value.isEmpty ? "\(place): \(reason)" : "\(place): \(reason): \"\(value)\""
    }
}

/// How the values of the role column were read: each distinct value, its role and how it was found.
public struct RoleValue: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// The value names a role ("Speaker", "Presse").
        case recognised
        /// `--role-map` names it.
        case mapped
        /// No role in it: the default role (a ticket name such as "Entrée / Admission").
        case defaulted = "default"
    }
    public var value: String
    public var role: Role
    public var source: Source
    public var rows: Int
}

/// The file could not be read as a roster at all.
public struct RosterFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// A parsed roster: the good rows as attendees, the bad rows with their reasons.
public struct ParsedRoster: Sendable {
    public var attendees: [Attendee]
    /// Line of each attendee's row, parallel to `attendees`.
    public var lines: [Int]
    public var rejections: [RowRejection]
    /// Rows skipped on purpose (cancelled registrations).
    public var skipped: Int
    public var encoding: TextEncodingGuess
    public var delimiter: Character
    /// Header → field it was read as; headers that fit nothing are listed in `unusedHeaders`.
    public var mappedHeaders: [String: RosterField]
    public var unusedHeaders: [String]
    /// What was imported but deserves a look: a header seen twice, a name with invisible
    /// direction or zero-width characters. Each names its line and column.
    public var warnings: [RowRejection] = []
    /// Rows whose registration is pending (unpaid, awaiting approval): imported marked pending, so
    /// that the door refuses them with the reason, unless `acceptPending`.
    public var pending: Int = 0
    /// The role column's values and the role each was read as, most frequent first.
    public var roleValues: [RoleValue] = []
    /// The workbook's sheet that was read; nil for CSV.
    public var sheet: String? = nil
    /// Each attendee's ticket codes as read (``TicketCode/normalised(_:)``), parallel to
    /// `attendees`; emptied by ``sealTickets(_:)``, which keeps only their digests.
    public var ticketCodes: [[String]] = []
    /// Ids of the cancelled registrations the file lists (skipped): removed from the roster if an
    /// earlier import added them.
    public var cancelledIDs: [String] = []
    /// Attendees with at least one ticket code.
    public var withTickets: Int {
        ticketsTaken
            + (ticketCodes.isEmpty
                ? attendees.lazy.filter { !$0.tickets.isEmpty }.count : ticketCodes.lazy.filter { !$0.isEmpty }.count)
    }
    public var rowCount: Int { attendeesTaken + attendees.count + rejections.count + skipped }
    /// Attendees (and those with tickets) read and handed out in pieces (``RosterRowParser/takePiece()``).
    public var attendeesTaken = 0
    public var ticketsTaken = 0

    /// Replaces the ticket codes read with their digests (`digest` is the event's keyed hash):
    /// only digests leave the importer.
    public mutating func sealTickets(_ digest: (String) -> String) {
        for (i, codes) in ticketCodes.enumerated() where !codes.isEmpty {
            attendees[i].tickets = codes.map(digest)
        }
        ticketCodes = []
    }
}

/// Turns a registration export into attendees. Pure: bytes in, attendees and rejections out.
public enum RosterParser {
    /// Generic header names, folded (lowercase, no accents, words separated by one space).
    static let synonyms: [String: RosterField] = {
        let table: [RosterField: [String]] = [
            .id: [
                "id", "identifiant", "identifier", "ref", "reference", "registration id", "registration no",
                "numero", "numero d inscription", "no", "n", "code", "attendee id", "participant id", "badge id",
                "ticket id", "uid",
            ],
            .firstName: [
                "first name", "firstname", "first", "given name", "givenname", "forename", "prenom", "prenoms",
            ],
            .lastName: [
                "last name", "lastname", "last", "surname", "family name", "familyname", "nom", "nom de famille",
                "nom d usage",
            ],
            .fullName: [
                "name", "full name", "fullname", "nom complet", "nom et prenom", "prenom et nom", "participant",
            ],
            .nativeName: [
                "native name", "name in native script", "native script name", "original name", "local name",
                "nom natif", "nom en ecriture originale", "nom ecriture d origine", "nom dans sa langue",
                "nom en alphabet d origine", "nom original",
            ],
            .organisation: [
                "organisation", "organization", "organisme", "org", "collectivite", "collectivite locale",
                "structure", "company", "entreprise", "societe", "institution", "employer", "affiliation",
                "authority", "local authority", "etablissement",
            ],
            .title: ["title", "titre", "fonction", "position", "job title", "job", "poste", "qualite", "mandat"],
            .country: ["country", "pays", "country code", "code pays", "nationality", "nationalite"],
            .role: [
                "role", "roles", "category", "categorie", "type", "profil", "profile", "attendee type",
                "type de participant", "participant type", "badge type", "type de badge", "ticket type",
                "ticket", "badge",
            ],
            .delegation: ["delegation", "delegation name", "nom de la delegation", "group", "groupe"],
            .email: ["email", "e mail", "mail", "courriel", "adresse e mail", "adresse email", "email address"],
            .language: ["language", "langue", "lang", "preferred language", "langue preferee", "locale"],
            .sessions: ["sessions", "session", "ateliers", "workshops", "session ids", "inscriptions ateliers"],
            .vip: ["vip", "protocol", "protocole", "attention", "vip note", "note protocole", "protocol note"],
            .notes: ["notes", "note", "comment", "comments", "commentaire", "commentaires", "remarques", "remarks"],
            .status: ["status", "statut", "etat", "state", "registration status"],
            .ticketCode: [
                "ticket code", "ticket secret", "ticket barcode", "barcode", "bar code", "barcode number",
                "qr code", "ticket qr", "code qr", "code barre", "code barres", "code billet", "code du billet",
                "secret du billet", "checkin secret", "check in secret", "ticket uuid",
            ],
        ]
        var map: [String: RosterField] = [:]
        for (field, names) in table {
            for name in names { map[name] = field }
        }
        for field in RosterField.allCases { map[fold(field.rawValue)] = field }
        return map
    }()

    /// Folded for comparison; "N°", "No.", "#" and other signs fall away as separators.
    static func fold(_ text: String) -> String { TextFolding.shared.fold(text) }

    static func isBreak(_ scalar: Unicode.Scalar) -> Bool { scalar == "\n" || scalar == "\r" || scalar == "\t" }

    /// Fields whose value may span lines.
    static let multiline: Set<RosterField> = [.notes, .vip, .sessions]

    /// Bidirectional overrides, embeddings and isolates, and zero-width spaces: legitimate names
    /// need at most the marks (U+200E, U+200F) and joiners (U+200C, U+200D), which pass silently.
    static func suspicious(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200B, 0x2060, 0xFEFF: true
        default: false
        }
    }

    /// Parses `data`. Throws `RosterFileError` when the file as a whole cannot be used (no header,
    /// no id or name column, an unclosed quote); row problems become `rejections`.
    public static func parse(_ data: [UInt8], options: RosterOptions = RosterOptions()) throws(RosterFileError)
        -> ParsedRoster
    {
        let (text, encoding) = TextDecoder.decode(data)
        let delimiter = CSVReader.detectDelimiter(text)
        let records: [CSVRecord]
        do {
            records = try CSVReader(delimiter: delimiter).records(text)
        } catch {
            throw RosterFileError("The file is not valid CSV: \(error.description).")
        }
        return try parse(
            records: records, options: options, encoding: encoding, delimiter: Character(Unicode.Scalar(delimiter)),
            sheet: nil)
    }

    /// Parses the rows of a workbook's sheet (the first row is the header; `line` is the row number).
    public static func parse(sheet: String, rows: [CSVRecord], options: RosterOptions = RosterOptions())
        throws(RosterFileError) -> ParsedRoster
    {
        try parse(records: rows, options: options, encoding: .utf8, delimiter: ",", sheet: sheet)
    }

    static func parse(
        records: [CSVRecord], options: RosterOptions, encoding: TextEncodingGuess, delimiter: Character,
        sheet: String?
    ) throws(RosterFileError) -> ParsedRoster {
        guard let header = records.first else {
            throw RosterFileError(
                sheet.map { "The sheet \"\($0)\" is empty: no header row." } ?? "The file is empty: no header line.")
        }
        var parser = try RosterRowParser(
            header: header, options: options, encoding: encoding, delimiter: delimiter, sheet: sheet)
        parser.reserve(records.count)
        for record in records.dropFirst() { parser.add(record) }
        return parser.finished()
    }

    enum RegistrationState { case active, pending, cancelled }

    /// Cancelled, refunded, expired, withdrawn, "Not Attending"…: skipped. Pending payment or approval:
    /// pending. In English, French and German, as pretix, Eventbrite and Indico write them ("canceled
    /// (paid fee)", "annulé", "storniert", "Awaiting payment", "en attente", "ausstehend").
    static func registrationState(_ status: String, paid: String) -> RegistrationState {
        if status.isEmpty && paid.isEmpty { return .active }
        if cancelledStates.contains(where: { startsWithWords(status, $0) }) { return .cancelled }
        if pendingStates.contains(where: { startsWithWords(status, $0) }) { return .pending }
        if ["no", "non", "nein", "false", "0"].contains(paid) { return .pending }
        return .active
    }

    /// `text` is `words`, or begins with them followed by a space ("annule frais payes" for "annule").
    static func startsWithWords(_ text: String, _ words: String) -> Bool {
        let (text, words) = (text.utf8, words.utf8)
        guard text.starts(with: words) else { return false }
        return text.count == words.count || text[text.index(text.startIndex, offsetBy: words.count)] == 0x20
    }

    static let cancelledStates = [
        "canceled", "cancelled", "annule", "annulee", "annulation", "refunded", "rembourse", "remboursee",
        "expired", "expire", "expiree", "withdrawn", "retire", "retiree", "rejected", "refuse", "refusee",
        "rejete", "rejetee", "deleted", "supprime", "supprimee", "storniert", "abgelaufen", "erstattet",
        "zuruckgezogen", "abgelehnt", "geloscht", "not attending", "ne participe pas", "transferred", "transfere",
    ]
    static let pendingStates = [
        "pending", "awaiting payment", "unpaid", "en attente", "en attente de paiement", "non paye", "non payee",
        "ausstehend", "unbezahlt", "awaiting approval",
    ]

    /// Words in a header that say it may hold one of the roster's fields (checked on columns that
    /// nothing read, so that "Attendee company" is not dropped in silence).
    static let lookalikes: [(RosterField, [String])] = [
        (
            .organisation,
            ["company", "organisation", "organization", "entreprise", "societe", "firma", "affiliation", "organisme"]
        ),
        (.email, ["email", "e mail", "courriel"]),
        (.country, ["country", "pays"]),
        (.title, ["job title", "fonction", "poste"]),
    ]

    static func isPlausibleEmail(_ text: String) -> Bool {
        var at = -1
        var lastDot = -1
        var count = 0
        for (i, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "@"):
                if at >= 0 { return false }
                at = i
            case UInt8(ascii: "."): if at >= 0 { lastDot = i }
            case 0...0x20: return false
            default: break
            }
            count = i + 1
        }
        // local@domain.tld: something before @, a dot inside the domain, not at its ends.
        return at > 0 && lastDot > at + 1 && lastDot < count - 1 && !text.utf8.dropFirst(at + 1).starts(with: [0x2E])
    }
}

/// Reads a roster's rows one at a time after its header (``RosterParser`` reads a whole file
/// through it): what is read accumulates in ``roster``, and ``takePiece()`` hands out the attendees
/// read so far, so that a large file can be sent in pieces without all its attendees in memory.
public struct RosterRowParser {
    public private(set) var roster: ParsedRoster
    private let header: CSVRecord
    private let sheet: String?
    private let rowWord: String
    private let acceptPending: Bool
    private let columnOf: [RosterField: Int]
    private let defaultRole: Role?
    private let roleMap: [String: Role]
    private let ticketRole: Role?
    private let idPrefix: String
    private let singleLineColumns: [(key: RosterField, value: Int)]
    private var roleUses: [String: RoleValue] = [:]
    private var positionsInOrder: [String: Int] = [:]  // pretix check-in list: no position column
    private var seen: [String: Int] = [:]
    private var ticketLines: [String: Int] = [:]

    /// Reads the header: which column holds what. Throws when the file cannot be used (no id,
    /// name or role column).
    public init(
        header: CSVRecord, options: RosterOptions, encoding: TextEncodingGuess, delimiter: Character, sheet: String?
    ) throws(RosterFileError) {
        let rowWord = sheet == nil ? "line" : "row"

        // Map headers to fields; the first column of a field wins ("Company" appears twice in pretix).
        let userMap = Dictionary(
            options.headerMap.map { (RosterParser.fold($0.key), $0.value) }, uniquingKeysWith: { $1 })
        let presetMap = options.preset?.headers ?? [:]
        var columnOf: [RosterField: Int] = [:]
        var mapped: [String: RosterField] = [:]
        var unused: [String] = []
        var headerWarnings: [RowRejection] = []
        var headerSeen: [String: Int] = [:]
        var known: Set<Int> = []  // columns the user or the preset named, even as "ignore"
        for (index, name) in header.fields.enumerated() {
            let key = RosterParser.fold(name)
            if key.isEmpty { continue }  // trailing empty columns
            let read = (userMap[key] ?? presetMap[key] ?? RosterParser.synonyms[key]).map { $0 != .ignore } ?? false
            if let first = headerSeen[key] {
                // Said only for a column that would be read: a repeated header nobody reads (pretix's
                // French "Nom du siège" for both seat name and seat number) is no news.
                if read {
                    headerWarnings.append(
                        RowRejection(
                            line: header.line, column: index + 1, columnName: name,
                            reason: "the same header as column \(first + 1); that column is the one read", value: "",
                            sheet: sheet))
                }
            } else {
                headerSeen[key] = index
            }
            if userMap[key] != nil || presetMap[key] != nil { known.insert(index) }
            let field = userMap[key] ?? presetMap[key] ?? RosterParser.synonyms[key]
            guard let field, field != .ignore else {
                unused.append(name)
                continue
            }
            mapped[name] = field
            if columnOf[field] == nil { columnOf[field] = index }
        }
        let hasID = columnOf[.id] != nil || columnOf[.orderCode] != nil
        guard hasID else {
            throw RosterFileError(
                "No id column: the header has \(header.fields.filter { !$0.isEmpty }.map { "\"\($0)\"" }.joined(separator: ", ")). Name one with --map \"HEADER=id\"."
            )
        }
        guard [.firstName, .lastName, .fullName, .nativeName].contains(where: { columnOf[$0] != nil }) else {
            throw RosterFileError(
                "No name column (first_name, last_name, full_name or native_name). Name one with --map \"HEADER=last_name\"."
            )
        }
        let defaultRole = options.defaultRole ?? options.preset?.defaultRole
        guard columnOf[.role] != nil || defaultRole != nil else {
            throw RosterFileError("No role column. Name one with --map \"HEADER=role\", or give --default-role.")
        }
        let roleMap = Dictionary(
            options.roleMap.map { (RosterParser.fold($0.key), $0.value) }, uniquingKeysWith: { $1 })
        // A ticket or product name that names no role takes the default role (pretix, Eventbrite).
        let ticketRole: Role? = options.preset?.ticketNames == true ? (defaultRole ?? .participant) : nil
        let idPrefix = options.preset?.idPrefix ?? ""

        // A column nobody named that looks like it holds something the roster has is said, not dropped.
        for (index, name) in header.fields.enumerated() where !known.contains(index) && mapped[name] == nil {
            let key = RosterParser.fold(name)
            let lookalike = RosterParser.lookalikes.first { _, words in words.contains(where: key.contains) }
            guard let (field, _) = lookalike else { continue }
            let source = columnOf[field].map { " (\(field.rawValue) is read from \"\(header.fields[$0])\")" } ?? ""
            headerWarnings.append(
                RowRejection(
                    line: header.line, column: index + 1, columnName: name,
                    reason:
                        "looks like \(field.rawValue) but is not read\(source); read it with --map \"\(name)=\(field.rawValue)\"",
                    value: "", sheet: sheet))
        }

        var roster = ParsedRoster(
            attendees: [], lines: [], rejections: [], skipped: 0, encoding: encoding,
            delimiter: delimiter, mappedHeaders: mapped, unusedHeaders: unused,
            warnings: headerWarnings)
        roster.sheet = sheet

        // Single-line columns in file order, for the line-break warnings (sorted once, not per row).
        let singleLineColumns = columnOf.filter { !RosterParser.multiline.contains($0.key) && $0.key != .ticketCode }
            .sorted {
                $0.value < $1.value
            }

        self.roster = roster
        self.header = header
        self.sheet = sheet
        self.rowWord = rowWord
        self.acceptPending = options.acceptPending
        self.columnOf = columnOf
        self.defaultRole = defaultRole
        self.roleMap = roleMap
        self.ticketRole = ticketRole
        self.idPrefix = idPrefix
        self.singleLineColumns = singleLineColumns
    }

    mutating func reserve(_ rows: Int) {
        roster.attendees.reserveCapacity(rows)
        roster.lines.reserveCapacity(rows)
    }

    /// Reads one row after the header: an attendee, a rejection (with its line and column), a
    /// cancelled registration skipped, warnings.
    public mutating func add(_ record: CSVRecord) {
        // Cells of printable ASCII (most of them) hold no control, break or invisible character:
        // the scans below are skipped for them.
        let plain = record.fields.map { $0.utf8.allSatisfy { (0x20...0x7E).contains($0) } }
        func cell(_ field: RosterField) -> String {
            guard let index = columnOf[field], index < record.fields.count else { return "" }
            let text = record.fields[index]
            guard !plain[index], !RosterParser.multiline.contains(field),
                text.unicodeScalars.contains(where: RosterParser.isBreak)
            else {
                return text.trimmed
            }
            return text.split(whereSeparator: { $0.unicodeScalars.contains(where: RosterParser.isBreak) })
                .joined(separator: " ").trimmed
        }
        // The row's id as written, or composed of order code and position (pretix). With
        // `numbering`, a file without positions numbers an order's tickets in file order; without,
        // such a row has no sure id (nil).
        func rowID(numbering: Bool) -> String? {
            let id = cell(.id)
            guard id.isEmpty, columnOf[.orderCode] != nil else { return id }
            let code = cell(.orderCode)
            var position = cell(.position)
            if columnOf[.position] == nil, !code.isEmpty {
                guard numbering else { return nil }
                // One row per ticket, numbered in the order the file lists an order's tickets.
                let rank = positionsInOrder[code, default: 0] + 1
                positionsInOrder[code] = rank
                position = String(rank)
            }
            return position.isEmpty || code.isEmpty ? code : "\(code)-\(position)"
        }
        func reject(_ field: RosterField?, _ reason: String, _ value: String = "") {
            let column = field.flatMap { columnOf[$0] }
            // A ticket code is a credential: its value is never repeated.
            roster.rejections.append(
                RowRejection(
                    line: record.line, column: column.map { $0 + 1 } ?? 0,
                    columnName: column.map { header.fields[$0] } ?? "", reason: reason,
                    value: field == .ticketCode ? "" : value, sheet: sheet))
        }

        // The limits the server checks too (EventLimits): a row it would refuse is refused
        // here, with its line and column, instead of blocking a kiosk's uploads later.
        if let (field, _) = columnOf.first(where: { field, index in
            index < record.fields.count && record.fields[index].utf8.count > EventLimits.maxFieldBytes
        }) {
            reject(field, "longer than \(EventLimits.maxFieldBytes) bytes", String(cell(field).prefix(40)) + "…")
            return
        }

        // No control characters anywhere (NUL, escapes, line breaks in a name): they break badges,
        // screens and logs. An id is also free of invisible characters, which would make two
        // ids that look the same.
        if let (field, scalar) = columnOf.lazy.compactMap({ field, index -> (RosterField, Unicode.Scalar)? in
            guard index < record.fields.count, !plain[index] else { return nil }
            let text = record.fields[index]
            let bad = text.unicodeScalars.first { scalar in
                if field == .id || field == .orderCode || field == .position { return LogText.isUnsafe(scalar) }
                // Line breaks and tabs are made spaces (below), with a warning.
                if RosterParser.isBreak(scalar) { return false }
                return LogText.isControl(scalar)
            }
            return bad.map { (field, $0) }
        }).first {
            let what =
                LogText.isUnsafe(scalar) && !LogText.isControl(scalar)
                ? "invisible character" : "control character"
            reject(
                field, "\(what) U+\(String(format: "%04X", scalar.value)) in the value",
                LogText.escaped(cell(field), limit: 40))
            return
        }

        var pending = false
        switch RosterParser.registrationState(RosterParser.fold(cell(.status)), paid: RosterParser.fold(cell(.paid))) {
        case .cancelled:
            roster.skipped += 1
            // Said by id, so that an import removes an attendee whose registration was cancelled
            // since an earlier import (the door then refuses their ticket as cancelled). Without
            // a position column (pretix's check-in list) a cancelled ticket has no sure id.
            if let cancelledID = rowID(numbering: false), !cancelledID.isEmpty {
                roster.cancelledIDs.append(idPrefix + cancelledID)
            }
            return
        case .pending:
            roster.pending += 1
            pending = !acceptPending
        case .active: break
        }

        var id = rowID(numbering: true) ?? ""
        if id.isEmpty {
            reject(columnOf[.id] != nil ? .id : .orderCode, "missing id")
            return
        }
        id = idPrefix + id
        if id.utf8.count > EventLimits.maxIDBytes {
            reject(
                columnOf[.id] != nil ? .id : .orderCode, "id longer than \(EventLimits.maxIDBytes) bytes",
                String(id.prefix(40)) + "…")
            return
        }
        if let first = seen[id] {
            reject(columnOf[.id] != nil ? .id : .orderCode, "duplicate id, already on \(rowWord) \(first)", id)
            return
        }

        var firstName = cell(.firstName)
        var lastName = cell(.lastName)
        let fullName = cell(.fullName)
        if firstName.isEmpty && lastName.isEmpty && !fullName.isEmpty {
            if let space = fullName.firstIndex(of: " ") {
                firstName = String(fullName[..<space])
                lastName = String(fullName[space...]).trimmed
            } else {
                lastName = fullName
            }
        }
        let nativeName = cell(.nativeName)
        if firstName.isEmpty && lastName.isEmpty && nativeName.isEmpty {
            let field: RosterField =
                columnOf[.lastName] != nil
                ? .lastName
                : columnOf[.fullName] != nil
                    ? .fullName
                    : columnOf[.firstName] != nil ? .firstName : .nativeName
            reject(field, "missing name")
            return
        }

        let roleText = cell(.role)
        let role: Role
        if roleText.isEmpty {
            guard let defaultRole = defaultRole ?? ticketRole else {
                reject(.role, "missing role")
                return
            }
            role = defaultRole
        } else {
            let key = RosterParser.fold(roleText)
            if let use = roleUses[key] {
                role = use.role
                roleUses[key]?.rows += 1
            } else {
                let found: (Role, RoleValue.Source)
                if let mappedRole = roleMap[key] {
                    found = (mappedRole, .mapped)
                } else if let named = Role(parsing: roleText) {
                    found = (named, .recognised)
                } else if let ticketRole {
                    found = (ticketRole, .defaulted)
                } else {
                    reject(
                        .role,
                        "unknown role (expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")), or map it with --role-map)",
                        roleText)
                    return
                }
                role = found.0
                roleUses[key] = RoleValue(value: roleText, role: found.0, source: found.1, rows: 1)
            }
        }

        let countryText = cell(.country)
        var country = ""
        if !countryText.isEmpty {
            guard let code = Country.code(for: countryText) else {
                reject(.country, "unknown country (give an ISO 3166 code or a French or English name)", countryText)
                return
            }
            country = code
        }

        var email = cell(.email)
        if email.isEmpty { email = cell(.buyerEmail) }
        if !email.isEmpty && !RosterParser.isPlausibleEmail(email) {
            reject(cell(.email).isEmpty ? .buyerEmail : .email, "not an e-mail address", email)
            return
        }

        let sessions = cell(.sessions)
            .split(whereSeparator: { $0 == "|" })
            .map { String($0).trimmed }
            .filter { !$0.isEmpty }

        // Direction overrides and zero-width spaces in a name are kept (a name may need a mark)
        // but said: they can make a name show as another.
        for (field, index) in singleLineColumns
        where index < record.fields.count && !plain[index]
            && record.fields[index].unicodeScalars.contains(where: RosterParser.isBreak)
        {
            roster.warnings.append(
                RowRejection(
                    line: record.line, column: index + 1, columnName: header.fields[index],
                    reason: "line break or tab made a space", value: LogText.escaped(cell(field), limit: 40),
                    sheet: sheet))
        }
        for field in [RosterField.firstName, .lastName, .fullName, .nativeName, .organisation] {
            guard let index = columnOf[field], index < record.fields.count, !plain[index] else { continue }
            if let scalar = cell(field).unicodeScalars.first(where: RosterParser.suspicious) {
                roster.warnings.append(
                    RowRejection(
                        line: record.line, column: index + 1, columnName: header.fields[index],
                        reason: "invisible character U+\(String(format: "%04X", scalar.value)) kept in the name",
                        value: LogText.escaped(cell(field), limit: 40), sheet: sheet))
                break
            }
        }

        // One ticket, one attendee: a code already on another row would open either of them.
        let tickets = columnOf[.ticketCode] == nil ? [] : TicketCode.codes(inCell: cell(.ticketCode))
        var sameCode: Int?
        for code in tickets where sameCode == nil { sameCode = ticketLines[code] }
        if let line = sameCode {
            reject(.ticketCode, "the same ticket code as \(rowWord) \(line)")
            return
        }
        for code in tickets { ticketLines[code] = record.line }

        seen[id] = record.line
        roster.ticketCodes.append(tickets)
        roster.attendees.append(
            Attendee(
                id: id, firstName: firstName, lastName: lastName, nativeName: nativeName,
                organisation: cell(.organisation).isEmpty ? cell(.organisationFallback) : cell(.organisation),
                title: cell(.title), country: country, role: role,
                delegation: cell(.delegation), email: email, language: cell(.language).lowercased(),
                sessions: sessions, vip: cell(.vip), notes: cell(.notes), pending: pending))
        roster.lines.append(record.line)
    }

    /// The attendees read since the last piece, with their lines and ticket codes, taken out of
    /// ``roster`` (which goes on counting them: ``ParsedRoster/rowCount``, ``ParsedRoster/withTickets``).
    public mutating func takePiece() -> (attendees: [Attendee], lines: [Int], ticketCodes: [[String]]) {
        defer {
            roster.attendeesTaken += roster.attendees.count
            roster.ticketsTaken += roster.ticketCodes.lazy.filter { !$0.isEmpty }.count
            roster.attendees.removeAll()
            roster.lines.removeAll()
            roster.ticketCodes.removeAll()
        }
        return (roster.attendees, roster.lines, roster.ticketCodes)
    }

    /// The roster read, once every row was added.
    public func finished() -> ParsedRoster {
        var roster = roster
        roster.roleValues = roleUses.values.sorted { ($0.rows, $1.value) > ($1.rows, $0.value) }
        return roster
    }
}
