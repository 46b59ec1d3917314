import BadgeCore
import CPangoCairo
import CZlibSystem
import Foundation

/// Writes a cairo RGB24 image as PNG with zlib's fastest level: previews are for screens, and
/// cairo's own writer spends most of a badge preview's time compressing.
enum PNGWriter {
    static func write(_ surface: OpaquePointer, to path: String) throws(BadgeError) {
        guard FileManager.default.createFile(atPath: path, contents: try encode(surface)) else {
            throw .invalidInput("cannot write \(path)")
        }
    }

    /// The PNG file's bytes.
    static func encode(_ surface: OpaquePointer) throws(BadgeError) -> Data {
        cairo_surface_flush(surface)
        let width = Int(cairo_image_surface_get_width(surface))
        let height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface), width > 0, height > 0 else {
            throw .invalidInput("empty image")
        }
        // Filter byte 0 then R, G, B for each row (cairo keeps 0x00RRGGBB in native order).
        let rowBytes = 1 + width * 3
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        raw.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                var o = y * rowBytes + 1
                for x in 0..<width {
                    let pixel = row[x]
                    out[o] = UInt8((pixel >> 16) & 0xFF)
                    out[o + 1] = UInt8((pixel >> 8) & 0xFF)
                    out[o + 2] = UInt8(pixel & 0xFF)
                    o += 3
                }
            }
        }
        return try encode(raw: raw, width: width, height: height, bitDepth: 8, colourType: 2)  // 8-bit RGB
    }

    /// A PNG of rows already filtered (a filter byte, then the pixels, for each row).
    static func encode(raw: [UInt8], width: Int, height: Int, bitDepth: UInt8, colourType: UInt8) throws(BadgeError)
        -> Data
    {
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), Z_BEST_SPEED)
        guard status == Z_OK else { throw .invalidInput("cannot compress the PNG (zlib \(status))") }
        compressed.removeLast(compressed.count - Int(compressedLength))

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func be32(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        func chunk(_ type: String, _ body: [UInt8]) {
            let typeBytes = Array(type.utf8)
            png += be32(UInt32(body.count))
            let crcInput = typeBytes + body
            png += crcInput
            png += be32(UInt32(crcInput.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }))
        }
        chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colourType, 0, 0, 0])
        chunk("IDAT", compressed)
        chunk("IEND", [])
        return Data(png)
    }
}
