import Testing

@testable import AccueilCore

/// The one walk-in rule every door uses (the browser's form, the terminal door, `accueil walkin`).
@Suite("Walk-ins")
struct WalkInTests {
    @Test("a walk-in is trimmed, its country and role read as a roster row's, marked as a walk-in")
    func accepted() throws {
        let attendee = try WalkIn(
            firstName: "  Zoé ", lastName: "Nouvelle", nativeName: " ", organisation: " Le Soir ", country: "Belgique",
            role: "presse", email: " zoe@lesoir.be ", language: " FR "
        ).attendee(id: "W-door-1-1")
        #expect(attendee.id == "W-door-1-1" && attendee.firstName == "Zoé" && attendee.nativeName.isEmpty)
        #expect(attendee.organisation == "Le Soir" && attendee.country == "BE" && attendee.role == .press)
        #expect(attendee.email == "zoe@lesoir.be" && attendee.language == "fr" && attendee.walkIn)
        // A name in its own script alone is a name; no role is a participant.
        let native = try WalkIn(nativeName: "王小明").attendee(id: "W-2")
        #expect(native.nativeName == "王小明" && native.role == .participant)
    }

    @Test("refused with the field and the reason, in French and English")
    func refused() {
        func problem(_ walkIn: WalkIn) -> WalkIn.Problem? {
            do {
                _ = try walkIn.attendee(id: "W")
                return nil
            } catch { return error }
        }
        #expect(problem(WalkIn(firstName: "  ", organisation: "Ville"))?.field == "first_name")
        let country = problem(WalkIn(lastName: "Martin", country: "Atlantis"))
        #expect(country?.field == "country" && country?.english.contains("Atlantis") == true)
        #expect(country?.message("fr").hasPrefix("pays inconnu") == true)
        #expect(problem(WalkIn(lastName: "Martin", role: "king"))?.field == "role")
        // The same e-mail rule as a roster row: one @, a dot in the domain, no spaces.
        for bad in ["martin", "martin@", "@ville.fr", "martin@ville", "mar tin@ville.fr", "a@b@ville.fr"] {
            #expect(problem(WalkIn(lastName: "Martin", email: bad))?.field == "email", "\(bad)")
        }
        #expect(problem(WalkIn(lastName: "Martin", email: "m.martin@ville-de-lyon.fr")) == nil)
    }
}
