import Foundation

/// A word of folded text, as the search index stores it.
public struct FoldedToken: Sendable, Hashable {
    /// UTF-8 bytes of the folded word.
    public var bytes: [UInt8]
    /// Written in a script without spaces between words (Han, kana, Hangul, Thai…): the index
    /// matches any part of it, not only its beginning.
    public var isUnsegmented: Bool

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Folds text for matching: lowercase, accents and other combining marks removed, compatibility
/// forms unified (ﬁ → fi, full-width → ASCII), ligatures spelled out (œ → oe, ß → ss), Arabic
/// letter variants unified (أ إ آ → ا, ى → ي, ة → ه), katakana folded onto hiragana, final sigma
/// onto sigma. Query and index go through the same folding, so "helene" finds "Hélène" and
/// "oeuvre" finds "Œuvre".
public struct TextFolding: Sendable {
    public static let shared = TextFolding()

    private static let separator: UInt32 = 0xFFFF_FFFF
    private static let drop: UInt32 = 0xFFFF_FFFE
    private static let joiner: UInt32 = 0xFFFF_FFFD
    private static let multiFlag: UInt32 = 0x8000_0000
    private static let tableSize = 0x3100

    /// Per scalar below `tableSize`: a code above, a single replacement scalar, or an index into `multi`.
    private let table: [UInt32]
    private let multi: [[UInt8]]

    private init() {
        var table = [UInt32](repeating: TextFolding.separator, count: TextFolding.tableSize)
        var multi: [[UInt8]] = []
        for value in 0..<UInt32(TextFolding.tableSize) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let code = TextFolding.classify(scalar)
            switch code {
            case .separator: table[Int(value)] = TextFolding.separator
            case .joiner: table[Int(value)] = TextFolding.joiner
            case .drop: table[Int(value)] = TextFolding.drop
            case .replace(let scalars):
                if scalars.count == 1 {
                    table[Int(value)] = scalars[0].value
                } else {
                    var bytes: [UInt8] = []
                    for s in scalars { TextFolding.appendUTF8(s.value, to: &bytes) }
                    table[Int(value)] = TextFolding.multiFlag | UInt32(multi.count)
                    multi.append(bytes)
                }
            }
        }
        self.table = table
        self.multi = multi
    }

    private enum Class {
        case separator, joiner, drop
        case replace([Unicode.Scalar])
    }

    private static let special: [Unicode.Scalar: String] = [
        "œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i",
        "þ": "th", "ħ": "h", "ŧ": "t", "ƒ": "f", "ς": "σ",
        // Arabic and Persian letter variants that people type interchangeably.
        "\u{0649}": "\u{064A}", "\u{0629}": "\u{0647}", "\u{06CC}": "\u{064A}", "\u{06A9}": "\u{0643}",
        "\u{0671}": "\u{0627}",
    ]

    private static func classify(_ scalar: Unicode.Scalar) -> Class {
        let props = scalar.properties
        // Hyphens and apostrophes join the parts of one name ("Jean-Pierre", "O'Brien", "N’Diaye").
        if ["-", "'", "\u{2019}", "\u{02BC}", "\u{2010}", "\u{2011}", "\u{00AD}"].contains(scalar) {
            return scalar == "\u{00AD}" ? .drop : .joiner
        }
        // Tatweel stretches Arabic words; it is not a letter.
        if scalar == "\u{0640}" { return .drop }
        switch props.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return .drop
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spacingMark, .decimalNumber, .letterNumber, .otherNumber:
            break
        default: return .separator
        }
        // Katakana → hiragana, so either kana finds the other.
        if (0x30A1...0x30F6).contains(scalar.value) {
            return .replace([Unicode.Scalar(scalar.value - 0x60)!])
        }
        // Arabic-Indic and Persian digits → ASCII digits.
        if (0x0660...0x0669).contains(scalar.value) {
            return .replace([Unicode.Scalar(scalar.value - 0x0660 + 0x30)!])
        }
        if (0x06F0...0x06F9).contains(scalar.value) {
            return .replace([Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!])
        }
        let decomposed = String(scalar).decomposedStringWithCompatibilityMapping.lowercased()
        var out: [Unicode.Scalar] = []
        for s in decomposed.unicodeScalars {
            let category = s.properties.generalCategory
            if category == .nonspacingMark || category == .enclosingMark || category == .format { continue }
            if let replacement = special[s] {
                out.append(contentsOf: replacement.unicodeScalars)
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                out.append(s)
            }
        }
        return out.isEmpty ? .drop : .replace(out)
    }

    @inline(__always)
    static func appendUTF8(_ value: UInt32, to bytes: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            bytes.append(UInt8(value))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (value >> 6)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (value >> 12)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (value >> 18)))
            bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    /// Scripts written without spaces between words: the index matches inside their runs.
    @inline(__always)
    static func isUnsegmented(_ value: UInt32) -> Bool {
        switch value {
        case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF,  // Thai, Lao, Myanmar, Khmer
            0x3040...0x30FF, 0x31F0...0x31FF,  // kana
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3FFFF,  // Han
            0xAC00...0xD7AF, 0x1100...0x11FF, 0x3130...0x318F:  // Hangul
            return true
        default:
            return false
        }
    }

    private enum Step {
        case separator, joiner, drop
        case bytes(UInt32)
        case multi(Int)
        case string([UInt8])
    }

    @inline(__always)
    private func step(_ value: UInt32) -> Step {
        if value < 0x80 {
            // ASCII fast path.
            switch value {
            case 0x41...0x5A: return .bytes(value + 0x20)
            case 0x61...0x7A, 0x30...0x39: return .bytes(value)
            case 0x27, 0x2D: return .joiner
            default: return .separator
            }
        }
        if value < UInt32(TextFolding.tableSize) {
            let code = table[Int(value)]
            switch code {
            case TextFolding.separator: return .separator
            case TextFolding.joiner: return .joiner
            case TextFolding.drop: return .drop
            default:
                return code & TextFolding.multiFlag != 0
                    ? .multi(Int(code & ~TextFolding.multiFlag)) : .bytes(code)
            }
        }
        guard let scalar = Unicode.Scalar(value) else { return .separator }
        if (0xFB00...0xFB4F).contains(value) || (0xFF00...0xFFEF).contains(value) {
            // Ligatures, full-width and half-width forms: fold their compatibility decomposition.
            let folded = fold(String(scalar).decomposedStringWithCompatibilityMapping)
            return folded.isEmpty || folded.contains(" ") ? .separator : .string(Array(folded.utf8))
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return .drop
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spacingMark, .decimalNumber, .letterNumber, .otherNumber:
            return .bytes(value)
        default:
            return .separator
        }
    }

    /// Splits `text` into folded words. Parts joined by a hyphen or an apostrophe are words of
    /// their own, and are also given joined ("Jean-Pierre" → "jean", "pierre", "jeanpierre").
    /// A run in a script without spaces becomes a word of its own, marked `isUnsegmented`.
    public func tokens(_ text: String, compounds: Bool = true) -> [FoldedToken] {
        var out: [FoldedToken] = []
        tokens(text, compounds: compounds, into: &out)
        return out
    }

    public func tokens(_ text: String, compounds: Bool = true, into out: inout [FoldedToken]) {
        var scratch = TokenScratch()
        forEachToken(text, compounds: compounds, scratch: &scratch) { bytes, unsegmented in
            out.append(FoldedToken(bytes: bytes, isUnsegmented: unsegmented))
        }
    }

    /// Reusable buffers for `forEachToken`, so that indexing many texts allocates once.
    public struct TokenScratch {
        var current: [UInt8] = []
        var compound: [UInt8] = []
        public init() {}
    }

    /// Calls `body` with each folded word of `text` (its UTF-8 bytes, and whether it is in a script
    /// without spaces). The bytes are only valid during the call.
    public func forEachToken(
        _ text: String, compounds: Bool = true, scratch: inout TokenScratch, _ body: ([UInt8], Bool) -> Void
    ) {
        scratch.current.removeAll(keepingCapacity: true)
        scratch.compound.removeAll(keepingCapacity: true)
        var currentUnsegmented = false
        var compoundParts = 0

        func endWord() {
            guard !scratch.current.isEmpty else { return }
            body(scratch.current, currentUnsegmented)
            if !currentUnsegmented {
                scratch.compound.append(contentsOf: scratch.current)
                compoundParts += 1
            }
            scratch.current.removeAll(keepingCapacity: true)
            currentUnsegmented = false
        }
        func endCompound() {
            if compounds && compoundParts > 1 { body(scratch.compound, false) }
            scratch.compound.removeAll(keepingCapacity: true)
            compoundParts = 0
        }
        func append(_ unsegmented: Bool) {
            if !scratch.current.isEmpty && unsegmented != currentUnsegmented {
                endWord()
                endCompound()
            }
            currentUnsegmented = unsegmented
        }

        for scalar in text.unicodeScalars {
            switch step(scalar.value) {
            case .separator:
                endWord()
                endCompound()
            case .joiner:
                endWord()
            case .drop:
                continue
            case .bytes(let folded):
                append(TextFolding.isUnsegmented(folded))
                TextFolding.appendUTF8(folded, to: &scratch.current)
            case .multi(let index):
                append(false)
                scratch.current.append(contentsOf: multi[index])
            case .string(let bytes):
                let first = String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value ?? 0
                append(TextFolding.isUnsegmented(first))
                scratch.current.append(contentsOf: bytes)
            }
        }
        endWord()
        endCompound()
    }

    /// The folded form of `text`, words separated by one space ("  Élue, Locale " → "elue locale").
    public func fold(_ text: String) -> String {
        var bytes: [UInt8] = []
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            switch step(scalar.value) {
            case .separator, .joiner:
                pendingSpace = !bytes.isEmpty
            case .drop:
                continue
            case .bytes(let folded):
                if pendingSpace {
                    bytes.append(0x20)
                    pendingSpace = false
                }
                TextFolding.appendUTF8(folded, to: &bytes)
            case .multi(let index):
                if pendingSpace {
                    bytes.append(0x20)
                    pendingSpace = false
                }
                bytes.append(contentsOf: multi[index])
            case .string(let folded):
                if pendingSpace {
                    bytes.append(0x20)
                    pendingSpace = false
                }
                bytes.append(contentsOf: folded)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
