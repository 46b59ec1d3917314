import Foundation

/// An e-mail address and the name shown with it.
public struct MailAddress: Sendable, Equatable {
    public var name: String
    public var address: String

    public init(name: String = "", address: String) {
        self.name = name
        self.address = address
    }

    /// Reads "Name <address>" or a bare address, as written in a configuration.
    public init(parsing text: String) throws(MailError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            name = String(trimmed[..<open]).trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            name = ""
            address = trimmed
        }
        if let reason = Self.problem(address) { throw .badSender("\(text): \(reason)") }
    }

    /// Why `address` cannot be mailed, or nil when it can: one local part and one domain of
    /// letters, digits and hyphens with a dot, in ASCII (RFC 5321's dot-atom form).
    public static func problem(_ address: String) -> String? {
        if address.isEmpty { return "no e-mail address" }
        if address.contains(where: { $0 == " " || $0 == "\t" }) { return "an e-mail address has no spaces" }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return parts.count == 1 ? "no @ in the address" : "more than one @ in the address"
        }
        let (local, domain) = (parts[0], parts[1])
        if local.isEmpty { return "nothing before the @" }
        if domain.isEmpty { return "no domain after the @" }
        if !address.allSatisfy(\.isASCII) {
            return "not in ASCII: write an internationalised domain in its xn-- form"
        }
        if local.utf8.count > 64 { return "the part before the @ is longer than 64 characters" }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
        if let bad = local.first(where: { !atext.contains($0) }) { return "\"\(bad)\" cannot be in an address" }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            return "misplaced dot before the @"
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return "the domain \"\(domain)\" has no dot" }
        for label in labels {
            if label.isEmpty { return "misplaced dot in the domain" }
            if label.count > 63 { return "a part of the domain is longer than 63 characters" }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "a part of the domain starts or ends with -" }
            if let bad = label.first(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
                return "\"\(bad)\" cannot be in a domain"
            }
        }
        return nil
    }

    /// The header form: `"Name" <address>`, the name in an encoded word when not ASCII.
    var header: String {
        guard !name.isEmpty else { return address }
        return "\(MailMessage.phrase(name)) <\(address)>"
    }
}

public enum MailError: Error, Sendable, Equatable, CustomStringConvertible {
    case badSender(String)
    /// The mail server refused this recipient or message: not worth trying again as is.
    case refused(String)
    /// The mail server could not take it now (down, full, a temporary failure): try again later.
    case temporary(String)

    public var description: String {
        switch self {
        case .badSender(let text): "the sender address is not usable: \(text)"
        case .refused(let text): text
        case .temporary(let text): text
        }
    }
}

/// A MIME message: a text and an HTML version of the same letter, images the HTML shows inline,
/// and attachments (RFC 2045–2047, 2183, 2387).
///
/// Layout: multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html,
/// images ] ], attachments ]: a text-only reader sees the text; the others see the HTML with its
/// images, and everyone gets the attachments.
public struct MailMessage: Sendable {
    public struct Part: Sendable {
        public var contentType: String
        public var fileName: String
        /// For an inline image: the id the HTML names as `cid:…`.
        public var contentID: String?
        public var data: Data

        public init(contentType: String, fileName: String, contentID: String? = nil, data: Data) {
            self.contentType = contentType
            self.fileName = fileName
            self.contentID = contentID
            self.data = data
        }
    }

    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: MailAddress?
    public var subject: String
    /// Without angle brackets.
    public var messageID: String
    public var date: Date
    public var language: String
    public var text: String
    public var html: String
    public var inline: [Part]
    public var attachments: [Part]
    /// Extra headers (name, value), e.g. the attendee's id for the organisers' records.
    public var headers: [(String, String)]

    public init(
        from: MailAddress, to: MailAddress, replyTo: MailAddress? = nil, subject: String, messageID: String,
        date: Date = Date(), language: String, text: String, html: String, inline: [Part] = [],
        attachments: [Part] = [], headers: [(String, String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.language = language
        self.text = text
        self.html = html
        self.inline = inline
        self.attachments = attachments
        self.headers = headers
    }

    /// The message as sent, lines ending in LF (sendmail's input) or CRLF (SMTP's).
    public func rendered(crlf: Bool = false) -> Data {
        let seed = messageID.utf8.reduce(UInt64(1_469_598_103_934_665_603)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let base = "=_accueil_\(String(seed, radix: 36))"
        let (mixed, alternative, related) = (base + "_m", base + "_a", base + "_r")
        var lines: [String] = []
        func header(_ name: String, _ value: String) { lines.append("\(name): \(value)") }
        header("From", from.header)
        header("To", to.header)
        if let replyTo { header("Reply-To", replyTo.header) }
        header("Subject", Self.phrase(subject, bare: true))
        header("Date", Self.rfc5322Date(date))
        header("Message-ID", "<\(messageID)>")
        header("Content-Language", language)
        header("MIME-Version", "1.0")
        header("Auto-Submitted", "auto-generated")
        for (name, value) in headers { header(name, Self.phrase(value, bare: true)) }
        header("Content-Type", "multipart/mixed; boundary=\"\(mixed)\"")
        lines.append("")
        lines.append("This is a message in MIME format.")
        lines.append("--\(mixed)")
        header("Content-Type", "multipart/alternative; boundary=\"\(alternative)\"")
        lines.append("")
        lines.append("--\(alternative)")
        Self.body(&lines, type: "text/plain; charset=utf-8", disposition: nil, data: Data(text.utf8))
        lines.append("--\(alternative)")
        header("Content-Type", "multipart/related; boundary=\"\(related)\"; type=\"text/html\"")
        lines.append("")
        lines.append("--\(related)")
        Self.body(&lines, type: "text/html; charset=utf-8", disposition: nil, data: Data(html.utf8))
        for part in inline {
            lines.append("--\(related)")
            if let id = part.contentID { header("Content-ID", "<\(id)>") }
            Self.body(
                &lines, type: "\(part.contentType); name=\"\(part.fileName)\"",
                disposition: "inline; filename=\"\(part.fileName)\"", data: part.data)
        }
        lines.append("--\(related)--")
        lines.append("--\(alternative)--")
        for part in attachments {
            lines.append("--\(mixed)")
            Self.body(
                &lines, type: "\(part.contentType); name=\"\(part.fileName)\"",
                disposition: "attachment; filename=\"\(part.fileName)\"", data: part.data)
        }
        lines.append("--\(mixed)--")
        lines.append("")
        let text = lines.joined(separator: "\n")
        return Data((crlf ? text.replacingOccurrences(of: "\n", with: "\r\n") : text).utf8)
    }

    private static func body(_ lines: inout [String], type: String, disposition: String?, data: Data) {
        lines.append("Content-Type: \(type)")
        if let disposition { lines.append("Content-Disposition: \(disposition)") }
        lines.append("Content-Transfer-Encoding: base64")
        lines.append("")
        lines.append(data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]))
    }

    /// A header's words: ASCII as is (quoted if it holds specials, unless `bare`), anything else as
    /// RFC 2047 encoded words of whole characters, folded so no line runs past 78 characters.
    static func phrase(_ text: String, bare: Bool = false) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.allSatisfy({ $0.isASCII }) && clean.utf8.count <= 60 {
            if bare { return clean }
            let specials = Set("()<>[]:;@\\,.\"")
            guard clean.contains(where: { specials.contains($0) }) else { return clean }
            return "\""
                + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        var words: [String] = []
        var chunk = ""
        for character in clean {
            if chunk.utf8.count + String(character).utf8.count > 42 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
