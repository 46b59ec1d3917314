/// Text from outside (a login name, an attendee id, a kiosk's name) made safe to log: a newline or
/// an escape sequence in it cannot forge a log line or recolour a terminal.
public enum LogText {
    /// `text` with control characters (C0, DEL, C1), line and paragraph separators, bidirectional
    /// controls and zero-width characters written as `\u{…}` (and `\` as `\\`), cut after `limit`
    /// characters with an ellipsis.
    public static func escaped(_ text: some StringProtocol, limit: Int = 200) -> String {
        // The usual case (ids, names in ASCII): printable ASCII without `\`, within the limit.
        let utf8 = text.utf8
        if utf8.count <= limit, utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) {
            return String(text)
        }
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            if scalar == "\\" {
                out += "\\\\"
            } else if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `text` holds a character `escaped` would rewrite (other than `\`).
    public static func needsEscaping(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains(where: isUnsafe)
    }

    /// Unicode's control characters (general category Cc: C0, DEL and C1), without the property tables.
    @inline(__always)
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Control characters, separators that end a line, and invisible characters that reorder or
    /// hide text.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        if isControl(scalar) { return true }
        return switch scalar.value {
        case 0x2028, 0x2029: true
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0x061C, 0xFEFF: true
        default: false
        }
    }
}
