import AccueilCore
import BadgeCore
import Badges
import Foundation
import Hummingbird
import WebSupport

/// Attendance reports for organisers: per attendee and per session, as CSV and JSON, and an
/// attendance certificate as PDF. Names appear only for organisers allowed to see them.
enum Reports {
    struct AttendeeLine: Codable {
        var id: String
        var lastName, firstName, nativeName, organisation, title: String?
        var role, country, delegation: String
        var walkIn: Bool
        var checkedIn: Bool
        var checkedInAt: Date?
        var kiosk: String?
        var sessions: [String]

        enum CodingKeys: String, CodingKey {
            case id, organisation, title, role, country, delegation, kiosk, sessions
            case lastName = "last_name"
            case firstName = "first_name"
            case nativeName = "native_name"
            case walkIn = "walk_in"
            case checkedIn = "checked_in"
            case checkedInAt = "checked_in_at"
        }
    }

    struct SessionLine: Codable {
        var id, title, room, kind, access: String
        var start, end: Date
        var capacity, attended, inside: Int
        var refused: [String: Int]
    }

    static func attendees(_ states: AttendeeStates, names: Bool) -> [AttendeeLine] {
        states.values.compactMap { state -> AttendeeLine? in
            guard let a = state.attendee, !state.removed else { return nil }
            return AttendeeLine(
                id: a.id, lastName: names ? a.lastName : nil, firstName: names ? a.firstName : nil,
                nativeName: names ? a.nativeName : nil, organisation: names ? a.organisation : nil,
                title: names ? a.title : nil, role: a.role.rawValue, country: a.country, delegation: a.delegation,
                walkIn: a.walkIn, checkedIn: state.checkIn != nil, checkedInAt: state.checkIn?.at,
                kiosk: state.checkIn?.kiosk, sessions: state.attended)
        }.sorted { $0.id < $1.id }
    }

    static func sessions(
        _ states: AttendeeStates, _ schedule: [String: Session], refusals: [String: [String: Int]]
    ) -> [SessionLine] {
        var attended: [String: Int] = [:]
        var inside: [String: Int] = [:]
        for state in states.values where state.attendee != nil && !state.removed {
            for session in state.attended { attended[session, default: 0] += 1 }
            if let presence = state.inside { inside[presence.session, default: 0] += 1 }
        }
        return schedule.values.sorted { ($0.start, $0.id) < ($1.start, $1.id) }.map { s in
            SessionLine(
                id: s.id, title: s.title, room: s.room, kind: s.kind, access: s.access.description, start: s.start,
                end: s.end, capacity: s.capacity, attended: attended[s.id] ?? 0, inside: inside[s.id] ?? 0,
                refused: refusals[s.id] ?? [:])
        }
    }

    static func csv(_ lines: [AttendeeLine], names: Bool) -> String {
        var out = CSVWriter.reportLine(
            ["id"] + (names ? ["last_name", "first_name", "native_name", "organisation", "title"] : [])
                + ["role", "country", "delegation", "walk_in", "checked_in", "checked_in_at", "kiosk", "sessions"])
        for l in lines {
            out += CSVWriter.reportLine(
                [l.id]
                    + (names
                        ? [
                            l.lastName ?? "", l.firstName ?? "", l.nativeName ?? "", l.organisation ?? "",
                            l.title ?? "",
                        ]
                        : [])
                    + [
                        l.role, l.country, l.delegation, l.walkIn ? "yes" : "no", l.checkedIn ? "yes" : "no",
                        l.checkedInAt.map(iso) ?? "", l.kiosk ?? "", l.sessions.joined(separator: "|"),
                    ])
        }
        return out
    }

    static func csv(_ lines: [SessionLine]) -> String {
        var out = CSVWriter.reportLine([
            "id", "title", "room", "kind", "access", "start", "end", "capacity", "attended", "inside", "refused",
        ])
        for l in lines {
            out += CSVWriter.reportLine([
                l.id, l.title, l.room, l.kind, l.access, iso(l.start), iso(l.end), String(l.capacity),
                String(l.attended), String(l.inside), String(l.refused.values.reduce(0, +)),
            ])
        }
        return out
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func json(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)) ?? Data("[]".utf8)
    }
}

/// The sessions an attendee entered, in order, for their certificate.
func certificateLines(_ state: AttendeeState, _ schedule: [String: Session]) -> [AttendanceCertificate.Line] {
    state.attended.compactMap { schedule[$0] }.sorted { $0.start < $1.start }.map {
        AttendanceCertificate.Line(title: $0.title, start: $0.start, end: $0.end)
    }
}

/// Finds attendees by name for the organisers' pages (a certificate for a chosen person): the door's
/// search (typos, accents, any script), over the central store's attendees. The index is rebuilt
/// when the store has moved on, at most every `staleness` seconds, so that a burst of check-ins
/// does not rebuild it for each search.
actor AttendeeFinder {
    struct Hit: Encodable {
        var id: String
        var name: String
        var nativeName: String
        var organisation: String
        var role: String
        var country: String
        var arrived: Bool
        enum CodingKeys: String, CodingKey {
            case id, name, organisation, role, country, arrived
            case nativeName = "native_name"
        }
    }

    let projection: CentralProjection
    let staleness: TimeInterval
    private var built: (cursor: Int64, at: Date, index: SearchIndex, attendees: [Attendee])?

    init(projection: CentralProjection, staleness: TimeInterval = 10) {
        self.projection = projection
        self.staleness = staleness
    }

    func find(_ query: String, limit: Int = 10) async throws -> [Hit] {
        let (states, _, cursor) = try await projection.current()
        let stale = built.map { $0.cursor != cursor && Date().timeIntervalSince($0.at) > staleness } ?? true
        if stale {
            let attendees = states.values.compactMap { $0.removed ? nil : $0.attendee }
            built = (cursor, Date(), SearchIndex(attendees), attendees)
        }
        guard let built else { return [] }
        let exact = states[query.trimmingCharacters(in: .whitespaces)].flatMap { $0.removed ? nil : $0.attendee }
        let found =
            (exact.map { [$0] } ?? []) + built.index.search(query, limit: limit).map { built.attendees[$0.index] }
        var seen = Set<String>()
        return found.filter { seen.insert($0.id).inserted }.prefix(limit).map { attendee in
            Hit(
                id: attendee.id, name: attendee.displayName, nativeName: attendee.nativeName,
                organisation: attendee.organisation, role: attendee.role.rawValue, country: attendee.country,
                arrived: states[attendee.id]?.checkIn != nil)
        }
    }
}

/// The report routes (a signed-in organiser; `authorise` says who and whether they see names).
func addReportRoutes(
    to router: Router<ClientContext>, projection: CentralProjection, eventName: String,
    authorise: @escaping @Sendable (Request) async throws -> OrganiserSessions.Session
) {
    @Sendable func file(_ data: Data, _ type: String, _ name: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-store", .contentDisposition: "attachment; filename=\"\(name)\"",
            ], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
    // Attendees by name or id, for choosing whose certificate to download (`?q=`, 10 at most).
    let finder = AttendeeFinder(projection: projection)
    router.get("/api/v1/reports/attendees") { request, _ -> Response in
        guard try await authorise(request).canSeeNames else {
            throw HTTPError(.forbidden, message: "names: this organiser may not see them")
        }
        let query = request.uri.queryParameters.get("q") ?? ""
        let hits = query.trimmingCharacters(in: .whitespaces).isEmpty ? [] : try await finder.find(query)
        var response = try jsonAnswer(hits)
        response.headers[.cacheControl] = "no-store"
        return response
    }
    router.get("/api/v1/reports/attendance.csv") { request, _ -> Response in
        let names = try await authorise(request).canSeeNames
        let lines = Reports.attendees(try await projection.current().states, names: names)
        return file(Data(Reports.csv(lines, names: names).utf8), "text/csv; charset=utf-8", "attendance.csv")
    }
    router.get("/api/v1/reports/attendance.json") { request, _ -> Response in
        let names = try await authorise(request).canSeeNames
        return file(
            Reports.json(Reports.attendees(try await projection.current().states, names: names)), "application/json",
            "attendance.json")
    }
    router.get("/api/v1/reports/sessions.csv") { request, _ -> Response in
        _ = try await authorise(request)
        let (states, schedule, _) = try await projection.current()
        let lines = Reports.sessions(states, schedule, refusals: try await projection.tallies().refusals)
        return file(Data(Reports.csv(lines).utf8), "text/csv; charset=utf-8", "sessions.csv")
    }
    router.get("/api/v1/reports/sessions.json") { request, _ -> Response in
        _ = try await authorise(request)
        let (states, schedule, _) = try await projection.current()
        let lines = Reports.sessions(states, schedule, refusals: try await projection.tallies().refusals)
        return file(Reports.json(lines), "application/json", "sessions.json")
    }
    // Every certificate of one role (all the elected officials: `?role=elected_official`), or of
    // everyone who arrived, as one PDF, a page each, by last name.
    router.get("/api/v1/reports/certificates.pdf") { request, _ -> Response in
        guard try await authorise(request).canSeeNames else {
            throw HTTPError(.forbidden, message: "certificates carry names: this organiser may not see them")
        }
        var role: Role?
        if let text = request.uri.queryParameters.get("role"), !text.isEmpty {
            guard let parsed = Role(parsing: text) else {
                throw HTTPError(.badRequest, message: "unknown role \"\(text)\"")
            }
            role = parsed
        }
        let (states, schedule, _) = try await projection.current()
        let certificates = states.values.compactMap { state -> AttendanceCertificate? in
            guard let attendee = state.attendee, !state.removed, let arrival = state.checkIn,
                role == nil || attendee.role == role
            else { return nil }
            return AttendanceCertificate(
                event: eventName, attendee: attendee, arrivedAt: arrival.at,
                sessions: certificateLines(state, schedule))
        }
        .sorted {
            ($0.attendee.lastName.lowercased(), $0.attendee.firstName, $0.attendee.id)
                < ($1.attendee.lastName.lowercased(), $1.attendee.firstName, $1.attendee.id)
        }
        guard !certificates.isEmpty else {
            throw HTTPError(.notFound, message: "nobody \(role.map { "of role \($0.rawValue) " } ?? "")has arrived yet")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("certificates-\(UUID.random()).pdf")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AttendanceCertificate.pdf(certificates, to: path)
        return file(
            try Data(contentsOf: URL(fileURLWithPath: path)), "application/pdf",
            "attestations-\(role?.rawValue ?? "all").pdf")
    }
    router.get("/api/v1/reports/certificate/{id}") { request, context -> Response in
        guard try await authorise(request).canSeeNames else {
            throw HTTPError(.forbidden, message: "certificates carry names: this organiser may not see them")
        }
        let id = context.parameters.get("id") ?? ""
        let (states, schedule, _) = try await projection.current()
        guard let state = states[id], let attendee = state.attendee, !state.removed else {
            throw HTTPError(.notFound, message: "unknown attendee id \(id)")
        }
        guard let arrival = state.checkIn else {
            throw HTTPError(.conflict, message: "\(id) has no arrival recorded: no certificate")
        }
        let lines = certificateLines(state, schedule)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("certificate-\(UUID.random()).pdf")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AttendanceCertificate(event: eventName, attendee: attendee, arrivedAt: arrival.at, sessions: lines).pdf(
            to: path)
        return file(try Data(contentsOf: URL(fileURLWithPath: path)), "application/pdf", "attestation-\(id).pdf")
    }
}
