import AccueilCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Server
@testable import Sync

@Suite("Central server: sync API on SQLite")
struct ServerTests {
    func store() throws -> CentralStore {
        try CentralStore(
            path: FileManager.default.temporaryDirectory.appendingPathComponent(
                "central-\(UUID().uuidString)/central.sqlite"
            ).path)
    }

    func body(_ value: some Encodable) throws -> ByteBuffer { ByteBuffer(data: try JSONEncoder().encode(value)) }

    func events(_ n: Int, kiosk: String = "door-1") -> [WireEvent] {
        (0..<n).map { i in
            let attendee = Attendee(id: "A\(i)", lastName: "Name \(i)", role: .participant)
            return WireEvent(
                Event(attendeeID: attendee.id, at: Date(), kiosk: kiosk, body: .attendeeUpserted(attendee)))
        }
    }

    @Test("without a valid token: 401 and nothing changes")
    func auth() async throws {
        let store = try store()
        let token = try await store.createToken(kiosk: "door-1")
        let app = Application(router: buildRouter(store: store))
        try await app.test(.router) { client in
            let push = try body(PushRequest(kiosk: "door-1", events: events(3)))
            try await client.execute(uri: "/api/v1/events", method: .post, body: push) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer nope"], body: push
            ) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/events?since=0", method: .get) {
                #expect($0.status == .unauthorized)
            }
            #expect(try await store.latestSequence() == 0)
            try await store.revokeTokens(kiosk: "door-1")
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(token)"], body: push
            ) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test("a batch is stored once however often it is sent; changes come back in order after a cursor")
    func idempotentPushAndPull() async throws {
        let store = try store()
        let token = try await store.createToken(kiosk: "door-1")
        let app = Application(router: buildRouter(store: store))
        let batch = events(50)
        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            for expected in [PushResponse(accepted: 50, duplicates: 0), PushResponse(accepted: 0, duplicates: 50)] {
                try await client.execute(
                    uri: "/api/v1/events", method: .post, headers: headers,
                    body: try body(PushRequest(kiosk: "door-1", events: batch))
                ) {
                    #expect($0.status == .ok)
                    let decoded = try JSONDecoder().decode(PushResponse.self, from: Data(buffer: $0.body))
                    #expect(decoded == expected)
                }
            }
            try await client.execute(uri: "/api/v1/events?since=0&limit=20", method: .get, headers: headers) {
                let page = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body))
                #expect(page.events.map(\.id) == batch.prefix(20).map(\.id))
                #expect(page.cursor == 20 && page.more)
            }
            try await client.execute(uri: "/api/v1/events?since=40&limit=20", method: .get, headers: headers) {
                let page = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body))
                #expect(page.events.count == 10 && page.cursor == 50 && !page.more)
            }
        }
    }

    @Test("malformed JSON (400), unknown event types and wrong ids (422), too large batches (413): no partial write")
    func refusals() async throws {
        let store = try store()
        let token = try await store.createToken(kiosk: "door-1")
        let app = Application(router: buildRouter(store: store, maxBodyBytes: 1 << 20))
        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: headers, body: ByteBuffer(string: "{\"kiosk\": ")
            ) {
                #expect($0.status == .badRequest)
            }
            var batch = events(5)
            batch[3].type = "teleported"
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: headers,
                body: try body(PushRequest(kiosk: "door-1", events: batch))
            ) {
                #expect($0.status == .unprocessableContent)
                #expect(String(buffer: $0.body).contains("unknown event type"))
            }
            batch = events(5)
            batch[1].attendeeID = "someone-else"
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: headers,
                body: try body(PushRequest(kiosk: "door-1", events: batch))
            ) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: headers,
                body: try body(PushRequest(kiosk: "door-1", events: events(CentralStore.maxBatch + 1)))
            ) {
                #expect($0.status == .contentTooLarge)
            }
            #expect(try await store.latestSequence() == 0)
        }
    }

    @Test("a long poll returns as soon as another kiosk pushes")
    func longPoll() async throws {
        let store = try store()
        let reader = try await store.createToken(kiosk: "door-2")
        let writer = try await store.createToken(kiosk: "door-1")
        let app = Application(router: buildRouter(store: store))
        try await app.test(.router) { client in
            let waiting = Task {
                let start = ContinuousClock.now
                var count = 0
                try await client.execute(
                    uri: "/api/v1/events?since=0&wait=30", method: .get, headers: [.authorization: "Bearer \(reader)"]
                ) {
                    count = try JSONDecoder().decode(PullResponse.self, from: Data(buffer: $0.body)).events.count
                }
                return (count, ContinuousClock.now - start)
            }
            try await Task.sleep(for: .milliseconds(200))
            try await client.execute(
                uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer \(writer)"],
                body: try body(PushRequest(kiosk: "door-1", events: events(1)))
            ) {
                #expect($0.status == .ok)
            }
            let (count, elapsed) = try await waiting.value
            #expect(count == 1)
            // Woken by the push, not by the end of its 30 s wait.
            #expect(elapsed < .seconds(5))
        }
    }
}
