import AccueilCore
import Crypto
import Foundation
import Testing

@testable import BadgeCore
@testable import Badges

@Suite("Base45 and badge payloads")
struct BadgePayloadTests {
    @Test("Base45 matches RFC 9285 and round-trips any bytes")
    func base45() throws {
        #expect(Base45.encode(Array("AB".utf8)) == "BB8")
        #expect(Base45.encode(Array("Hello!!".utf8)) == "%69 VD92EX0")
        #expect(Base45.encode(Array("base-45".utf8)) == "UJCLQE7W581")
        #expect(try Base45.decode("QED8WEX0") == Array("ietf!".utf8))
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            #expect(try Base45.decode(Base45.encode(bytes)) == bytes)
        }
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("GGW") }  // 65535 + 1
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("abc") }
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("A") }
    }

    let ring = try! Keyring.create(event: "RGL26", eventName: "Rencontre")
    let payload = BadgePayload(event: "RGL26", attendeeID: "ACC-00042", version: 1, role: .electedOfficial, keyID: 1)

    func sign(_ p: BadgePayload) throws -> String { try p.signed(with: ring.signingKey().key) }

    @Test("a signed badge verifies and carries nothing personal")
    func roundTrip() throws {
        let text = try sign(payload)
        #expect(text.hasPrefix("AC1:"))
        #expect(text.count < 140)
        #expect(text.allSatisfy { "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains($0) })
        #expect(try ring.verifier.verify(text) == payload)
        #expect(try ring.verifier.verify(text) { _ in 1 } == payload)
    }

    @Test("every single-bit change is refused as forged or malformed, never accepted, never a crash")
    func tampered() throws {
        let text = try sign(payload)
        let bytes = try Base45.decode(String(text.dropFirst(4)))
        for i in bytes.indices {
            for bit in [0, 3, 7] {
                var copy = bytes
                copy[i] ^= 1 << bit
                let forged = "AC1:" + Base45.encode(copy)
                #expect(throws: BadgeError.self) { try ring.verifier.verify(forged) }
            }
        }
        // A different id with the original signature.
        var other = payload
        other.attendeeID = "ACC-00043"
        let otherBody = try other.body()
        let signature = Array(bytes.suffix(64))
        #expect(throws: BadgeError.badSignature) {
            try ring.verifier.verify("AC1:" + Base45.encode(otherBody + signature))
        }
    }

    @Test("truncated, garbage and oversized codes get a reason")
    func garbage() throws {
        let text = try sign(payload)
        for length in 0..<text.count {
            let cut = String(text.prefix(length))
            #expect {
                try ring.verifier.verify(cut)
            } throws: { error in
                guard let error = error as? BadgeError, case .malformed = error else { return false }
                return true
            }
        }
        for junk in [
            "", "hello", "AC1:", "AC1:!!!", "https://example.org/ticket/123", String(repeating: "A", count: 5000),
            "AC1:" + String(repeating: "0", count: 400), "\u{0}\u{1}",
            "AC1:" + Base45.encode(Array(repeating: 1, count: 40)),
        ] {
            #expect(throws: BadgeError.self) { try ring.verifier.verify(junk) }
        }
        for _ in 0..<500 {
            let random = String(
                (0..<Int.random(in: 1...150)).map { _ in
                    "AC1:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./".randomElement()!
                })
            #expect(throws: BadgeError.self) { try ring.verifier.verify("AC1:" + random) }
        }
    }

    @Test("another event, an unknown key, a reissued badge and an unknown attendee are refused with their reason")
    func reasons() throws {
        var elsewhere = payload
        elsewhere.event = "OTHER"
        #expect(throws: BadgeError.otherEvent(expected: "RGL26", found: "OTHER")) {
            try ring.verifier.verify(try sign(elsewhere))
        }
        let stranger = try Keyring.create(event: "RGL26", eventName: "x")
        var foreignKey = payload
        foreignKey.keyID = 1
        let forged = try foreignKey.signed(with: stranger.signingKey().key)
        #expect(throws: BadgeError.badSignature) { try ring.verifier.verify(forged) }
        foreignKey.keyID = 9
        #expect(throws: BadgeError.unknownKey(9)) {
            try ring.verifier.verify(try foreignKey.signed(with: stranger.signingKey().key))
        }
        let text = try sign(payload)
        #expect(throws: BadgeError.reissued(presented: 1, current: 2)) { try ring.verifier.verify(text) { _ in 2 } }
        #expect(throws: BadgeError.unknownAttendee("ACC-00042")) { try ring.verifier.verify(text) { _ in nil } }
    }

    @Test("after a rotation, new badges use the new key and old badges still verify")
    func rotation() throws {
        var ring = self.ring
        let old = try payload.signed(with: ring.signingKey().key)
        ring.rotate()
        let signing = try ring.signingKey()
        #expect(signing.id == 2)
        var fresh = payload
        fresh.keyID = signing.id
        let new = try fresh.signed(with: signing.key)
        #expect(try ring.verifier.verify(old).keyID == 1)
        #expect(try ring.verifier.verify(new).keyID == 2)
        #expect(ring.publicOnly.keys.allSatisfy { $0.privateKey == nil })
        #expect(throws: BadgeError.self) { try ring.publicOnly.signingKey() }
        #expect(try ring.publicOnly.verifier.verify(new).keyID == 2)
    }

    @Test("ids in any script and every role fit the payload")
    func unicodeIDs() throws {
        for role in Role.allCases {
            for id in ["A", "Ж-12", "王-3", String(repeating: "9", count: 64)] {
                let p = BadgePayload(event: "E", attendeeID: id, version: 65535, role: role, keyID: 65535)
                #expect(try BadgePayload.parse(try p.signed(with: ring.signingKey().key)).payload == p)
            }
        }
        #expect(throws: BadgeError.self) {
            try BadgePayload(
                event: "E", attendeeID: String(repeating: "9", count: 65), version: 1, role: .press, keyID: 1
            ).body()
        }
    }
}
