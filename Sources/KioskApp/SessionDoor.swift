import AccueilCore
import BadgeCore
import Foundation
import Hummingbird
import KioskStore

/// The language of a kiosk's screens (`accueil kiosk --language`).
public enum UILanguage: String, CaseIterable, Sendable, Codable {
    case fr, en

    /// The attendee's preferred language for what is said to them, when it is one of ours.
    public init(attendee: String, fallback: UILanguage) {
        let code = attendee.lowercased().prefix(2)
        self = UILanguage(rawValue: String(code)) ?? (code.isEmpty ? fallback : .en)
    }
}

/// What a session door answers a scan with: yes or no, why in words, who, and the room's count.
public struct SessionVerdict: Encodable, Sendable {
    public var admitted: Bool
    /// entered | override | already_inside | exited | refused
    public var outcome: String
    /// A `ScanRefusal` code when refused (or overridden), `no_keys` when the kiosk cannot verify badges.
    public var reason: String?
    public var message: String
    /// Technical detail for staff (why a code is not genuine), in English.
    public var detail: String?
    public var attendeeID: String?
    public var name: String?
    public var nativeName: String?
    public var role: String?
    public var roleLabel: String?
    public var language: String?
    public var occupancy: Int
    public var capacity: Int
    public var session: String
    /// The kiosk is offline: the room's count is what this door knows.
    public var countedLocally = false

    enum CodingKeys: String, CodingKey {
        case admitted, outcome, reason, message, detail, name, role, language, occupancy, capacity, session
        case countedLocally = "counted_locally"
        case attendeeID = "attendee_id"
        case nativeName = "native_name"
        case roleLabel = "role_label"
    }
}

/// One session door: badge verification (offline, public keys only) and the store's decision.
public struct SessionDoor: Sendable {
    /// A door serves one session, or a room's sessions one after the other (micro-workshops).
    public enum Target: Sendable {
        case session(String)
        case room(String)
    }

    let db: KioskDatabase
    let kiosk: String
    let target: Target
    let direction: ScanDirection

    public init(db: KioskDatabase, kiosk: String, target: Target, direction: ScanDirection) {
        (self.db, self.kiosk, self.target, self.direction) = (db, kiosk, target, direction)
    }

    /// The session served now: the given one, or the room's current one (nil when none).
    func current(at now: Date = Date()) -> (id: String, session: Session?)? {
        switch target {
        case .session(let id): return (id, try? db.session(id: id))
        case .room(let room): return (try? db.currentSession(room: room, at: now)).flatMap { $0 }.map { ($0.id, $0) }
        }
    }

    public func scan(_ text: String, keys: Keyring?, override: String?, language: UILanguage) -> SessionVerdict {
        let code = text.trimmed
        guard let (session, info) = current() else {
            return SessionVerdict(
                admitted: false, outcome: "refused", reason: "no_session", message: Words.text("no_session", language),
                occupancy: 0, capacity: 0, session: "")
        }
        var verdict = SessionVerdict(
            admitted: false, outcome: "refused", message: "", occupancy: 0, capacity: info?.capacity ?? 0,
            session: session)
        // The store's answer carries the room's count; a refusal decided before asking it counts here.
        var counted = false
        func count() {
            if !counted { verdict.occupancy = (try? db.occupancy(session: session)) ?? 0 }
            counted = true
        }
        func refuse(_ reason: ScanRefusal, detail: String? = nil) -> SessionVerdict {
            count()
            verdict.reason = reason.rawValue
            verdict.message = Words.refusal(reason, session: info, occupancy: verdict.occupancy, language)
            verdict.detail = detail
            return verdict
        }
        guard code.hasPrefix(BadgePayload.prefix) else {
            // A registration system's ticket (pretix, Eventbrite, Indico), when the roster has its digest.
            guard let digest = keys?.tickets?.digest(scanned: code), let holder = try? db.attendee(ticket: digest)
            else { return refuse(.notABadge) }
            if holder.removed { return refuse(.notOnRoster, detail: "registration cancelled") }
            if holder.awaitsConfirmation {
                return refuse(.notOnRoster, detail: "registration pending (payment or approval)")
            }
            return admit(holder.attendee.id, session: session, override: override, language: language, &verdict)
        }
        guard let keys else {
            count()
            verdict.reason = "no_keys"
            verdict.message = Words.text("no_keys", language)
            return verdict
        }
        let payload: BadgePayload
        do {
            payload = try keys.verifier.verify(code) { id in
                (try? db.attendee(id: id)).flatMap { $0 }.flatMap { $0.removed ? nil : $0.badgeVersion }
            }
        } catch .unknownAttendee {
            return refuse(.notOnRoster)
        } catch .reissued(let presented, let current) {
            if let id = try? BadgePayload.parse(code).payload.attendeeID {
                try? db.logSessionRefusal(attendeeID: id, session: session, reason: .badgeReissued, kiosk: kiosk)
            }
            return refuse(.badgeReissued, detail: "badge version \(presented); version \(current) replaced it")
        } catch {
            return refuse(.forged, detail: error.description)
        }
        return admit(payload.attendeeID, session: session, override: override, language: language, &verdict)
    }

    /// The store's verdict on `attendeeID` at this door, once the code has named them.
    private func admit(
        _ attendeeID: String, session: String, override: String?, language: UILanguage, _ verdict: inout SessionVerdict
    ) -> SessionVerdict {
        let result: SessionScan
        do {
            result = try db.sessionScan(
                attendeeID: attendeeID, session: session, kiosk: kiosk, direction: direction, override: override)
        } catch {
            verdict.occupancy = (try? db.occupancy(session: session)) ?? 0
            verdict.reason = "error"
            verdict.message = error.description
            return verdict
        }
        verdict.occupancy = result.occupancy
        verdict.capacity = result.session.capacity
        if let a = result.record?.attendee {
            verdict.attendeeID = a.id
            let latin = [a.lastName.uppercased(), a.firstName].filter { !$0.isEmpty }.joined(separator: " ")
            verdict.name = latin.isEmpty ? a.nativeName : latin
            verdict.nativeName = a.nativeName.isEmpty ? nil : a.nativeName
            verdict.role = a.role.rawValue
            verdict.roleLabel = language == .fr ? a.role.labelFR : a.role.labelEN
            verdict.language = a.language.isEmpty ? nil : a.language
        }
        switch result.outcome {
        case .refused(let reason):
            verdict.reason = reason.rawValue
            verdict.message = Words.refusal(
                reason, session: result.session, occupancy: verdict.occupancy, language)
            return verdict
        case .entered:
            (verdict.admitted, verdict.outcome) = (true, "entered")
            verdict.message = Words.text("entered", language)
        case .enteredOverride(let refused, _):
            (verdict.admitted, verdict.outcome, verdict.reason) = (true, "override", refused.rawValue)
            verdict.message = Words.text("override", language)
        case .alreadyInside:
            (verdict.admitted, verdict.outcome) = (true, "already_inside")
            verdict.message = Words.text("already_inside", language)
        case .exited:
            (verdict.admitted, verdict.outcome) = (true, "exited")
            verdict.message = Words.text("exited", language)
        }
        return verdict
    }
}

/// Every word the kiosk's screens show, in French and English: one file per language
/// (Pages/words-fr.json, words-en.json), sent to the pages as JSON and used by the answers of the API.
enum Words {
    static let fr = KioskPages.words(PackageResources.words_fr_json)
    static let en = KioskPages.words(PackageResources.words_en_json)

    static func table(_ language: UILanguage) -> [String: String] { language == .fr ? fr : en }

    static func text(_ key: String, _ language: UILanguage) -> String { table(language)[key] ?? key }

    /// The table for one language, as the pages read it.
    static func json(_ language: UILanguage) -> String { JSONText.pretty(table(language)) }

    static func refusal(_ reason: ScanRefusal, session: Session?, occupancy: Int, _ language: UILanguage) -> String {
        let fr = language == .fr
        switch reason {
        case .notOnRoster:
            return fr ? "Inconnu·e de ce kiosque : pas sur la liste" : "Not on this kiosk's list of attendees"
        case .notRegistered: return fr ? "Non inscrit·e à cette session" : "Not registered for this session"
        case .roleNotAllowed:
            var roles = ""
            if case .roles(let allowed)? = session?.access {
                roles = " (" + allowed.map { fr ? $0.labelFR : $0.labelEN }.joined(separator: ", ") + ")"
            }
            return (fr ? "Session réservée" : "Restricted session") + roles
        case .notInGroup:
            return fr ? "Réservé aux membres du groupe" : "For members of the group only"
        case .roomFull:
            let count = "\(occupancy)/\(session?.capacity ?? occupancy)"
            return fr ? "Salle pleine (\(count))" : "Room full (\(count))"
        case .notOpenYet:
            let at = session.map { EventTime.hhmm($0.start) } ?? ""
            return fr ? "Pas encore ouvert : début à \(at)" : "Not open yet: starts at \(at)"
        case .sessionOver: return fr ? "Session terminée" : "The session is over"
        case .badgeReissued:
            return fr
                ? "Badge remplacé : un badge plus récent a été imprimé" : "Badge reissued: a newer badge was printed"
        case .forged:
            return fr
                ? "Badge non valide : falsifié ou d'un autre événement" : "Invalid badge: forged or from another event"
        case .notABadge: return fr ? "Ce n'est pas un badge de l'événement" : "Not a badge of this event"
        }
    }
}
