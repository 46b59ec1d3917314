import AccueilCore
import BadgeCore
import Badges
import CPangoCairo
import Foundation

/// Renders a badge as ZPL II for Zebra thermal printers on a raw CUPS queue: Latin text in the
/// printer's scalable font, text in other scripts as a bitmap drawn by pango, the QR code with ^BQ.
/// Positions come from the template (label-4x3 by default), converted to printer dots.
public struct ZPLRenderer: Sendable {
    public var template: BadgeTemplate
    /// Printer resolution: 203 (8 dots/mm) or 300 dpi.
    public var dpi: Double

    public init(template: BadgeTemplate, dpi: Double = 203) {
        self.template = template
        self.dpi = dpi
    }

    var dotsPerMM: Double { dpi / 25.4 }
    func dots(_ mm: Double) -> Int { Int((mm * dotsPerMM).rounded()) }

    /// Text the printer's font 0 draws (with ^CI28, UTF-8): Latin-1 and Latin Extended-A.
    static func printerFontCovers(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value < 0x180 || $0.value == 0x2019 || $0.value == 0x2014 }
    }

    public func render(_ content: BadgeContent) throws(BadgeError) -> String {
        let t = template
        let a = content.attendee
        var zpl = "^XA\n^CI28\n^PW\(dots(t.width))\n^LL\(dots(t.height))\n^LH0,0\n"
        // Role band: black box, text in reverse. Thermal printers have one colour.
        zpl +=
            "^FO\(dots(t.band.x)),\(dots(t.band.y))^GB\(dots(t.band.width)),\(dots(t.band.height)),\(dots(t.band.height)),B^FS\n"
        zpl += try text(t.label(for: a.role), t.bandField, reverse: true)
        zpl += try text(a.displayName, t.nameField)
        if !a.nativeName.isEmpty && a.nativeName != a.displayName { zpl += try text(a.nativeName, t.nativeNameField) }
        zpl += try text(a.title, t.titleField)
        zpl += try text(a.organisation, t.organisationField)
        var place: [String] = []
        if !a.country.isEmpty { place.append(Country.name(a.country, language: .fr)) }
        if !a.delegation.isEmpty { place.append(a.delegation) }
        zpl += try text(place.joined(separator: " — "), t.countryField)
        zpl += try text(content.eventName, t.eventField)
        // QR: model 2, magnification so that code and quiet zone fit the box; Q error correction.
        let matrix = try QRMatrix(content.qrText)
        let side = min(t.qr.width, t.qr.height)
        let magnification = max(1, min(10, dots(side) / (matrix.size + 2 * QRMatrix.quietZone)))
        let qrDots = magnification * matrix.size
        let x = dots(t.qr.x) + (dots(t.qr.width) - qrDots) / 2
        let y = dots(t.qr.y) + (dots(t.qr.height) - qrDots) / 2
        // ^BQ draws its code about 10 dots below ^FO; start it that much higher.
        zpl += "^FO\(x),\(max(0, y - 10))^BQN,2,\(magnification)^FDQA,\(content.qrText)^FS\n"
        zpl += "^PQ1\n^XZ\n"
        return zpl
    }

    private func text(_ value: String, _ field: BadgeTemplate.TextField, reverse: Bool = false) throws(BadgeError)
        -> String
    {
        let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { return "" }
        let box = field.box
        if Self.printerFontCovers(value) {
            // Font 0 is about 0.55 em wide per character: shrink to fit on the allowed lines.
            let maxHeight = min(field.maxSize / 72 * dpi, dots(box.height) == 0 ? 1 : Double(dots(box.height)))
            let minHeight = field.minSize / 72 * dpi
            var height = maxHeight
            let count = Double(value.count)
            let widthDots = Double(dots(box.width))
            var lines = 1
            while height > minHeight && count * height * 0.55 > widthDots { height -= 1 }
            if count * height * 0.55 > widthDots && field.lines > 1 {
                lines = field.lines
                height = min(maxHeight, Double(dots(box.height)) / Double(lines))
                while height > minHeight && count * height * 0.55 > widthDots * Double(lines) { height -= 1 }
            }
            let h = Int(height)
            let justify = field.align == "center" ? "C" : field.align == "right" ? "R" : "L"
            let top = dots(box.y) + max(0, (dots(box.height) - h * lines) / 2)
            let escaped = value.replacingOccurrences(of: "^", with: " ").replacingOccurrences(of: "~", with: " ")
            return
                "^FO\(dots(box.x)),\(top)^A0N,\(h),\(h)^FB\(dots(box.width)),\(lines),0,\(justify),0\(reverse ? "^FR" : "")^FD\(escaped)^FS\n"
        }
        let bitmap = try Self.bitmap(
            value, field: field, widthDots: dots(box.width), heightDots: dots(box.height), dpi: dpi)
        return
            "^FO\(dots(box.x)),\(dots(box.y))\(reverse ? "^FR" : "")^GFA,\(bitmap.total),\(bitmap.total),\(bitmap.rowBytes),\(bitmap.hex)^FS\n"
    }

    /// Draws text with pango into a 1-bit image for ^GF (names in Arabic, Chinese, Cyrillic…).
    static func bitmap(_ text: String, field: BadgeTemplate.TextField, widthDots: Int, heightDots: Int, dpi: Double)
        throws(BadgeError)
        -> (hex: String, total: Int, rowBytes: Int)
    {
        try CairoLock.drawing { () throws(BadgeError) in
            guard widthDots > 0, heightDots > 0,
                let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(widthDots), Int32(heightDots))
            else { throw .invalidInput("empty text box") }
            defer { cairo_surface_destroy(surface) }
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            guard let layout = pango_cairo_create_layout(cr) else { throw .invalidInput("pango unavailable") }
            defer { accueil_g_object_unref(UnsafeMutableRawPointer(layout)) }
            let description = pango_font_description_from_string(field.font)
            defer { pango_font_description_free(description) }
            text.withCString { pango_layout_set_text(layout, $0, -1) }
            let scale = Double(accueil_pango_scale())
            pango_layout_set_width(layout, Int32(Double(widthDots) * scale))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            pango_layout_set_alignment(
                layout,
                field.align == "center"
                    ? PANGO_ALIGN_CENTER : field.align == "right" ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT
            )
            var points = field.maxSize
            var logical = PangoRectangle()
            var ink = PangoRectangle()
            repeat {
                pango_font_description_set_absolute_size(description, points / 72 * dpi * scale)
                pango_layout_set_font_description(layout, description)
                pango_layout_get_extents(layout, &ink, &logical)
                if Int(pango_layout_get_line_count(layout)) <= field.lines
                    && Double(logical.height) / scale <= Double(heightDots)
                {
                    break
                }
                points -= 0.5
            } while points > field.minSize
            let top = max(0, (Double(heightDots) - Double(logical.height) / scale) / 2)
            cairo_move_to(cr, 0, top)
            pango_cairo_show_layout(cr, layout)
            cairo_surface_flush(surface)
            let stride = Int(cairo_image_surface_get_stride(surface))
            let data = cairo_image_surface_get_data(surface)!
            let rowBytes = (widthDots + 7) / 8
            var hex = ""
            hex.reserveCapacity(rowBytes * heightDots * 2)
            let digits = Array("0123456789ABCDEF")
            for y in 0..<heightDots {
                for byteIndex in 0..<rowBytes {
                    var byte: UInt8 = 0
                    for bit in 0..<8 {
                        let x = byteIndex * 8 + bit
                        if x < widthDots && data[y * stride + x] >= 128 { byte |= 0x80 >> UInt8(bit) }
                    }
                    hex.append(digits[Int(byte >> 4)])
                    hex.append(digits[Int(byte & 0xF)])
                }
            }
            return (hex, rowBytes * heightDots, rowBytes)
        }
    }
}
