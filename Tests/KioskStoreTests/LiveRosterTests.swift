import AccueilCore
import Foundation
import Testing

@testable import KioskStore

/// A door's roster in memory follows the store: roster changes made elsewhere (a walk-in at another
/// door, an edit, a removal) are indexed beside the snapshot instead of rebuilding it, and the
/// answers are those of a roster read afresh.
@Suite("Door roster in memory")
struct LiveRosterTests {
    let roster = RosterGenerator(seed: 23).attendees(count: 400)

    /// Every query a door might type about these attendees: prefixes of their names, whole words,
    /// two-word queries, a typo, their ids.
    func queries(_ attendees: [Attendee]) -> [String] {
        var queries: [String] = []
        for a in attendees {
            for word in [a.lastName, a.firstName, a.nativeName, a.organisation] where !word.isEmpty {
                queries.append(String(word.prefix(3)))
                queries.append(word)
            }
            queries.append("\(a.firstName) \(a.lastName.prefix(2))")
            if a.lastName.count >= 6 {
                var swapped = Array(a.lastName)
                swapped.swapAt(2, 3)
                queries.append(String(swapped))
            }
            queries.append(a.id)
        }
        return queries
    }

    func ids(_ results: [RosterSnapshot.Result]) -> [String] { results.map(\.record.attendee.id) }

    @Test("changes from another connection are searched beside the snapshot, with the answers of a fresh read")
    func deltaAnswersAsAFreshRead() throws {
        let directory = temporaryDirectory()
        let here = try KioskDatabase(directory: directory)
        try here.importRoster(roster, kiosk: "import")
        var live = try LiveRoster(db: here)
        // Another process: an edit, a removal, walk-ins (one sharing a surname with the roster), a check-in.
        let there = try KioskDatabase(directory: directory)
        var edited = roster
        edited[5].lastName = "Xylophonidès"
        edited[7].firstName = "Wenceslas"
        edited.remove(at: 6)
        try there.importRoster(edited, removeMissing: true, kiosk: "import")
        let walkIns = [
            Attendee(id: "W-door-2-1", firstName: "Zéphyrine", lastName: "Quasimodo", role: .participant),
            Attendee(id: "W-door-2-2", firstName: "Anne", lastName: roster[9].lastName, role: .press),
            Attendee(id: "W-door-2-3", firstName: "Олег", lastName: "Сидоров", role: .delegation),
        ]
        for walkIn in walkIns { try there.walkIn(walkIn, kiosk: "door-2") }
        try there.checkIn(roster[11].id, kiosk: "door-2")

        let changed = live.refresh(from: here)
        #expect(changed)
        #expect(live.rebuilds == 0 && live.pendingChanges == 6, "\(live.rebuilds) \(live.pendingChanges)")
        #expect(ids(live.search("Quasimodo")) == ["W-door-2-1"])
        #expect(ids(live.search("Xylophonides")) == [roster[5].id])
        // Their old name is gone from their name (their e-mail address may still hold it).
        // (A score is 3 × how a word matched + 2 for the last name, 1 for another name, 0 for other fields.)
        #expect(
            !live.search(roster[5].lastName, limit: 400).contains {
                $0.record.attendee.id == roster[5].id && $0.hit.score % 3 != 0
            })
        #expect(!ids(live.search(roster[6].lastName, limit: 400)).contains(roster[6].id))
        #expect(ids(live.search("W-door-2-3")).first == "W-door-2-3")
        #expect(live.record(id: roster[11].id)?.checkIn != nil)
        #expect(live.search(roster[11].id).first?.record.checkIn != nil)

        // The oracle: a roster read afresh from the store, every query, same answers in the same order.
        // One difference is by design: a word is matched with a typo only if it is someone's name in
        // the same index, so a typo can reach an e-mail or organisation word in one index and not in
        // the other. Typo hits are compared for the attendee sought, the others exactly.
        let fresh = try LiveRoster(db: here)
        var compared = 0
        for query in queries(roster + walkIns) + ["Wenceslas", "Сид", "Anne"] {
            let all = live.search(query, limit: 500)
            let wantAll = fresh.search(query, limit: 500)
            let sure = { (results: [RosterSnapshot.Result]) in results.filter { $0.hit.match != .fuzzy } }
            #expect(ids(sure(all)) == ids(sure(wantAll)), "\(query)")
            #expect(sure(all).map(\.hit.score) == sure(wantAll).map(\.hit.score), "\(query)")
            #expect(sure(all).map(\.record) == sure(wantAll).map(\.record), "\(query)")
            let typos = Set(ids(all.filter { $0.hit.match == .fuzzy }))
            let wantTypos = Set(ids(wantAll.filter { $0.hit.match == .fuzzy }))
            // Everyone found by a typo in their name (a one-word query) by one is found by the other.
            if !query.contains(" ") {
                let inName = { (results: [RosterSnapshot.Result]) in
                    Set(ids(results.filter { $0.hit.match == .fuzzy && $0.hit.score % 3 != 0 }))
                }
                #expect(inName(wantAll) == inName(all), "\(query)")
            }
            if typos.isEmpty && wantTypos.isEmpty {
                for limit in [1, 5, 20] {
                    #expect(
                        ids(live.search(query, limit: limit)) == ids(fresh.search(query, limit: limit)),
                        "\(query) (limit \(limit))")
                    compared += 1
                }
            }
        }
        #expect(compared > 2000, "\(compared)")
        #expect(live.rebuilds == 0)
        // One removed, three walk-ins: the count of a roster read afresh.
        #expect(live.attendeeCount == 402 && fresh.attendeeCount == 402, "\(live.attendeeCount) \(fresh.attendeeCount)")
    }

    @Test("a roster that arrived beside an empty snapshot is counted (the status's roster_index said 0)")
    func countsWhatIsBeside() throws {
        let directory = temporaryDirectory()
        let here = try KioskDatabase(directory: directory)
        var live = try LiveRoster(db: here)
        #expect(live.attendeeCount == 0)
        // A new station's first sync: 400 attendees, under the delta's limit.
        let there = try KioskDatabase(directory: directory)
        try there.importRoster(roster, kiosk: "import")
        let arrived = live.refresh(from: here)
        #expect(arrived)
        #expect(live.rebuilds == 0 && live.snapshot.records.count == 0 && live.pendingChanges == 400)
        #expect(live.attendeeCount == 400)
        // Removed ones leave the count, edited ones stay once.
        var changed = Array(roster.dropFirst(10))
        changed[0].lastName = "Renommé"
        try there.importRoster(changed, removeMissing: true, kiosk: "import")
        let removed = live.refresh(from: here)
        #expect(removed)
        #expect(live.attendeeCount == 390 && live.rebuilds == 0, "\(live.attendeeCount)")
    }

    @Test("a ticket follows its attendee through changes: moved, cancelled, new")
    func ticketsFollowChanges() throws {
        let directory = temporaryDirectory()
        let here = try KioskDatabase(directory: directory)
        var attendees = Array(roster.prefix(50))
        attendees[0].tickets = ["digest-a"]
        attendees[1].tickets = ["digest-b"]
        attendees[2].tickets = ["digest-c"]
        try here.importRoster(attendees, kiosk: "import")
        var live = try LiveRoster(db: here)
        #expect(live.record(ticket: "digest-a")?.attendee.id == attendees[0].id)

        let there = try KioskDatabase(directory: directory)
        var changed = attendees
        changed[0].tickets = []
        changed[3].tickets = ["digest-a"]  // moved to another attendee
        changed[4].tickets = ["digest-new"]
        changed.remove(at: 1)  // cancelled: their ticket is refused as cancelled, not unknown
        try there.importRoster(changed, removeMissing: true, kiosk: "import")
        live.refresh(from: here)

        #expect(live.rebuilds == 0)
        #expect(live.record(ticket: "digest-a")?.attendee.id == attendees[3].id)
        #expect(live.record(ticket: "digest-new")?.attendee.id == attendees[4].id)
        let cancelled = try #require(live.record(ticket: "digest-b"))
        #expect(cancelled.attendee.id == attendees[1].id && cancelled.removed)
        #expect(live.record(ticket: "digest-c")?.attendee.id == attendees[2].id)
        #expect(live.record(ticket: "digest-unknown") == nil)
    }

    @Test("a change bigger than the delta's limit rebuilds the index over every attendee")
    func bigChangeRebuilds() throws {
        let directory = temporaryDirectory()
        let here = try KioskDatabase(directory: directory)
        try here.importRoster(Array(roster.prefix(100)), kiosk: "import")
        var live = try LiveRoster(db: here)
        let there = try KioskDatabase(directory: directory)
        try there.walkIn(
            Attendee(id: "W-door-2-1", firstName: "Zéphyrine", lastName: "Quasimodo", role: .participant),
            kiosk: "door-2")
        live.refresh(from: here)
        #expect(live.rebuilds == 0 && live.pendingChanges == 1)
        let big = RosterGenerator(seed: 5).attendees(count: LiveRoster.deltaLimit + 1).map { attendee in
            var attendee = attendee
            attendee.id = "B-" + attendee.id
            return attendee
        }
        try there.importRoster(big, kiosk: "import")
        // A caller that rebuilds elsewhere (the kiosk daemon, on a thread of its own) is told so,
        // and nothing is applied: the roster stays as it was until then.
        #expect(live.refresh(from: here, rebuilding: false) == .needsRebuild)
        #expect(live.rebuilds == 0 && live.pendingChanges == 1 && live.snapshot.records.count == 100)
        #expect(live.refresh(from: here, rebuilding: false) == .needsRebuild)
        #expect(try LiveRoster(db: here).snapshot.records.count == 100 + 1 + big.count)
        #expect(live.refresh(from: here, rebuilding: true) == .updated)
        #expect(live.refresh(from: here, rebuilding: false) == .unchanged)
        #expect(live.rebuilds == 1 && live.pendingChanges == 0)
        #expect(ids(live.search("Quasimodo")) == ["W-door-2-1"])
        #expect(ids(live.search(big.last!.id)).first == big.last!.id)
    }

    @Test("check-ins held beside the snapshot past the limit: taken again, so that memory stays flat")
    func checkInsCompact() throws {
        let directory = temporaryDirectory()
        let here = try KioskDatabase(directory: directory)
        let attendees = Array(roster.prefix(100))
        try here.importRoster(attendees, kiosk: "import")
        var live = try LiveRoster(db: here)
        // The default: a tenth of the roster, at least the delta's limit.
        for attendee in attendees.prefix(6) { try here.checkIn(attendee.id, kiosk: "door-2") }
        #expect(live.refresh(from: here, rebuilding: false) == .updated)
        #expect(live.heldBeside == 6 && !live.compactionDue)
        live.compactAfter = 5
        #expect(live.compactionDue)
        // A caller that rebuilds elsewhere is told; nothing is rebuilt here, and answers are current.
        try here.checkIn(attendees[6].id, kiosk: "door-2")
        #expect(live.refresh(from: here, rebuilding: false) == .updated)
        #expect(live.rebuilds == 0 && live.heldBeside == 7 && live.compactionDue)
        #expect(live.record(id: attendees[6].id)?.checkIn != nil)
        // One that rebuilds here takes the snapshot again: nothing held beside it, nothing lost.
        try here.checkIn(attendees[7].id, kiosk: "door-2")
        #expect(live.refresh(from: here, rebuilding: true) == .updated)
        #expect(live.rebuilds == 1 && live.heldBeside == 0 && !live.compactionDue)
        for attendee in attendees.prefix(8) {
            #expect(live.record(id: attendee.id)?.checkIn != nil, "\(attendee.id)")
            #expect(ids(live.search(attendee.id)).first == attendee.id)
        }
        #expect(live.record(id: attendees[8].id)?.checkIn == nil)
    }
}
