// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import AccueilCore
import ArgumentParser
import BadgeCore
import Badges
import CommandSupport
import Crypto
import Foundation
import KioskStore
import Printing
import Server

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list, rotate and revoke the event's badge-signing keys.",
        discussion: """
            With a server, the event's keyring lives in the central store (--store): each station \
            gets, through sync, every verification key and a signing key of its own, issued at its \
            first request and registered there; `keys rotate --store` and `keys revoke --store \
            --station K` reach every station at its next request (every 10 s). Nobody copies key files.
            Without a server, keys live in keys.json in the data directory (readable by its owner \
            only). The newest key signs new badges; every listed key still verifies, so rotating does \
            not invalidate badges already printed; a revoked key verifies nothing.
            """,
        subcommands: [KeysCreateCommand.self, KeysListCommand.self, KeysRotateCommand.self, KeysRevokeCommand.self]
    )
}

/// Changes the server's keyring in the central store `spec` and saves it; returns what `change` says.
func changeCentralKeyring<T: Sendable>(_ spec: String, _ change: @escaping @Sendable (inout Keyring) -> T) async throws
    -> T
{
    try await usingCentralStore(spec) { store in
        guard let data = try await store.keyringData() else {
            throw CommandFailure.usage("no badge keys in \(spec): run `accueil keys create --store …` first")
        }
        var ring = try Keyring.decode(data)
        let result = change(&ring)
        try await store.saveKeyringData(try ring.json())
        return result
    }
}

struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create the event's keyring and first key (on the server with --store).")
    @OptionGroup var store: StoreOptions
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp("The central store: the event's keyring for every station.", valueName: "store"))
    var central: String?
    @Option(help: "Short event code carried by every badge (1–16 ASCII characters).") var event = "RGL26"
    @Option(help: "Event name printed on badges.") var name =
        "Rencontre internationale des gouvernements locaux — Paris"

    func run() async throws {
        if let central {
            let ring = try Keyring.create(event: event, eventName: name)
            let data = try ring.json()
            let created = try await usingCentralStore(central) { store -> Bool in
                guard try await store.keyringData() == nil else { return false }
                try await store.saveKeyringData(data)
                return true
            }
            guard created else {
                throw CommandFailure.usage("\(central) has badge keys already: use `accueil keys rotate --store`")
            }
            print("Created the keyring of \(event) in \(central): each station gets its own signing key through sync.")
            return
        }
        if try Keyring.load(from: store.directory) != nil {
            throw CommandFailure.usage(
                "\(Keyring.url(in: store.directory).path) exists already: use `accueil keys rotate` for a new key")
        }
        let ring = try Keyring.create(event: event, eventName: name)
        try ring.save(to: store.directory)
        print(
            "Created the keyring of \(event) with key \(ring.activeKey!.id) (\(ring.activeKey!.fingerprint)) in \(Keyring.url(in: store.directory).path)"
        )
    }
}

struct KeysListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys (public part).")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let ring = try loadKeyring(store)
        if json {
            struct Out: Encodable {
                var event: String
                var event_name: String
                var keys: [[String: String]]
            }
            print(
                Output.json(
                    Out(
                        event: ring.event, event_name: ring.eventName,
                        keys: ring.keys.map {
                            [
                                "id": String($0.id), "fingerprint": $0.fingerprint, "public_key": $0.publicKey,
                                "created": Output.iso($0.created),
                                "signs": $0.id == ring.activeKey?.id ? "true" : "false",
                                "private": $0.privateKey == nil ? "false" : "true",
                            ]
                        })))
            return
        }
        print("Event \(ring.event): \(ring.eventName)")
        for key in ring.keys {
            let role = key.id == ring.activeKey?.id ? "signs and verifies" : "verifies"
            print(
                "  key \(key.id)  \(key.fingerprint)  created \(Output.iso(key.created))  \(role)\(key.privateKey == nil ? " (public only)" : "")"
            )
        }
    }
}

struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Add a new signing key; older keys keep verifying.")
    @OptionGroup var store: StoreOptions
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp("The central store: every station gets a new key at its next request.", valueName: "store"))
    var central: String?

    func run() async throws {
        if let central {
            try await changeCentralKeyring(central) { $0.rotatedAt = Date() }
            print("Rotated: each station gets a new signing key at its next request; older keys keep verifying.")
            return
        }
        var ring = try loadKeyring(store)
        let key = ring.rotate()
        try ring.save(to: store.directory)
        print(
            "Key \(key.id) (\(key.fingerprint)) now signs new badges; keys \(ring.keys.map { String($0.id) }.joined(separator: ", ")) verify."
        )
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a station's signing keys on the server: its badges are refused everywhere.",
        discussion: """
            For a lost or stolen station. Every station learns it at its next request (every 10 s); \
            the station gets a new key if its token still works (revoke its token too: `accueil token \
            revoke`). Badges it printed must be reprinted.
            """)
    @Option(help: "The station whose keys are revoked.") var station: String
    @Option(name: .customLong("store"), help: ArgumentHelp("The central store.", valueName: "store"))
    var central: String?

    func run() async throws {
        let station = station
        let count = try await changeCentralKeyring(centralStoreSpec(central)) { $0.revoke(station: station) }
        print("\(count) key(s) of \(station) revoked; every station refuses its badges from its next request.")
    }
}

/// Says which names could not be drawn; exit status 8 when any.
func reportGlyphs(_ reports: [(String, RenderReport)]) throws {
    var missing = false
    for (who, report) in reports {
        for (field, count) in report.unknownGlyphs.sorted(by: { $0.key < $1.key }) where count > 0 {
            missing = true
            Output.err(
                "warning: \(who): \(count) character(s) of \(field) have no installed font and print as empty boxes (install fonts-noto-core, fonts-noto-cjk)"
            )
        }
        for (field, count) in report.brokenShaping.sorted(by: { $0.key < $1.key }) where count > 0 {
            missing = true
            Output.err(
                "warning: \(who): \(field) does not shape right (\(count) glyph(s) on a dotted circle or missing): a mark with no letter to sit on, or no font for its script"
            )
        }
        for field in report.truncated {
            Output.err(
                "note: \(who): \(field) is too long for its box even at its smallest size and was cut with \"…\"")
        }
    }
    if missing { throw CommandFailure(message: "", status: 8) }
}

struct BadgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "badge",
        abstract: "Render, verify, reissue and pre-print badges.",
        discussion: """
            A badge shows the name (auto-fitted, never clipped), the name in its own script, title, \
            organisation, country and delegation, the role in French and English on a coloured band, \
            the event, and a QR code signed with the event's key (see docs/badge-qr.md). Exit status 8 \
            when a name has characters no installed font can draw (they would print as empty boxes).
            """,
        subcommands: [
            BadgeRenderCommand.self, BadgeVerifyCommand.self, BadgeReissueCommand.self, BadgeSheetCommand.self,
            BadgeQRCommand.self, BadgeSamplesCommand.self,
        ]
    )
}

struct BadgeRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Render one attendee's badge to PDF or PNG.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: BadgeOptions
    @Argument(help: "Attendee id.") var id: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file: .pdf (print) or .png (preview).", valueName: "file"))
    var out: String
    @Option(help: "Resolution of a PNG.") var dpi: Double = 150

    func run() throws {
        let maker = try BadgeMaker(store: store)
        let renderer = try options.renderer()
        let record = try maker.record(id)
        let content = try maker.content(for: record)
        let report: RenderReport
        switch URL(fileURLWithPath: out).pathExtension.lowercased() {
        case "pdf": report = try renderer.pdf(content, to: out)
        case "png": report = try renderer.png(content, to: out, dpi: dpi)
        default: throw CommandFailure.usage("--out must end in .pdf or .png")
        }
        print(
            "\(out): badge of \(content.attendee.listName) (\(id)), \(renderer.template.name), version \(record.badgeVersion)"
        )
        try reportGlyphs([(id, report)])
    }
}

struct BadgeQRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr", abstract: "Print the signed QR text of an attendee's current badge.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Attendee id.") var id: String

    func run() throws {
        let maker = try BadgeMaker(store: store)
        print(try maker.qrText(for: try maker.record(id)))
    }
}

struct BadgeVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a badge code: valid (exit 0) or why not (exit 7).",
        discussion: """
            Reasons: malformed (garbage, truncated, oversized), other_event, unknown_key, \
            bad_signature (altered or forged), reissued (a newer badge replaced it), unknown_attendee. \
            Checks offline with the public keys of the keyring.
            """
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "The text of the QR code.") var text: String?
    @Option(help: ArgumentHelp("Read the QR code from a PNG image instead.", valueName: "file.png")) var image: String?
    @Flag(help: "Print the verdict as JSON.") var json = false

    func run() throws {
        var code: String
        if let image {
            let found = try QRReader.decode(pngAt: image)
            guard let first = found.first else { throw verdict(.malformed("no QR code found in \(image)"), nil) }
            code = first
        } else if let text {
            code = text
        } else {
            throw CommandFailure.usage("give the QR text or --image FILE.png")
        }
        let ring = try loadKeyring(store)
        let db = try store.open()
        let payload: BadgePayload
        do {
            payload = try ring.verifier.verify(code) { id in
                (try? db.attendee(id: id)).flatMap { $0?.removed == false ? $0?.badgeVersion : nil }
            }
        } catch {
            throw verdict(error, code)
        }
        do {
            let record = try db.attendee(id: payload.attendeeID)
            if json {
                print(
                    Output.json([
                        "valid": "true", "attendee_id": payload.attendeeID, "version": String(payload.version),
                        "role": payload.role.rawValue, "key_id": String(payload.keyID), "event": payload.event,
                    ]))
            } else {
                print(
                    "valid: \(record.map { $0.attendee.listName } ?? payload.attendeeID) (\(payload.attendeeID)), \(payload.role.label), badge version \(payload.version), key \(payload.keyID)"
                )
            }
        } catch {
            throw commandFailure(error)
        }
    }

    func verdict(_ error: BadgeError, _ code: String?) -> CommandFailure {
        if json {
            print(Output.json(["valid": "false", "reason": error.code, "message": error.description]))
            return CommandFailure(message: "", status: 7)
        }
        return CommandFailure(message: "refused: \(error.description)", status: 7)
    }
}

struct BadgeReissueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reissue",
        abstract: "Replace a badge (lost, damaged): the new one gets the next version; the old QR is refused.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Attendee id.") var id: String
    @Option(help: "Why: lost, damaged, misprint…") var reason: String

    func run() throws {
        let db = try store.open()
        do {
            let version = try db.reissueBadge(id, reason: reason, kiosk: store.kioskName)
            print("Badge of \(id) reissued (\(reason)): version \(version); earlier badges are now refused.")
        } catch {
            throw commandFailure(error)
        }
    }
}

struct BadgeSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheet", abstract: "Render many badges into one PDF of A4 pages, for pre-printing.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: BadgeOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PDF.", valueName: "file.pdf")) var out: String
    @Option(help: "Only these roles (repeatable).") var role: [Role] = []
    @Option(help: "Only these attendee ids (repeatable).") var id: [String] = []
    @Option(help: "Only attendees of this country (ISO code or name).") var country: String?
    @Flag(name: .customLong("not-checked-in"), help: "Only attendees not checked in yet.") var notCheckedIn = false
    @Option(name: .customLong("per-page"), help: "Badges per A4 page (default: the template's, else as many as fit).")
    var perPage: Int?

    func run() throws {
        let maker = try BadgeMaker(store: store)
        let renderer = try options.renderer()
        let countryCode = try country.map { text -> String in
            guard let code = Country.code(for: text) else { throw CommandFailure.usage("unknown country \"\(text)\"") }
            return code
        }
        let ids = Set(id)
        let records = try maker.db.attendees()
            .filter { role.isEmpty || role.contains($0.attendee.role) }
            .filter { ids.isEmpty || ids.contains($0.attendee.id) }
            .filter { countryCode == nil || $0.attendee.country == countryCode }
            .filter { !notCheckedIn || $0.checkIn == nil }
            .sorted { $0.attendee.sortKey < $1.attendee.sortKey }
        guard !records.isEmpty else { throw CommandFailure.usage("no attendee matches these filters") }
        let contents = try records.map { try maker.content(for: $0) }
        let reports = try renderer.sheet(contents, to: out, perPage: perPage ?? renderer.template.perPage ?? 0)
        print("\(out): \(records.count) badges (\(renderer.template.name))")
        try reportGlyphs(zip(records.map(\.attendee.id), reports).map { ($0, $1) })
    }
}

struct BadgeSamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Render sample PNGs of every template for a few roles and scripts (badges/samples).",
        discussion:
            "Uses fictional attendees and a throwaway key; needs no store. Regenerate with `accueil badge samples`."
    )
    @OptionGroup var options: BadgeOptions
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Output folder (default: the badges folder's samples/).", valueName: "dir")) var out: String?
    @Option(help: "Resolution.") var dpi: Double = 150

    static let people: [Attendee] = [
        Attendee(
            id: "ACC-00001", firstName: "Anne", lastName: "Hidalgo-Ménard", organisation: "Ville de Paris",
            title: "Maire de Paris", country: "FR", role: .electedOfficial),
        Attendee(
            id: "ACC-00002", firstName: "Youssef", lastName: "El Amrani", nativeName: "يوسف العمراني",
            organisation: "Ville de Casablanca", title: "Chef de délégation", country: "MA", role: .delegation,
            delegation: "Délégation du Maroc"),
        Attendee(
            id: "ACC-00003", firstName: "Aiko", lastName: "Sato", nativeName: "佐藤 愛子",
            organisation: "Ambassade du Japon en France", title: "Première conseillère", country: "JP", role: .embassy),
        Attendee(
            id: "ACC-00004", firstName: "Maximilienne-Marguerite", lastName: "de La Tour d'Auvergne-Lauraguais",
            organisation: "Communauté d'agglomération du Grand Montauban",
            title: "Vice-présidente chargée des relations internationales", country: "FR", role: .speaker),
        Attendee(
            id: "ACC-00005", firstName: "Olena", lastName: "Shevchenko", nativeName: "Олена Шевченко",
            organisation: "Kyiv Post", title: "Journaliste", country: "UA", role: .press),
        Attendee(
            id: "ACC-00006", firstName: "Thu Hương", lastName: "Nguyễn", organisation: "Organisation de la Rencontre",
            title: "Accueil", country: "VN", role: .staff),
        Attendee(
            id: "ACC-00007", firstName: "Batu", lastName: "Bolod", nativeName: "ᠪᠠᠲᠤ ᠪᠣᠯᠣᠳ",
            organisation: "Mairie d'Oulan-Bator", title: "Maire adjoint", country: "MN", role: .partner),
    ]

    func run() throws {
        let ring = try Keyring.create(
            event: "DEMO", eventName: "Rencontre internationale des gouvernements locaux — Paris")
        let signing = try ring.signingKey()
        let directory = out.map { URL(fileURLWithPath: $0) } ?? options.directory.appendingPathComponent("samples")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var reports: [(String, RenderReport)] = []
        for name in BadgeTemplate.available(in: options.directory) {
            let renderer = try options.renderer(name)
            for person in Self.people {
                let text = try BadgePayload(
                    event: ring.event, attendeeID: person.id, version: 1, role: person.role, keyID: signing.id
                ).signed(with: signing.key)
                let file = directory.appendingPathComponent("\(name)-\(person.role.rawValue).png").path
                reports.append(
                    (
                        file,
                        try renderer.png(
                            BadgeContent(attendee: person, eventName: ring.eventName, qrText: text), to: file, dpi: dpi)
                    ))
                print(file)
            }
        }
        try reportGlyphs(reports)
    }
}
