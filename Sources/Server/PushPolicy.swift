import AccueilCore
import CentralStorage
import Foundation
import Sync

/// Who may push what to the central log, checked on every `POST /api/v1/events` before anything is
/// stored. The server keeps when it received each event (`received_at`) and which token pushed it
/// (`pushed_by`) next to what the kiosk says.
///
/// - Every event carries the kiosk its token belongs to: a station cannot write in another's name.
/// - A door token pushes what a door makes: check-ins and their refusals and undos, badge reissues
///   and prints, session doors' entries, exits and refusals, and walk-ins it registered itself
///   (`W-<kiosk>-N`, marked walk-in). Roster imports, edits and removals, and the schedule, come
///   from an organiser's token.
/// - An event's time must lie within a plausible window of the server's clock: a kiosk offline for
///   the whole event is fine, a check-in dated 1970 or next year is not.
public struct PushPolicy: Sendable {
    /// How far back an event may be dated (a kiosk that stayed offline, a backup replayed).
    public var past: TimeInterval
    /// How far ahead an event may be dated (a station's clock running fast).
    public var future: TimeInterval

    public init(past: TimeInterval = EventLimits.maxEventAge, future: TimeInterval = EventLimits.maxClockAhead) {
        self.past = past
        self.future = future
    }

    /// Event types a door token may push.
    static let doorTypes: Set<String> = [
        "checkin", "checkin.refused", "checkin.undone", "badge.reissued", "badge.print_requested",
        "session.entered", "session.exited", "session.refused", "attendee.upserted",
    ]

    /// Why `batch` may not be stored as pushed by `holder`: one line per refused event (at most
    /// `limit`), empty when every event may be stored.
    public func refusals(_ batch: [WireEvent], from holder: TokenHolder, now: Date = Date(), limit: Int = 10)
        -> [String]
    {
        let earliest = Int64((now.timeIntervalSince1970 - past) * 1000)
        let latest = Int64((now.timeIntervalSince1970 + future) * 1000)
        var reasons: [String] = []
        for event in batch {
            guard reasons.count < limit else { break }
            if let why = refusal(event, from: holder, earliest: earliest, latest: latest) {
                reasons.append("event \(event.id) (\(LogText.escaped(event.type, limit: 40))): \(why)")
            }
        }
        return reasons
    }

    func refusal(_ event: WireEvent, from holder: TokenHolder, earliest: Int64, latest: Int64) -> String? {
        guard event.kiosk == holder.kiosk else {
            return "recorded as kiosk \(LogText.escaped(event.kiosk, limit: 64)), but this token is \(holder.kiosk)'s"
        }
        guard event.at >= earliest, event.at <= latest else {
            let when = Date(timeIntervalSince1970: Double(event.at) / 1000)
            return "dated \(event.at < earliest ? "too far back" : "in the future") (\(when.formatted(.iso8601)))"
        }
        guard holder.role == .door else { return nil }
        guard Self.doorTypes.contains(event.type) else {
            return
                "a door's token cannot push \(LogText.escaped(event.type, limit: 40)): roster and schedule changes come from an organiser's token"
        }
        if event.type == "attendee.upserted" {
            // A walk-in this kiosk registered, and nothing else: the roster is the organisers'.
            guard case .attendeeUpserted(let attendee)? = try? event.event().body, attendee.walkIn,
                attendee.id.hasPrefix("W-\(holder.kiosk)-")
            else {
                return
                    "a door's token registers only its own walk-ins (W-\(holder.kiosk)-N): roster changes come from an organiser's token"
            }
        }
        return nil
    }
}
