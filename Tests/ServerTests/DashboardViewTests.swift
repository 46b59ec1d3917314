import AccueilCore
import Foundation
import Testing

@testable import CentralStorage
@testable import Server
@testable import Sync

@Suite("Dashboard figures and alerts")
struct DashboardViewTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func state(_ attendee: Attendee, events: [Event.Body]) -> AttendeeState {
        var log = [
            Event(
                attendeeID: attendee.id, at: now.addingTimeInterval(-3600), kiosk: "import",
                body: .attendeeUpserted(attendee))
        ]
        for (i, body) in events.enumerated() {
            log.append(
                Event(
                    attendeeID: attendee.id, at: now.addingTimeInterval(-1800 + Double(i) * 60), kiosk: "door-\(i + 1)",
                    body: body))
        }
        return AttendeeState.fold(log)
    }

    @Test(
        "counts, shares, arrivals per 5 minutes; alerts for VIPs, duplicates, full rooms, silent kiosks and printers; names only when allowed"
    )
    func figures() throws {
        let vip = Attendee(
            id: "V", firstName: "Aiko", lastName: "Yamamoto", country: "JP", role: .delegation, delegation: "Japon",
            vip: "Chef de délégation")
        let twice = Attendee(id: "T", firstName: "Anne", lastName: "Martin", country: "FR", role: .electedOfficial)
        let absent = Attendee(id: "A", lastName: "Absent", country: "DE", role: .participant)
        let session = Session(
            id: "S", title: "Atelier", room: "Salle 2", start: now.addingTimeInterval(-600),
            end: now.addingTimeInterval(600),
            capacity: 2)
        let states = [
            "V": state(vip, events: [.checkedIn, .sessionEntered(session: "S", override: nil)]),
            "T": state(twice, events: [.checkedIn, .checkedIn, .sessionEntered(session: "S", override: nil)]),
            "A": state(absent, events: []),
        ]
        let kiosks: [String: KioskRegistry.Entry] = [
            "door-1": .init(lastContact: now.addingTimeInterval(-10), health: nil),
            "door-9": .init(
                lastContact: now.addingTimeInterval(-600),
                health: KioskHealth(
                    outbox: 12, printQueue: ["failed": 1], printerTrouble: "out of badges", lastPrintAt: nil, cursor: 3,
                    mode: "door")),
        ]
        let view = DashboardView.make(
            states: states, sessions: ["S": session], cursor: 9, kiosks: kiosks, names: true, offlineAfter: 120,
            now: now)
        #expect(view.total == .init(registered: 3, checkedIn: 2))
        #expect(view.foreign == .init(registered: 2, checkedIn: 1) && view.french == .init(registered: 1, checkedIn: 1))
        #expect(view.byDelegation["Japon"] == .init(registered: 1, checkedIn: 1))
        #expect(view.byRole["participant"] == .init(registered: 1, checkedIn: 0))
        #expect(view.duplicates == 1)
        #expect(view.arrivals.map(\.arrivals).reduce(0, +) == 2)
        #expect(view.sessions.first?.inside == 2 && view.sessions.first?.level == "full")
        #expect(view.kiosks.map(\.offline) == [false, true])
        let kinds = Set(view.alerts.map(\.kind))
        #expect(kinds == ["vip", "duplicate", "room_full", "kiosk_offline", "printer"], "\(view.alerts)")
        #expect(view.alerts.contains { $0.kind == "vip" && $0.message.contains("YAMAMOTO Aiko") })
        #expect(
            view.alerts.contains {
                $0.kind == "duplicate" && $0.message.contains("door-1") && $0.message.contains("door-2")
            })
        #expect(view.alerts.contains { $0.kind == "printer" && $0.message.contains("out of badges") })
        // The values each alert is made of, for the page to say it in French or English.
        let vipAlert = try #require(view.alerts.first { $0.kind == "vip" })
        #expect(vipAlert.values["who"]?.contains("YAMAMOTO Aiko") == true && vipAlert.values["kiosk"] != nil)
        let full = try #require(view.alerts.first { $0.kind == "room_full" })
        #expect(full.values["count"] == "2" && full.values["capacity"] == "\(session.capacity)")
        #expect(view.alerts.allSatisfy { !$0.values.isEmpty })

        let anonymous = DashboardView.make(
            states: states, sessions: ["S": session], cursor: 9, kiosks: kiosks, names: false, offlineAfter: 120,
            now: now)
        let text = anonymous.alerts.map(\.message).joined(separator: " ")
        #expect(
            !text.contains("Yamamoto") && !text.contains("YAMAMOTO") && !text.contains("Martin")
                && !text.contains("MARTIN"))
        #expect(!text.contains("Chef de délégation") && text.contains("VIP arrived: V"))
        let values = anonymous.alerts.flatMap(\.values.values).joined(separator: " ")
        #expect(!values.contains("YAMAMOTO") && !values.contains("MARTIN") && !values.contains("Chef de délégation"))
    }

    @Test("the rooms alert follows the room: people still inside from a finished micro-workshop count in the next")
    func roomAcrossSessions() {
        let m14 = Session(
            id: "MICRO-14", title: "Micro 14", room: "Salon B", start: now.addingTimeInterval(-1500),
            end: now.addingTimeInterval(-300), capacity: 5)
        let m15 = Session(
            id: "MICRO-15", title: "Micro 15", room: "Salon B", start: now.addingTimeInterval(-240),
            end: now.addingTimeInterval(960), capacity: 3)
        var states: [String: AttendeeState] = [:]
        for i in 0..<4 {
            let person = Attendee(id: "P\(i)", lastName: "P\(i)", role: .participant)
            states[person.id] = state(person, events: [.sessionEntered(session: "MICRO-14", override: nil)])
        }
        let view = DashboardView.make(
            states: states, sessions: ["MICRO-14": m14, "MICRO-15": m15], cursor: 1, kiosks: [:], names: false,
            offlineAfter: 120, now: now)
        let line = view.sessions.first { $0.id == "MICRO-15" }
        #expect(line?.inside == 4 && line?.level == "over", "\(view.sessions)")
        #expect(
            view.alerts.contains {
                $0.kind == "room_full" && $0.message.contains("Micro 15") && $0.message.contains("4/3")
            })
        #expect(!view.alerts.contains { $0.message.contains("Micro 14") })
    }

    @Test("organisers' passwords: scrypt with a salt, checked in constant time; short ones refused")
    func passwords() throws {
        let account = try OrganiserAccount.make(name: "alice", password: "correct horse battery", canSeeNames: true)
        #expect(account.accepts("correct horse battery"))
        #expect(!account.accepts("correct horse batterY") && !account.accepts(""))
        let again = try OrganiserAccount.make(name: "alice", password: "correct horse battery", canSeeNames: true)
        #expect(again.salt != account.salt && again.hash != account.hash)
        #expect(throws: OrganiserAccount.SetupError.self) {
            try OrganiserAccount.make(name: "bob", password: "short", canSeeNames: false)
        }
    }

    @Test("the sign-in form is read by Hummingbird's decoder: spaces, accents, & and = in a password")
    func signInForm() {
        let form = DashboardPage.signIn("name=Jos%C3%A9+Mar%C3%ADa&password=a%26b%3Dc+d%2B")
        #expect(form.name == "José María" && form.password == "a&b=c d+")
        #expect(DashboardPage.signIn("password=x").name.isEmpty)
        #expect(DashboardPage.signIn("").password.isEmpty)
    }

    @Test("kiosk tokens never start with a dash (a command line would take them for an option)")
    func tokens() {
        let made = (0..<2000).map { _ in SQLiteCentralStore.newToken() }
        #expect(made.allSatisfy { $0.hasPrefix("acc_") && $0.count > 40 })
        #expect(Set(made).count == made.count)
    }
}
