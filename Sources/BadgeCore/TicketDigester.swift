import AccueilCore
import Crypto
import Foundation

/// Turns registration ticket codes into what stores keep: HMAC-SHA256 under the event's ticket key
/// (``Keyring/ticketKey``), the first 16 bytes in hex. Without the key a digest gives neither the
/// code nor a way to test guesses (Eventbrite's barcodes are short numbers).
public struct TicketDigester: Sendable {
    private let key: SymmetricKey

    public init(key: Data) { self.key = SymmetricKey(data: key) }

    /// The digest of a code already normalised (``TicketCode/normalised(_:)``).
    public func digest(normalised code: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(code.utf8), using: key)
        var hex = ""
        hex.reserveCapacity(32)
        for byte in mac.prefix(16) {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0xF)])
        }
        return hex
    }

    /// The digest of what a scanner typed, or nil when it is no code at all (empty).
    public func digest(scanned text: String) -> String? {
        TicketCode.normalised(text).map { digest(normalised: $0) }
    }

    private static let hexDigits = Array("0123456789abcdef")
}
