import AccueilCore
import CentralStorage
import Foundation
import Hummingbird
import Logging
import Sync

/// The kiosks the servers have heard from: when, and what they said of themselves. Kept in the
/// store, so that every server on it shows every kiosk. Contacts are written at most every
/// `writeEvery` per kiosk (a long-polling kiosk calls every few seconds); health reports and
/// refusals at once. What this server heard more recently than it wrote is added on reading.
actor KioskRegistry {
    struct Entry {
        var lastContact: Date
        var health: KioskHealth?
        /// Pushes the server refused (`PushPolicy`), and the last reason.
        var refusedPushes = 0
        var lastRefusal: String?
    }
    let store: any CentralStore
    let writeEvery: TimeInterval
    private var heardHere: [String: (at: Date, written: Date)] = [:]
    private let logger = Logger(label: "accueil.server")
    /// Contacts waiting for ``writeContacts()``. Writes are idempotent and keep the latest time, so
    /// when too many wait (the store stalls) the oldest are dropped: a newer one says more.
    private let contacts: AsyncStream<(kiosk: String, at: Date)>
    private let pending: AsyncStream<(kiosk: String, at: Date)>.Continuation

    init(store: any CentralStore, writeEvery: TimeInterval = 5) {
        self.store = store
        self.writeEvery = writeEvery
        (contacts, pending) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
    }

    /// Writes the contacts `heard(from:)` left, one after the other, until its task is cancelled
    /// (the server's work, `buildServer`): what is still waiting then is at most `writeEvery` old.
    nonisolated func writeContacts() async {
        for await (kiosk, at) in contacts {
            do { try await store.recordKioskContact(kiosk, at: at, health: nil) } catch {
                logger.warning("kiosk contact not recorded", metadata: ["kiosk": "\(kiosk)", "error": "\(error)"])
            }
        }
    }

    func refused(from kiosk: String, reason: String, at now: Date = Date()) async {
        do { try await store.recordKioskRefusal(kiosk, reason: reason, at: now) } catch {
            logger.warning("kiosk refusal not recorded", metadata: ["kiosk": "\(kiosk)", "error": "\(error)"])
        }
    }

    /// A contact is written off the request's path, by ``writeContacts()`` (200 kiosks
    /// long-polling make 40 writes a second, and a long poll does not wait for them); a health
    /// report before it is answered.
    func heard(from kiosk: String, health: KioskHealth? = nil, at now: Date = Date()) async {
        let written = heardHere[kiosk]?.written ?? .distantPast
        heardHere[kiosk] = (now, written)
        guard health != nil || now.timeIntervalSince(written) >= writeEvery else { return }
        heardHere[kiosk] = (now, now)
        guard let health else {
            pending.yield((kiosk, now))
            return
        }
        do { try await store.recordKioskContact(kiosk, at: now, health: health) } catch {
            logger.warning("kiosk health not recorded", metadata: ["kiosk": "\(kiosk)", "error": "\(error)"])
        }
    }

    /// Every kiosk any server heard from.
    func entries() async throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for record in try await store.kioskRecords() {
            entries[record.name] = Entry(
                lastContact: max(record.lastContact, heardHere[record.name]?.at ?? .distantPast), health: record.health,
                refusedPushes: record.refusedPushes, lastRefusal: record.lastRefusal)
        }
        for (kiosk, heard) in heardHere where entries[kiosk] == nil {
            entries[kiosk] = Entry(lastContact: heard.at, health: nil)
        }
        return entries
    }
}

/// The dashboard's figures at one moment: `GET /api/v1/dashboard` and each message of its stream.
public struct DashboardView: Codable, Sendable {
    public struct Count: Codable, Sendable, Equatable {
        public var registered = 0
        public var checkedIn = 0
        enum CodingKeys: String, CodingKey {
            case registered
            case checkedIn = "checked_in"
        }
    }
    public struct Bucket: Codable, Sendable {
        public var start: Date
        public var arrivals: Int
    }
    public struct SessionLine: Codable, Sendable {
        public var id, title, room, kind, access: String
        public var start, end: Date
        public var capacity, inside: Int
        /// open | near (90 %) | full | over
        public var level: String
        public var attended: Int
        /// The session its room's doors follow now (running, or next with doors open): the room's line.
        public var current: Bool = false
    }
    /// A door (a kiosk that checked people in): its arrivals by 5 minutes, its last check-in, and
    /// its pace over the last 10 minutes.
    public struct DoorLine: Codable, Sendable {
        public var name: String
        public var checkedIn: Int
        public var lastAt: Date?
        public var perMinute: Double
        public var arrivals: [Bucket]
        enum CodingKeys: String, CodingKey {
            case name, arrivals
            case checkedIn = "checked_in"
            case lastAt = "last_at"
            case perMinute = "per_minute"
        }
    }
    public struct KioskLine: Codable, Sendable {
        public var name: String
        public var lastContact: Date
        public var offlineSeconds: Int
        public var offline: Bool
        public var health: KioskHealth?
        /// Requests of this kiosk the server refused (`PushPolicy`), and the last reason.
        public var refusedPushes: Int = 0
        public var lastRefusal: String?
        /// The health's printer trouble in French, for the page.
        public var printerTroubleFR: String?
        enum CodingKeys: String, CodingKey {
            case name, offline, health
            case printerTroubleFR = "printer_trouble_fr"
            case lastContact = "last_contact"
            case offlineSeconds = "offline_seconds"
            case refusedPushes = "refused_pushes"
            case lastRefusal = "last_refusal"
        }
    }
    public struct Alert: Codable, Sendable {
        /// vip | duplicate | room_full | kiosk_offline | set_aside | refused_push | printer
        public var kind: String
        public var at: Date
        /// The alert in English, for scripts and logs.
        public var message: String
        public var attendeeID: String?
        /// The values in `message`, by name, for pages that say it in their reader's language
        /// (`dashboard-fr.json`'s `alert_<kind>`): who, kiosk, title, room, count, capacity,
        /// reason, trouble and `trouble_fr`…
        public var values: [String: String]
        enum CodingKeys: String, CodingKey {
            case kind, at, message, values
            case attendeeID = "attendee_id"
        }
    }

    public var generatedAt: Date
    public var cursor: Int64
    public var total: Count
    public var walkIns: Int
    public var duplicates: Int
    public var french: Count
    public var foreign: Count
    public var byRole: [String: Count]
    public var byCountry: [String: Count]
    public var byDelegation: [String: Count]
    public var arrivals: [Bucket]
    public var doors: [DoorLine] = []
    public var sessions: [SessionLine]
    public var kiosks: [KioskLine]
    public var alerts: [Alert]
    /// Whether names appear (the organiser may see them).
    public var names: Bool
    /// The event's time zone (`EventTime`): the page shows every time in it.
    public var timeZone: String = EventTime.zone.identifier

    enum CodingKeys: String, CodingKey {
        case cursor, total, duplicates, french, foreign, arrivals, doors, sessions, kiosks, alerts, names
        case timeZone = "time_zone"
        case generatedAt = "generated_at"
        case walkIns = "walk_ins"
        case byRole = "by_role"
        case byCountry = "by_country"
        case byDelegation = "by_delegation"
    }

    /// The figures of folded states (a test's way in). Names appear in alerts only with `names`.
    static func make(
        states: [String: AttendeeState], sessions: [String: Session], cursor: Int64,
        kiosks: [String: KioskRegistry.Entry], names: Bool, offlineAfter: TimeInterval, now: Date = Date()
    ) -> DashboardView {
        var totals = DashboardTotals()
        for state in states.values { totals.apply(state, 1) }
        return make(
            totals: totals, sessions: sessions, cursor: cursor, kiosks: kiosks, names: names,
            offlineAfter: offlineAfter, now: now)
    }

    /// The figures of the kept counts. Names appear in alerts only with `names`.
    static func make(
        totals: DashboardTotals, sessions: [String: Session], cursor: Int64,
        kiosks: [String: KioskRegistry.Entry], names: Bool, offlineAfter: TimeInterval, now: Date = Date()
    ) -> DashboardView {
        var view = DashboardView(
            generatedAt: now, cursor: cursor, total: totals.total, walkIns: totals.walkIns,
            duplicates: totals.duplicates, french: totals.french, foreign: totals.foreign,
            byRole: totals.byRole.filter { $0.value.registered > 0 },
            byCountry: totals.byCountry.filter { $0.value.registered > 0 },
            byDelegation: totals.byDelegation.filter { $0.value.registered > 0 }, arrivals: [], sessions: [],
            kiosks: [], alerts: [], names: names)
        let buckets = totals.buckets.filter { $0.value > 0 }
        let inside = totals.inside
        let attended = totals.attended
        func who(_ attendee: Attendee) -> String {
            names ? "\(attendee.lastName.uppercased()) \(attendee.firstName) (\(attendee.id))" : attendee.id
        }
        let vips = totals.vips.values.map { vip in
            Alert(
                kind: "vip", at: vip.checkIn.at,
                message: "VIP arrived: \(who(vip.attendee)) at \(vip.checkIn.kiosk)"
                    + (names ? " — \(vip.attendee.vip)" : ""),
                attendeeID: vip.attendee.id,
                values: ["who": who(vip.attendee), "kiosk": vip.checkIn.kiosk, "note": names ? vip.attendee.vip : ""])
        }
        let duplicates = totals.twice.values.map { pair in
            Alert(
                kind: "duplicate", at: pair.second.at,
                message:
                    "checked in at two doors: \(who(pair.attendee)) at \(pair.first.kiosk) and \(pair.second.kiosk) (a second badge?)",
                attendeeID: pair.attendee.id,
                values: ["who": who(pair.attendee), "first": pair.first.kiosk, "second": pair.second.kiosk])
        }
        view.arrivals = buckets.keys.sorted().map {
            Bucket(start: Date(timeIntervalSince1970: Double($0)), arrivals: buckets[$0]!)
        }
        let recent = Int64(now.timeIntervalSince1970) / 60 - 10
        for (door, byBucket) in totals.doorBuckets.sorted(by: { $0.key < $1.key }) {
            let arrivals = byBucket.filter { $0.value > 0 }
            let total = arrivals.values.reduce(0, +)
            guard total > 0 else { continue }
            let lastTen = (totals.doorMinutes[door] ?? [:]).filter { $0.key >= recent }.values.reduce(0, +)
            view.doors.append(
                DoorLine(
                    name: door, checkedIn: total, lastAt: totals.doorLast[door]?.max(),
                    perMinute: Double(lastTen) / 10,
                    arrivals: arrivals.keys.sorted().map {
                        Bucket(start: Date(timeIntervalSince1970: Double($0)), arrivals: arrivals[$0]!)
                    }))
        }
        // The sanitary limit is the room's: a session running now counts everyone inside its room,
        // people still there from an earlier session included.
        var roomInside: [String: Int] = [:]
        for session in sessions.values where !session.room.isEmpty {
            roomInside[session.room, default: 0] += inside[session.id] ?? 0
        }
        // Each room's current session, as its doors choose it: the one in progress, else the next
        // whose doors are open.
        var current: [String: Session] = [:]
        for session in sessions.values
        where !session.room.isEmpty && session.end > now
            && session.start.addingTimeInterval(-Session.doorsOpenBefore) <= now
        {
            let key = { (s: Session) in (s.start <= now ? 0 : 1, s.start.timeIntervalSince1970, s.id) }
            if let other = current[session.room], key(other) <= key(session) { continue }
            current[session.room] = session
        }
        for session in sessions.values.sorted(by: { ($0.start, $0.id) < ($1.start, $1.id) }) {
            let count =
                current[session.room]?.id == session.id ? roomInside[session.room] ?? 0 : inside[session.id] ?? 0
            let level =
                session.capacity == 0
                ? "open"
                : count > session.capacity
                    ? "over"
                    : count == session.capacity
                        ? "full" : Double(count) >= 0.9 * Double(session.capacity) ? "near" : "open"
            view.sessions.append(
                SessionLine(
                    id: session.id, title: session.title, room: session.room, kind: session.kind,
                    access: session.access.description, start: session.start, end: session.end,
                    capacity: session.capacity, inside: count, level: level, attended: attended[session.id] ?? 0,
                    current: current[session.room]?.id == session.id))
            if level == "full" || level == "over", session.end > now {
                view.alerts.append(
                    Alert(
                        kind: "room_full", at: now,
                        message: "\(session.title) (\(session.room)): \(count)/\(session.capacity) inside",
                        attendeeID: nil,
                        values: [
                            "title": session.title, "room": session.room, "count": "\(count)",
                            "capacity": "\(session.capacity)",
                        ]))
            }
        }
        for (name, entry) in kiosks.sorted(by: { $0.key < $1.key }) {
            let silent = now.timeIntervalSince(entry.lastContact)
            let offline = silent > offlineAfter
            view.kiosks.append(
                KioskLine(
                    name: name, lastContact: entry.lastContact, offlineSeconds: offline ? Int(silent) : 0,
                    offline: offline, health: entry.health, refusedPushes: entry.refusedPushes,
                    lastRefusal: entry.lastRefusal,
                    printerTroubleFR: entry.health?.printerTrouble.map(PrinterWords.french)))
            if entry.refusedPushes > 0, let reason = entry.lastRefusal {
                view.alerts.append(
                    Alert(
                        kind: "refused_push", at: entry.lastContact,
                        message:
                            "kiosk \(name): \(entry.refusedPushes) request\(entry.refusedPushes == 1 ? "" : "s") refused by the server: \(reason)",
                        attendeeID: nil, values: ["kiosk": name, "count": "\(entry.refusedPushes)", "reason": reason]))
            }
            if offline {
                view.alerts.append(
                    Alert(
                        kind: "kiosk_offline", at: entry.lastContact,
                        message: "kiosk \(name) silent for \(Int(silent) / 60) min \(Int(silent) % 60) s",
                        attendeeID: nil,
                        values: ["kiosk": name, "minutes": "\(Int(silent) / 60)", "seconds": "\(Int(silent) % 60)"]))
            }
            if let refused = entry.health?.setAside, refused > 0 {
                view.alerts.append(
                    Alert(
                        kind: "set_aside", at: entry.lastContact,
                        message:
                            "kiosk \(name): \(refused) change\(refused == 1 ? "" : "s") refused by the server, set aside: \(entry.health?.setAsideReason ?? "")",
                        attendeeID: nil,
                        values: ["kiosk": name, "count": "\(refused)", "reason": entry.health?.setAsideReason ?? ""]))
            }
            if let trouble = entry.health?.printerTrouble,
                (entry.health?.printQueue["failed"] ?? 0) + (entry.health?.printQueue["pending"] ?? 0) > 0
            {
                view.alerts.append(
                    Alert(
                        kind: "printer", at: entry.lastContact, message: "printer at \(name): \(trouble)",
                        attendeeID: nil,
                        values: ["kiosk": name, "trouble": trouble, "trouble_fr": PrinterWords.french(trouble)]))
            }
        }
        // Newest first; at the same time, by attendee id (the same on every server and every load).
        let newestFirst = { (a: Alert, b: Alert) -> Bool in
            a.at != b.at ? a.at > b.at : (a.attendeeID ?? "") < (b.attendeeID ?? "")
        }
        view.alerts += vips.sorted(by: newestFirst).prefix(50)
        view.alerts += duplicates.sorted(by: newestFirst).prefix(50)
        return view
    }
}

/// The dashboard's counts kept as attendees change (the projection applies each re-folded state:
/// out with the old, in with the new), so that a view costs the sessions and kiosks, not a pass
/// over 100,000 attendees.
struct DashboardTotals: Sendable {
    var total = DashboardView.Count()
    var walkIns = 0
    /// Attendees checked in at two doors; check-ins beyond the first; second check-ins refused.
    var duplicates = 0
    var duplicateCheckIns = 0
    var refusedAttempts = 0
    var french = DashboardView.Count()
    var foreign = DashboardView.Count()
    var byRole: [String: DashboardView.Count] = [:]
    var byCountry: [String: DashboardView.Count] = [:]
    var byDelegation: [String: DashboardView.Count] = [:]
    /// Arrivals by 5-minute bucket (seconds since 1970 of the bucket's start).
    var buckets: [Int64: Int] = [:]
    /// The same by door (the kiosk that checked in), by minute (minutes since 1970) for each door's
    /// pace, and each door's check-in times (a multiset: the latest is its last check-in).
    var doorBuckets: [String: [Int64: Int]] = [:]
    var doorMinutes: [String: [Int64: Int]] = [:]
    var doorLast: [String: Multiset<Date>] = [:]
    var inside: [String: Int] = [:]
    var attended: [String: Int] = [:]
    /// Checked-in VIPs and people checked in at two doors, by attendee id.
    var vips: [String: (attendee: Attendee, checkIn: CheckInRecord)] = [:]
    var twice: [String: (attendee: Attendee, first: CheckInRecord, second: CheckInRecord)] = [:]

    mutating func apply(_ state: AttendeeState?, _ sign: Int) {
        guard let state, let attendee = state.attendee, !state.removed else { return }
        let arrived = state.checkIn != nil ? sign : 0
        func add(_ count: inout DashboardView.Count) {
            count.registered += sign
            count.checkedIn += arrived
        }
        add(&total)
        add(&byRole[attendee.role.rawValue, default: .init()])
        if !attendee.country.isEmpty { add(&byCountry[attendee.country, default: .init()]) }
        if !attendee.delegation.isEmpty { add(&byDelegation[attendee.delegation, default: .init()]) }
        if attendee.country == "FR" || attendee.country.isEmpty { add(&french) } else { add(&foreign) }
        if attendee.walkIn { walkIns += sign }
        duplicateCheckIns += sign * state.duplicateCheckIns.count
        refusedAttempts += sign * state.refusedAttempts
        if let presence = state.inside { inside[presence.session, default: 0] += sign }
        for session in state.attended { attended[session, default: 0] += sign }
        if let checkIn = state.checkIn {
            let seconds = Int64(checkIn.at.timeIntervalSince1970)
            buckets[seconds / 300 * 300, default: 0] += sign
            doorBuckets[checkIn.kiosk, default: [:]][seconds / 300 * 300, default: 0] += sign
            doorMinutes[checkIn.kiosk, default: [:]][seconds / 60, default: 0] += sign
            doorLast[checkIn.kiosk, default: Multiset()].add(checkIn.at, sign)
            if !attendee.vip.isEmpty { vips[attendee.id] = sign > 0 ? (attendee, checkIn) : nil }
        }
        if let second = state.duplicateCheckIns.first, let first = state.checkIn {
            duplicates += sign
            twice[attendee.id] = sign > 0 ? (attendee, first, second) : nil
        }
    }
}

extension Stats {
    /// The same counts as ``Stats/init(states:)`` gives, from the totals the projection keeps as
    /// states change: an answer without a pass over every attendee.
    init(_ totals: DashboardTotals) {
        self.init()
        func counts(_ counts: [String: DashboardView.Count]) -> [String: Count] {
            counts.compactMapValues {
                $0.registered > 0 ? Count(registered: $0.registered, checkedIn: $0.checkedIn) : nil
            }
        }
        registered = totals.total.registered
        checkedIn = totals.total.checkedIn
        walkIns = totals.walkIns
        duplicates = totals.duplicateCheckIns
        refusedAttempts = totals.refusedAttempts
        byRole = counts(totals.byRole)
        byCountry = counts(totals.byCountry)
        byDelegation = counts(totals.byDelegation)
        international = Count(registered: totals.foreign.registered, checkedIn: totals.foreign.checkedIn)
    }
}

extension DashboardView.Count {
    mutating func add(_ arrived: Int) {
        registered += 1
        checkedIn += arrived
    }
}

/// Organisers signed in to the dashboard: random session tokens kept in memory for 12 hours.
struct OrganiserSessions {
    typealias Session = OrganiserSession
    let store: any CentralStore
    static let cookie = "accueil_dashboard"

    /// A new sign-in for 12 hours; the cookie's value (only its hash is stored).
    func open(_ account: OrganiserAccount) async throws -> String {
        let token = UUID.random().uuidString + UUID.random().uuidString
        try await store.openOrganiserSession(
            tokenHash: secretHash(token),
            OrganiserSession(
                name: account.name, canSeeNames: account.canSeeNames, expires: Date().addingTimeInterval(12 * 3600)))
        return token
    }

    func session(_ request: Request) async throws -> Session? {
        guard let token = requestCookie(Self.cookie, in: request) else { return nil }
        return try await store.organiserSession(tokenHash: secretHash(token))
    }

    func close(_ request: Request) async throws {
        if let token = requestCookie(Self.cookie, in: request) {
            try await store.closeOrganiserSession(tokenHash: secretHash(token))
        }
    }
}

/// The value of the cookie `name` a request carries, if any (Hummingbird's cookie parsing).
public func requestCookie(_ name: String, in request: Request) -> String? {
    request.cookies[name]?.value
}

/// Counts of values, for a maximum that survives removals (the totals take states out and back in).
struct Multiset<Value: Hashable & Comparable & Sendable>: Sendable {
    private var counts: [Value: Int] = [:]

    mutating func add(_ value: Value, _ sign: Int) {
        let count = (counts[value] ?? 0) + sign
        counts[value] = count > 0 ? count : nil
    }

    func max() -> Value? { counts.keys.max() }
}
