import AccueilCore
import Badges
import Foundation
import Hummingbird
import KioskStore

/// The language of a kiosk's screens (`accueil kiosk --language`).
enum UILanguage: String, CaseIterable, Sendable, Codable {
    case fr, en

    /// The attendee's preferred language for what is said to them, when it is one of ours.
    init(attendee: String, fallback: UILanguage) {
        let code = attendee.lowercased().prefix(2)
        self = UILanguage(rawValue: String(code)) ?? (code.isEmpty ? fallback : .en)
    }
}

/// What a session door answers a scan with: yes or no, why in words, who, and the room's count.
struct SessionVerdict: Encodable, Sendable {
    var admitted: Bool
    /// entered | override | already_inside | exited | refused
    var outcome: String
    /// A `ScanRefusal` code when refused (or overridden), `no_keys` when the kiosk cannot verify badges.
    var reason: String?
    var message: String
    /// Technical detail for staff (why a code is not genuine), in English.
    var detail: String?
    var attendeeID: String?
    var name: String?
    var nativeName: String?
    var role: String?
    var roleLabel: String?
    var language: String?
    var occupancy: Int
    var capacity: Int
    var session: String
    /// The kiosk is offline: the room's count is what this door knows.
    var countedLocally = false

    enum CodingKeys: String, CodingKey {
        case admitted, outcome, reason, message, detail, name, role, language, occupancy, capacity, session
        case countedLocally = "counted_locally"
        case attendeeID = "attendee_id"
        case nativeName = "native_name"
        case roleLabel = "role_label"
    }
}

/// One session door: badge verification (offline, public keys only) and the store's decision.
struct SessionDoor: Sendable {
    /// A door serves one session, or a room's sessions one after the other (micro-workshops).
    enum Target: Sendable {
        case session(String)
        case room(String)
    }

    let db: KioskDatabase
    let kiosk: String
    let target: Target
    let direction: ScanDirection

    /// The session served now: the given one, or the room's current one (nil when none).
    func current(at now: Date = Date()) -> (id: String, session: Session?)? {
        switch target {
        case .session(let id): return (id, try? db.session(id: id))
        case .room(let room): return (try? db.currentSession(room: room, at: now)).flatMap { $0 }.map { ($0.id, $0) }
        }
    }

    func scan(_ text: String, keys: Keyring?, override: String?, language: UILanguage) -> SessionVerdict {
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

/// Every word the kiosk's screens show, in French and English: one table for the pages (sent to
/// them as JSON for the kiosk's language) and for the answers of its API.
enum Words {
    static let table: [String: (fr: String, en: String)] = [
        // Door screen
        "search_placeholder": ("Nom, organisation, pays…", "Name, organisation, country…"),
        "checkin_print": ("Enregistrer et imprimer", "Check in and print"),
        "reprint": ("Réimprimer", "Reprint"),
        "undo": ("Annuler l'arrivée", "Undo check-in"),
        "walkin": ("+ Inscription sur place", "+ Walk-in"),
        "checked_in": ("✓ Enregistré·e", "✓ Checked in"),
        "already": ("Déjà enregistré·e", "Already checked in"),
        "undone": ("Arrivée annulée", "Check-in undone"),
        "reason_reprint": ("Motif de la réimpression (perdu, abîmé…)", "Reason for the reprint (lost, damaged…)"),
        "reason_undo": ("Motif de l'annulation", "Reason for the undo"),
        "reprint_queued": ("Badge envoyé à l'imprimante", "Badge sent to the printer"),
        "unknown_code": ("Code inconnu", "Unknown code"),
        "registration_cancelled": ("Inscription annulée : billet refusé", "Registration cancelled: ticket refused"),
        "registration_pending": (
            "Inscription en attente (paiement ou validation) : pas d'enregistrement",
            "Registration pending (payment or approval): not checked in"
        ),
        "language": ("Langue", "Language"),
        "no_results": ("Personne ne correspond", "Nobody matches"),
        // Walk-in form
        "walkin_title": ("Inscription sur place", "Walk-in registration"),
        "first_name": ("Prénom", "First name"),
        "last_name": ("Nom", "Last name"),
        "organisation": ("Organisation", "Organisation"),
        "country": ("Pays", "Country"),
        "role": ("Catégorie", "Role"),
        "email": ("Courriel", "E-mail"),
        "register_print": ("Inscrire, enregistrer et imprimer", "Register, check in and print"),
        "cancel": ("Annuler", "Cancel"),
        "name_needed": ("Un nom est nécessaire", "A name is needed"),
        // Status bar
        "online": ("En ligne", "Online"),
        "offline": ("Hors ligne", "Offline"),
        "since": ("depuis", "since"),
        "standalone": ("Local (sans serveur)", "Local (no server)"),
        "queued": ("À envoyer", "Queued"),
        "set_aside": ("refusés par le serveur", "refused by the server"),
        "no_signing_key": (
            "Pas de clé de badge : impression impossible ici", "No badge key: badges cannot print here"
        ),
        "printer_ready": ("Imprimante prête", "Printer ready"),
        "printer_waiting": ("en attente", "waiting"),
        "printer_failed": ("en échec", "failed"),
        "printer_none": ("Pas d'impression ici", "No printing here"),
        "last_print": ("dernier badge", "last badge"),
        "job_pending": ("en attente", "waiting"),
        "job_submitted": ("envoyé", "sent"),
        "job_printed": ("imprimé", "printed"),
        "job_failed": ("échec", "failed"),
        "job_cancelled": ("annulé", "cancelled"),
        "arrived": ("Arrivés", "Checked in"),
        "kiosk_unreachable": ("Kiosque injoignable", "Kiosk unreachable"),
        // Session door
        "scan_badge": ("Présentez votre badge", "Show your badge"),
        "inside": ("présents", "inside"),
        "no_limit": ("sans limite", "no limit"),
        "entered": ("Bienvenue", "Welcome"),
        "override": ("Entrée autorisée par un superviseur", "Let in by a supervisor"),
        "already_inside": ("Déjà dans la salle", "Already inside"),
        "exited": ("Sortie enregistrée", "Exit recorded"),
        "counted_locally": (
            "Hors ligne : la salle est comptée par cette porte seule", "Offline: the room is counted by this door only"
        ),
        "supervisor": ("Superviseur", "Supervisor"),
        "pin": ("Code PIN", "PIN"),
        "override_reason": ("Motif de l'exception", "Reason for the exception"),
        "let_in": ("Faire entrer", "Let in"),
        "wrong_pin": ("Code PIN incorrect", "Wrong PIN"),
        "pin_locked": (
            "Trop d'essais : PIN bloqué, réessayez dans {s} s", "Too many tries: PIN locked, try again in {s} s"
        ),
        "no_pin": ("Aucun code superviseur sur ce kiosque", "No supervisor PIN on this kiosk"),
        "entry_door": ("Entrée", "Entrance"),
        "no_session": ("Pas de session dans cette salle maintenant", "No session in this room now"),
        "exit_door": ("Sortie", "Exit"),
        "both_door": ("Entrée et sortie", "Entrance and exit"),
        "no_keys": (
            "Ce kiosque n'a pas les clés des badges (accueil keys)", "This kiosk has no badge keys (accueil keys)"
        ),
        // Self-service
        "self_title": ("Bienvenue — Welcome", "Welcome — Bienvenue"),
        "self_scan": (
            "Scannez le QR code de votre e-mail de confirmation", "Scan the QR code in your confirmation e-mail"
        ),
        "self_printing": ("votre badge s'imprime", "your badge is printing"),
        "self_again": (
            "votre badge a déjà été imprimé : adressez-vous à l'accueil",
            "your badge was already printed: please ask at the desk"
        ),
        "self_refused": (
            "Ce code n'est pas accepté : adressez-vous à l'accueil", "This code is not accepted: please ask at the desk"
        ),
        "self_cancelled": (
            "Cette inscription est annulée : adressez-vous à l'accueil",
            "This registration is cancelled: please ask at the desk"
        ),
        "self_pending": (
            "Votre inscription est en attente (paiement ou validation) : adressez-vous à l'accueil",
            "Your registration is pending (payment or approval): please ask at the desk"
        ),
        "staff": ("Personnel", "Staff"),
        "lock": ("Verrouiller (libre-service)", "Lock (self-service)"),
    ]

    static func text(_ key: String, _ language: UILanguage) -> String {
        guard let entry = table[key] else { return key }
        return language == .fr ? entry.fr : entry.en
    }

    /// The table for one language, as the pages read it.
    static func json(_ language: UILanguage) -> String {
        Output.json(table.mapValues { language == .fr ? $0.fr : $0.en })
    }

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
            let at = session.map { Output.time($0.start) } ?? ""
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
