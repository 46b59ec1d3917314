import AccueilCore
import BadgeCore
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

    /// Writes the page as a one-page PDF at `path` (`matrix`: the QR code of `qrText`, when the
    /// caller has it already).
    public func pdf(to path: String, matrix: QRMatrix? = nil) throws(BadgeError) {
        try CairoLock.drawing { () throws(BadgeError) in
            let scale = 72 / 25.4
            guard let surface = cairo_pdf_surface_create(path, Self.width * scale, Self.height * scale) else {
                throw .invalidInput("cannot create \(path)")
            }
            defer { cairo_surface_destroy(surface) }
            try render(on: surface, matrix: matrix, what: path)
        }
    }

    /// The one-page PDF's bytes, made in memory (for an e-mail's attachment).
    public func pdfData(matrix: QRMatrix? = nil) throws(BadgeError) -> Data {
        try CairoLock.drawing { () throws(BadgeError) in
            let scale = 72 / 25.4
            let sink = PDFSink()
            let box = Unmanaged.passRetained(sink)
            defer { box.release() }
            let write: cairo_write_func_t = { closure, bytes, length in
                guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
                Unmanaged<PDFSink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }
            guard
                let surface = cairo_pdf_surface_create_for_stream(
                    write, box.toOpaque(), Self.width * scale, Self.height * scale)
            else { throw .invalidInput("cannot make a PDF") }
            defer { cairo_surface_destroy(surface) }
            try render(on: surface, matrix: matrix, what: "the e-badge")
            return sink.data
        }
    }

    /// Where an in-memory PDF's bytes go.
    private final class PDFSink {
        var data = Data()
    }

    private func render(on surface: OpaquePointer, matrix: QRMatrix?, what: String) throws(BadgeError) {
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        cairo_scale(cr, 72 / 25.4, 72 / 25.4)
        let code: QRMatrix
        if let matrix { code = matrix } else { code = try QRMatrix(qrText) }
        try draw(cr, matrix: code)
        cairo_show_page(cr)
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw .invalidInput("cannot write \(what): \(String(cString: cairo_status_to_string(status)))")
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

    private func draw(_ cr: OpaquePointer, matrix: QRMatrix) throws(BadgeError) {
        let margin = 8.0
        let inner = Self.width - 2 * margin
        var y = 8.0
        let pangoScale = Double(accueil_pango_scale())
        // One face for the whole page: each face is subset and compressed into every PDF, and an
        // export writes one PDF per attendee (a second face costs a fifth more time). One layout
        // for every paragraph, for the same reason.
        guard let layout = pango_cairo_create_layout(cr) else { throw .invalidInput("pango has no layout") }
        defer { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
        pango_context_set_round_glyph_positions(pango_layout_get_context(layout), 0)
        pango_layout_context_changed(layout)
        let description = pango_font_description_from_string("Noto Sans")
        defer { pango_font_description_free(description) }
        pango_layout_set_width(layout, Int32(inner * pangoScale))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        // `shared`: a text every page of an export has (the event, the role, the instructions),
        // laid out once per thread and kept (LayoutCache), since shaping it again is a sixth of a page's time.
        func paragraph(
            _ text: String, size: Double, gap: Double = 2, grey: Double = 0.11, white: Bool = false,
            shared: Bool = false
        ) {
            guard !text.isEmpty else { return }
            var shown = layout
            if shared, let kept = LayoutCache.current.layout(text, size: size, width: inner, cr: cr) {
                shown = kept
            } else {
                pango_font_description_set_absolute_size(description, size * 25.4 / 72 * pangoScale)
                pango_layout_set_font_description(layout, description)
                text.withCString { pango_layout_set_text(layout, $0, -1) }
            }
            if white { cairo_set_source_rgb(cr, 1, 1, 1) } else { cairo_set_source_rgb(cr, grey, grey, grey) }
            cairo_move_to(cr, margin, y)
            pango_cairo_show_layout(cr, shown)
            var ink = PangoRectangle()
            var logical = PangoRectangle()
            pango_layout_get_extents(shown, &ink, &logical)
            y += Double(logical.height) / pangoScale + gap
        }
        let a = attendee
        let w = words
        paragraph(eventName, size: 10, gap: 1, shared: true)
        paragraph([dates, venue].filter { !$0.isEmpty }.joined(separator: " — "), size: 8, gap: 5, shared: true)
        let name = [a.firstName, a.lastName.uppercased()].filter { !$0.isEmpty }.joined(separator: " ")
        paragraph(name.isEmpty ? a.nativeName : name, size: 16, gap: 1)
        if !a.nativeName.isEmpty && !name.isEmpty { paragraph(a.nativeName, size: 12, gap: 1) }
        paragraph(a.organisation, size: 9, gap: 3)
        // The role on a dark band.
        let bandTop = y
        cairo_set_source_rgb(cr, 0.15, 0.2, 0.3)
        cairo_rectangle(cr, 0, bandTop, Self.width, 8)
        cairo_fill(cr)
        y = bandTop + 1.2
        paragraph(w.roleLabel, size: 11, white: true, shared: true)
        y = bandTop + 11
        // The QR code as large as the rest of the page allows, on whole modules.
        let quiet = QRMatrix.quietZone
        let total = matrix.size + 2 * quiet
        let room = min(inner, Self.height - y - 30)
        let module = room / Double(total)
        let side = module * Double(total)
        let left = (Self.width - side) / 2
        // One pixel a module, scaled up without smoothing: the PDF holds a small image, not a
        // rectangle (and a number written out) for each dark module.
        let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(total), Int32(total))!
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        let stride = Int(cairo_image_surface_get_stride(image))
        let pixels = cairo_image_surface_get_data(image)!
        for row in 0..<total {
            let line = UnsafeMutableRawPointer(pixels + row * stride).assumingMemoryBound(to: UInt32.self)
            for column in 0..<total {
                let (x, y) = (column - quiet, row - quiet)
                let dark = x >= 0 && y >= 0 && x < matrix.size && y < matrix.size && matrix[x, y]
                line[column] = dark ? 0x000000 : 0xFFFFFF
            }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(cr)
        cairo_translate(cr, left, y)
        cairo_scale(cr, module, module)
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_rectangle(cr, 0, 0, Double(total), Double(total))
        cairo_fill(cr)
        cairo_restore(cr)
        y += side + 1
        paragraph("\(w.number) \(a.id)", size: 8, gap: 2, grey: 0.3)
        paragraph(w.instruction, size: 7.5, gap: 1.5, grey: 0.25, shared: true)
        if replacesEarlier { paragraph(w.replaced, size: 7.5, grey: 0.25, shared: true) }
    }
}

/// Layouts of the texts every e-badge shares, per thread (pango's objects belong to the thread
/// that made them, as does its default font map), made from the first page's context: every PDF
/// page is set up the same way (millimetres, the same font options), so a layout made for one page
/// draws the same glyphs on the next. At most 64 texts are kept; past that the oldest go.
final class LayoutCache {
    private var layouts: [String: OpaquePointer] = [:]
    private var order: [String] = []
    private var context: OpaquePointer?

    static let key = "accueil.ebadge.layouts"

    /// This thread's cache.
    static var current: LayoutCache {
        let dictionary = Thread.current.threadDictionary
        if let cache = dictionary[key] as? LayoutCache { return cache }
        let cache = LayoutCache()
        dictionary[key] = cache
        return cache
    }

    func layout(_ text: String, size: Double, width: Double, cr: OpaquePointer) -> OpaquePointer? {
        let key = "\(size)|\(text)"
        if let kept = layouts[key] { return kept }
        if context == nil {
            context = pango_cairo_create_context(cr)
            if let context { pango_context_set_round_glyph_positions(context, 0) }
        }
        guard let context, let layout = pango_layout_new(context) else { return nil }
        let pangoScale = Double(accueil_pango_scale())
        let description = pango_font_description_from_string("Noto Sans")
        defer { pango_font_description_free(description) }
        pango_font_description_set_absolute_size(description, size * 25.4 / 72 * pangoScale)
        pango_layout_set_font_description(layout, description)
        pango_layout_set_width(layout, Int32(width * pangoScale))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        text.withCString { pango_layout_set_text(layout, $0, -1) }
        layouts[key] = layout
        order.append(key)
        if order.count > 64, let oldest = layouts.removeValue(forKey: order.removeFirst()) {
            accueil_g_object_unref(UnsafeMutableRawPointer(oldest))
        }
        return layout
    }

    deinit {
        for layout in layouts.values { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
        if let context { accueil_g_object_unref(UnsafeMutableRawPointer(context)) }
    }
}

/// A QR code alone as a PNG, for e-mails and mail merges: black and white, one bit a pixel.
public enum QRImage {
    /// Writes `data` at `path` as is (no temporary file and rename: a folder of thousands of
    /// files is written again as a whole if something goes wrong).
    public static func write(_ data: Data, to path: String) throws(BadgeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .invalidInput("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            throw .invalidInput("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A 1-bit greyscale PNG of `matrix`.
    public static func pngData(_ matrix: QRMatrix, module: Int = 8) throws(BadgeError) -> Data {
        let side = (matrix.size + 2 * QRMatrix.quietZone) * module
        let rowBytes = 1 + (side + 7) / 8
        var raw = [UInt8](repeating: 0, count: rowBytes * side)
        // 1 is white in greyscale: each module row is drawn once, then copied `module` times.
        var line = [UInt8](repeating: 0, count: rowBytes)
        for moduleRow in 0..<(matrix.size + 2 * QRMatrix.quietZone) {
            for index in line.indices { line[index] = 0 }
            let my = moduleRow - QRMatrix.quietZone
            for moduleColumn in 0..<(matrix.size + 2 * QRMatrix.quietZone) {
                let mx = moduleColumn - QRMatrix.quietZone
                if mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size && matrix[mx, my] { continue }
                for x in (moduleColumn * module)..<((moduleColumn + 1) * module) {
                    line[1 + x >> 3] |= 0x80 >> UInt8(x & 7)
                }
            }
            // The module's first row as is; the rows under it with PNG's "Up" filter (type 2): the
            // same as the row above, so all zeros, which deflate has next to nothing to do with.
            let first = moduleRow * module * rowBytes
            raw.replaceSubrange(first..<(first + rowBytes), with: line)
            for y in (moduleRow * module + 1)..<((moduleRow + 1) * module) { raw[y * rowBytes] = 2 }
        }
        return try PNGWriter.encode(raw: raw, width: side, height: side, bitDepth: 1, colourType: 0)
    }
}
