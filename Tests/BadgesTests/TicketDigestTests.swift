import AccueilCore
import Foundation
import Testing

@testable import BadgeCore
@testable import Badges

@Suite("Registration ticket digests")
struct TicketDigestTests {
    @Test("digests are keyed: the same code gives the same digest under one event's key, another elsewhere")
    func keyed() throws {
        let ring = try Keyring.create(event: "T26", eventName: "Test")
        let other = try Keyring.create(event: "T26", eventName: "Test")
        let tickets = try #require(ring.tickets)
        let a = tickets.digest(normalised: "az9u4mymhqktrbupmwkvv6xmgds5dk3")
        #expect(a.count == 32 && a.allSatisfy(\.isHexDigit))
        #expect(tickets.digest(normalised: "az9u4mymhqktrbupmwkvv6xmgds5dk3") == a)
        #expect(try #require(other.tickets).digest(normalised: "az9u4mymhqktrbupmwkvv6xmgds5dk3") != a)
        #expect(tickets.digest(normalised: "az9u4mymhqktrbupmwkvv6xmgds5dk4") != a)
        // What a scanner typed is normalised first: spaces, an Indico UUID's case.
        #expect(tickets.digest(scanned: " az9u4mymhqktrbupmwkvv6xmgds5dk3\r") == a)
        #expect(tickets.digest(scanned: "") == nil)
    }

    @Test("every station gets the ticket key with the keyring; an older keyring gets one once")
    func distribution() throws {
        var ring = try Keyring.create(event: "T26", eventName: "Test")
        let key = try #require(ring.ticketKey)
        _ = ring.issue(to: "door-1")
        #expect(ring.handed(to: "door-2").ticketKey == key && ring.publicOnly.ticketKey == key)
        let decoded = try Keyring.decode(try ring.json())
        #expect(decoded.ticketKey == key)
        ring.rotate()
        #expect(ring.ticketKey == key)  // a rotation leaves stored digests valid

        var old = ring
        old.ticketKey = nil
        #expect(old.tickets == nil)
        #expect(old.addTicketKey() && !old.addTicketKey() && old.tickets != nil)
    }
}
