/// A small JSON writer for the event log's hottest payload (`attendee.upserted`): Foundation's
/// `JSONEncoder` costs more than the SQLite insert it feeds. Output is plain JSON that
/// `JSONDecoder` reads back (see `EventCodec`).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init() { bytes.reserveCapacity(512) }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    private mutating func key(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    mutating func field(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension Attendee {
    /// This attendee as JSON, with the same keys as its `Codable` form.
    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("country", country)
        w.field("delegation", delegation)
        w.field("email", email)
        w.field("first_name", firstName)
        w.field("id", id)
        w.field("language", language)
        w.field("last_name", lastName)
        w.field("native_name", nativeName)
        w.field("notes", notes)
        w.field("organisation", organisation)
        if pending { w.field("pending", pending) }
        w.field("role", role.rawValue)
        w.field("sessions", sessions)
        if !tickets.isEmpty { w.field("tickets", tickets) }
        w.field("title", title)
        w.field("vip", vip)
        w.field("walk_in", walkIn)
        w.endObject()
        return w.string
    }
}
