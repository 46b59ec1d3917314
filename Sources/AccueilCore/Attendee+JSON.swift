/// The event log's hottest payload (`attendee.upserted`) written by `JSONOut`: Foundation's
/// `JSONEncoder` costs more than the SQLite insert it feeds. Output is plain JSON that
/// `JSONDecoder` reads back (see `EventCodec`).
extension Attendee {
    /// This attendee as JSON, with the same keys as its `Codable` form.
    public var json: String {
        var w = JSONOut(capacity: 512)
        w.beginObject()
        w.member("country", country)
        w.member("delegation", delegation)
        w.member("email", email)
        w.member("first_name", firstName)
        w.member("id", id)
        w.member("language", language)
        w.member("last_name", lastName)
        w.member("native_name", nativeName)
        w.member("notes", notes)
        w.member("organisation", organisation)
        if pending { w.member("pending", pending) }
        w.member("role", role.rawValue)
        w.member("sessions", sessions)
        if !tickets.isEmpty { w.member("tickets", tickets) }
        w.member("title", title)
        w.member("vip", vip)
        w.member("walk_in", walkIn)
        w.endObject()
        return w.text
    }
}
