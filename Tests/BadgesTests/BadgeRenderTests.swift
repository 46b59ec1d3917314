import AccueilCore
import Foundation
import TestSupport
import Testing

@testable import BadgeCore
@testable import Badges

let badgesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("badges")

func scratch() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-badges-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Rasterises the first page of a PDF and reads its QR codes with zbarimg.
func decodePDF(_ pdf: URL, dpi: Int = 300) throws -> [String] {
    try qrCodes(inPDF: pdf.path, dpi: dpi)
}

@Suite("Badge rendering")
struct BadgeRenderTests {
    static let ring = try! Keyring.create(
        event: "RGL26", eventName: "Rencontre internationale des gouvernements locaux — Paris")
    static let templates = BadgeTemplate.available(in: badgesDirectory)

    static let people: [Role: Attendee] = Dictionary(
        uniqueKeysWithValues: Role.allCases.enumerated().map { i, role in
            let samples = [
                ("Anne", "Hidalgo", "", "FR"), ("Youssef", "El Amrani", "يوسف العمراني", "MA"),
                ("Xiaoming", "Wang", "王小明", "CN"),
                ("Aiko", "Sato", "佐藤 愛子", "JP"), ("Olena", "Shevchenko", "Олена Шевченко", "UA"),
                ("Armen", "Sargsyan", "Արմեն Սարգսյան", "AM"),
                ("Nikos", "Papadopoulos", "Νίκος Παπαδόπουλος", "GR"), ("Thu Hương", "Nguyễn", "", "VN"),
            ]
            let s = samples[i]
            return (
                role,
                Attendee(
                    id: "ACC-\(i + 1)", firstName: s.0, lastName: s.1, nativeName: s.2, organisation: "Ville de Lyon",
                    title: "Maire adjoint", country: s.3, role: role, delegation: s.3 == "FR" ? "" : "Délégation")
            )
        })

    func content(_ attendee: Attendee, version: Int = 1) throws -> BadgeContent {
        let signing = try Self.ring.signingKey()
        let text = try BadgePayload(
            event: "RGL26", attendeeID: attendee.id, version: version, role: attendee.role, keyID: signing.id
        )
        .signed(with: signing.key)
        return BadgeContent(attendee: attendee, eventName: Self.ring.eventName, qrText: text)
    }

    @Test("the three formats are there: A6, CR80 card, 4 × 3 inch label")
    func formats() throws {
        #expect(Set(Self.templates).isSuperset(of: ["a6", "cr80", "label-4x3"]))
        let cr80 = try BadgeTemplate.load(named: "cr80", from: badgesDirectory)
        #expect(cr80.width == 85.6 && cr80.height == 54)
    }

    @Test(
        "every role on every template: the printed PDF's QR code decodes (zbarimg) and verifies",
        arguments: BadgeTemplate.available(in: badgesDirectory))
    func everyRoleEveryTemplate(template name: String) throws {
        let renderer = try BadgeRenderer(
            template: try BadgeTemplate.load(named: name, from: badgesDirectory), badgesDirectory: badgesDirectory)
        let dir = scratch()
        for role in Role.allCases {
            let attendee = Self.people[role]!
            let badge = try content(attendee)
            let pdf = dir.appendingPathComponent("\(name)-\(role.rawValue).pdf")
            let report = try renderer.pdf(badge, to: pdf.path)
            #expect(!report.hasUnknownGlyphs, "\(name) \(role): \(report.unknownGlyphs)")
            #expect(report.truncated.isEmpty, "\(name) \(role): \(report.truncated)")
            let decoded = try decodePDF(pdf)
            #expect(decoded == [badge.qrText], "\(name) \(role)")
            let payload = try Self.ring.verifier.verify(decoded.first ?? "")
            #expect(payload.attendeeID == attendee.id && payload.role == role)
            // The PNG preview reads back too, through libzbar.
            let png = dir.appendingPathComponent("\(name)-\(role.rawValue).png")
            try renderer.png(badge, to: png.path, dpi: 200)
            #expect(try QRReader.decode(pngAt: png.path) == [badge.qrText])
        }
    }

    @Test(
        "names in every script are drawn with real glyphs",
        arguments: [
            "يوسف العمراني", "王小明", "佐藤 愛子", "さくら", "김민준", "Олена Шевченко", "Արմեն Սարգսյան", "Νίκος Παπαδόπουλος",
            "Nguyễn Thu Hương", "דוד כהן", "สมชาย ใจดี", "राहुल शर्मा", "Łukasz Wiśniewski", "Şebnem Öztürk",
            "Œuvray Cœurdevey",
        ])
    func scripts(name: String) throws {
        let renderer = try BadgeRenderer(
            template: try BadgeTemplate.load(named: "a6", from: badgesDirectory), badgesDirectory: badgesDirectory)
        let attendee = Attendee(id: "X", firstName: "Test", lastName: "Name", nativeName: name, role: .delegation)
        let report = try renderer.pdf(try content(attendee), to: scratch().appendingPathComponent("s.pdf").path)
        #expect(report.unknownGlyphs.isEmpty, "\(name): \(report.unknownGlyphs)")
        #expect(report.inkBoxes["native_name"] != nil)
    }

    @Test("characters no font has are reported, not silently printed as boxes")
    func unknownGlyphs() throws {
        let renderer = try BadgeRenderer(
            template: try BadgeTemplate.load(named: "a6", from: badgesDirectory), badgesDirectory: badgesDirectory)
        let attendee = Attendee(id: "X", firstName: "Anne", lastName: "\u{10FFFD}\u{10FFFC}", role: .press)
        let report = try renderer.pdf(try content(attendee), to: scratch().appendingPathComponent("u.pdf").path)
        #expect(report.unknownGlyphs["name"] == 2)
        #expect(report.hasUnknownGlyphs)
    }

    @Test(
        "long names shrink, then wrap on two lines, and stay inside their box on every template",
        arguments: BadgeTemplate.available(in: badgesDirectory))
    func longNames(template name: String) throws {
        let template = try BadgeTemplate.load(named: name, from: badgesDirectory)
        let renderer = try BadgeRenderer(template: template, badgesDirectory: badgesDirectory)
        let box = template.nameField.box
        func inside(_ ink: BadgeTemplate.Box?) -> Bool {
            guard let ink else { return false }
            return ink.x >= box.x - 0.5 && ink.y >= box.y - 0.5 && ink.x + ink.width <= box.x + box.width + 0.5
                && ink.y + ink.height <= box.y + box.height + 0.5
        }
        let short = try renderer.pdf(
            try content(Attendee(id: "S", firstName: "Li", lastName: "Wu", role: .press)),
            to: scratch().appendingPathComponent("a.pdf").path)
        #expect(short.fontSizes["name"] == template.nameField.maxSize)
        let long = Attendee(
            id: "L", firstName: "Maximilienne-Marguerite", lastName: "de La Tour d'Auvergne-Lauraguais", role: .press)
        let report = try renderer.pdf(try content(long), to: scratch().appendingPathComponent("b.pdf").path)
        #expect(report.fontSizes["name"]! < template.nameField.maxSize)
        #expect(report.truncated.isEmpty)
        #expect(inside(report.inkBoxes["name"]), "\(String(describing: report.inkBoxes["name"])) not in \(box)")
        let absurd = Attendee(
            id: "Z", firstName: String(repeating: "Jean-Baptiste ", count: 20), lastName: "Martin", role: .press)
        let cut = try renderer.pdf(try content(absurd), to: scratch().appendingPathComponent("c.pdf").path)
        #expect(cut.truncated == ["name"])
        #expect(inside(cut.inkBoxes["name"]))
        // Nothing else ran outside its box either.
        for (field, ink) in report.inkBoxes where field != "band" && field != "event" {
            let fieldBox =
                field == "name"
                ? box
                : field == "native_name"
                    ? template.nativeNameField.box
                    : field == "title"
                        ? template.titleField.box
                        : field == "organisation" ? template.organisationField.box : template.countryField.box
            #expect(ink.x + ink.width <= fieldBox.x + fieldBox.width + 0.5, "\(field)")
        }
    }

    @Test("a sheet puts the template's number of badges on each A4 page")
    func sheet() throws {
        let template = try BadgeTemplate.load(named: "a6", from: badgesDirectory)
        let renderer = try BadgeRenderer(template: template, badgesDirectory: badgesDirectory)
        let contents = try (0..<10).map { i in
            try content(Attendee(id: "P\(i)", firstName: "Person", lastName: "Number \(i)", role: Role.allCases[i % 8]))
        }
        let pdf = scratch().appendingPathComponent("sheet.pdf")
        let reports = try renderer.sheet(contents, to: pdf.path, perPage: 4)
        #expect(reports.count == 10)
        let info = try tool("pdfinfo", [pdf.path]).output
        #expect(info.contains("Pages:           3"), "\(info)")
        #expect(info.contains("(A4)"))
        let codes = Set(try decodePDF(pdf, dpi: 200))
        #expect(codes == Set(contents.prefix(4).map(\.qrText)))
    }

    @Test("a broken template is refused with the file and the reason")
    func brokenTemplates() throws {
        let dir = scratch()
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("templates"), withIntermediateDirectories: true)
        var good = try String(contentsOf: badgesDirectory.appendingPathComponent("templates/a6.json"), encoding: .utf8)
        try "{ not json".write(to: dir.appendingPathComponent("templates/bad.json"), atomically: true, encoding: .utf8)
        #expect(throws: BadgeError.self) { try BadgeTemplate.load(named: "bad", from: dir) }
        good = good.replacingOccurrences(of: "\"elected_official\"", with: "\"astronaut\"")
        try good.write(to: dir.appendingPathComponent("templates/role.json"), atomically: true, encoding: .utf8)
        #expect {
            try BadgeTemplate.load(named: "role", from: dir)
        } throws: { "\($0)".contains("astronaut") && "\($0)".contains("role.json") }
        #expect { try BadgeTemplate.load(named: "missing", from: dir) } throws: { "\($0)".contains("bad") }
    }
}
