import AccueilCore
import Foundation
import HTTPTypes
import Hummingbird
import KioskStore
import Synchronization
import TestSupport
import Testing

@testable import Kiosk
@testable import Server
@testable import Sync

/// The snapshot a new kiosk starts from, asked for page by page.
@Suite struct SnapshotPagesTests {

    /// A new kiosk's store, and its sync service against the test server on `port`.
    func newKiosk(port: Int, token: String, page: Int, longPoll: Int = 20) throws -> (KioskDatabase, SyncService) {
        let db = try KioskDatabase(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("snap-kiosk-\(UUID().uuidString)"))
        let client = try SyncClient(server: URL(string: "http://127.0.0.1:\(port)")!, token: token, kiosk: "door-9")
        return (db, try SyncService(db: db, client: client, kiosk: "door-9", longPoll: longPoll, snapshotPage: page))
    }

    /// `db` holds what a store that applied `events` holds (its outbox aside).
    func expectAgrees(_ db: KioskDatabase, with events: [Event]) throws {
        let reference = try KioskDatabase(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("snap-log-\(UUID().uuidString)"))
        try reference.applyRemote(events)
        var got = try db.stats()
        var expected = try reference.stats()
        (got.outbox, expected.outbox) = (0, 0)
        #expect(got == expected)
    }

    @Test("pages of any size, walked with `next`, hold the whole snapshot once, in id order; the last one says no next")
    func pagesAreTheSnapshot() async throws {
        try await withFreshStore(.sqlite) { store in
            let events = ServerTests().historyWithSessionAndLateComer()
            _ = try await store.ingest(events.map { WireEvent($0) }, from: "door-1")
            let projection = CentralProjection(store: store)
            let reference = try await projection.snapshot()
            let subjects = Set(reference.roster.map(\.attendee.id) + reference.events.map(\.attendeeID)).count
            #expect(subjects == 42)
            for limit in [1, 3, 7, 41, 42, 1_000] {
                var roster: [Snapshot.RosterRow] = []
                var wire: [WireEvent] = []
                var after: String? = nil
                var pages = 0
                repeat {
                    var bytes = Data()
                    try await projection.snapshotSource(after: after, limit: limit).write(batch: 2) {
                        bytes.append(contentsOf: $0.readableBytesView)
                    }
                    let page = try JSONDecoder().decode(Snapshot.self, from: bytes)
                    let ids = Set(page.roster.map(\.attendee.id) + page.events.map(\.attendeeID))
                    #expect(ids.count <= limit && !ids.isEmpty, "limit \(limit)")
                    #expect(ids.allSatisfy { id in after.map { id > $0 } ?? true }, "limit \(limit)")
                    #expect(page.cursor == reference.cursor)
                    roster += page.roster
                    wire += page.events
                    after = page.next
                    pages += 1
                } while after != nil && pages <= 42
                #expect(pages == (subjects + limit - 1) / limit, "limit \(limit)")
                #expect(roster == reference.roster, "limit \(limit)")
                #expect(wire == reference.events, "limit \(limit)")
            }
        }
    }

    @Test(
        "a new kiosk that loses the server mid-snapshot goes on from the page after its last, misses nothing changed in between, and agrees with the log"
    )
    func resumedSnapshot() async throws {
        try await withFreshStore(.sqlite) { store in
            let history = ServerTests().history()
            _ = try await store.ingest(history.map { WireEvent($0) }, from: "door-1")
            let token = try await store.createToken(kiosk: "door-9")
            let server = buildServer(store: store)
            let outage = SnapshotOutage(inner: server.router.buildResponder(), failing: 3)
            let app = Application(responder: outage, services: server.services)
            try await app.test(.live) { client in
                let (db, service) = try newKiosk(port: client.port, token: token, page: 7, longPoll: 1)
                let before = try await store.latestSequence()

                // Pages 1 and 2 installed, the third refused: no cursor yet, the place kept.
                #expect(await service.bootstrap() == false)
                #expect(try db.syncCursor() == 0)
                let kept = try #require(try db.meta(SyncService.snapshotAfterKey))
                #expect(kept == "P20")  // the 14th id: P0, P1, P10…P19, P2, P20
                #expect(try db.attendee(id: "P20") != nil && db.attendee(id: "P21") == nil)
                #expect(try db.meta(SyncService.snapshotCursorKey) == String(before))

                // Meanwhile: a check-in for someone on the first page, a new version of someone on a
                // later page, and a new attendee whose id sorts before every page already taken.
                let t = Date(timeIntervalSince1970: 1_780_100_000)
                let first = "P1"  // on the first page, not checked in
                #expect(try db.attendee(id: first)?.checkIn == nil)
                var later = Attendee(id: "P9", firstName: "Prénom 9", lastName: "Nom 9", country: "SN", role: .speaker)
                later.title = "Ministre"
                let added = Attendee(id: "A0", firstName: "Ana", lastName: "Zero", country: "PT", role: .press)
                let meanwhile = [
                    Event(attendeeID: first, at: t, kiosk: "door-2", body: .checkedIn),
                    Event(attendeeID: later.id, at: t, kiosk: "import", body: .attendeeUpserted(later)),
                    Event(attendeeID: added.id, at: t, kiosk: "import", body: .attendeeUpserted(added)),
                ]
                _ = try await store.ingest(meanwhile.map { WireEvent($0) }, from: "door-2")

                // Again: it asks after the last page it installed, not from the start.
                #expect(await service.bootstrap())
                let asked = outage.asked.withLock { $0 }
                #expect(asked.first == "")
                #expect(asked.dropFirst().allSatisfy { !$0.isEmpty }, "\(asked)")
                #expect(asked[2] == kept && asked[3] == kept, "\(asked)")
                // The cursor is the earliest page's: the changes made in between are pulled next.
                #expect(try db.syncCursor() == before)
                #expect(try db.meta(SyncService.snapshotAfterKey) == nil)

                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await service.run() }
                    let latest = try await store.latestSequence()
                    let deadline = ContinuousClock.now + .seconds(30)
                    while try db.syncCursor() < latest, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    group.cancelAll()
                }
                try expectAgrees(db, with: history + meanwhile)
                #expect(try db.attendee(id: "A0") != nil)
                #expect(try db.attendee(id: "P9")?.attendee.title == "Ministre")
                #expect(try db.attendee(id: first)?.checkIn?.kiosk == "door-2")
            }
        }
    }
    @Test("a new kiosk against a server from before pages installs the whole snapshot it gets, as one page")
    func serverWithoutPages() async throws {
        try await withFreshStore(.sqlite) { store in
            let history = ServerTests().history()
            _ = try await store.ingest(history.map { WireEvent($0) }, from: "door-1")
            let token = try await store.createToken(kiosk: "door-9")
            let server = buildServer(store: store)
            let old = ServerWithoutPages(inner: server.router.buildResponder())
            try await Application(responder: old, services: server.services).test(.live) { client in
                let (db, service) = try newKiosk(port: client.port, token: token, page: 7)
                #expect(await service.bootstrap())
                let asked = old.asked.withLock { $0 }
                #expect(asked.count == 1 && asked[0].contains("limit=7"), "\(asked)")
                #expect(try db.syncCursor() == (try await store.latestSequence()))
                try expectAgrees(db, with: history)
            }
        }
    }

    @Test("ids with URL characters (&, +, =, #, %, spaces, slashes, other scripts) travel as `after` unchanged")
    func awkwardIDs() async throws {
        try await withFreshStore(.sqlite) { store in
            let ids = ["A&B", "A+B", "A=B", "A#B", "A%20B", "A B", "A/B", "A?B", "A;B", "Émile", "李", "z"]
            let t = Date(timeIntervalSince1970: 1_780_000_000)
            let events = ids.map { id in
                Event(
                    attendeeID: id, at: t, kiosk: "import",
                    body: .attendeeUpserted(Attendee(id: id, firstName: "X", lastName: id)))
            }
            _ = try await store.ingest(events.map { WireEvent($0) }, from: "import")
            let token = try await store.createToken(kiosk: "door-9")
            let server = buildServer(store: store)
            let counted = ServerWithoutPages(inner: server.router.buildResponder(), passQuery: true)
            try await Application(responder: counted, services: server.services).test(.live) { client in
                let (db, service) = try newKiosk(port: client.port, token: token, page: 1)
                #expect(await service.bootstrap())
                // One page each: every `after` was read back as it was sent.
                #expect(counted.asked.withLock { $0.count } == ids.count)
                for id in ids { #expect(try db.attendee(id: id)?.attendee.lastName == id, "\(id)") }
            }
        }
    }
}

/// A server from before pages: the snapshot's query (`limit`, `after`) is not read, and the
/// whole snapshot is the answer. Counts the snapshot requests.
struct ServerWithoutPages<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner
    /// Pass the query on after all (to count a paging server's requests).
    var passQuery = false
    let asked = SnapshotOutage<Inner>.Shared()

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.uri.path == "/api/v1/snapshot" else {
            return try await inner.respond(to: request, context: context)
        }
        asked.withLock { $0.append(request.uri.query ?? "") }
        if passQuery { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.path = "/api/v1/snapshot"
        return try await inner.respond(to: Request(head: head, body: request.body), context: context)
    }
}

/// Passes every request on to the server, but answers 503 to the `failing`-th snapshot request
/// (counting from 1), and notes what each snapshot request asked after ("" for the start).
struct SnapshotOutage<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner
    let failing: Int
    let asked = Shared()

    final class Shared: Sendable {
        let list = Mutex<[String]>([])
        func withLock<T: Sendable>(_ body: (inout sending [String]) -> sending T) -> T { list.withLock(body) }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.uri.path == "/api/v1/snapshot" {
            let count = asked.withLock { list in
                list.append(request.uri.queryParameters["after"].map(String.init) ?? "")
                return list.count
            }
            if count == failing { return Response(status: .serviceUnavailable) }
        }
        return try await inner.respond(to: request, context: context)
    }
}
