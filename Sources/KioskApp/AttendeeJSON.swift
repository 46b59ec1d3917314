// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The coding keys are the JSON names scripts and pages read.)

import AccueilCore
import Foundation
import KioskStore

/// An attendee as commands print them in JSON.
public struct AttendeeJSON: JSONWritable, Sendable {
    public var attendee: Attendee
    public var checkIn: CheckInRecord?
    public var duplicates: Int = 0
    public var match: MatchKind?
    public var score: Int?

    public init(
        attendee: Attendee, checkIn: CheckInRecord?, duplicates: Int = 0, match: MatchKind? = nil, score: Int? = nil
    ) {
        (self.attendee, self.checkIn, self.duplicates, self.match, self.score) = (
            attendee, checkIn, duplicates, match, score
        )
    }

    enum Keys: String, CodingKey {
        case id, first_name, last_name, native_name, organisation, title, country, role, role_label, delegation
        case email, language, sessions, vip, walk_in, checked_in, checked_in_at, checked_in_kiosk, duplicates
        case match, score, pending
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        let a = attendee
        try c.encode(a.id, forKey: .id)
        try c.encode(a.firstName, forKey: .first_name)
        try c.encode(a.lastName, forKey: .last_name)
        try c.encode(a.nativeName, forKey: .native_name)
        try c.encode(a.organisation, forKey: .organisation)
        try c.encode(a.title, forKey: .title)
        try c.encode(a.country, forKey: .country)
        try c.encode(a.role.rawValue, forKey: .role)
        try c.encode(a.role.label, forKey: .role_label)
        try c.encode(a.delegation, forKey: .delegation)
        try c.encode(a.email, forKey: .email)
        try c.encode(a.language, forKey: .language)
        try c.encode(a.sessions, forKey: .sessions)
        try c.encode(a.vip, forKey: .vip)
        try c.encode(a.walkIn, forKey: .walk_in)
        if a.pending { try c.encode(true, forKey: .pending) }
        try c.encode(checkIn != nil, forKey: .checked_in)
        try c.encodeIfPresent(checkIn?.at.iso8601, forKey: .checked_in_at)
        try c.encodeIfPresent(checkIn?.kiosk, forKey: .checked_in_kiosk)
        try c.encode(duplicates, forKey: .duplicates)
        try c.encodeIfPresent(match.map { "\($0)" }, forKey: .match)
        try c.encodeIfPresent(score, forKey: .score)
    }

    /// The members `encode(to:)` writes, in its order, straight into bytes (the door's answers).
    public func write(to json: inout JSONOut) {
        let a = attendee
        json.beginObject()
        json.member("id", a.id)
        json.member("first_name", a.firstName)
        json.member("last_name", a.lastName)
        json.member("native_name", a.nativeName)
        json.member("organisation", a.organisation)
        json.member("title", a.title)
        json.member("country", a.country)
        json.member("role", a.role.rawValue)
        json.member("role_label", a.role.label)
        json.member("delegation", a.delegation)
        json.member("email", a.email)
        json.member("language", a.language)
        json.member("sessions", a.sessions)
        json.member("vip", a.vip)
        json.member("walk_in", a.walkIn)
        if a.pending { json.member("pending", true) }
        json.member("checked_in", checkIn != nil)
        json.member("checked_in_at", checkIn?.at.iso8601)
        json.member("checked_in_kiosk", checkIn?.kiosk)
        json.member("duplicates", duplicates)
        json.member("match", match.map { "\($0)" })
        json.member("score", score)
        json.endObject()
    }
}
