import AccueilCore
import BadgeCore
import Foundation
import HTTPTypes
import Hummingbird
import Kiosk
import KioskStore
import Logging
import NIOCore
import ServiceLifecycle
import Sync
import Synchronization
import TestSupport
import Testing
import WebSupport

@testable import KioskApp

/// Every route of the kiosk's local API, through its router in this process: no port, no
/// browser, no root. The CLI and browser tests drive the same routes through the real binary.
@Suite struct KioskRoutesTests {
    static let roster = [
        Attendee(
            id: "ACC-00001", firstName: "Anne", lastName: "Hidalgo", organisation: "Ville de Paris", country: "FR",
            role: .electedOfficial, language: "fr", tickets: ["TICKET-ANNE"]),
        Attendee(
            id: "ACC-00002", firstName: "Jürgen", lastName: "Großmann", country: "DE", role: .delegation,
            language: "de"),
        Attendee(id: "ACC-00003", firstName: "Фёдор", lastName: "Достоевский", country: "RU", role: .press),
        Attendee(id: "ACC-00004", firstName: "Pending", lastName: "Person", pending: true),
        Attendee(id: "ACC-00005", firstName: "Leïla", lastName: "Benali", country: "MA", role: .speaker),
    ]

    /// A station on a fresh store holding `roster`, with a keyring that signs; `configure` sets
    /// the mode and the rest.
    struct Station {
        let db: KioskDatabase
        let ring: Keyring
        let configuration: KioskConfiguration
        var parts: KioskParts

        var token: String {
            (try? String(contentsOf: db.directory.appendingPathComponent("page-token"), encoding: .utf8)) ?? ""
        }

        init(
            printing: Bool = false, sessions: [Session] = [], _ configure: (inout KioskConfiguration) -> Void = { _ in }
        ) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "accueil-kioskapp-\(UUID().uuidString)")
            db = try KioskDatabase(directory: directory)
            ring = try Keyring.create(event: "RGL26", eventName: "Rencontres")
            try ring.save(to: directory)
            // Ticket codes are kept as the keyring's digests, as `roster import` keeps them.
            let digester = try #require(ring.tickets)
            let roster = KioskRoutesTests.roster.map { attendee in
                var attendee = attendee
                attendee.tickets = attendee.tickets.compactMap { digester.digest(scanned: $0) }
                return attendee
            }
            try db.importRoster(roster, kiosk: "import")
            if !sessions.isEmpty { try db.importSessions(sessions, kiosk: "import") }
            var configuration = KioskConfiguration(kiosk: "door-1")
            configure(&configuration)
            self.configuration = configuration
            parts = KioskParts(db: db)
            if printing { parts.print = { @Sendable in PrintRequest(printer: "badges", template: "a6") } }
        }

        /// A genuine badge code for `id`, signed with this station's key.
        func badge(_ id: String, role: Role = .participant) throws -> String {
            let (keyID, key) = try ring.signingKey()
            let version = try #require(try db.attendee(id: id)).badgeVersion
            return try BadgePayload(event: ring.event, attendeeID: id, version: version, role: role, keyID: keyID)
                .signed(with: key)
        }

        /// Runs `body` with a client of this station's router.
        func run(_ body: @Sendable (Client) async throws -> Void) async throws {
            let app = Application(router: try buildKioskRouter(configuration, parts: parts))
            let token = self.token
            try await app.test(.live) { client in try await body(Client(client: client, token: token)) }
        }
    }

    /// Requests as the kiosk's own page makes them: JSON, with the page token.
    struct Client {
        let client: TestClient
        let token: String

        func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
            try await client.execute(uri: uri, method: .get, headers: headers) { $0 }
        }

        func post(_ uri: String, _ json: [String: Any], headers: HTTPFields? = nil) async throws -> TestResponse {
            let body = try JSONSerialization.data(withJSONObject: json)
            let fields: HTTPFields =
                headers ?? [.contentType: "application/json", HTTPField.Name("X-Accueil-Page")!: token]
            return try await client.execute(
                uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: body)
            ) { $0 }
        }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
        return try #require(object as? [String: Any], "\(String(buffer: response.body))")
    }

    static func errorMessage(_ response: TestResponse) throws -> String {
        let error = try #require(try json(response)["error"] as? [String: Any])
        return try #require(error["message"] as? String)
    }

    // MARK: Always there

    @Test("health, status and stats answer on any station")
    func healthStatusStats() async throws {
        let station = try Station()
        try await station.run { client in
            let health = try await client.get("/api/v1/health")
            #expect(health.status == .ok)
            #expect(String(buffer: health.body) == "ok")

            let status = try Self.json(try await client.get("/api/v1/status"))
            #expect(status["outbox"] as? Int == (try station.db.outboxCount()))
            let keys = try #require(status["badge_keys"] as? [String: Any])
            #expect(keys["event"] as? String == "RGL26")
            #expect(keys["signs"] as? Bool == true)
            let index = try #require(status["roster_index"] as? [String: Any])
            #expect(index["attendees"] as? Int == Self.roster.count)
            #expect(index["building"] as? Bool == false)

            _ = try await client.post("/api/v1/checkin", ["id": "ACC-00002"])
            let stats = try Self.json(try await client.get("/api/v1/stats"))
            #expect(stats["checked_in"] as? Int == 1, "\(stats)")
        }
    }

    @Test("the guard: changes need JSON and the page token; reads need a host this kiosk answers to")
    func guardRefusals() async throws {
        let station = try Station()
        try await station.run { client in
            let noToken = try await client.post(
                "/api/v1/checkin", ["id": "ACC-00001"], headers: [.contentType: "application/json"])
            #expect(noToken.status == .forbidden)
            #expect(try Self.errorMessage(noToken).contains("page token"))
            let form = try await client.post(
                "/api/v1/checkin", ["id": "ACC-00001"],
                headers: [.contentType: "text/plain", HTTPField.Name("X-Accueil-Page")!: client.token])
            #expect(form.status == .forbidden)
            #expect(try Self.errorMessage(form).contains("JSON"))
            let wrongToken = try await client.post(
                "/api/v1/checkin", ["id": "ACC-00001"],
                headers: [.contentType: "application/json", HTTPField.Name("X-Accueil-Page")!: "0" + client.token])
            #expect(wrongToken.status == .forbidden)
            let otherOrigin = try await client.post(
                "/api/v1/checkin", ["id": "ACC-00001"],
                headers: [
                    .contentType: "application/json", HTTPField.Name("X-Accueil-Page")!: client.token,
                    .origin: "http://evil.example",
                ])
            #expect(otherOrigin.status == .forbidden)
            #expect(try Self.errorMessage(otherOrigin).contains("another origin"))
        }
        // Nothing of those refused changes reached the store.
        #expect(try station.db.attendee(id: "ACC-00001")?.checkIn == nil)

        // The host rule itself (the router's test client always says `localhost`).
        let guardian = KioskGuard(pageToken: String(repeating: "a", count: 48), allowedHosts: ["accueil.local"])
        func refusal(_ authority: String) -> String? {
            guardian.refusal(
                Request(
                    head: .init(method: .get, scheme: "http", authority: authority, path: "/"),
                    body: .init(buffer: .init())))
        }
        #expect(refusal("localhost:8081") == nil)
        #expect(refusal("127.0.0.1:8081") == nil)
        #expect(refusal("[::1]:8081") == nil)
        #expect(refusal("accueil.local") == nil)
        #expect(refusal("attacker.example:8081")?.contains("does not answer to the host") == true)

        // The origin rule: a change from the page names the same host and port as `Host`.
        func change(from origin: String, to authority: String = "localhost:8081") -> String? {
            guardian.refusal(
                Request(
                    head: .init(
                        method: .post, scheme: "http", authority: authority, path: "/api/v1/checkin",
                        headerFields: [
                            .origin: origin, .contentType: "application/json",
                            KioskGuard.header: String(repeating: "a", count: 48),
                        ]),
                    body: .init(buffer: .init())))
        }
        #expect(change(from: "http://localhost:8081") == nil)
        #expect(change(from: "http://LOCALHOST:8081") == nil)
        #expect(change(from: "http://[::1]:8081", to: "[::1]:8081") == nil)
        #expect(change(from: "http://accueil.local", to: "accueil.local") == nil)
        for other in [
            "http://localhost:8082", "http://localhost", "http://evil.example:8081", "null", "http://localhost:8081/x",
            "http://user@localhost:8081", "http://localhost:80x1", "http://[::1:8081", "://localhost:8081", "",
        ] {
            #expect(change(from: other)?.contains("another origin") == true, "\(other)")
        }
        for json in [
            "application/json", "Application/JSON; charset=utf-8", " application/json ;x=y", "application/json\t",
        ] {
            #expect(KioskGuard.isJSON(json), "\(json)")
        }
        for other in [
            "", "text/plain", "application/json5", "application/jsonp; x", "multipart/form-data; application/json",
        ] {
            #expect(!KioskGuard.isJSON(other), "\(other)")
        }
        func origin(_ text: String) -> String {
            KioskGuard.origin(text).map { "\($0.host) \($0.port.map(String.init) ?? "-")" } ?? "none"
        }
        #expect(origin("https://[2001:db8::1]:8443") == "2001:db8::1 8443")
        #expect(origin("http://Door-1.Local") == "door-1.local -")
        #expect(origin("http://[::1]x") == "none")
    }

    // MARK: The door

    @Test("search finds names with typos, without accents, in Cyrillic; an attendee by id; 404 as JSON")
    func search() async throws {
        let station = try Station()
        try await station.run { client in
            func ids(_ query: String) async throws -> [String] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
                let answer = try Self.json(try await client.get("/api/v1/search?q=\(encoded)"))
                let results = try #require(answer["results"] as? [[String: Any]])
                return results.compactMap { $0["id"] as? String }
            }
            #expect(try await ids("hidalgo").first == "ACC-00001")
            #expect(try await ids("hidlago").first == "ACC-00001")
            #expect(try await ids("grossmann").first == "ACC-00002")
            #expect(try await ids("Достоевский").first == "ACC-00003")
            #expect(try await ids("leila").first == "ACC-00005")

            let anne = try Self.json(try await client.get("/api/v1/attendees/ACC-00001"))
            #expect(anne["last_name"] as? String == "Hidalgo")
            #expect(anne["checked_in"] as? Bool == false)
            let unknown = try await client.get("/api/v1/attendees/ACC-99999")
            #expect(unknown.status == .notFound)
            #expect(try Self.errorMessage(unknown).contains("ACC-99999"))
        }
    }

    @Test("check in, a second time refused, pending refused, undo with a reason, unknown id 404")
    func checkInUndo() async throws {
        let station = try Station()
        try await station.run { client in
            let first = try Self.json(try await client.post("/api/v1/checkin", ["id": "ACC-00001"]))
            #expect(first["status"] as? String == "checked_in")
            #expect(first["message"] as? String == "HIDALGO Anne")
            let again = try Self.json(try await client.post("/api/v1/checkin", ["id": "ACC-00001"]))
            #expect(again["status"] as? String == "already_checked_in")
            #expect((again["message"] as? String)?.contains("door-1") == true)
            let pending = try Self.json(try await client.post("/api/v1/checkin", ["id": "ACC-00004"]))
            #expect(pending["status"] as? String == "pending")
            let unknown = try await client.post("/api/v1/checkin", ["id": "ACC-99999"])
            #expect(unknown.status == .notFound)

            let noReason = try await client.post("/api/v1/undo", ["id": "ACC-00001"])
            #expect(noReason.status == .badRequest)
            let undone = try Self.json(
                try await client.post("/api/v1/undo", ["id": "ACC-00001", "reason": "wrong person"]))
            #expect(undone["status"] as? String == "undone")
            let notIn = try Self.json(try await client.post("/api/v1/undo", ["id": "ACC-00001", "reason": "again"]))
            #expect(notIn["status"] as? String == "not_checked_in")
        }
        #expect(try station.db.attendee(id: "ACC-00001")?.checkIn == nil)
        #expect(try station.db.attendee(id: "ACC-00004")?.checkIn == nil)
        #expect(try station.db.outboxCount() >= 2)
    }

    @Test("printing: the badge is queued with the check-in once; a reprint needs a reason; no printing says so")
    func printQueue() async throws {
        let station = try Station(printing: true)
        try await station.run { client in
            let first = try Self.json(try await client.post("/api/v1/checkin", ["id": "ACC-00005", "print": true]))
            #expect(first["status"] as? String == "checked_in")
            #expect(first["print_state"] as? String == "pending")
            let noReason = try await client.post("/api/v1/reprint", ["id": "ACC-00005"])
            #expect(noReason.status == .badRequest)
            let reprint = try Self.json(
                try await client.post("/api/v1/reprint", ["id": "ACC-00005", "reason": "jammed"]))
            #expect(reprint["status"] as? String == "reprint_queued")
        }
        #expect(try station.db.printSummary().counts["pending"] == 2)

        let silent = try Station(printing: false)
        try await silent.run { client in
            let reprint = try await client.post("/api/v1/reprint", ["id": "ACC-00005", "reason": "jammed"])
            #expect(reprint.status == .conflict)
            let page = String(buffer: try await client.get("/").body)
            #expect(page.contains("\"printing\" : \"no\""))
        }
    }

    @Test("a walk-in: a bad field is named; a good one is checked in")
    func walkIn() async throws {
        let station = try Station()
        try await station.run { client in
            let bad = try await client.post(
                "/api/v1/walkin", ["first_name": "Zoé", "last_name": "Nouvelle", "country": "Atlantis"])
            #expect(bad.status == .badRequest)
            #expect(try Self.errorMessage(bad).lowercased().contains("country"))
            let good = try Self.json(
                try await client.post(
                    "/api/v1/walkin",
                    ["first_name": "Zoé", "last_name": "Nouvelle", "country": "FR", "role": "press"]))
            #expect(good["status"] as? String == "checked_in")
            let attendee = try #require(good["attendee"] as? [String: Any])
            #expect(attendee["walk_in"] as? Bool == true)
            #expect(attendee["checked_in"] as? Bool == true)
        }
    }

    @Test("a scan: a genuine badge, a ticket, a forged badge refused with the reason, a code unknown")
    func scan() async throws {
        let station = try Station()
        let genuine = try station.badge("ACC-00002")
        var altered = Array(genuine)
        altered[altered.count - 3] = altered[altered.count - 3] == "A" ? "B" : "A"
        let forged = String(altered)
        try await station.run { client in
            let found = try Self.json(try await client.post("/api/v1/scan", ["text": genuine]))
            #expect(found["status"] as? String == "found")
            #expect(found["message"] as? String == "ACC-00002")
            let ticket = try Self.json(try await client.post("/api/v1/scan", ["text": "TICKET-ANNE"]))
            #expect(ticket["status"] as? String == "found", "\(ticket)")
            #expect(ticket["message"] as? String == "ACC-00001")
            let refused = try Self.json(try await client.post("/api/v1/scan", ["text": forged]))
            #expect(refused["status"] as? String == "refused")
            #expect((refused["message"] as? String)?.isEmpty == false)
            let unknown = try Self.json(try await client.post("/api/v1/scan", ["text": "NOPE-123"]))
            #expect(unknown["status"] as? String == "unknown")
        }
    }

    @Test("the pages: the mode's screen with its configuration and words; assets; 404 for others")
    func pages() async throws {
        let station = try Station { $0.language = .en }
        try await station.run { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = String(buffer: page.body)
            #expect(html.contains("<html lang=\"en\">"))
            #expect(html.contains("\"mode\" : \"door\""))
            #expect(html.contains(client.token))
            #expect(html.contains("const ROLES"))
            let script = try await client.get("/assets/door.js")
            #expect(script.status == .ok)
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(try await client.get("/assets/secret.txt").status == .notFound)
            // A door station's staff screen is the door itself.
            #expect(try await client.get("/staff").status == .ok)
        }
    }

    // MARK: Self-service

    @Test("self-service: staff routes closed until the PIN; wrong PINs lock the client out; a ticket prints")
    func selfService() async throws {
        let station = try Station(printing: true) {
            $0.mode = .selfService
            $0.pin = "4321"
        }
        try await station.run { client in
            let html = String(buffer: try await client.get("/").body)
            #expect(html.contains("\"mode\" : \"self-service\""))
            let staff = try await client.get("/staff")
            #expect(staff.status == .seeOther)
            #expect(try await client.post("/api/v1/checkin", ["id": "ACC-00001"]).status == .forbidden)
            #expect(try await client.get("/api/v1/search?q=anne").status == .forbidden)

            // An attendee's own code: checked in and printing, greeted by first name only.
            let own = try Self.json(try await client.post("/api/v1/self/checkin", ["text": "TICKET-ANNE"]))
            #expect(own["status"] as? String == "printing", "\(own)")
            #expect(own["first_name"] as? String == "Anne")
            #expect(own["attendee"] == nil)
            // An id typed in opens nothing here.
            let typed = try Self.json(try await client.post("/api/v1/self/checkin", ["text": "ACC-00002"]))
            #expect(typed["status"] as? String == "refused")

            let unlocked = try await client.post("/api/v1/unlock", ["pin": "4321"])
            #expect(unlocked.status == .noContent)
            let cookie = try #require(unlocked.headers[.setCookie]?.split(separator: ";").first)
            let asStaff = try await client.get("/staff", headers: [.cookie: String(cookie)])
            #expect(asStaff.status == .ok)
            let search = try await client.get("/api/v1/search?q=anne", headers: [.cookie: String(cookie)])
            #expect(search.status == .ok)

            for _ in 0..<5 {
                let wrong = try await client.post("/api/v1/unlock", ["pin": "0000"])
                #expect(wrong.status == .forbidden)
            }
            let locked = try await client.post("/api/v1/unlock", ["pin": "4321"])
            #expect(locked.status == .forbidden)
            // "… réessayez dans N s" (the station speaks French), N up to a minute (less on a slow machine).
            let words = try Self.errorMessage(locked)
            #expect(words.contains("PIN bloqué"), "\(words)")
            let seconds = words.split(separator: " ").compactMap { Int($0) }.first
            #expect(seconds.map { (1...60).contains($0) } == true, "\(words)")
        }
    }

    // MARK: Session doors

    @Test("a session door: in, out, a full room refused, a supervisor's override needs the PIN and a reason")
    func sessionDoor() async throws {
        let now = Date()
        let workshop = Session(
            id: "AT-1", title: "Atelier", room: "Salle 2", start: now.addingTimeInterval(-600),
            end: now.addingTimeInterval(3000), capacity: 1)
        let station = try Station(sessions: [workshop]) {
            $0.mode = .session
            $0.sessionTarget = .room("Salle 2")
            $0.pin = "2468"
        }
        let (anne, jurgen) = (try station.badge("ACC-00001"), try station.badge("ACC-00002"))
        try await station.run { client in
            let info = try Self.json(try await client.get("/api/v1/session"))
            #expect(info["id"] as? String == "AT-1")
            #expect(info["room"] as? String == "Salle 2")
            #expect(info["overridable"] as? Bool == true)

            let enteredAt = ContinuousClock.now
            let entered = try Self.json(try await client.post("/api/v1/session/scan", ["text": anne]))
            #expect(entered["admitted"] as? Bool == true, "\(entered)")
            #expect(entered["outcome"] as? String == "entered")
            let full = try Self.json(try await client.post("/api/v1/session/scan", ["text": jurgen]))
            #expect(full["admitted"] as? Bool == false)
            #expect(full["reason"] as? String == "room_full", "\(full)")

            let noReason = try await client.post("/api/v1/session/scan", ["text": jurgen, "pin": "2468"])
            #expect(noReason.status == .badRequest)
            let wrongPIN = try await client.post(
                "/api/v1/session/scan", ["text": jurgen, "pin": "1111", "reason": "minister's aide"])
            #expect(wrongPIN.status == .forbidden)
            let override = try Self.json(
                try await client.post(
                    "/api/v1/session/scan", ["text": jurgen, "pin": "2468", "reason": "minister's aide"]))
            #expect(override["admitted"] as? Bool == true)
            #expect(override["outcome"] as? String == "override")

            // The same badge again within 3 s is a double scan, not an exit; later, an exit (on a
            // loaded machine these requests may be seconds apart: then either is right).
            let bounce = try Self.json(try await client.post("/api/v1/session/scan", ["text": anne]))
            if ContinuousClock.now - enteredAt < .seconds(KioskDatabase.scanBounce) {
                #expect(bounce["outcome"] as? String == "already_inside")
                #expect(bounce["occupancy"] as? Int == 2)
            } else {
                let outcome = bounce["outcome"] as? String
                #expect(outcome == "already_inside" || outcome == "exited", "\(bounce)")
                #expect(bounce["occupancy"] as? Int == (outcome == "exited" ? 1 : 2))
            }
            let forged = try Self.json(try await client.post("/api/v1/session/scan", ["text": "AC1:forged"]))
            #expect(forged["admitted"] as? Bool == false)
            #expect((forged["detail"] as? String)?.isEmpty == false, "\(forged)")
            let page = String(buffer: try await client.get("/").body)
            #expect(page.contains("\"session\" : \"Salle 2\""))
        }
    }

    @Test("a store error is a JSON answer with the status that says what happened")
    func storeErrors() async throws {
        let router = Router(context: ClientContext.self)
        router.get("/attendee") { _, _ -> Response in throw StoreError.unknownAttendee("ACC-404") }
        router.get("/undo") { _, _ -> Response in throw StoreError.notCheckedIn("ACC-1") }
        router.get("/session") { _, _ -> Response in throw StoreError.unknownSession("S-9") }
        router.get("/disk") { _, _ -> Response in throw StoreError("disk I/O error") }
        try await Application(router: router).test(.live) { client in
            for (uri, status, words) in [
                ("/attendee", HTTPResponse.Status.notFound, "ACC-404"), ("/undo", .conflict, "not checked in"),
                ("/session", .notFound, "S-9"), ("/disk", .internalServerError, "disk I/O error"),
            ] {
                let response = try await client.execute(uri: uri, method: .get) { $0 }
                #expect(response.status == status, "\(uri)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(try Self.errorMessage(response).contains(words), "\(uri)")
            }
        }
    }

    @Test("the station's services start in order and stop on a graceful shutdown, the spooler's thread last")
    func stationLifecycle() async throws {
        let fixture = try Station()
        var configuration = fixture.configuration
        configuration.port = 0
        let listening = Mutex<Int?>(nil)
        let spooler = Mutex<[String]>([])
        var station = KioskStation(configuration: configuration, parts: fixture.parts, liveness: Liveness()) { port in
            listening.withLock { $0 = port }
        }
        station.spooler = { stopping in
            spooler.withLock { $0.append("started") }
            while !stopping() { usleep(5_000) }
            // The screen stopped listening before the spooler was asked to stop.
            let port = listening.withLock { $0 } ?? 0
            spooler.withLock {
                $0.append(Self.listens(port) ? "stopped while the screen listened" : "stopped after the screen")
            }
        }
        let services = try station.services()
        #expect(services.count == 4)  // spooler, heartbeat (standalone), watchdog, the screen
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Generous: beside the whole suite, the CLI tests that wait on processes hold the
            // concurrency pool's threads for long stretches.
            let deadline = ContinuousClock.now + .seconds(300)
            while listening.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let port = try #require(listening.withLock { $0 })
            #expect(port > 0)
            // Standalone, the heartbeat tells `accueil status` the daemon runs.
            while (try? SyncStatus.read(from: fixture.db))??.heartbeat == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try SyncStatus.read(from: fixture.db)?.kiosk == "door-1")
            #expect(Self.listens(port))
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(spooler.withLock { $0 } == ["started", "stopped after the screen"])
    }

    /// Something accepts TCP connections on 127.0.0.1:`port`.
    static func listens(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    @Test("a session door's configuration must name what it serves")
    func sessionDoorNeedsTarget() throws {
        let station = try Station { $0.mode = .session }
        #expect(throws: KioskSetupError.self) { try buildKioskRouter(station.configuration, parts: station.parts) }
    }

    @Test("the door's index: check-ins held beside it are compacted on a store thread, answers current throughout")
    func doorRosterCompacts() async throws {
        let station = try Station()
        let more = RosterGenerator(seed: 3).attendees(count: 40).map { attendee in
            var attendee = attendee
            (attendee.id, attendee.pending) = ("G-" + attendee.id, false)
            return attendee
        }
        try station.db.importRoster(more, kiosk: "import")
        let door = try DoorRoster(db: station.db, compactAfter: 5)
        let ids = more.prefix(12).map(\.id)
        for id in ids {
            try station.db.checkIn(id, kiosk: "door-2")
            // Whatever the rebuild is doing, each answer shows the check-in.
            #expect(try await door.record(id: id)?.checkIn != nil, "\(id)")
        }
        // The rebuild runs beside the answers; once swapped in, little is held beside the index.
        var held = door.heldBeside
        for _ in 0..<100 where held > 5 {
            try await Task.sleep(for: .milliseconds(50))
            _ = try await door.search("zzz", limit: 1)
            held = door.heldBeside
        }
        #expect(held <= 5, "still \(held) held beside the index")
        for id in ids { #expect(try await door.record(id: id)?.checkIn != nil, "\(id)") }
        #expect(!door.state.building)
    }

    /// Attendees enough that the door's index is rebuilt for them rather than held beside it.
    static func bigChange() -> [Attendee] {
        RosterGenerator(seed: 8).attendees(count: 2_500).map { attendee in
            var attendee = attendee
            (attendee.id, attendee.pending) = ("B-" + attendee.id, false)
            return attendee
        }
    }

    @Test(
        "after a big change in the store (a snapshot, an import), the status polls alone get the door's index rebuilt")
    func statusRebuildsTheIndex() async throws {
        let station = try Station()
        try await station.run { client in
            let more = Self.bigChange()
            try station.db.importRoster(more, kiosk: "import")
            var index: [String: Any] = [:]
            for _ in 0..<300 {
                index = try #require(
                    try Self.json(try await client.get("/api/v1/status"))["roster_index"] as? [String: Any])
                if index["building"] as? Bool == false, index["attendees"] as? Int == Self.roster.count + more.count {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(index["attendees"] as? Int == Self.roster.count + more.count, "\(index)")
            #expect(index["building"] as? Bool == false)
        }
    }

    @Test(
        "the kiosk's index keeper rebuilds the door's index after a big change, with no request at all; not while paused (a snapshot being installed)"
    )
    func keeperRebuildsTheIndex() async throws {
        let station = try Station()
        let door = try DoorRoster(db: station.db)
        #expect(door.state.attendees == Self.roster.count)
        let more = Self.bigChange()
        final class Flag: Sendable { let raised = Atomic<Bool>(true) }
        let paused = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await keepIndexCurrent(door, paused: { paused.raised.load(ordering: .relaxed) }) }
            try station.db.importRoster(more, kiosk: "import")
            try await Task.sleep(for: .milliseconds(2_500))
            #expect(door.state.attendees == Self.roster.count && !door.state.building, "rebuilt while paused")
            paused.raised.store(false, ordering: .relaxed)
            for _ in 0..<300 where door.state.attendees != Self.roster.count + more.count || door.state.building {
                try await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()
        }
        #expect(door.state.attendees == Self.roster.count + more.count)
        #expect(!door.state.building)
    }
}
