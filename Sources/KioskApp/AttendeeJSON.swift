// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (The coding keys are the JSON names scripts and pages read.)

import AccueilCore
import Foundation
import KioskStore

/// An attendee as commands print them in JSON.
public struct AttendeeJSON: Encodable, Sendable {
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
        try c.encodeIfPresent(checkIn.map { $0.at.formatted(.iso8601) }, forKey: .checked_in_at)
        try c.encodeIfPresent(checkIn?.kiosk, forKey: .checked_in_kiosk)
        try c.encode(duplicates, forKey: .duplicates)
        try c.encodeIfPresent(match.map { "\($0)" }, forKey: .match)
        try c.encodeIfPresent(score, forKey: .score)
    }
}
