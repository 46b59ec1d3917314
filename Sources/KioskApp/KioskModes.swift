import AccueilCore
import BadgeCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KioskStore
import Logging
import Synchronization
import WebSupport

/// What a kiosk station is for (`accueil kiosk --mode`).
public enum KioskMode: String, CaseIterable, Sendable {
    /// Staff at the entrance: search, check in and print, reprint, undo, walk-ins.
    case door
    /// A session room's door: badges scanned in and out, against the room's capacity and rules.
    case session
    /// Attendees on their own: scan the confirmation e-mail's QR, the badge prints.
    case selfService = "self-service"
}

/// The kiosk's PIN: a supervisor's override at a session door, staff leaving self-service. Wrong
/// PINs are slowed down and, after five in a row from one client, that client is refused for a
/// minute (told how long): others, staff among them, still get in with the right PIN.
final class StaffGate: Sendable {
    private struct State {
        var tokens: Set<String> = []
        var failures: [String: Int] = [:]
        var lockedUntil: [String: Date] = [:]
    }
    private let state = Mutex(State())
    let pin: String?
    /// In self-service mode the staff screens and their API need an unlocked browser.
    let guarded: Bool
    static let cookie = "accueil_staff"

    init(pin: String?, guarded: Bool) {
        self.pin = pin.flatMap { $0.isEmpty ? nil : $0 }
        self.guarded = guarded
    }

    enum Check: Equatable {
        case ok, wrong
        case locked(seconds: Int)
        case noPIN
    }

    /// Compares in constant time; counts `client`'s failures.
    func verify(_ candidate: String?, client: String) async -> Check {
        guard let pin else { return .noPIN }
        let now = Date()
        if let until = state.withLock({ $0.lockedUntil[client] }), until > now {
            return .locked(seconds: Int(until.timeIntervalSince(now).rounded(.up)))
        }
        let a = SHA256.hash(data: Data((candidate ?? "").utf8))
        let b = SHA256.hash(data: Data(pin.utf8))
        if a == b {
            state.withLock {
                $0.failures[client] = nil
                $0.lockedUntil[client] = nil
            }
            return .ok
        }
        state.withLock {
            let failures = ($0.failures[client] ?? 0) + 1
            $0.failures[client] = failures
            if failures >= 5 {
                $0.failures[client] = nil
                $0.lockedUntil[client] = now.addingTimeInterval(60)
            }
            if $0.lockedUntil.count > 1000 { $0.lockedUntil = $0.lockedUntil.filter { $0.value > now } }
            if $0.failures.count > 1000 { $0.failures.removeAll() }
        }
        try? await Task.sleep(for: .milliseconds(500))
        return .wrong
    }

    /// The words for a refused PIN.
    static func refusal(_ check: Check, _ language: UILanguage) -> String {
        if case .locked(let seconds) = check {
            return Words.text("pin_locked", language).replacingOccurrences(of: "{s}", with: String(seconds))
        }
        return Words.text("wrong_pin", language)
    }

    func unlock() -> String {
        let token = UUID.random().uuidString
        state.withLock { _ = $0.tokens.insert(token) }
        return token
    }

    func lock(_ token: String?) {
        guard let token else { return }
        state.withLock { _ = $0.tokens.remove(token) }
    }

    static func token(_ request: Request) -> String? { request.cookies[cookie]?.value }

    func isStaff(_ request: Request) -> Bool {
        guard guarded else { return true }
        guard let token = Self.token(request) else { return false }
        return state.withLock { $0.tokens.contains(token) }
    }
}

/// The staff gate on a group of routes: in self-service mode, a browser that was not unlocked with
/// the PIN is refused the staff screens' API (403, said in words) before any route runs.
struct StaffOnly: RouterMiddleware {
    typealias Context = ClientContext
    let gate: StaffGate

    func handle(
        _ request: Request, context: ClientContext, next: (Request, ClientContext) async throws -> Response
    ) async throws -> Response {
        guard gate.isStaff(request) else {
            throw HTTPError(.forbidden, message: "self-service kiosk: staff only (unlock with the PIN)")
        }
        return try await next(request, context)
    }
}

struct UnlockRequest: Decodable {
    var pin: String?
}

struct SessionScanRequest: Decodable {
    var text: String?
    var pin: String?
    var reason: String?
}

/// The session door's state for its screen.
struct SessionInfo: Encodable {
    var session: Session?
    var id: String
    /// The room, for a door that follows a room's sessions (`--room`).
    var room: String?
    var occupancy: Int
    /// People counted in the room who came in for an earlier session there.
    var carriedOver: Int
    var direction: String
    var kiosk: String
    var overridable: Bool

    enum CodingKeys: String, CodingKey {
        case session, id, room, occupancy, direction, kiosk, overridable
        case carriedOver = "carried_over"
    }
}

/// Routes of a session door (`accueil kiosk --mode session --session ID`).
func addSessionRoutes(
    to router: Router<ClientContext>, door: SessionDoor, language: UILanguage, gate: StaffGate,
    online: @escaping @Sendable () -> Bool, keys: @escaping @Sendable () -> Keyring?
) {
    router.get("/api/v1/session") { _, _ -> Response in
        let now = door.current()
        var room: String?
        if case .room(let name) = door.target { room = name }
        return try jsonAnswer(
            SessionInfo(
                session: now?.session, id: now?.id ?? "", room: room,
                occupancy: try now.map { try door.db.occupancy(session: $0.id) } ?? 0,
                carriedOver: try now.map { try door.db.carriedOver(into: $0.id).count } ?? 0,
                direction: door.direction.rawValue, kiosk: door.kiosk, overridable: gate.pin != nil))
    }
    router.post("/api/v1/session/scan") { request, context -> Response in
        let asked = try await decode(SessionScanRequest.self, request, limit: 16 << 10)
        var override: String?
        if asked.pin != nil || asked.reason != nil {
            guard let reason = asked.reason?.trimmed, !reason.isEmpty else {
                throw HTTPError(.badRequest, message: Words.text("override_reason", language))
            }
            let check = await gate.verify(asked.pin, client: context.client(request))
            switch check {
            case .ok: override = "supervisor: " + reason
            case .noPIN: throw HTTPError(.forbidden, message: Words.text("no_pin", language))
            case .wrong, .locked: throw HTTPError(.forbidden, message: StaffGate.refusal(check, language))
            }
        }
        let (text, ring, overridden) = (asked.text ?? "", keys(), override)
        var verdict = try await StoreWork.run {
            door.scan(text, keys: ring, override: overridden, language: language)
        }
        verdict.countedLocally = !online()
        kioskLog.log(
            level: verdict.admitted ? .info : .notice, "session door: \(verdict.outcome)",
            metadata: [
                "kiosk": "\(door.kiosk)", "session": "\(verdict.session)", "attendee_id": "\(verdict.attendeeID ?? "")",
                "reason": "\(verdict.reason ?? "")", "occupancy": "\(verdict.occupancy)",
            ])
        return jsonResponse(Data(JSONText.pretty(verdict).utf8))
    }
    // A supervisor clears the people still counted from an earlier session of the room (they
    // left without scanning out), with the PIN and a reason: logged.
    router.post("/api/v1/session/clear") { request, context -> Response in
        let asked = try await decode(SessionScanRequest.self, request, limit: 16 << 10)
        guard let reason = asked.reason?.trimmed, !reason.isEmpty else {
            throw HTTPError(.badRequest, message: Words.text("override_reason", language))
        }
        let check = await gate.verify(asked.pin, client: context.client(request))
        switch check {
        case .ok: break
        case .noPIN: throw HTTPError(.forbidden, message: Words.text("no_pin", language))
        case .wrong, .locked: throw HTTPError(.forbidden, message: StaffGate.refusal(check, language))
        }
        guard let now = door.current() else { throw HTTPError(.conflict, message: Words.text("no_session", language)) }
        let cleared = try await StoreWork.run { try door.db.clearCarriedOver(into: now.id, kiosk: door.kiosk) }
        kioskLog.notice(
            "session door: carried-over people cleared by a supervisor",
            metadata: [
                "kiosk": "\(door.kiosk)", "session": "\(now.id)", "cleared": "\(cleared)", "reason": "\(reason)",
            ])
        return try jsonAnswer(["cleared": cleared, "occupancy": try door.db.occupancy(session: now.id)])
    }
}

/// What the self-service screen is told: a greeting, never anyone's data beyond a first name.
struct SelfServiceAnswer: Encodable {
    /// printing | already_printed | refused
    var status: String
    var firstName: String?
    var message: String
    var language: String

    enum CodingKeys: String, CodingKey {
        case status, message, language
        case firstName = "first_name"
    }
}

/// Routes of self-service (`--mode self-service`) and of the PIN that leads to the staff screen.
func addSelfServiceRoutes(
    to router: Router<ClientContext>, db: KioskDatabase, kiosk: String, language: UILanguage, gate: StaffGate,
    print: (@Sendable () throws -> PrintRequest)?, keys: @escaping @Sendable () -> Keyring?
) {
    router.post("/api/v1/unlock") { request, context -> Response in
        let asked = try await decode(UnlockRequest.self, request, limit: 4 << 10)
        let check = await gate.verify(asked.pin, client: context.client(request))
        switch check {
        case .ok:
            let token = gate.unlock()
            return Response(
                status: .noContent,
                headers: [.setCookie: "\(StaffGate.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict"])
        case .noPIN: throw HTTPError(.forbidden, message: Words.text("no_pin", language))
        case .wrong, .locked: throw HTTPError(.forbidden, message: StaffGate.refusal(check, language))
        }
    }
    router.post("/api/v1/lock") { request, _ -> Response in
        gate.lock(StaffGate.token(request))
        return Response(
            status: .noContent, headers: [.setCookie: "\(StaffGate.cookie)=; Path=/; Max-Age=0; SameSite=Strict"])
    }
    router.post("/api/v1/self/checkin") { request, _ -> Response in
        let text = (try await decode(DoorRequest.self, request, limit: 4 << 10)).text?.trimmed ?? ""
        let both = { (key: String) in Words.text(key, .fr) + " — " + Words.text(key, .en) }
        let refused = SelfServiceAnswer(status: "refused", message: both("self_refused"), language: "")
        // Only a signed badge code or a registration ticket on the roster opens anything here: an id
        // typed or printed elsewhere does not.
        let ring = keys()
        let found: AttendeeRecord?
        if text.hasPrefix(BadgePayload.prefix) {
            found =
                (ring.flatMap { ring in
                    try? ring.verifier.verify(
                        text,
                        currentVersion: { id in
                            (try? db.attendee(id: id)).flatMap { $0 }.flatMap { $0.removed ? nil : $0.badgeVersion }
                        })
                }).flatMap { (try? db.attendee(id: $0.attendeeID)) ?? nil }
        } else {
            found = ring?.tickets?.digest(scanned: text).flatMap { (try? db.attendee(ticket: $0)) ?? nil }
        }
        guard let record = found else {
            kioskLog.notice("self-service: code refused", metadata: ["kiosk": "\(kiosk)"])
            return try jsonAnswer(refused)
        }
        let speaks = UILanguage(attendee: record.attendee.language, fallback: language)
        // A cancelled registration is refused in their language, logged by id.
        guard !record.removed else {
            kioskLog.notice(
                "self-service: registration cancelled",
                metadata: ["kiosk": "\(kiosk)", "attendee_id": "\(record.attendee.id)"])
            return try jsonAnswer(
                SelfServiceAnswer(
                    status: "refused", message: Words.text("self_cancelled", speaks), language: speaks.rawValue))
        }
        let wanted = try print?()
        let done = try await db.doorCheckInGrouped(record.attendee.id, kiosk: kiosk, print: wanted)
        done.log(to: kioskLog, kiosk: kiosk, via: "self-service")
        if case .pendingRegistration = done.outcome {
            return try jsonAnswer(
                SelfServiceAnswer(
                    status: "refused", message: Words.text("self_pending", speaks), language: speaks.rawValue))
        }
        let first = record.attendee.firstName.isEmpty ? record.attendee.displayName : record.attendee.firstName
        switch done.printing {
        case .notAsked:
            return try jsonAnswer(
                SelfServiceAnswer(
                    status: "checked_in", firstName: first, message: Words.text("checked_in", speaks),
                    language: speaks.rawValue))
        case .queued:
            return try jsonAnswer(
                SelfServiceAnswer(
                    status: "printing", firstName: first, message: Words.text("self_printing", speaks),
                    language: speaks.rawValue))
        case .alreadyPrinted:
            return try jsonAnswer(
                SelfServiceAnswer(
                    status: "already_printed", firstName: first, message: Words.text("self_again", speaks),
                    language: speaks.rawValue))
        }
    }
}
