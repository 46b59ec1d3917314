/// Base45 (RFC 9285): bytes as characters of the QR code's alphanumeric set, so that a QR code can
/// use its compact alphanumeric mode.
public enum Base45 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 2 + 2)
        var i = 0
        while i + 1 < bytes.count {
            var n = Int(bytes[i]) * 256 + Int(bytes[i + 1])
            for _ in 0..<3 {
                out.append(alphabet[n % 45])
                n /= 45
            }
            i += 2
        }
        if i < bytes.count {
            var n = Int(bytes[i])
            for _ in 0..<2 {
                out.append(alphabet[n % 45])
                n /= 45
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public enum DecodingError: Error, Equatable {
        case invalidCharacter(Character)
        case invalidLength
        case overflow
    }

    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 3 != 1 else { throw .invalidLength }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 2 / 3)
        var i = 0
        while i < chars.count {
            let group = min(3, chars.count - i)
            var n = 0
            var factor = 1
            for j in 0..<group {
                let v = values[Int(chars[i + j])]
                guard v >= 0 else { throw .invalidCharacter(Character(Unicode.Scalar(chars[i + j]))) }
                n += Int(v) * factor
                factor *= 45
            }
            if group == 3 {
                guard n <= 0xFFFF else { throw .overflow }
                out.append(UInt8(n >> 8))
                out.append(UInt8(n & 0xFF))
            } else {
                guard n <= 0xFF else { throw .overflow }
                out.append(UInt8(n))
            }
            i += group
        }
        return out
    }
}
