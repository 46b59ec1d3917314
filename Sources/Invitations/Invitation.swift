import AccueilCore
import BadgeCore
import Badges
import Foundation

/// What every invitation of an event shares: its name, dates, venue and sender.
public struct InvitationEvent: Sendable {
    public var name: String
    /// The first and last day (a one-day event has the same twice).
    public var firstDay: DateComponents?
    public var lastDay: DateComponents?
    public var venue: String
    public var from: MailAddress
    public var replyTo: MailAddress?

    public init(
        name: String, firstDay: DateComponents? = nil, lastDay: DateComponents? = nil, venue: String = "",
        from: MailAddress, replyTo: MailAddress? = nil
    ) {
        self.name = name
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.venue = venue
        self.from = from
        self.replyTo = replyTo
    }

    /// Reads "2027-06-03" or "2027-06-03..2027-06-04".
    public static func days(_ text: String) -> (DateComponents, DateComponents)? {
        let parts = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count) else { return nil }
        let days = parts.compactMap { part -> DateComponents? in
            let numbers = part.split(separator: "-").compactMap { Int($0) }
            guard numbers.count == 3, (1...12).contains(numbers[1]), (1...31).contains(numbers[2]) else { return nil }
            return DateComponents(year: numbers[0], month: numbers[1], day: numbers[2])
        }
        guard days.count == parts.count else { return nil }
        return (days[0], days[days.count - 1])
    }

    /// The dates as the language writes them: "3–4 juin 2027", "June 3–4, 2027".
    public func dates(in language: EBadge.Language) -> String {
        guard let first = firstDay, let last = lastDay, let y1 = first.year, let m1 = first.month, let d1 = first.day,
            let y2 = last.year, let m2 = last.month, let d2 = last.day
        else { return "" }
        let frMonths = [
            "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre",
        ]
        let enMonths = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        let same = (y1, m1, d1) == (y2, m2, d2)
        switch language {
        case .fr:
            let firstDay = d1 == 1 ? "1er" : "\(d1)"
            if same { return "\(firstDay) \(frMonths[m1 - 1]) \(y1)" }
            if y1 == y2 && m1 == m2 { return "\(firstDay)–\(d2) \(frMonths[m1 - 1]) \(y1)" }
            if y1 == y2 { return "\(firstDay) \(frMonths[m1 - 1]) – \(d2) \(frMonths[m2 - 1]) \(y1)" }
            return "\(firstDay) \(frMonths[m1 - 1]) \(y1) – \(d2) \(frMonths[m2 - 1]) \(y2)"
        case .en:
            if same { return "\(enMonths[m1 - 1]) \(d1), \(y1)" }
            if y1 == y2 && m1 == m2 { return "\(enMonths[m1 - 1]) \(d1)–\(d2), \(y1)" }
            if y1 == y2 { return "\(enMonths[m1 - 1]) \(d1) – \(enMonths[m2 - 1]) \(d2), \(y1)" }
            return "\(enMonths[m1 - 1]) \(d1), \(y1) – \(enMonths[m2 - 1]) \(d2), \(y2)"
        }
    }
}

/// One attendee's invitation: their signed badge code as a QR image and an e-badge PDF, and the
/// letter around them in their language.
public struct Invitation: Sendable {
    public var attendee: Attendee
    public var badgeVersion: Int
    public var qrText: String
    public var language: EBadge.Language

    public init(attendee: Attendee, badgeVersion: Int, qrText: String) {
        self.attendee = attendee
        self.badgeVersion = badgeVersion
        self.qrText = qrText
        self.language = Self.language(of: attendee)
    }

    /// French for those who registered in French, English for those who registered in English;
    /// for anyone else (another language, or none), French when they come from a French-speaking
    /// country (an Arabic speaker from Morocco reads French more often than English), else English.
    public static func language(of attendee: Attendee) -> EBadge.Language {
        let said = attendee.language.lowercased().trimmingCharacters(in: .whitespaces)
        if said.hasPrefix("fr") || said == "français" || said == "francais" || said == "french" { return .fr }
        if said.hasPrefix("en") || said == "anglais" || said == "english" { return .en }
        let francophone: Set<String> = [
            "FR", "BE", "LU", "MC", "CH", "SN", "CI", "ML", "BF", "NE", "TG", "BJ", "GN", "CM", "GA", "CG", "CD", "CF",
            "TD", "MG", "DJ", "KM", "HT", "MA", "DZ", "TN", "BI", "RW", "MU", "SC", "VU", "",
        ]
        return francophone.contains(attendee.country) ? .fr : .en
    }

    /// A file name for this attendee's files: the id, with anything but letters, digits, `-`, `_`
    /// and `.` replaced (ids come from registration systems).
    public static func fileStem(_ id: String) -> String {
        let safe = String(
            id.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            })
        return safe.hasPrefix(".") ? "_" + safe : safe
    }

    public func eBadge(for event: InvitationEvent) -> EBadge {
        EBadge(
            attendee: attendee, eventName: event.name, dates: event.dates(in: language), venue: event.venue,
            qrText: qrText, language: language, replacesEarlier: badgeVersion > 1)
    }

    public var displayName: String {
        let name = [attendee.firstName, attendee.lastName].filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? attendee.nativeName : name
    }

    /// The letter: subject, text and HTML in the attendee's language.
    public func letter(for event: InvitationEvent) -> (subject: String, text: String, html: String) {
        let dates = event.dates(in: language)
        let when = [dates, event.venue].filter { !$0.isEmpty }.joined(separator: " — ")
        let reissued = badgeVersion > 1
        let name = displayName
        let s:
            (
                subject: String, hello: String, confirmed: String, how: String, doors: String, role: String,
                number: String, replaced: String, pdf: String, bye: String
            )
        switch language {
        case .fr:
            s = (
                reissued ? "Votre nouveau badge — \(event.name)" : "Votre badge — \(event.name)",
                name.isEmpty ? "Bonjour," : "Bonjour \(name),",
                "Votre inscription à « \(event.name) » est confirmée.",
                "À votre arrivée, présentez le code QR ci-dessous (sur votre téléphone ou imprimé) à une borne d'accueil libre-service ou à l'accueil : votre badge est imprimé sur place.",
                "Le même code ouvre les portes des sessions.",
                "Rôle", "Numéro",
                "Ce code remplace celui que vous avez reçu auparavant, qui n'est plus valable.",
                "Votre badge est aussi joint en PDF.",
                "À bientôt,\nL'équipe d'accueil"
            )
        case .en:
            s = (
                reissued ? "Your new badge — \(event.name)" : "Your badge — \(event.name)",
                name.isEmpty ? "Hello," : "Dear \(name),",
                "Your registration for \"\(event.name)\" is confirmed.",
                "When you arrive, show the QR code below (on your phone or printed) at a self-service station or at the welcome desk: your badge is printed on the spot.",
                "The same code opens the session doors.",
                "Role", "Number",
                "This code replaces the one you received before, which no longer works.",
                "Your badge is also attached as a PDF.",
                "See you soon,\nThe welcome team"
            )
        }
        let role = language == .fr ? attendee.role.labelFR : attendee.role.labelEN
        var text = "\(s.hello)\n\n\(s.confirmed)\n"
        if !when.isEmpty { text += "\(when)\n" }
        text += "\n\(s.how)\n\(s.doors)\n\n"
        if reissued { text += "\(s.replaced)\n\n" }
        text += "\(s.role) : \(role)\n\(s.number) : \(attendee.id)\n\n\(s.pdf)\n\n\(s.bye)\n"
        if language == .en { text = text.replacingOccurrences(of: " : ", with: ": ") }
        func e(_ text: String) -> String { Self.escape(text) }
        let colon = language == .fr ? " :" : ":"
        let html = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8"><title>\(e(s.subject))</title></head>
            <body style="font-family: sans-serif; color: #1c1c1a; max-width: 36em">
            <p>\(e(s.hello))</p>
            <p>\(e(s.confirmed))\(when.isEmpty ? "" : "<br><strong>\(e(when))</strong>")</p>
            <p>\(e(s.how))<br>\(e(s.doors))</p>
            \(reissued ? "<p><strong>\(e(s.replaced))</strong></p>" : "")
            <p style="text-align: center"><img src="cid:\(qrContentID)" alt="QR \(e(attendee.id))" width="240" height="240"></p>
            <p>\(e(s.role))\(colon) <strong>\(e(role))</strong><br>\(e(s.number))\(colon) \(e(attendee.id))</p>
            <p>\(e(s.pdf))</p>
            <p>\(e(s.bye).replacingOccurrences(of: "\n", with: "<br>"))</p>
            </body></html>

            """
        return (s.subject, text, html)
    }

    var qrContentID: String { "qr.\(Self.fileStem(attendee.id)).v\(badgeVersion)@accueil" }

    /// The whole e-mail; `pdf` is the e-badge's bytes.
    public func message(
        for event: InvitationEvent, to address: String, messageID: String, qrPNG: Data, pdf: Data, date: Date = Date()
    ) -> MailMessage {
        let (subject, text, html) = letter(for: event)
        let stem = Self.fileStem(attendee.id)
        return MailMessage(
            from: event.from, to: MailAddress(name: displayName, address: address), replyTo: event.replyTo,
            subject: subject, messageID: messageID, date: date, language: language.rawValue, text: text, html: html,
            inline: [
                MailMessage.Part(
                    contentType: "image/png", fileName: "qr-\(stem).png", contentID: qrContentID, data: qrPNG)
            ],
            attachments: [MailMessage.Part(contentType: "application/pdf", fileName: "badge-\(stem).pdf", data: pdf)],
            headers: [("X-Accueil-Attendee", attendee.id), ("X-Accueil-Badge-Version", String(badgeVersion))])
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
