import Foundation

/// The event's time zone: every time shown to a person (door screens, `sessions list`, the
/// dashboard, certificates) is in it, whatever the machine's own zone. Chosen, in this order, by
/// `$ACCUEIL_TIME_ZONE`, the `time_zone` of the configuration file the process reads
/// (`EventTime.use`), else the machine's zone.
public enum EventTime {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var chosen: TimeZone?

    public static var zone: TimeZone {
        lock.lock()
        defer { lock.unlock() }
        if let chosen { return chosen }
        if let name = ProcessInfo.processInfo.environment["ACCUEIL_TIME_ZONE"], let zone = parse(name) { return zone }
        return .current
    }

    /// Sets the event's zone for this process (from a configuration file); `$ACCUEIL_TIME_ZONE` wins.
    public static func use(_ zone: TimeZone) {
        lock.lock()
        defer { lock.unlock() }
        if let name = ProcessInfo.processInfo.environment["ACCUEIL_TIME_ZONE"], parse(name) != nil { return }
        chosen = zone
    }

    /// An IANA name (`Europe/Paris`) or `UTC`; nil for anything else.
    public static func parse(_ name: String) -> TimeZone? {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return nil }
        if name == "UTC" || name == "GMT" { return TimeZone(identifier: "UTC") }
        guard TimeZone.knownTimeZoneIdentifiers.contains(name) else { return nil }
        return TimeZone(identifier: name)
    }

    /// "09:12" in the event's zone.
    public static func hhmm(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
    }

    /// A formatter for `format` in the event's zone.
    public static func formatter(_ format: String, locale: Locale? = nil) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.timeZone = zone
        if let locale { formatter.locale = locale }
        formatter.dateFormat = format
        return formatter
    }
}
