/// The limits every part agrees on: a roster import, a walk-in, a kiosk's upload and the server
/// check the same numbers, so that nothing a kiosk accepts is refused later by the server (where a
/// refused change used to block a kiosk's uploads for ever).
public enum EventLimits {
    /// An attendee id (or a session's subject), in UTF-8 bytes.
    public static let maxIDBytes = 256
    /// A kiosk's name, in UTF-8 bytes.
    public static let maxKioskBytes = 128
    /// One event's payload (an attendee's roster entry), in UTF-8 bytes.
    public static let maxPayloadBytes = 64 << 10
    /// One field of a roster row (a name, an organisation, a note…), in UTF-8 bytes.
    public static let maxFieldBytes = 4 << 10
    /// Events in one upload.
    public static let maxBatchEvents = 5000
    /// One upload's body, in bytes (the server answers 413 beyond it).
    public static let maxBatchBytes = 16 << 20
    /// What a kiosk puts in one upload at most, well under `maxBatchBytes`.
    public static let uploadBytes = 4 << 20
    /// The oldest event the server stores, by its own clock: a kiosk offline for a whole event
    /// still syncs; a check-in dated 1970 (to pass for the first arrival) is refused.
    public static let maxEventAge: Double = 30 * 86_400
    /// How far ahead of the server's clock an event may be dated (a station's clock running fast).
    public static let maxClockAhead: Double = 3_600
}

/// This program's version (`accueil --version`); a kiosk sends again the changes a server refused
/// once either of them is upgraded.
public enum AccueilVersion {
    public static let current = "0.4.0"
}
