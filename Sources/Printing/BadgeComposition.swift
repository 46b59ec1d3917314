import AccueilCore
import BadgeCore
import Badges
import Crypto
import Foundation
import KioskStore

// What a print job is made of, for the spooler: the attendee's badge signed with the station's key,
// drawn with the printer's template as PDF (or ZPL for a thermal printer).

/// Signs badges for attendees of a store.
public struct BadgeMaker: Sendable {
    public let db: KioskDatabase
    public let ring: Keyring
    let key: (id: Int, key: Curve25519.Signing.PrivateKey)

    /// Throws when `ring` holds no key of its own to sign with.
    public init(db: KioskDatabase, ring: Keyring) throws {
        self.db = db
        self.ring = ring
        let signing = try ring.signingKey()
        key = (signing.id, signing.key)
    }

    public func qrText(for record: AttendeeRecord) throws -> String {
        let payload = BadgePayload(
            event: ring.event, attendeeID: record.attendee.id, version: record.badgeVersion, role: record.attendee.role,
            keyID: key.id)
        return try payload.signed(with: key.key)
    }

    public func content(for record: AttendeeRecord) throws -> BadgeContent {
        BadgeContent(attendee: record.attendee, eventName: ring.eventName, qrText: try qrText(for: record))
    }

    public func record(_ id: String) throws -> AttendeeRecord {
        guard let record = try db.attendee(id: id), !record.removed else { throw StoreError.unknownAttendee(id) }
        return record
    }
}

/// Per-printer settings, in printers.json in the data directory: which format a printer takes and
/// which template it prints. `{"zebra-1": {"format": "zpl", "template": "label-4x3", "dpi": 203}}`.
public struct PrinterSettings: Codable, Sendable {
    public var format: String = "pdf"
    public var template: String?
    public var dpi: Double?

    public init(format: String = "pdf", template: String? = nil, dpi: Double? = nil) {
        (self.format, self.template, self.dpi) = (format, template, dpi)
    }

    /// printers.json is not what it should be: where, and why.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The settings of each printer, from `directory/printers.json` (none when there is no file).
    public static func load(from directory: URL) throws -> [String: PrinterSettings] {
        let url = directory.appendingPathComponent("printers.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        do {
            return try JSONDecoder().decode([String: PrinterSettings].self, from: data)
        } catch {
            throw Invalid(description: "\(url.path) is not valid: \(error)")
        }
    }

    public static func save(_ all: [String: PrinterSettings], to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try encoder.encode(all).write(to: directory.appendingPathComponent("printers.json"))
    }
}

/// Renders the badge a print job asks for.
public struct StoreBadgeSource: BadgeDocumentSource {
    let maker: BadgeMaker
    let badgesDirectory: URL
    let settings: [String: PrinterSettings]
    /// Renderers by template name: a template file and its logo are read once per run, not per badge.
    private let renderers = RendererCache()

    /// `badgesDirectory` holds `templates/` and their assets; `settings`, each printer's.
    public init(maker: BadgeMaker, badgesDirectory: URL, settings: [String: PrinterSettings]) {
        self.maker = maker
        self.badgesDirectory = badgesDirectory
        self.settings = settings
    }

    final class RendererCache {
        var byTemplate: [String: BadgeRenderer] = [:]
    }

    func renderer(_ name: String) throws -> BadgeRenderer {
        if let known = renderers.byTemplate[name] { return known }
        let renderer = try BadgeRenderer(named: name, badgesDirectory: badgesDirectory)
        renderers.byTemplate[name] = renderer
        return renderer
    }

    public func document(for job: PrintJob) throws -> (data: Data, format: String, options: [String: String]) {
        let record = try maker.record(job.attendeeID)
        let content = try maker.content(for: record)
        let renderer = try renderer(job.template)
        let template = renderer.template
        if job.format == "zpl" {
            let zpl = try ZPLRenderer(template: template, dpi: settings[job.printer]?.dpi ?? 203).render(content)
            return (Data(zpl.utf8), "application/vnd.cups-raw", [:])
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-\(job.id.uuidString).pdf")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try renderer.pdf(content, to: path)
        if report.hasUnknownGlyphs {
            throw BadgeDocumentError(
                description:
                    "the name has characters no installed font can draw or shape: \(report.unknownGlyphs.merging(report.brokenShaping, uniquingKeysWith: +))"
            )
        }
        let media = "Custom.\(fmtMM(template.width))x\(fmtMM(template.height))mm"
        return (
            try Data(contentsOf: URL(fileURLWithPath: path)), "application/pdf",
            [
                "media": media, "print-scaling": "none", "fit-to-page": "false", "copies": "1",
            ]
        )
    }

    func fmtMM(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
}

/// A badge that cannot be drawn right (a name no installed font can draw): the job fails with
/// this, in words, rather than print empty boxes.
public struct BadgeDocumentError: Error, CustomStringConvertible {
    public var description: String
}
