import AccueilCore
import BadgeCore
import CPangoCairo
import Foundation

/// An attendance certificate on an A4 page, in French and English: who attended, from which
/// organisation, when they arrived, and the sessions they entered. Elected officials often need
/// one for their council.
public struct AttendanceCertificate: Sendable {
    public struct Line: Sendable {
        public var title: String
        public var start: Date
        public var end: Date
        public init(title: String, start: Date, end: Date) {
            self.title = title
            self.start = start
            self.end = end
        }
    }

    public var event: String
    public var attendee: Attendee
    public var arrivedAt: Date
    public var sessions: [Line]
    public var issuedAt: Date
    public var timeZone: TimeZone

    public init(
        event: String, attendee: Attendee, arrivedAt: Date, sessions: [Line], issuedAt: Date = Date(),
        timeZone: TimeZone = EventTime.zone
    ) {
        self.event = event
        self.attendee = attendee
        self.arrivedAt = arrivedAt
        self.sessions = sessions
        self.issuedAt = issuedAt
        self.timeZone = timeZone
    }

    /// Writes the certificate as a one-page PDF at `path`.
    public func pdf(to path: String) throws(BadgeError) { try Self.pdf([self], to: path) }

    /// Writes `certificates` as one PDF at `path`, a page each (all the elected officials' for their
    /// councils, in one file to print).
    public static func pdf(_ certificates: [AttendanceCertificate], to path: String) throws(BadgeError) {
        try CairoLock.drawing { () throws(BadgeError) in
            let scale = 72 / 25.4
            guard let surface = cairo_pdf_surface_create(path, 210 * scale, 297 * scale) else {
                throw .invalidInput("cannot create \(path)")
            }
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            cairo_scale(cr, scale, scale)
            for certificate in certificates { certificate.draw(cr) }
            cairo_surface_finish(surface)
            let status = cairo_surface_status(surface)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw .invalidInput("cannot write \(path): \(String(cString: cairo_status_to_string(status)))")
            }
        }
    }

    /// One A4 page (in millimetres) on `cr`.
    private func draw(_ cr: OpaquePointer) {
        let width = 210.0

        let date = DateFormatter()
        date.locale = Locale(identifier: "fr_FR")
        date.timeZone = timeZone
        date.dateFormat = "d MMMM yyyy"
        let time = DateFormatter()
        time.timeZone = timeZone
        time.dateFormat = "d/MM HH:mm"
        let hour = DateFormatter()
        hour.timeZone = timeZone
        hour.dateFormat = "HH:mm"

        var y = 30.0
        func paragraph(_ text: String, font: String, size: Double, gap: Double = 4, centered: Bool = false) {
            guard !text.isEmpty, let layout = pango_cairo_create_layout(cr) else { return }
            defer { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
            let pangoScale = Double(accueil_pango_scale())
            pango_context_set_round_glyph_positions(pango_layout_get_context(layout), 0)
            pango_layout_context_changed(layout)
            let description = pango_font_description_from_string(font)
            defer { pango_font_description_free(description) }
            pango_font_description_set_absolute_size(description, size * 25.4 / 72 * pangoScale)
            pango_layout_set_font_description(layout, description)
            pango_layout_set_width(layout, Int32((width - 50) * pangoScale))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            pango_layout_set_alignment(layout, centered ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT)
            text.withCString { pango_layout_set_text(layout, $0, -1) }
            cairo_set_source_rgb(cr, 0.11, 0.11, 0.1)
            cairo_move_to(cr, 25, y)
            pango_cairo_show_layout(cr, layout)
            var ink = PangoRectangle()
            var logical = PangoRectangle()
            pango_layout_get_extents(layout, &ink, &logical)
            y += Double(logical.height) / pangoScale + gap
        }

        let a = attendee
        paragraph(event, font: "Noto Sans Bold", size: 14, gap: 14, centered: true)
        paragraph("ATTESTATION DE PRÉSENCE", font: "Noto Sans Bold", size: 24, gap: 2, centered: true)
        paragraph("Certificate of attendance", font: "Noto Sans Italic", size: 16, gap: 18, centered: true)
        paragraph("Les organisateurs attestent que / The organisers certify that", font: "Noto Sans", size: 12)
        let name = [a.firstName, a.lastName.uppercased()].filter { !$0.isEmpty }.joined(separator: " ")
        paragraph(name.isEmpty ? a.nativeName : name, font: "Noto Sans Bold", size: 22, gap: 2)
        if !a.nativeName.isEmpty && !name.isEmpty { paragraph(a.nativeName, font: "Noto Sans", size: 16, gap: 2) }
        paragraph(
            [a.title, a.organisation].filter { !$0.isEmpty }.joined(separator: ", "), font: "Noto Sans", size: 13)
        if !a.country.isEmpty { paragraph(Country.name(a.country, language: .fr), font: "Noto Sans", size: 12) }
        y += 6
        paragraph(
            "a participé à l'événement, arrivée enregistrée le \(time.string(from: arrivedAt)) / attended the event, arrival recorded on \(time.string(from: arrivedAt)).",
            font: "Noto Sans", size: 12, gap: 10)
        if !sessions.isEmpty {
            paragraph("Sessions suivies / Sessions attended:", font: "Noto Sans Bold", size: 12)
            for session in sessions {
                paragraph(
                    "• \(time.string(from: session.start))–\(hour.string(from: session.end))  \(session.title)",
                    font: "Noto Sans", size: 11, gap: 2)
            }
        }
        y = max(y + 16, 240)
        paragraph(
            "Fait le \(date.string(from: issuedAt)) / Issued on \(date.string(from: issuedAt)) — \(a.id)",
            font: "Noto Sans",
            size: 11)
        cairo_show_page(cr)
    }
}
