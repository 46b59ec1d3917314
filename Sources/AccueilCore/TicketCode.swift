import Foundation

/// The codes registration systems put on the tickets they e-mail (pretix's ticket secret,
/// Eventbrite's barcode number, Indico's check-in QR), read the same way at import and at a scan.
///
/// Codes are credentials: they are turned into keyed digests (`Badges.TicketDigester`) before
/// anything is stored, and never logged or shown.
public enum TicketCode {
    /// The code as compared: surrounding spaces dropped; a UUID (Indico's check-in secret) in
    /// lowercase; an Indico ticket QR reduced to its registration's check-in secret. Nil for an
    /// empty text.
    ///
    /// Indico's QR is JSON, `{"i":[2,"host/path","<base64 of the secret's 16 bytes>"]}` since
    /// Indico 3.3 (a fourth element marks an accompanying person's ticket), and
    /// `{"registrant_id":…,"checkin_secret":"<uuid>",…,"version":1}` before
    /// (`indico/modules/events/registration/util.py`, `get_ticket_qr_code_data`).
    public static func normalised(_ text: String) -> String? {
        let code = text.trimmed
        guard !code.isEmpty else { return nil }
        if code.hasPrefix("{"), let indico = indicoSecret(code) { return indico }
        if let uuid = UUID(uuidString: code) { return uuid.uuidString.lowercased() }
        return code
    }

    /// The codes of one roster cell: several may be listed (a reissued ticket), separated by spaces,
    /// commas, semicolons or bars; an Indico QR text (JSON) is one code.
    public static func codes(inCell cell: String) -> [String] {
        let text = cell.trimmed
        if text.hasPrefix("{") { return normalised(text).map { [$0] } ?? [] }
        var codes: [String] = []
        for part in text.split(whereSeparator: { " ,;|\t".contains($0) }) {
            if let code = normalised(String(part)), !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// The check-in secret an Indico ticket QR carries; for an accompanying person's ticket, the
    /// secret followed by "/" and the person's id (no roster row carries it: such a ticket is unknown).
    static func indicoSecret(_ json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return nil
        }
        if let compact = object["i"] as? [Any], compact.count >= 3, let secret = compact[2] as? String,
            let uuid = uuid(base64: secret)
        {
            if compact.count >= 4, let person = compact[3] as? String {
                return uuid + "/" + (self.uuid(base64: person) ?? person)
            }
            return uuid
        }
        if let secret = object["checkin_secret"] as? String, let uuid = UUID(uuidString: secret.trimmed) {
            return uuid.uuidString.lowercased()
        }
        return nil
    }

    static func uuid(base64: String) -> String? {
        guard let bytes = Data(base64Encoded: base64), bytes.count == 16 else { return nil }
        let b = Array(bytes)
        let uuid = UUID(
            uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
        )
        return uuid.uuidString.lowercased()
    }
}
