import AccueilCore
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import Server
@testable import Sync

/// A signed-in organiser's cookie header.
func signIn(_ client: TestClient, _ name: String, _ password: String) async throws -> String {
    try await client.execute(
        uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
        body: ByteBuffer(string: "name=\(name)&password=\(password)")
    ) { response in
        #expect(response.status == .seeOther)
        return String((response.headers[.setCookie] ?? "").split(separator: ";").first ?? "")
    }
}

/// What a token may push, the organisers' sign-in, and the reports' cells (issue 14).
@Suite("Trust on the server: who may push what, sign-in throttling, reports as spreadsheets")
struct PolicyTests {
    func body(_ value: some Encodable) throws -> ByteBuffer { ByteBuffer(data: try JSONEncoder().encode(value)) }

    func wire(
        _ id: String, _ body: Event.Body, kiosk: String = "door-1", at: Date = Date()
    ) -> WireEvent {
        WireEvent(Event(attendeeID: id, at: at, kiosk: kiosk, body: body))
    }

    @Test(
        "a door's token: its own door events and walk-ins only, within a plausible time; refusals shown on the dashboard",
        arguments: StoreKind.allCases)
    func doorTokenScope(kind: StoreKind) async throws {
        try await withFreshStore(kind) { store in
            let door = try await store.createToken(kiosk: "door-1")
            let office = try await store.createToken(kiosk: "office", role: .organiser)
            try await store.saveOrganiser(try .make(name: "alice", password: "alice-password", canSeeNames: true))
            let app = serverApplication(store: store)
            let roster = RosterGenerator(seed: 5).attendees(count: 3)
            try await app.test(.live) { client in
                func push(_ events: [WireEvent], token: String = door, as kiosk: String = "door-1") async throws -> (
                    HTTPResponse.Status, String
                ) {
                    try await client.execute(
                        uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(token)"],
                        body: try body(PushRequest(kiosk: kiosk, events: events))
                    ) { ($0.status, String(buffer: $0.body)) }
                }
                // The organisers' roster, through their token.
                let (imported, _) = try await push(
                    roster.map { wire($0.id, .attendeeUpserted($0), kiosk: "office") }, token: office, as: "office")
                #expect(imported == .ok)
                let someone = roster[0].id
                let stored = try await store.latestSequence()

                var renamed = roster[1]
                renamed.lastName = "Renamed"
                var walkIn = Attendee(id: "W-door-1-1", lastName: "Walk", role: .participant)
                walkIn.walkIn = true
                var othersWalkIn = Attendee(id: "W-door-2-1", lastName: "Other", role: .participant)
                othersWalkIn.walkIn = true
                let refused: [(String, WireEvent, String)] = [
                    ("another kiosk's name", wire(someone, .checkedIn, kiosk: "door-2"), "this token is door-1's"),
                    ("a renamed attendee", wire(renamed.id, .attendeeUpserted(renamed)), "organiser's token"),
                    ("a removal", wire(someone, .attendeeRemoved), "organiser's token"),
                    ("another door's walk-in", wire(othersWalkIn.id, .attendeeUpserted(othersWalkIn)), "own walk-ins"),
                    (
                        "a schedule line",
                        wire(
                            Session.subject("S1"),
                            .sessionScheduled(
                                Session(
                                    id: "S1", title: "T", room: "R", start: Date(), end: Date().addingTimeInterval(600),
                                    capacity: 10, access: .open))), "organiser's token"
                    ),
                    (
                        "a check-in dated 1970", wire(someone, .checkedIn, at: Date(timeIntervalSince1970: 0)),
                        "too far back"
                    ),
                    (
                        "a check-in next day", wire(someone, .checkedIn, at: Date().addingTimeInterval(86_400)),
                        "in the future"
                    ),
                ]
                for (what, event, reason) in refused {
                    let (status, text) = try await push([wire(someone, .checkedIn), event])
                    #expect(status == .unprocessableContent, "\(what): \(status) \(text)")
                    #expect(text.contains(reason), "\(what): \(text)")
                }
                // Times at the ends of the range a 64-bit millisecond count can say.
                for at in [Int64.min, Int64.max] {
                    var event = wire(someone, .checkedIn)
                    event.at = at
                    #expect(try await push([event]).0 == .unprocessableContent)
                }
                #expect(try await store.latestSequence() == stored, "nothing of a refused batch is stored")
                // Another station's token: refused whole.
                #expect(try await push([wire(someone, .checkedIn, kiosk: "door-2")], as: "door-2").0 == .forbidden)
                // What a door makes goes through.
                let (ok, text) = try await push([
                    wire(someone, .checkedIn), wire(walkIn.id, .attendeeUpserted(walkIn)), wire(walkIn.id, .checkedIn),
                    wire(someone, .badgeReissued(reason: "lost")),
                ])
                #expect(ok == .ok, "\(text)")
                // The roster upload route takes an organiser's token only.
                try await client.execute(
                    uri: "/api/v1/roster", method: .post, headers: [.authorization: "Bearer \(door)"],
                    body: try body(RosterUpload(attendees: [], removeMissing: true, dryRun: false))
                ) { #expect($0.status == .forbidden) }
                try await client.execute(
                    uri: "/api/v1/roster", method: .post, headers: [.authorization: "Bearer \(office)"],
                    body: try body(RosterUpload(attendees: roster, removeMissing: false, dryRun: true))
                ) { #expect($0.status == .ok) }

                // The dashboard says which kiosk was refused, and why.
                let cookie = try await signIn(client, "alice", "alice-password")
                try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: [.cookie: cookie]) {
                    response in
                    let view = try JSONDecoder.iso.decode(DashboardView.self, from: Data(buffer: response.body))
                    let line = try #require(view.kiosks.first { $0.name == "door-1" })
                    #expect(line.refusedPushes >= refused.count + 3)
                    #expect(view.alerts.contains { $0.kind == "refused_push" && $0.message.contains("door-1") })
                }
            }
        }
    }

    @Test("sign-in: locked per account and per client after repeated failures, unknown names as slow as known ones")
    func signInThrottle() async throws {
        try await withFreshStore(.sqlite) { store in
            for name in ["alice", "bob"] {
                try await store.saveOrganiser(try .make(name: name, password: "\(name)-password", canSeeNames: false))
            }
            let app = serverApplication(store: store, secureCookies: true)
            try await app.test(.live) { client in
                func attempt(_ name: String, _ password: String) async throws -> (HTTPResponse.Status, String, Duration)
                {
                    let start = ContinuousClock.now
                    return try await client.execute(
                        uri: "/dashboard/login", method: .post,
                        headers: [.contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: "name=\(name)&password=\(password)")
                    ) {
                        (
                            $0.status, String(buffer: $0.body) + ($0.headers[.setCookie] ?? ""),
                            ContinuousClock.now - start
                        )
                    }
                }
                // An unknown name takes as long as a wrong password: scrypt runs for both.
                var known: [Duration] = []
                var unknown: [Duration] = []
                for i in 0..<3 {
                    known.append(try await attempt("alice", "wrong-\(i)").2)
                    unknown.append(try await attempt("nobody-\(i)", "wrong-\(i)").2)
                }
                let delay = Duration.milliseconds(500)
                let (k, u) = (known.min()! - delay, unknown.min()! - delay)
                print("sign-in refusal: known name \(known.min()!), unknown name \(unknown.min()!)")
                // Skipping scrypt for unknown names would make them a hundred times faster; a margin of 4
                // keeps the check from failing on timing noise alone (the AddressSanitizer stage, run
                // beside other suites, saw a known name take 2.1 times an unknown one's time).
                #expect(u * 4 >= k, "unknown \(unknown), known \(known)")
                // Two more wrong passwords for alice: her account is locked, even for the right one.
                _ = try await attempt("alice", "wrong-3")
                _ = try await attempt("alice", "wrong-4")
                let (status, text, first) = try await attempt("alice", "alice-password")
                #expect(status == .tooManyRequests && text.contains("try again in"), "\(status) \(text)")
                // Without scrypt and without the refusal's delay: a fraction of a wrong password's time
                // (relative, so that it holds under ThreadSanitizer, where CI saw a refusal take 578 ms
                // and a wrong password 2.5 s). The quickest of five answers is compared, as for the
                // wrong passwords: CI once saw one throttled answer take 1.1 s while other suites
                // held both cores. (Wrong passwords keep alice locked should the five outlast it.)
                var throttled = [first]
                for i in 0..<4 {
                    let (status, _, took) = try await attempt("alice", "wrong-again-\(i)")
                    if status == .tooManyRequests { throttled.append(took) }
                }
                #expect(
                    throttled.min()! * 2 < known.min()!,
                    "answered in \(throttled), a wrong password in \(known.min()!)")
                // Bob, from the same client, is not.
                let (bob, cookie, _) = try await attempt("bob", "bob-password")
                #expect(bob == .seeOther)
                // Served over HTTPS: the session cookie is Secure.
                #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "\(cookie)")
                // A client guessing across many names is stopped too.
                for i in 0..<20 { _ = try await attempt("guess-\(i)", "x") }
                #expect(try await attempt("bob", "bob-password").0 == .tooManyRequests)
            }
        }
    }

    @Test("600 mutated event batches from a door: refused with a reason or stored valid, never a 500")
    func mutatedBatches() async throws {
        try await withFreshStore(.sqlite) { store in
            let door = try await store.createToken(kiosk: "door-1")
            let app = serverApplication(store: store)
            var random = SeededGenerator(seed: 3000)
            let values: [Any] = [
                "", "checkin", "attendee.upserted", "session.scheduled", "door-2", String(repeating: "x", count: 300),
                "\u{0}\u{1B}[2J", 0, -1, Int64.max, Int64.min, 1.5, true, NSNull(), [1, 2], ["a": 1],
                UUID().uuidString, "not-a-uuid", #"{"id":"Z","last_name":"X","role":"participant","walk_in":true}"#,
                #"{"previous_kiosk":"door-2","previous_at":0}"#, "{", Int(Date().timeIntervalSince1970 * 1000),
            ]
            var bodies: [Data] = []
            for n in 0..<600 {
                var events: [[String: Any]] = (0..<(1 + random.index(Array(0..<5)))).map { i in
                    [
                        "id": UUID().uuidString, "type": "checkin", "attendee_id": "A\(n)-\(i)",
                        "at": Int64(Date().timeIntervalSince1970 * 1000), "kiosk": "door-1",
                    ]
                }
                for _ in 0..<(1 + random.index(Array(0..<3))) {
                    let e = random.index(events)
                    let key = ["id", "type", "attendee_id", "at", "kiosk", "payload", "seq", "extra"][
                        random.index(Array(0..<8))]
                    if random.next() % 5 == 0 {
                        events[e][key] = nil
                    } else {
                        events[e][key] = values[random.index(values)]
                    }
                }
                var push: [String: Any] = ["kiosk": random.next() % 10 == 0 ? "door-2" : "door-1", "events": events]
                if random.next() % 20 == 0 { push["events"] = values[random.index(values)] }
                bodies.append(try JSONSerialization.data(withJSONObject: push))
            }
            let sent = bodies
            let statuses = try await app.test(.live) { client in
                var statuses: [Int: Int] = [:]
                for data in sent {
                    try await client.execute(
                        uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(door)"],
                        body: ByteBuffer(data: data)
                    ) { response in
                        statuses[Int(response.status.code), default: 0] += 1
                        #expect([200, 400, 403, 413, 422].contains(Int(response.status.code)), "\(response.status)")
                        if response.status != .ok { #expect(!String(buffer: response.body).isEmpty) }
                    }
                }
                return statuses
            }
            // Whatever was stored is a valid event a door may push.
            let stored = try await store.changes(since: 0, limit: 10_000).events
            for event in stored {
                #expect(throws: Never.self) { try event.event() }
                #expect(event.kiosk == "door-1" && PushPolicy.doorTypes.contains(event.type), "\(event)")
            }
            print(
                "event fuzzing: 600 mutated batches, answers \(statuses.sorted { $0.key < $1.key }), \(stored.count) events stored"
            )
            #expect(statuses[200, default: 0] > 0 && statuses[422, default: 0] > 0)
        }
    }

    @Test("reports: CRLF in a name stays in its cell; formulas are shown as text, never evaluated")
    func reportCells() throws {
        let hostile = [
            "=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "Ann\r\nBob",
            " =1+1", "\tTab",
        ]
        let lines = hostile.enumerated().map { i, name in
            Reports.AttendeeLine(
                id: "A\(i)", lastName: name, firstName: "Ok", nativeName: "", organisation: name, title: "",
                role: "participant", country: "FR", delegation: "", walkIn: false, checkedIn: true, checkedInAt: nil,
                kiosk: "door-1", sessions: [])
        }
        let csv = Reports.csv(lines, names: true)
        let records = try CSVReader(delimiter: UInt8(ascii: ",")).records(csv)
        #expect(records.count == hostile.count + 1)
        for (i, name) in hostile.enumerated() {
            let fields = records[i + 1].fields
            let expected = name == "Ann\r\nBob" ? name : "'" + name
            #expect(fields[1] == expected, "\(fields)")
            #expect(fields[4] == expected, "\(fields)")
        }
        #expect(CSVWriter.spreadsheetSafe("Anne-Marie") == "Anne-Marie")
        #expect(CSVWriter.spreadsheetSafe("+33 1 23") == "'+33 1 23")
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
