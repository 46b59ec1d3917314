import Foundation
import Testing

@testable import AccueilCore

@Suite("Sessions: schedule file, access rules, presence")
struct SessionTests {
    let paris = TimeZone(identifier: "Europe/Paris")!

    func parse(_ text: String) throws -> ScheduleParser.Parsed {
        try ScheduleParser.parse(Array(text.utf8), timeZone: paris)
    }

    @Test("a schedule with every kind of session, French headers, times in the event's zone or with an offset")
    func schedule() throws {
        let parsed = try parse(
            """
            Identifiant;Titre;Salle;Début;Fin;Jauge;Accès;Type
            PLEN-1;Plénière d'ouverture;Grand amphi;2026-06-11 09:00;2026-06-11 10:30;600;open;plenary
            AT-EAU;Atelier eau;Salle 2;2026-06-11T11:00;2026-06-11T12:00;40;registered;workshop
            MICRO-3;Micro-atelier 3;Salon B;2026-06-11 14:00;2026-06-11 14:20;15;inscrits;micro-workshop
            GRP-DE;Groupe pays : Allemagne;Salle 5;2026-06-11T16:00:00+02:00;2026-06-11T17:00:00+02:00;;countries=Allemagne,AT;country group
            CEREMONIE;Cérémonie;Hôtel de Ville;2026-06-12 18:00;2026-06-12 19:00;300;"roles=élu,ambassade,Speaker";ceremony
            JP;Délégation japonaise;Salle 6;2026-06-12 09:00;2026-06-12 10:00;0;delegations=Japan;
            """)
        #expect(parsed.rejections == [])
        #expect(parsed.sessions.map(\.id) == ["PLEN-1", "AT-EAU", "MICRO-3", "GRP-DE", "CEREMONIE", "JP"])
        let plenary = parsed.sessions[0]
        #expect(plenary.start == ISO8601DateFormatter().date(from: "2026-06-11T07:00:00Z"))
        #expect(plenary.capacity == 600 && plenary.access == .open && plenary.kind == "plenary")
        #expect(parsed.sessions[2].end.timeIntervalSince(parsed.sessions[2].start) == 20 * 60)
        #expect(parsed.sessions[2].access == .registered)
        #expect(parsed.sessions[3].access == .countries(["AT", "DE"]) && parsed.sessions[3].capacity == 0)
        #expect(parsed.sessions[3].start == ISO8601DateFormatter().date(from: "2026-06-11T14:00:00Z"))
        #expect(parsed.sessions[4].access == .roles([.electedOfficial, .embassy, .speaker]))
        #expect(parsed.sessions[5].access == .delegations(["Japan"]))
        // The text form reads back the same.
        for session in parsed.sessions {
            #expect(try SessionAccess(parsing: session.access.description) == session.access)
        }
    }

    @Test("every bad cell is named by line and column; good rows are not imported alone")
    func badRows() throws {
        let parsed = try parse(
            """
            id,title,room,start,end,capacity,access
            A,Ok,R,2026-06-11 09:00,2026-06-11 10:00,10,open
            B,Bad,R,2026-06-31 09:00,2026-06-11 10:00,ten,roles=astronaut
            A,Twice,R,2026-06-11 09:00,2026-06-11 08:00,1,members
            ,No id,R,2026-06-11 09:00,2026-06-11 10:00,,open
            """)
        let places = parsed.rejections.map { "\($0.line):\($0.column)" }
        #expect(places == ["3:4", "3:6", "3:7", "4:1", "4:5", "4:7", "5:1"], "\(parsed.rejections)")
        #expect(parsed.rejections[2].reason.contains("astronaut"))
        #expect(parsed.rejections[3].reason.contains("line 2"))
        #expect(parsed.rejections[4].reason.contains("ends before it starts"))
        #expect(throws: RosterFileError.self) { try parse("title,room\nX,Y\n") }
    }

    @Test("access rules: registered, roles, country groups, delegations; staff pass them all")
    func access() throws {
        let anne = Attendee(
            id: "A", lastName: "Hidalgo", country: "FR", role: .electedOfficial, delegation: "", sessions: ["AT-1"])
        let hans = Attendee(id: "H", lastName: "Meier", country: "DE", role: .delegation, delegation: "Allemagne")
        let staff = Attendee(id: "S", lastName: "Staff", role: .staff)
        #expect(SessionAccess.registered.refusal(anne, session: "AT-1") == nil)
        #expect(SessionAccess.registered.refusal(anne, session: "AT-2") == .notRegistered)
        let ceremony = try SessionAccess(parsing: "roles=elected_official;embassy")
        #expect(ceremony.refusal(anne, session: "C") == nil)
        #expect(ceremony.refusal(hans, session: "C") == .roleNotAllowed)
        let group = try SessionAccess(parsing: "countries=Germany")
        #expect(group.refusal(hans, session: "G") == nil && group.refusal(anne, session: "G") == .notInGroup)
        let delegation = try SessionAccess(parsing: "delegations=allemagne")
        #expect(delegation.refusal(hans, session: "D") == nil && delegation.refusal(anne, session: "D") == .notInGroup)
        for rule in [SessionAccess.registered, ceremony, group, delegation] {
            #expect(rule.refusal(staff, session: "X") == nil)
        }
        #expect(throws: SessionAccess.ParseError.self) { try SessionAccess(parsing: "vip only") }
        #expect(throws: SessionAccess.ParseError.self) { try SessionAccess(parsing: "countries=Atlantis") }
    }

    @Test("presence: the latest entry counts, an exit of that session ends it, another entry moves the person")
    func presence() throws {
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        func event(_ seconds: Double, _ body: Event.Body, kiosk: String = "room") -> Event {
            Event(attendeeID: "A", at: t.addingTimeInterval(seconds), kiosk: kiosk, body: body)
        }
        let anne = Attendee(id: "A", lastName: "Hidalgo", role: .electedOfficial)
        let events = [
            event(0, .attendeeUpserted(anne)),
            event(10, .sessionEntered(session: "PLEN", override: nil)),
            event(20, .sessionRefused(session: "AT-1", reason: .roomFull)),
            event(30, .sessionEntered(session: "AT-2", override: "supervisor: speaker's assistant")),
            event(40, .sessionExited(session: "PLEN")),  // a late exit of a room already left
        ]
        let state = AttendeeState.fold(events)
        #expect(state.inside == Presence(session: "AT-2", since: t.addingTimeInterval(30), kiosk: "room"))
        #expect(state.attended == ["AT-2", "PLEN"])
        #expect(AttendeeState.fold(events.reversed()) == state)
        let left = AttendeeState.fold(events + [event(50, .sessionExited(session: "AT-2"))])
        #expect(left.inside == nil && left.attended == ["AT-2", "PLEN"])
        // Every new event type survives the log's encoding.
        for e in events {
            #expect(try EventCodec.body(type: e.type, payload: EventCodec.payload(e.body)) == e.body)
        }
        let session = Session(
            id: "S", title: "Atelier", room: "R", start: t, end: t.addingTimeInterval(1200), capacity: 15,
            access: .roles([.speaker]), kind: "micro-workshop")
        #expect(
            try EventCodec.body(type: "session.scheduled", payload: EventCodec.payload(.sessionScheduled(session)))
                == .sessionScheduled(session))
    }
}
