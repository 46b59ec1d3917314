import Foundation

/// JSON written straight into bytes, for what is written many times a second: the answers a door
/// asks for (a check-in's, a search's) and the event log's attendee payloads. Foundation's
/// `JSONEncoder` goes through `Encodable`'s generic containers: encoding one check-in's answer
/// took 7 % of the kiosk daemon's CPU under load (bench kiosk-api). A type that is ``JSONWritable`` writes the same JSON members as its
/// `Encodable` conformance, in the same order; tests hold the two to the same JSON value.
///
/// Strings are escaped as RFC 8259 asks (`"`, `\` and the control characters below U+0020);
/// everything else, Unicode included, is written as UTF-8.
public struct JSONOut: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next member or element needs a comma before it.
    private var afterValue = false

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// What was written, as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        afterValue = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        afterValue = true
    }

    /// A member's name; its value follows.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        afterValue = false
    }

    public mutating func string(_ text: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        afterValue = true
    }

    public mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        afterValue = true
    }

    /// `"name": value` members. The optional forms write nothing for nil, as `encodeIfPresent`.
    public mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func member(_ name: StaticString, _ value: String?) {
        if let value { member(name, value) }
    }

    public mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        int(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int?) {
        if let value { member(name, value) }
    }

    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    public mutating func member(_ name: StaticString, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    public mutating func member(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        value.write(to: &self)
    }

    public mutating func member(_ name: StaticString, _ values: [some JSONWritable]) {
        key(name)
        beginArray()
        for value in values { value.write(to: &self) }
        endArray()
    }

    private mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }
}

/// A value that writes its JSON into a ``JSONOut`` itself, the same JSON as its `Encodable`
/// conformance gives.
public protocol JSONWritable: Encodable {
    func write(to json: inout JSONOut)
}

extension Date {
    /// `2026-05-12T08:30:00Z`: what `formatted(.iso8601)` gives (UTC, whole seconds), without
    /// the format style's machinery.
    public var iso8601: String {
        var seconds = time_t(floor(timeIntervalSince1970))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return formatted(.iso8601) }
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = parts.tm_year + 1900
        guard (1000...9999).contains(year) else { return formatted(.iso8601) }
        return
            "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
