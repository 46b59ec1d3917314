import AccueilCore
import BadgeCore
import Foundation
import Hummingbird
import KioskStore
import Logging
import WebSupport

/// The door's roster in memory for the kiosk's web UI: the search index over every attendee, kept
/// in step with the store (changes from this daemon, the CLI or sync are picked up before each
/// answer: one indexed query when nothing changed).
///
/// Its lock and those queries block, so its answers are made on the store's threads
/// (`StoreWork`), never on the concurrency pool that runs every request.
///
/// A change too big for the small index beside it (a new kiosk's snapshot, a roster import) has
/// the index rebuilt on a store thread, seconds at a million attendees: meanwhile the door
/// answers from the index it has, each hit read again from the store, ids and tickets from the
/// store, and the status says the roster is being indexed (`roster_index`).
///
/// Check-ins are held beside the index (``LiveRoster/heldBeside``): each attendee's state, a few
/// hundred bytes; once half the roster has changed (``LiveRoster/compactionDue``) a new index is
/// built the same way, while the door answers from the current one, which stays up to date: over
/// a day of check-ins memory stays bounded (two indexes at most while one is built).
final class DoorRoster: @unchecked Sendable {
    private let lock = NSLock()
    private let db: KioskDatabase
    private var roster: LiveRoster
    /// The index is behind the store until the rebuild under way ends.
    private var building = false
    /// A rebuild is under way (for `building`, or to compact).
    private var rebuilding = false

    /// `compactAfter`: changed records held beside the index before it is rebuilt (nil: a tenth of
    /// the roster, at least 2,000).
    init(db: KioskDatabase, compactAfter: Int? = nil) throws(StoreError) {
        self.db = db
        roster = try LiveRoster(db: db)
        roster.compactAfter = compactAfter
    }

    /// Brings the index up to date under the lock; false while a rebuild is under way (the index
    /// is behind the store).
    private func refreshed() -> Bool {
        if building { return false }
        let behind = roster.refresh(from: db, rebuilding: false) == .needsRebuild
        if behind { building = true }
        if (behind || roster.compactionDue) && !rebuilding {
            rebuilding = true
            StoreWork.start { [self] in rebuild() }
        }
        return !behind
    }

    private func rebuild() {
        let fresh: LiveRoster?
        do { fresh = try LiveRoster(db: db) } catch {
            kioskLog.warning("the door's index could not be rebuilt; the next request tries again: \(error)")
            Thread.sleep(forTimeInterval: 1)  // a busy store: not at once
            fresh = nil
        }
        lock.withLock {
            // What was written while it was built is picked up by the next refresh.
            if var fresh {
                fresh.compactAfter = roster.compactAfter
                roster = fresh
            }
            building = false
            rebuilding = false
        }
        // The old index is freed by now: hand what malloc keeps of it back to the system, so that
        // the station's memory goes down after a compaction instead of staying at its peak.
        if fresh != nil { returnFreeMemory() }
    }

    /// Changed records held beside the index (for tests).
    var heldBeside: Int { lock.withLock { roster.heldBeside } }

    /// Whether the index is being rebuilt, and how many attendees it holds.
    var state: (building: Bool, attendees: Int) {
        lock.withLock { (building, roster.attendeeCount) }
    }

    /// Brings the index up to date, starting a rebuild if the store changed a lot (a snapshot,
    /// an import), and says where it stands: blocking, on a store thread only. The status route
    /// and the kiosk's index keeper call it, so that the index is rebuilt as soon as the store
    /// has changed, not when the first search comes.
    func keepCurrentNow() -> (building: Bool, attendees: Int) {
        lock.withLock {
            _ = refreshed()
            return (building, roster.attendeeCount)
        }
    }

    func search(_ query: String, limit: Int) async throws -> [AttendeeJSON] {
        try await StoreWork.run { self.searchNow(query, limit: limit) }
    }

    func record(id: String) async throws -> AttendeeRecord? {
        try await StoreWork.run { self.recordNow(id: id) }
    }

    /// The attendee whose registration ticket has this digest (removed ones included).
    func record(ticket digest: String) async throws -> AttendeeRecord? {
        try await StoreWork.run { self.recordNow(ticket: digest) }
    }

    /// `search`, blocking the calling thread: on a store thread only.
    func searchNow(_ query: String, limit: Int) -> [AttendeeJSON] {
        lock.lock()
        defer { lock.unlock() }
        let current = refreshed()
        return roster.search(query, limit: limit).compactMap { result in
            let record = current ? result.record : ((try? db.attendee(id: result.record.attendee.id)) ?? nil)
            return record.map {
                AttendeeJSON(
                    attendee: $0.attendee, checkIn: $0.checkIn, duplicates: $0.duplicates, match: result.hit.match,
                    score: result.hit.score)
            }
        }
    }

    /// `record(id:)`, blocking the calling thread: on a store thread only.
    func recordNow(id: String) -> AttendeeRecord? {
        lock.lock()
        defer { lock.unlock() }
        if refreshed(), let record = roster.record(id: id) { return record }
        return (try? db.attendee(id: id)) ?? nil
    }

    /// `record(ticket:)`, blocking the calling thread: on a store thread only.
    func recordNow(ticket digest: String) -> AttendeeRecord? {
        lock.lock()
        defer { lock.unlock() }
        return refreshed() ? roster.record(ticket: digest) : ((try? db.attendee(ticket: digest)) ?? nil)
    }
}

/// The walk-in form of the door screen.
struct WalkInForm: Decodable {
    var firstName, lastName, nativeName, organisation, title, country, delegation, role, email, language: String?
    var print: Bool?

    enum CodingKeys: String, CodingKey {
        case organisation, title, country, delegation, role, email, language, print
        case firstName = "first_name"
        case lastName = "last_name"
        case nativeName = "native_name"
    }

    var walkIn: WalkIn {
        WalkIn(
            firstName: firstName ?? "", lastName: lastName ?? "", nativeName: nativeName ?? "",
            organisation: organisation ?? "", title: title ?? "", country: country ?? "", role: role ?? "",
            delegation: delegation ?? "", email: email ?? "", language: language ?? "")
    }
}

/// Bodies of the door API's POST requests.
struct DoorRequest: Decodable {
    var id: String?
    var reason: String?
    var print: Bool?
    var text: String?
}

/// An answer of the door API: what happened, in words for the screen, and the attendee after it.
struct DoorAnswer: JSONWritable, Sendable {
    var status: String
    var message: String
    var attendee: AttendeeJSON?
    var printState: String?
    var printMessage: String?

    enum CodingKeys: String, CodingKey {
        case status, message, attendee
        case printState = "print_state"
        case printMessage = "print_message"
    }

    func write(to json: inout JSONOut) {
        json.beginObject()
        json.member("status", status)
        json.member("message", message)
        json.member("attendee", attendee)
        json.member("print_state", printState)
        json.member("print_message", printMessage)
        json.endObject()
    }
}

struct SearchAnswer: JSONWritable {
    var query: String
    var results: [AttendeeJSON]

    func write(to json: inout JSONOut) {
        json.beginObject()
        json.member("query", query)
        json.member("results", results)
        json.endObject()
    }
}

extension AttendeeJSON {
    init(_ record: AttendeeRecord) {
        self.init(attendee: record.attendee, checkIn: record.checkIn, duplicates: record.duplicates)
    }
}

/// What the kiosk's screens do, for the journal: ids and events, never names at info level.
public let kioskLog = Logger(label: "accueil.kiosk")

/// The routes the door screen in the browser calls, on the kiosk's store (`accueil kiosk`). They
/// are staff routes: `router` is a group behind the staff gate (`StaffOnly`).
func addDoorRoutes(
    to router: some RouterMethods<ClientContext>, db: KioskDatabase, roster: DoorRoster, kiosk: String,
    print: (@Sendable () throws -> PrintRequest)?, keys: @escaping @Sendable () -> Keyring?
) {
    router.get("/api/v1/search") { request, _ -> Response in
        let query = request.uri.queryParameters.get("q") ?? ""
        let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 20, 1), 100)
        return jsonAnswer(
            SearchAnswer(
                query: query, results: query.trimmed.isEmpty ? [] : try await roster.search(query, limit: limit)))
    }

    router.get("/api/v1/attendees/{id}") { request, context -> Response in
        let id = context.parameters.get("id") ?? ""
        guard let record = try await roster.record(id: id), !record.removed else {
            throw HTTPError(.notFound, message: "unknown attendee id \(id)")
        }
        return jsonAnswer(AttendeeJSON(record))
    }

    @Sendable func body(_ request: Request) async throws -> DoorRequest {
        try await decode(DoorRequest.self, request, limit: 64 << 10)
    }

    /// The attendee a change names, as the store has them: one indexed read, without waiting for
    /// the in-memory roster (searches refresh it).
    @Sendable func known(_ id: String?) throws -> AttendeeRecord {
        guard let id, let record = stored(id), !record.removed else {
            throw HTTPError(.notFound, message: "unknown attendee id \(id ?? "")")
        }
        return record
    }

    /// The attendee as the store has them, after a change.
    @Sendable func stored(_ id: String) -> AttendeeRecord? { (try? db.attendee(id: id)) ?? nil }

    router.post("/api/v1/checkin") { request, context -> Response in
        let asked = try await body(request)
        guard let id = asked.id, !id.isEmpty else { throw HTTPError(.notFound, message: "unknown attendee id") }
        let wanted = asked.print == true ? try print?() : nil
        // One group-committed transaction: an unknown or removed id throws the store's 404.
        let done = try await db.doorCheckInGrouped(id, kiosk: kiosk, print: wanted)
        // The journal's line once the answer is written: the check-in is on disk already, and the
        // door does not wait for the line (about 30 µs of a check-in's 0.7 ms at one client).
        context.afterAnswer { done.log(to: kioskLog, kiosk: kiosk, via: "door") }
        var message = done.attendee.attendee.listName
        if case .alreadyCheckedIn(let earlier) = done.outcome {
            message += ": \(EventTime.hhmm(earlier.at)) · \(earlier.kiosk)"
        }
        var answer = DoorAnswer(status: done.status, message: message, attendee: AttendeeJSON(done.attendee))
        if wanted != nil {
            switch done.printing {
            case .queued(let job): (answer.printState, answer.printMessage) = ("pending", job.printer)
            case .alreadyPrinted(let job): (answer.printState, answer.printMessage) = ("already_printed", job.printer)
            case .notAsked: break
            }
        }
        return jsonAnswer(answer)
    }

    router.post("/api/v1/undo") { request, _ -> Response in
        let asked = try await body(request)
        let record = try known(asked.id)
        guard let reason = asked.reason?.trimmed, !reason.isEmpty else {
            throw HTTPError(.badRequest, message: "an undo needs a reason")
        }
        guard record.checkIn != nil else {
            return jsonAnswer(
                DoorAnswer(
                    status: "not_checked_in", message: record.attendee.listName, attendee: AttendeeJSON(record)))
        }
        let undone = try await StoreWork.run { try db.undoCheckIn(record.attendee.id, reason: reason, kiosk: kiosk) }
        kioskLog.notice(
            "check-in undone",
            metadata: ["kiosk": "\(kiosk)", "attendee_id": "\(record.attendee.id)", "event_id": "\(undone.eventID)"])
        return jsonAnswer(
            DoorAnswer(
                status: "undone", message: record.attendee.listName,
                attendee: stored(record.attendee.id).map(AttendeeJSON.init)))
    }

    router.post("/api/v1/reprint") { request, _ -> Response in
        let asked = try await body(request)
        let record = try known(asked.id)
        guard let reason = asked.reason?.trimmed, !reason.isEmpty else {
            throw HTTPError(.badRequest, message: "a reprint needs a reason")
        }
        guard let make = print else {
            throw HTTPError(.conflict, message: "this kiosk does not print (started with --no-print)")
        }
        let request = try make()
        let job = try await StoreWork.run {
            try db.reprint(record.attendee.id, reason: reason, request: request, kiosk: kiosk)
        }
        kioskLog.info(
            "badge reprint queued",
            metadata: ["kiosk": "\(kiosk)", "attendee_id": "\(record.attendee.id)", "job_id": "\(job.id)"])
        return jsonAnswer(
            DoorAnswer(
                status: "reprint_queued", message: record.attendee.listName, attendee: AttendeeJSON(record),
                printState: "pending", printMessage: job.printer))
    }

    // Someone not on the list: registered, checked in and (with print) their badge queued, at once.
    router.post("/api/v1/walkin") { request, _ -> Response in
        let form = try await decode(WalkInForm.self, request, limit: 16 << 10)
        let id = try await StoreWork.run { try db.nextWalkInID(kiosk: kiosk) }
        let attendee: Attendee
        do { attendee = try form.walkIn.attendee(id: id) } catch let problem as WalkIn.Problem {
            throw HTTPError(.badRequest, message: problem.english)
        }
        let wanted = form.print == true ? try print?() : nil
        let (checkIn, queued) = try await StoreWork.run { try db.walkIn(attendee, kiosk: kiosk, print: wanted) }
        kioskLog.info(
            "walk-in registered and checked in",
            metadata: ["kiosk": "\(kiosk)", "attendee_id": "\(attendee.id)", "event_id": "\(checkIn.eventID)"])
        var answer = DoorAnswer(status: "checked_in", message: attendee.listName)
        if case .queued(let job) = queued { (answer.printState, answer.printMessage) = ("pending", job.printer) }
        answer.attendee = try await roster.record(id: attendee.id).map(AttendeeJSON.init)
        return jsonAnswer(answer)
    }

    // What a scanner typed: a badge QR (checked offline: signature, key, version) or an attendee id
    // (e-ticket codes carry it). Answers the attendee, or why not.
    router.post("/api/v1/scan") { request, _ -> Response in
        let text = (try await body(request)).text?.trimmed ?? ""
        let ring = keys()
        return jsonAnswer(try await StoreWork.run { scanAnswer(text, roster: roster, keys: ring, kiosk: kiosk) })
    }
}

/// What a scanned text is at the door, looked up on a store thread (`DoorRoster`'s blocking reads).
private func scanAnswer(_ text: String, roster: DoorRoster, keys ring: Keyring?, kiosk: String) -> DoorAnswer {
    if text.hasPrefix("AC1:") {
        guard let ring else { return DoorAnswer(status: "refused", message: "no badge keys on this kiosk") }
        do {
            let payload = try ring.verifier.verify(text) { id in
                roster.recordNow(id: id).flatMap { $0.removed ? nil : $0.badgeVersion }
            }
            return DoorAnswer(
                status: "found", message: payload.attendeeID,
                attendee: roster.recordNow(id: payload.attendeeID).map(AttendeeJSON.init))
        } catch {
            return DoorAnswer(status: "refused", message: error.description, printState: nil, printMessage: error.code)
        }
    }
    if let record = roster.recordNow(id: text), !record.removed {
        return DoorAnswer(status: "found", message: record.attendee.id, attendee: AttendeeJSON(record))
    }
    // A registration system's ticket (pretix, Eventbrite, Indico): looked up by its keyed digest.
    // The code itself is never logged nor answered.
    if let digest = ring?.tickets?.digest(scanned: text), let record = roster.recordNow(ticket: digest) {
        guard !record.removed else {
            kioskLog.notice(
                "ticket refused: registration cancelled",
                metadata: ["kiosk": "\(kiosk)", "attendee_id": "\(record.attendee.id)"])
            return DoorAnswer(status: "cancelled", message: record.attendee.listName, attendee: nil)
        }
        return DoorAnswer(status: "found", message: record.attendee.id, attendee: AttendeeJSON(record))
    }
    return DoorAnswer(status: "unknown", message: text.count > 40 ? "" : text)
}
