import AccueilCore
import BadgeCore
import CPangoCairo
import CRsvg
import Foundation

/// What goes on one badge.
public struct BadgeContent: Sendable {
    public var attendee: Attendee
    public var eventName: String
    /// The signed QR text (`BadgePayload.signed(with:)`).
    public var qrText: String

    public init(attendee: Attendee, eventName: String, qrText: String) {
        self.attendee = attendee
        self.eventName = eventName
        self.qrText = qrText
    }
}

/// How a badge came out: texts no font could draw, texts that had to be cut, where each text went.
public struct RenderReport: Sendable, Equatable {
    /// Field → number of characters drawn as empty boxes because no installed font has them.
    public var unknownGlyphs: [String: Int] = [:]
    /// Fields too long even at their smallest size and line count, cut with "…".
    public var truncated: [String] = []
    /// Field → the box its ink covers, in millimetres on the badge.
    public var inkBoxes: [String: BadgeTemplate.Box] = [:]
    /// Field → the font size it was set in, in points.
    public var fontSizes: [String: Double] = [:]
    /// Field → glyphs that came out broken although a font has the characters: a dotted circle
    /// (U+25CC) the shaper put in for a mark it could not attach, where the text has none, or a
    /// `.notdef` glyph. Such a name prints wrong ("கவ◌ிதா").
    public var brokenShaping: [String: Int] = [:]
    /// Field → the font families pango chose for it, run by run (read back from the layout).
    public var fonts: [String: [String]] = [:]
    /// Fields set in vertical columns (a Traditional Mongolian name).
    public var vertical: [String] = []

    /// Some text cannot be printed as written: characters no font has, or shaping that failed.
    public var hasUnknownGlyphs: Bool {
        unknownGlyphs.values.contains { $0 > 0 } || brokenShaping.values.contains { $0 > 0 }
    }
}

/// Draws badges with cairo and pango: PDF for printing (vector, fonts embedded), PNG for previews.
///
/// Not thread-safe: cairo and pango objects stay inside one synchronous call. Create one renderer
/// per thread.
public final class BadgeRenderer {
    public let template: BadgeTemplate
    private var logoPNG: OpaquePointer?
    private var logoSVG: OpaquePointer?
    private let fontOptions: OpaquePointer

    static let pointsPerMM = 72.0 / 25.4

    /// The renderer of the template `named` in `badgesDirectory/templates`.
    public convenience init(named name: String, badgesDirectory: URL) throws(BadgeError) {
        try self.init(
            template: BadgeTemplate.load(named: name, from: badgesDirectory), badgesDirectory: badgesDirectory)
    }

    /// `badgesDirectory` holds `templates/` and the assets (logos) templates refer to.
    public init(template: BadgeTemplate, badgesDirectory: URL) throws(BadgeError) {
        self.template = template
        fontOptions = cairo_font_options_create()
        // Metrics independent of the output resolution: the PDF and the PNG lay out the same.
        cairo_font_options_set_hint_metrics(fontOptions, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(fontOptions, CAIRO_HINT_STYLE_NONE)
        if let logo = template.logo, !logo.isEmpty {
            let path = badgesDirectory.appendingPathComponent(logo).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw .invalidInput("template \(template.name): logo \(path) not found")
            }
            if logo.lowercased().hasSuffix(".svg") {
                var error: UnsafeMutablePointer<GError>?
                guard let handle = rsvg_handle_new_from_file(path, &error) else {
                    let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
                    accueil_g_error_free(error)
                    throw .invalidInput("template \(template.name): cannot read SVG logo \(path): \(message)")
                }
                logoSVG = OpaquePointer(handle)
            } else {
                let surface = cairo_image_surface_create_from_png(path)
                guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
                    if let surface { cairo_surface_destroy(surface) }
                    throw .invalidInput("template \(template.name): cannot read PNG logo \(path)")
                }
                logoPNG = surface
            }
        }
    }

    deinit {
        if let logoPNG { cairo_surface_destroy(logoPNG) }
        if let logoSVG { accueil_rsvg_unref(UnsafeMutableRawPointer(logoSVG)) }
        cairo_font_options_destroy(fontOptions)
    }

    // MARK: Outputs

    /// Writes a one-page PDF of the badge, at its real size.
    @discardableResult
    public func pdf(_ content: BadgeContent, to path: String) throws(BadgeError) -> RenderReport {
        try CairoLock.drawing { () throws(BadgeError) in
            let scale = Self.pointsPerMM
            guard let surface = cairo_pdf_surface_create(path, template.width * scale, template.height * scale) else {
                throw .invalidInput("cannot create \(path)")
            }
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            cairo_scale(cr, scale, scale)
            let report = try draw(cr, content)
            cairo_show_page(cr)
            cairo_surface_finish(surface)
            try check(surface, path)
            return report
        }
    }

    /// Writes a PNG preview at `dpi`.
    @discardableResult
    public func png(_ content: BadgeContent, to path: String, dpi: Double = 150) throws(BadgeError) -> RenderReport {
        try image(content, dpi: dpi) { surface throws(BadgeError) in try PNGWriter.write(surface, to: path) }
    }

    /// The badge as grey levels (0 black … 255 white), a row after another, at `dpi`.
    func grey(_ content: BadgeContent, dpi: Double) throws(BadgeError) -> (width: Int, height: Int, pixels: [UInt8]) {
        var result: (Int, Int, [UInt8]) = (0, 0, [])
        _ = try image(content, dpi: dpi) { surface in
            cairo_surface_flush(surface)
            let width = Int(cairo_image_surface_get_width(surface))
            let height = Int(cairo_image_surface_get_height(surface))
            let stride = Int(cairo_image_surface_get_stride(surface))
            guard let data = cairo_image_surface_get_data(surface) else { return }
            var pixels = [UInt8](repeating: 255, count: width * height)
            for y in 0..<height {
                for x in 0..<width {
                    // RGB24: one native-endian 32-bit word per pixel, 0x00RRGGBB.
                    let word = data.advanced(by: y * stride + x * 4).withMemoryRebound(to: UInt32.self, capacity: 1) {
                        $0.pointee
                    }
                    let (r, g, b) = ((word >> 16) & 0xFF, (word >> 8) & 0xFF, word & 0xFF)
                    pixels[y * width + x] = UInt8((r * 299 + g * 587 + b * 114) / 1000)
                }
            }
            result = (width, height, pixels)
        }
        return result
    }

    private func image(
        _ content: BadgeContent, dpi: Double, _ use: (OpaquePointer) throws(BadgeError) -> Void
    ) throws(BadgeError) -> RenderReport {
        try CairoLock.drawing { () throws(BadgeError) in
            let scale = dpi / 25.4
            let width = Int32((template.width * scale).rounded(.up))
            let height = Int32((template.height * scale).rounded(.up))
            guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height) else {
                throw .invalidInput("cannot create an image")
            }
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            cairo_scale(cr, scale, scale)
            let report = try draw(cr, content)
            try use(surface)
            return report
        }
    }

    /// Several badges on A4 pages, `perPage` per page (0: as many as fit), with cut marks.
    public func sheet(_ contents: [BadgeContent], to path: String, perPage: Int = 0) throws(BadgeError)
        -> [RenderReport]
    {
        try CairoLock.drawing { () throws(BadgeError) in
            let (pageW, pageH) = (210.0, 297.0)
            func grid(margin: Double, gap: Double) -> (columns: Int, rows: Int) {
                (
                    max(1, Int((pageW - 2 * margin + gap + 0.01) / (template.width + gap))),
                    max(1, Int((pageH - 2 * margin + gap + 0.01) / (template.height + gap)))
                )
            }
            // With a margin and room to cut; or edge to edge when that is what fits the number asked
            // for (four A6 on an A4 sheet).
            var gap = 4.0
            var (columns, rows) = grid(margin: 5, gap: gap)
            let tight = grid(margin: 0, gap: 0)
            if perPage > columns * rows && tight.columns * tight.rows > columns * rows {
                (columns, rows) = tight
                gap = 0
            }
            let fit = columns * rows
            let count = perPage > 0 ? min(perPage, fit) : fit
            let usedColumns = min(columns, count)
            let usedRows = (count + usedColumns - 1) / usedColumns
            let originX = (pageW - (Double(usedColumns) * (template.width + gap) - gap)) / 2
            let originY = (pageH - (Double(usedRows) * (template.height + gap) - gap)) / 2
            let scale = Self.pointsPerMM
            guard let surface = cairo_pdf_surface_create(path, pageW * scale, pageH * scale) else {
                throw .invalidInput("cannot create \(path)")
            }
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            cairo_scale(cr, scale, scale)
            var reports: [RenderReport] = []
            for (i, content) in contents.enumerated() {
                let slot = i % count
                if slot == 0 && i > 0 { cairo_show_page(cr) }
                let x = originX + Double(slot % usedColumns) * (template.width + gap)
                let y = originY + Double(slot / usedColumns) * (template.height + gap)
                cairo_save(cr)
                cairo_translate(cr, x, y)
                reports.append(try draw(cr, content))
                cairo_restore(cr)
                drawCutMarks(cr, x: x, y: y)
            }
            cairo_show_page(cr)
            cairo_surface_finish(surface)
            try check(surface, path)
            return reports
        }
    }

    private func check(_ surface: OpaquePointer, _ path: String) throws(BadgeError) {
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw .invalidInput("cannot write \(path): \(String(cString: cairo_status_to_string(status)))")
        }
    }

    private func drawCutMarks(_ cr: OpaquePointer, x: Double, y: Double) {
        cairo_save(cr)
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6)
        cairo_set_line_width(cr, 0.1)
        let (w, h, m) = (template.width, template.height, 1.5)
        for (cx, cy) in [(x, y), (x + w, y), (x, y + h), (x + w, y + h)] {
            let dx = cx == x ? -1.0 : 1.0
            let dy = cy == y ? -1.0 : 1.0
            cairo_move_to(cr, cx + dx * 0.5, cy)
            cairo_line_to(cr, cx + dx * (0.5 + m), cy)
            cairo_move_to(cr, cx, cy + dy * 0.5)
            cairo_line_to(cr, cx, cy + dy * (0.5 + m))
        }
        cairo_stroke(cr)
        cairo_restore(cr)
    }

    // MARK: Drawing (in millimetres)

    func draw(_ cr: OpaquePointer, _ content: BadgeContent) throws(BadgeError) -> RenderReport {
        let t = template
        let a = content.attendee
        let style = t.style(for: a.role)
        var report = RenderReport()

        setColor(cr, t.background.flatMap(Color.init(hex:)) ?? Color(hex: "#FFFFFF")!)
        cairo_rectangle(cr, 0, 0, t.width, t.height)
        cairo_fill(cr)

        if let box = t.logoBox { drawLogo(cr, box) }
        let black = Color(hex: "#000000")!
        text(cr, content.eventName, t.eventField, "event", black, &report)
        let native = a.nativeName != a.displayName ? a.nativeName : ""
        // A name in a script written in vertical columns goes in the template's column, and the
        // texts that column crosses give way to it.
        let column = Self.isVerticalScript(native.isEmpty ? a.displayName : native) ? t.verticalNameField : nil
        func around(_ field: BadgeTemplate.TextField) -> BadgeTemplate.TextField {
            column.map { field.givingWay(to: $0.box) } ?? field
        }
        if let column, native.isEmpty {
            text(cr, a.displayName, column, "name", black, &report, vertical: true)
        } else {
            text(cr, a.displayName, around(t.nameField), "name", black, &report)
        }
        if let column, !native.isEmpty {
            text(cr, native, column, "native_name", black, &report, vertical: true)
        } else if !native.isEmpty {
            text(cr, native, t.nativeNameField, "native_name", black, &report)
        }
        text(cr, a.title, around(t.titleField), "title", black, &report)
        text(cr, a.organisation, around(t.organisationField), "organisation", black, &report)
        var place: [String] = []
        if !a.country.isEmpty {
            let fr = Country.name(a.country, language: .fr)
            let en = Country.name(a.country, language: .en)
            place.append(fr == en ? fr : "\(fr) · \(en)")
        }
        if !a.delegation.isEmpty { place.append(a.delegation) }
        text(cr, place.joined(separator: " — "), around(t.countryField), "country", black, &report)

        setColor(cr, Color(hex: style.color)!)
        cairo_rectangle(cr, t.band.x, t.band.y, t.band.width, t.band.height)
        cairo_fill(cr)
        text(cr, t.label(for: a.role), t.bandField, "band", Color(hex: style.textColor)!, &report)

        try drawQR(cr, content.qrText, t.qr)
        return report
    }

    private func setColor(_ cr: OpaquePointer, _ color: Color) {
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
    }

    private func drawLogo(_ cr: OpaquePointer, _ box: BadgeTemplate.Box) {
        if let logoPNG {
            let w = Double(cairo_image_surface_get_width(logoPNG))
            let h = Double(cairo_image_surface_get_height(logoPNG))
            guard w > 0, h > 0 else { return }
            let scale = min(box.width / w, box.height / h)
            cairo_save(cr)
            cairo_translate(cr, box.x + (box.width - w * scale) / 2, box.y + (box.height - h * scale) / 2)
            cairo_scale(cr, scale, scale)
            cairo_set_source_surface(cr, logoPNG, 0, 0)
            cairo_paint(cr)
            cairo_restore(cr)
        } else if let logoSVG {
            var viewport = RsvgRectangle(x: box.x, y: box.y, width: box.width, height: box.height)
            var error: UnsafeMutablePointer<GError>?
            _ = rsvg_handle_render_document(UnsafeMutablePointer(logoSVG), cr, &viewport, &error)
            accueil_g_error_free(error)
        }
    }

    private func drawQR(_ cr: OpaquePointer, _ text: String, _ box: BadgeTemplate.Box) throws(BadgeError) {
        let matrix = try QRMatrix(text)
        let side = min(box.width, box.height)
        let module = side / Double(matrix.size + 2 * QRMatrix.quietZone)
        let x0 = box.x + (box.width - side) / 2 + Double(QRMatrix.quietZone) * module
        let y0 = box.y + (box.height - side) / 2 + Double(QRMatrix.quietZone) * module
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_rectangle(cr, box.x + (box.width - side) / 2, box.y + (box.height - side) / 2, side, side)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        // One rectangle per run of dark modules, slightly overlapping rows, so that no hairline
        // shows between modules when rasterised.
        for y in 0..<matrix.size {
            var x = 0
            while x < matrix.size {
                guard matrix[x, y] else {
                    x += 1
                    continue
                }
                let start = x
                while x < matrix.size && matrix[x, y] { x += 1 }
                cairo_rectangle(
                    cr, x0 + Double(start) * module, y0 + Double(y) * module, Double(x - start) * module, module * 1.02)
            }
        }
        cairo_fill(cr)
    }

    /// Fonts tried after a template's own, one per script that the Noto fonts of Debian
    /// (fonts-noto-core, fonts-noto-cjk) cover in a font of its own.
    static let scriptFamilies = [
        "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Armenian", "Noto Sans Georgian", "Noto Sans Devanagari",
        "Noto Sans Bengali", "Noto Sans Gurmukhi", "Noto Sans Gujarati", "Noto Sans Oriya", "Noto Sans Tamil",
        "Noto Sans Telugu", "Noto Sans Kannada", "Noto Sans Malayalam", "Noto Sans Sinhala", "Noto Sans Thai",
        "Noto Sans Lao", "Noto Sans Myanmar", "Noto Sans Khmer", "Noto Serif Tibetan", "Noto Sans Ethiopic",
        "Noto Sans Mongolian", "Noto Sans Thaana", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR",
    ]

    /// Reads the laid-out glyphs back: how many came out broken (a dotted circle the text does not
    /// have, or `.notdef` from a font that claimed the character), and the families chosen.
    static func readBack(_ layout: OpaquePointer, textHasDottedCircle: Bool) -> (broken: Int, families: [String]) {
        guard let iter = pango_layout_get_iter(layout) else { return (0, []) }
        defer { pango_layout_iter_free(iter) }
        var broken = 0
        var families: [String] = []
        repeat {
            guard let run = pango_layout_iter_get_run_readonly(iter), let font = run.pointee.item.pointee.analysis.font
            else { continue }
            if let describe = pango_font_describe(font) {
                if let family = pango_font_description_get_family(describe).map({ String(cString: $0) }),
                    families.last != family
                {
                    families.append(family)
                }
                pango_font_description_free(describe)
            }
            var dotted: hb_codepoint_t = 0
            let hasDotted = hb_font_get_nominal_glyph(pango_font_get_hb_font(font), 0x25CC, &dotted) != 0
            let glyphs = run.pointee.glyphs.pointee
            for i in 0..<Int(glyphs.num_glyphs) {
                let glyph = glyphs.glyphs[i].glyph
                if glyph & PANGO_GLYPH_UNKNOWN_FLAG != 0 || glyph == PANGO_GLYPH_EMPTY { continue }
                if glyph == 0 || (hasDotted && !textHasDottedCircle && glyph == dotted) { broken += 1 }
            }
        } while pango_layout_iter_next_run(iter) != 0
        return (broken, families)
    }

    /// Whether `text` is mostly in a script written in vertical columns: Traditional Mongolian
    /// (with Todo, Manchu and Sibe, which share its block), whose letters are drawn turned a
    /// quarter clockwise and read top to bottom.
    static func isVerticalScript(_ text: String) -> Bool {
        var vertical = 0
        var letters = 0
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            letters += 1
            if (0x1800...0x18AF).contains(scalar.value) || (0x11660...0x1167F).contains(scalar.value) {
                vertical += 1
            }
        }
        return letters > 0 && vertical * 2 > letters
    }

    /// Sets `value` in its box: as large as `maxSize` allows on one line, else smaller, else on up
    /// to `lines` lines; cut with "…" only when even that does not fit.
    ///
    /// `vertical`: the text runs top to bottom in the box, its lines in columns from left to
    /// right, each glyph turned a quarter clockwise (how Traditional Mongolian is written: its
    /// fonts draw the letters lying down, and a line is shaped as if horizontal, then turned).
    private func text(
        _ cr: OpaquePointer, _ value: String, _ placed: BadgeTemplate.TextField, _ key: String, _ color: Color,
        _ report: inout RenderReport, vertical: Bool = false
    ) {
        // The layout is made along the line: for a column, the box's height is the line's length.
        var field = placed
        if vertical {
            field.box = BadgeTemplate.Box(x: 0, y: 0, width: placed.box.height, height: placed.box.width)
        }
        let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { return }
        let scale = Double(accueil_pango_scale())
        guard let layout = pango_cairo_create_layout(cr) else { return }
        defer { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
        let context = pango_layout_get_context(layout)
        pango_cairo_context_set_font_options(context, fontOptions)
        // User units are millimetres: rounding glyph positions to whole units would space letters.
        pango_context_set_round_glyph_positions(context, 0)
        pango_layout_context_changed(layout)
        let description = pango_font_description_from_string(field.font)
        defer { pango_font_description_free(description) }
        // The template's family first, then one font per script: fontconfig's own fallback for
        // "Noto Sans" may split a syllable between two fonts (Tamil's vowel signs then print on a
        // dotted circle), and lays out no script its first choice lacks in the right font.
        if let family = pango_font_description_get_family(description).map({ String(cString: $0) }) {
            let families = ([family] + Self.scriptFamilies).joined(separator: ",")
            families.withCString { pango_font_description_set_family(description, $0) }
        }
        value.withCString { pango_layout_set_text(layout, $0, -1) }
        pango_layout_set_width(layout, Int32(field.box.width * scale))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        pango_layout_set_alignment(
            layout,
            field.align == "center" ? PANGO_ALIGN_CENTER : field.align == "right" ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT
        )

        func apply(_ points: Double) {
            pango_font_description_set_absolute_size(description, points * 25.4 / 72 * scale)
            pango_layout_set_font_description(layout, description)
        }
        func size() -> (lines: Int, height: Double, width: Double) {
            var ink = PangoRectangle()
            var logical = PangoRectangle()
            pango_layout_get_extents(layout, &ink, &logical)
            return (
                Int(pango_layout_get_line_count(layout)), Double(logical.height) / scale, Double(logical.width) / scale
            )
        }
        func fits(_ lines: Int) -> Bool {
            let s = size()
            return s.lines <= lines && s.height <= field.box.height + 0.01
        }

        var points = field.maxSize
        apply(points)
        if !fits(1) {
            // Shrink on one line: estimate from the natural width, then step down.
            pango_layout_set_width(layout, -1)
            let natural = size()
            pango_layout_set_width(layout, Int32(field.box.width * scale))
            var estimate = min(
                field.maxSize * field.box.width / max(natural.width, 0.01),
                field.maxSize * field.box.height / max(natural.height, 0.01))
            estimate = (estimate * 4).rounded(.down) / 4
            points = -1
            var candidate = estimate
            while candidate >= field.minSize {
                apply(candidate)
                if fits(1) {
                    points = candidate
                    break
                }
                candidate -= max(0.25, candidate * 0.02)
            }
            if points < 0 && field.lines > 1 {
                // Wrap: the largest size that fits on the allowed lines.
                var low = field.minSize
                var high = field.maxSize
                apply(low)
                if fits(field.lines) {
                    while high - low > 0.25 {
                        let mid = (low + high) / 2
                        apply(mid)
                        if fits(field.lines) { low = mid } else { high = mid }
                    }
                    points = low
                    apply(points)
                }
            }
            if points < 0 {
                points = field.minSize
                apply(points)
                pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
                pango_layout_set_height(layout, Int32(-field.lines))
                report.truncated.append(key)
            }
        }

        let unknown = Int(pango_layout_get_unknown_glyphs_count(layout))
        if unknown > 0 { report.unknownGlyphs[key] = unknown }
        let (broken, families) = Self.readBack(layout, textHasDottedCircle: value.unicodeScalars.contains("\u{25CC}"))
        if broken > 0 { report.brokenShaping[key] = broken }
        report.fonts[key] = families
        report.fontSizes[key] = points
        setColor(cr, field.color.flatMap(Color.init(hex:)) ?? color)
        if vertical {
            report.vertical.append(key)
            report.inkBoxes[key] = drawColumns(cr, layout, in: placed.box)
            return
        }
        let (_, height, _) = size()
        let top = field.box.y + max(0, (field.box.height - height) / 2)
        var ink = PangoRectangle()
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, &ink, &logical)
        report.inkBoxes[key] = BadgeTemplate.Box(
            x: field.box.x + Double(ink.x) / scale, y: top + Double(ink.y) / scale, width: Double(ink.width) / scale,
            height: Double(ink.height) / scale)
        cairo_move_to(cr, field.box.x, top)
        pango_cairo_show_layout(cr, layout)
    }

    /// Draws `layout`'s lines as columns in `box`, centred across it, the first on the left; each
    /// line is turned a quarter clockwise, so the tops of its letters face right and it reads
    /// downwards. Returns the box the ink covers.
    private func drawColumns(_ cr: OpaquePointer, _ layout: OpaquePointer, in box: BadgeTemplate.Box)
        -> BadgeTemplate.Box
    {
        let scale = Double(accueil_pango_scale())
        var ink = PangoRectangle()
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, &ink, &logical)
        let left = box.x + max(0, (box.width - Double(logical.height) / scale) / 2)
        guard let iter = pango_layout_get_iter(layout) else { return box }
        defer { pango_layout_iter_free(iter) }
        var (minX, minY, maxX, maxY) = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        repeat {
            guard let line = pango_layout_iter_get_line_readonly(iter) else { continue }
            var lineInk = PangoRectangle()
            var lineLogical = PangoRectangle()
            pango_layout_iter_get_line_extents(iter, &lineInk, &lineLogical)
            let top = Double(lineLogical.y) / scale
            let baseline = Double(pango_layout_iter_get_baseline(iter)) / scale
            // The column's right edge is the line's top: the baseline is its ascent to the left.
            let right = left + top + Double(lineLogical.height) / scale
            let baselineX = right - (baseline - top)
            cairo_save(cr)
            cairo_translate(cr, baselineX, box.y + Double(lineLogical.x) / scale)
            cairo_rotate(cr, Double.pi / 2)
            cairo_move_to(cr, 0, 0)
            pango_cairo_show_layout_line(cr, line)
            cairo_restore(cr)
            guard lineInk.width > 0, lineInk.height > 0 else { continue }
            // Along the line (layout x) is down the page; away from the baseline (layout y) is left.
            minY = min(minY, box.y + Double(lineInk.x) / scale)
            maxY = max(maxY, box.y + Double(lineInk.x + lineInk.width) / scale)
            minX = min(minX, baselineX - (Double(lineInk.y + lineInk.height) / scale - baseline))
            maxX = max(maxX, baselineX - (Double(lineInk.y) / scale - baseline))
        } while pango_layout_iter_next_line(iter) != 0
        guard minX.isFinite else { return BadgeTemplate.Box(x: box.x, y: box.y, width: 0, height: 0) }
        return BadgeTemplate.Box(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }
}
