import BadgeCore
import CPangoCairo
import CZbar
import Foundation

/// Reads QR codes from images with libzbar (the library behind zbarimg).
public enum QRReader {
    /// Every QR code text found in the PNG file at `path`.
    public static func decode(pngAt path: String) throws(BadgeError) -> [String] {
        guard let surface = cairo_image_surface_create_from_png(path) else {
            throw .invalidInput("cannot read \(path)")
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw .invalidInput("\(path) is not a PNG image this program can read")
        }
        cairo_surface_flush(surface)
        let width = Int(cairo_image_surface_get_width(surface))
        let height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        guard let data = cairo_image_surface_get_data(surface) else { throw .invalidInput("empty image \(path)") }
        // To 8-bit grey (Y800), transparent pixels as white.
        var grey = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = data + y * stride
                switch format {
                case CAIRO_FORMAT_ARGB32, CAIRO_FORMAT_RGB24:
                    let pixel = p.withMemoryRebound(to: UInt32.self, capacity: width) { $0[x] }
                    let a = format == CAIRO_FORMAT_ARGB32 ? Int(pixel >> 24) : 255
                    let r = Int((pixel >> 16) & 0xFF)
                    let g = Int((pixel >> 8) & 0xFF)
                    let b = Int(pixel & 0xFF)
                    let luma = (r * 299 + g * 587 + b * 114) / 1000  // premultiplied: add the white behind
                    grey[y * width + x] = UInt8(min(255, luma + (255 - a)))
                case CAIRO_FORMAT_A8:
                    grey[y * width + x] = 255 - p[x]
                default:
                    break
                }
            }
        }
        return decode(grey: grey, width: width, height: height)
    }

    /// QR codes in an 8-bit grey image.
    public static func decode(grey: [UInt8], width: Int, height: Int) -> [String] {
        guard let scanner = zbar_image_scanner_create() else { return [] }
        defer { zbar_image_scanner_destroy(scanner) }
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        guard let image = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, accueil_zbar_y800())
        zbar_image_set_size(image, UInt32(width), UInt32(height))
        return grey.withUnsafeBufferPointer { buffer -> [String] in
            zbar_image_set_data(image, buffer.baseAddress, UInt(buffer.count), nil)
            guard zbar_scan_image(scanner, image) > 0 else { return [] }
            var texts: [String] = []
            var symbol = zbar_image_first_symbol(image)
            while let current = symbol {
                if let text = zbar_symbol_get_data(current) { texts.append(String(cString: text)) }
                symbol = zbar_symbol_next(current)
            }
            return texts
        }
    }
}
