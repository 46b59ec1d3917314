import AccueilCore
import CPangoCairo
import Foundation

/// The "e-badge" sent before the event: one A6 page in the attendee's language with the event, its
/// dates and venue, the name, the role and the signed badge code as a large QR code, to print or
/// show on a phone at a self-service station or a door.
public struct EBadge: Sendable {
    public enum Language: String, Sendable, CaseIterable {
        case fr, en
    }

    public var attendee: Attendee
    public var eventName: String
    /// The dates, already written in the page's language ("3–4 juin 2027").
    public var dates: String
    public var venue: String
    public var qrText: String
    public var language: Language
    /// A later badge (reissued): the page says the earlier code no longer works.
    public var replacesEarlier: Bool

    public init(
        attendee: Attendee, eventName: String, dates: String, venue: String, qrText: String, language: Language,
        replacesEarlier: Bool = false
    ) {
        self.attendee = attendee
        self.eventName = eventName
        self.dates = dates
        self.venue = venue
        self.qrText = qrText
        self.language = language
        self.replacesEarlier = replacesEarlier
    }

    /// Page size in millimetres (A6 portrait).
    public static let width = 105.0
    public static let height = 148.0

    /// Writes the page as a one-page PDF at `path`.
    public func pdf(to path: String) throws(BadgeError) {
        let scale = 72 / 25.4
        guard let surface = cairo_pdf_surface_create(path, Self.width * scale, Self.height * scale) else {
            throw .invalidInput("cannot create \(path)")
        }
        defer { cairo_surface_destroy(surface) }
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        try draw(cr)
        cairo_show_page(cr)
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw .invalidInput("cannot write \(path): \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// The words of the page, in its language.
    var words: (roleLabel: String, instruction: String, replaced: String, number: String) {
        switch language {
        case .fr:
            (
                attendee.role.labelFR,
                "Présentez ce code à une borne d'accueil ou à l'accueil : votre badge est imprimé sur place. Il ouvre aussi les portes des sessions.",
                "Ce badge remplace le précédent, qui n'est plus valable.",
                "N°"
            )
        case .en:
            (
                attendee.role.labelEN,
                "Show this code at a self-service station or at the welcome desk: your badge is printed on the spot. It also opens the session doors.",
                "This badge replaces the earlier one, which no longer works.",
                "No."
            )
        }
    }

    private func draw(_ cr: OpaquePointer) throws(BadgeError) {
        let margin = 8.0
        let inner = Self.width - 2 * margin
        var y = 8.0
        let pangoScale = Double(accueil_pango_scale())
        func paragraph(
            _ text: String, font: String, size: Double, gap: Double = 2, grey: Double = 0.11, white: Bool = false
        ) {
            guard !text.isEmpty, let layout = pango_cairo_create_layout(cr) else { return }
            defer { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
            pango_context_set_round_glyph_positions(pango_layout_get_context(layout), 0)
            pango_layout_context_changed(layout)
            let description = pango_font_description_from_string(font)
            defer { pango_font_description_free(description) }
            pango_font_description_set_absolute_size(description, size * 25.4 / 72 * pangoScale)
            pango_layout_set_font_description(layout, description)
            pango_layout_set_width(layout, Int32(inner * pangoScale))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
            text.withCString { pango_layout_set_text(layout, $0, -1) }
            if white { cairo_set_source_rgb(cr, 1, 1, 1) } else { cairo_set_source_rgb(cr, grey, grey, grey) }
            cairo_move_to(cr, margin, y)
            pango_cairo_show_layout(cr, layout)
            var ink = PangoRectangle()
            var logical = PangoRectangle()
            pango_layout_get_extents(layout, &ink, &logical)
            y += Double(logical.height) / pangoScale + gap
        }
        let a = attendee
        let w = words
        paragraph(eventName, font: "Noto Sans Bold", size: 10, gap: 1)
        paragraph([dates, venue].filter { !$0.isEmpty }.joined(separator: " — "), font: "Noto Sans", size: 8, gap: 5)
        let name = [a.firstName, a.lastName.uppercased()].filter { !$0.isEmpty }.joined(separator: " ")
        paragraph(name.isEmpty ? a.nativeName : name, font: "Noto Sans Bold", size: 16, gap: 1)
        if !a.nativeName.isEmpty && !name.isEmpty { paragraph(a.nativeName, font: "Noto Sans", size: 12, gap: 1) }
        paragraph(a.organisation, font: "Noto Sans", size: 9, gap: 3)
        // The role on a dark band.
        let bandTop = y
        cairo_set_source_rgb(cr, 0.15, 0.2, 0.3)
        cairo_rectangle(cr, 0, bandTop, Self.width, 8)
        cairo_fill(cr)
        y = bandTop + 1.2
        paragraph(w.roleLabel, font: "Noto Sans Bold", size: 11, white: true)
        y = bandTop + 11
        // The QR code as large as the rest of the page allows, on whole modules.
        let matrix = try QRMatrix(qrText)
        let quiet = QRMatrix.quietZone
        let total = matrix.size + 2 * quiet
        let room = min(inner, Self.height - y - 30)
        let module = room / Double(total)
        let side = module * Double(total)
        let left = (Self.width - side) / 2
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_rectangle(cr, left, y, side, side)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        for row in 0..<matrix.size {
            for column in 0..<matrix.size where matrix[column, row] {
                cairo_rectangle(
                    cr, left + Double(column + quiet) * module, y + Double(row + quiet) * module, module, module)
            }
        }
        cairo_fill(cr)
        y += side + 1
        paragraph("\(w.number) \(a.id)", font: "Noto Sans Mono", size: 8, gap: 2, grey: 0.3)
        paragraph(w.instruction, font: "Noto Sans", size: 7.5, gap: 1.5, grey: 0.25)
        if replacesEarlier { paragraph(w.replaced, font: "Noto Sans Bold", size: 7.5, grey: 0.25) }
    }
}

/// A QR code alone as a PNG, for e-mails and mail merges.
public enum QRImage {
    /// Writes `text` as a QR code PNG at `path`, `module` pixels a module, with the quiet zone.
    public static func png(_ text: String, to path: String, module: Int = 8) throws(BadgeError) {
        guard FileManager.default.createFile(atPath: path, contents: try pngData(text, module: module)) else {
            throw .invalidInput("cannot write \(path)")
        }
    }

    /// The PNG's bytes (for an e-mail's inline image).
    public static func pngData(_ text: String, module: Int = 8) throws(BadgeError) -> Data {
        let matrix = try QRMatrix(text)
        let side = (matrix.size + 2 * QRMatrix.quietZone) * module
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(side), Int32(side))!
        defer { cairo_surface_destroy(surface) }
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        let m = Double(module)
        for row in 0..<matrix.size {
            for column in 0..<matrix.size where matrix[column, row] {
                cairo_rectangle(
                    cr, Double(column + QRMatrix.quietZone) * m, Double(row + QRMatrix.quietZone) * m, m, m)
            }
        }
        cairo_fill(cr)
        return try PNGWriter.encode(surface)
    }
}
