import BadgeCore
import CQRencode
import Foundation

/// A QR code's modules, from libqrencode.
public struct QRMatrix: Sendable, Equatable {
    /// Modules per side (without the quiet zone).
    public let size: Int
    /// Row-major, true for dark.
    public let modules: [Bool]

    public enum ErrorCorrection: Sendable { case low, medium, quartile, high }

    /// Encodes `text`. libqrencode picks the modes: badge codes (Base45) use only the
    /// alphanumeric set and come out in compact alphanumeric mode; other text goes as UTF-8 bytes.
    public init(_ text: String, correction: ErrorCorrection = .quartile) throws(BadgeError) {
        let level: QRecLevel =
            switch correction {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        guard let code = QRcode_encodeString(text, 0, level, QR_MODE_8, 1) else {
            throw .invalidInput("cannot encode a QR code for this text (\(text.utf8.count) bytes)")
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        var modules = [Bool](repeating: false, count: width * width)
        for i in 0..<(width * width) { modules[i] = code.pointee.data[i] & 1 == 1 }
        self.size = width
        self.modules = modules
    }

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Modules left blank around the code, as the standard asks.
    public static let quietZone = 4
}
