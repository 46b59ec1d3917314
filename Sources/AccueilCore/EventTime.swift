import Foundation

/// The event's time zone: every time shown to a person (door screens, `sessions list`, the
/// dashboard, certificates) is in it, whatever the machine's own zone. Chosen, in this order, by
/// `$ACCUEIL_TIME_ZONE`, the `time_zone` of the configuration file the process reads
/// (`EventTime.use`), else the machine's zone.
public enum EventTime {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var chosen: TimeZone?
    /// The zone and a calendar in it, worked out once: `hhmm` runs on every second check-in at the
    /// door, and finding the zone (the environment, the zone database's list of names, the
    /// machine's /etc/localtime) cost more than the rest of its answer.
    nonisolated(unsafe) private static var resolved: (zone: TimeZone, calendar: Calendar)?

    public static var zone: TimeZone { current.zone }

    private static var current: (zone: TimeZone, calendar: Calendar) {
        lock.lock()
        defer { lock.unlock() }
        if let resolved { return resolved }
        let zone: TimeZone =
            if let chosen {
                chosen
            } else if let name = ProcessInfo.processInfo.environment["ACCUEIL_TIME_ZONE"], let zone = parse(name) {
                zone
            } else {
                .current
            }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        resolved = (zone, calendar)
        return (zone, calendar)
    }

    /// Sets the event's zone for this process (from a configuration file); `$ACCUEIL_TIME_ZONE` wins.
    public static func use(_ zone: TimeZone) {
        lock.lock()
        defer { lock.unlock() }
        if let name = ProcessInfo.processInfo.environment["ACCUEIL_TIME_ZONE"], parse(name) != nil { return }
        chosen = zone
        resolved = nil
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
        let c = current.calendar.dateComponents([.hour, .minute], from: date)
        let (hour, minute) = (c.hour ?? 0, c.minute ?? 0)
        return (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
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
