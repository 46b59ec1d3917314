// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The Encodable types here are JSON that scripts read: their property names are the wire's snake_case keys.)
import Foundation

/// Turns event bodies into the JSON payloads stored in the log and sent over the wire, and back.
public enum EventCodec {
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var type: String
        public var message: String
        public var description: String { "event \(type): \(message)" }
    }

    private struct Refused: Codable {
        var previous_kiosk: String
        var previous_at: Double
    }

    private struct PrintRequested: Codable {
        var job: UUID
        var reason: String?
    }

    private struct Reissued: Codable {
        var reason: String
    }

    private struct Undone: Codable {
        var checkin: UUID
        var reason: String
    }

    private struct Entered: Codable {
        var session: String
        var override: String?
    }

    private struct Exited: Codable {
        var session: String
    }

    private struct SessionRefused: Codable {
        var session: String
        var reason: ScanRefusal
    }

    /// One decoder for every payload (making one per event costs more than the decoding).
    private static let decoder = JSONDecoder()

    /// The JSON payload of `body`, or nil for events that carry none.
    public static func payload(_ body: Event.Body) -> String? {
        func encode<T: Encodable>(_ value: T) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding these plain structs cannot fail.
            return String(decoding: try! encoder.encode(value), as: UTF8.self)
        }
        switch body {
        case .attendeeUpserted(let attendee): return attendee.json
        case .attendeeRemoved, .checkedIn: return nil
        case .badgePrintRequested(let job, nil):
            // A door's badge at check-in, in the committer's transaction: written as the encoder
            // writes it (the same bytes: `EventFoldTests`) without making one, which cost 4% of
            // the committer's CPU under load.
            return #"{"job":""# + job.text + #""}"#
        case .checkInRefused(let kiosk, let at):
            return encode(Refused(previous_kiosk: kiosk, previous_at: at.timeIntervalSince1970))
        case .checkInUndone(let checkIn, let reason): return encode(Undone(checkin: checkIn, reason: reason))
        case .badgeReissued(let reason): return encode(Reissued(reason: reason))
        case .badgePrintRequested(let job, let reason): return encode(PrintRequested(job: job, reason: reason))
        case .sessionScheduled(let session): return encode(session)
        case .sessionEntered(let session, let override): return encode(Entered(session: session, override: override))
        case .sessionExited(let session): return encode(Exited(session: session))
        case .sessionRefused(let session, let reason): return encode(SessionRefused(session: session, reason: reason))
        }
    }

    public static func body(type: String, payload: String?) throws(DecodingError) -> Event.Body {
        let decoder = Self.decoder
        func decode<T: Decodable>(_: T.Type) throws(DecodingError) -> T {
            guard let payload else { throw DecodingError(type: type, message: "missing payload") }
            do {
                return try decoder.decode(T.self, from: Data(payload.utf8))
            } catch {
                throw DecodingError(type: type, message: "bad payload: \(error)")
            }
        }
        switch type {
        case "attendee.upserted": return .attendeeUpserted(try decode(Attendee.self))
        case "attendee.removed": return .attendeeRemoved
        case "checkin": return .checkedIn
        case "checkin.refused":
            let r = try decode(Refused.self)
            return .checkInRefused(
                previousKiosk: r.previous_kiosk, previousAt: Date(timeIntervalSince1970: r.previous_at))
        case "checkin.undone":
            let u = try decode(Undone.self)
            return .checkInUndone(checkIn: u.checkin, reason: u.reason)
        case "badge.reissued": return .badgeReissued(reason: try decode(Reissued.self).reason)
        case "badge.print_requested":
            let p = try decode(PrintRequested.self)
            return .badgePrintRequested(job: p.job, reason: p.reason)
        case "session.scheduled": return .sessionScheduled(try decode(Session.self))
        case "session.entered":
            let e = try decode(Entered.self)
            return .sessionEntered(session: e.session, override: e.override)
        case "session.exited": return .sessionExited(session: try decode(Exited.self).session)
        case "session.refused":
            let r = try decode(SessionRefused.self)
            return .sessionRefused(session: r.session, reason: r.reason)
        default:
            throw DecodingError(type: type, message: "unknown event type")
        }
    }
}

extension Attendee {
    /// What is left after the event's personal data is purged: the id (a registration number),
    /// role, country, delegation, language, sessions and walk-in mark, for anonymous counts.
    public var anonymized: Attendee {
        Attendee(
            id: id, country: country, role: role, delegation: delegation, language: language, sessions: sessions,
            walkIn: walkIn)
    }
}

extension EventCodec {
    /// Text put where a purge removed free text (reasons may name people).
    public static let purgedText = "(purged)"

    /// The payload of an event of `type` with its personal data removed, or nil when it holds none
    /// (or holds it no more).
    public static func purged(type: String, payload: String?) -> String? {
        guard let body = try? body(type: type, payload: payload) else { return nil }
        let clean: Event.Body
        switch body {
        case .attendeeUpserted(let attendee):
            guard attendee.anonymized != attendee else { return nil }
            clean = .attendeeUpserted(attendee.anonymized)
        case .checkInUndone(let checkIn, let reason):
            guard reason != purgedText else { return nil }
            clean = .checkInUndone(checkIn: checkIn, reason: purgedText)
        case .badgeReissued(let reason):
            guard reason != purgedText else { return nil }
            clean = .badgeReissued(reason: purgedText)
        case .badgePrintRequested(let job, let reason):
            guard let reason, reason != purgedText else { return nil }
            clean = .badgePrintRequested(job: job, reason: purgedText)
        case .sessionEntered(let session, let override):
            guard let override, override != purgedText else { return nil }
            clean = .sessionEntered(session: session, override: purgedText)
        default:
            return nil
        }
        return self.payload(clean)
    }
}
