import AccueilCore
import Crypto
import Foundation

/// What a badge's QR code says: no name, no e-mail, nothing personal.
///
/// Byte layout (all integers big-endian), then Base45 with the prefix `AC1:` so that the QR code
/// uses alphanumeric mode:
///
/// | bytes | field |
/// |---|---|
/// | 1 | format, `0x01` |
/// | 1 + n | event code: length n (1–16), ASCII |
/// | 1 + m | attendee id: length m (1–64), UTF-8 |
/// | 2 | badge version (1 for the first badge, +1 at each reissue) |
/// | 1 | role code (`Role.code`: E A D S P O T V) |
/// | 2 | signing key id |
/// | 64 | Ed25519 signature over all the bytes above |
public struct BadgePayload: Sendable, Equatable {
    public var event: String
    public var attendeeID: String
    public var version: Int
    public var role: Role
    public var keyID: Int

    public init(event: String, attendeeID: String, version: Int, role: Role, keyID: Int) {
        self.event = event
        self.attendeeID = attendeeID
        self.version = version
        self.role = role
        self.keyID = keyID
    }

    public static let prefix = "AC1:"
    static let format: UInt8 = 1
    /// Longest text a badge QR can hold (longest event and id); anything longer is refused unread.
    public static let maximumTextLength = 300

    /// The signed bytes, before the signature.
    func body() throws(BadgeError) -> [UInt8] {
        let event = Array(event.utf8)
        let id = Array(attendeeID.utf8)
        guard (1...16).contains(event.count), event.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
            throw .invalidInput("the event code must be 1 to 16 printable ASCII characters")
        }
        guard (1...64).contains(id.count) else { throw .invalidInput("the attendee id must be 1 to 64 bytes") }
        guard (1...0xFFFF).contains(version) else { throw .invalidInput("badge version out of range") }
        guard (0...0xFFFF).contains(keyID) else { throw .invalidInput("key id out of range") }
        var bytes: [UInt8] = [Self.format, UInt8(event.count)] + event + [UInt8(id.count)] + id
        bytes += [UInt8(version >> 8), UInt8(version & 0xFF), role.code.asciiValue!]
        bytes += [UInt8(keyID >> 8), UInt8(keyID & 0xFF)]
        return bytes
    }

    /// Signs the payload with `key` and returns the text to put in the QR code.
    public func signed(with key: Curve25519.Signing.PrivateKey) throws(BadgeError) -> String {
        let body = try body()
        let signature: Data
        do { signature = try key.signature(for: body) } catch { throw .invalidInput("signing failed: \(error)") }
        return Self.prefix + Base45.encode(body + Array(signature))
    }

    /// Reads a QR text without checking its signature. Throws `.malformed` with the reason.
    public static func parse(_ text: String) throws(BadgeError) -> (
        payload: BadgePayload, body: [UInt8], signature: [UInt8]
    ) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count <= maximumTextLength else { throw .malformed("too long to be a badge code") }
        guard trimmed.hasPrefix(prefix) else {
            throw .malformed(trimmed.isEmpty ? "empty" : "not an Accueil badge code (it does not start with \(prefix))")
        }
        let bytes: [UInt8]
        do { bytes = try Base45.decode(String(trimmed.dropFirst(prefix.count))) } catch {
            throw .malformed("damaged code (\(error))")
        }
        var reader = ByteReader(bytes)
        guard let format = reader.byte() else { throw .malformed("truncated") }
        guard format == Self.format else { throw .malformed("unknown badge format \(format)") }
        guard let eventLength = reader.byte(), (1...16).contains(eventLength),
            let event = reader.bytes(Int(eventLength)),
            let idLength = reader.byte(), (1...64).contains(idLength), let id = reader.bytes(Int(idLength)),
            let version = reader.uint16(), let roleCode = reader.byte(), let keyID = reader.uint16()
        else { throw .malformed("truncated") }
        let bodyLength = reader.position
        guard let signature = reader.bytes(64) else { throw .malformed("truncated signature") }
        guard reader.isAtEnd else { throw .malformed("unexpected bytes after the signature") }
        guard let eventText = String(validating: event, as: UTF8.self),
            let idText = String(validating: id, as: UTF8.self)
        else { throw .malformed("not text where text is expected") }
        guard let role = Role.allCases.first(where: { $0.code.asciiValue == roleCode }) else {
            throw .malformed("unknown role code")
        }
        guard version >= 1 else { throw .malformed("badge version 0") }
        let payload = BadgePayload(
            event: eventText, attendeeID: idText, version: Int(version), role: role, keyID: Int(keyID))
        return (payload, Array(bytes[0..<bodyLength]), signature)
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { position == bytes.count }
    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }
    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, position + n <= bytes.count else { return nil }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
    mutating func uint16() -> UInt16? {
        guard let hi = byte(), let lo = byte() else { return nil }
        return UInt16(hi) << 8 | UInt16(lo)
    }
}

/// Why a badge code was refused, or a badge could not be made.
public enum BadgeError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case otherEvent(expected: String, found: String)
    case unknownKey(Int)
    case badSignature
    case reissued(presented: Int, current: Int)
    case unknownAttendee(String)
    case invalidInput(String)

    /// A short machine-readable reason: malformed, other_event, unknown_key, bad_signature, reissued…
    public var code: String {
        switch self {
        case .malformed: "malformed"
        case .otherEvent: "other_event"
        case .unknownKey: "unknown_key"
        case .badSignature: "bad_signature"
        case .reissued: "reissued"
        case .unknownAttendee: "unknown_attendee"
        case .invalidInput: "invalid_input"
        }
    }

    public var description: String {
        switch self {
        case .malformed(let why): "malformed: \(why)"
        case .otherEvent(let expected, let found): "other event: this badge is for \"\(found)\", not \"\(expected)\""
        case .unknownKey(let id): "unknown key: signed with key \(id), which this event does not know"
        case .badSignature: "bad signature: the code was altered or forged"
        case .reissued(let presented, let current):
            "reissued: this is badge version \(presented); version \(current) replaced it"
        case .unknownAttendee(let id): "unknown attendee \"\(id)\""
        case .invalidInput(let why): why
        }
    }
}

/// Checks badge codes offline, with public keys only.
public struct BadgeVerifier: Sendable {
    public var event: String
    public var publicKeys: [Int: Curve25519.Signing.PublicKey]

    public init(event: String, publicKeys: [Int: Curve25519.Signing.PublicKey]) {
        self.event = event
        self.publicKeys = publicKeys
    }

    /// The payload of a genuine badge of this event, or why not. `currentVersion` gives the
    /// attendee's latest badge version (nil: not on the roster); pass nil to skip that check.
    public func verify(_ text: String, currentVersion: ((String) -> Int?)? = nil) throws(BadgeError) -> BadgePayload {
        let (payload, body, signature) = try BadgePayload.parse(text)
        guard payload.event == event else { throw .otherEvent(expected: event, found: payload.event) }
        guard let key = publicKeys[payload.keyID] else { throw .unknownKey(payload.keyID) }
        guard key.isValidSignature(signature, for: body) else { throw .badSignature }
        if let currentVersion {
            guard let current = currentVersion(payload.attendeeID) else { throw .unknownAttendee(payload.attendeeID) }
            if payload.version < current { throw .reissued(presented: payload.version, current: current) }
        }
        return payload
    }
}
