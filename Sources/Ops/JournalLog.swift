import AccueilCore
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log to the systemd journal, with structured fields: each metadata key becomes a journal
/// field (`kiosk` → `ACCUEIL_KIOSK`, `attendee_id` → `ACCUEIL_ATTENDEE_ID`, `event_id` →
/// `ACCUEIL_EVENT_ID`…), so `journalctl ACCUEIL_ATTENDEE_ID=ACC-00042` finds an attendee's lines.
/// Speaks the journal's native protocol over its socket, without libsystemd.
///
/// What goes in at info level names kiosks, ids and events, never names or e-mails; those only
/// appear at debug level (`ACCUEIL_LOG_LEVEL=debug`).
struct JournalLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    static let socketPath =
        ProcessInfo.processInfo.environment["ACCUEIL_JOURNAL_SOCKET"] ?? "/run/systemd/journal/socket"
    private static let socket = Mutex<Int32>(-1)

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description), ("PRIORITY", String(Self.priority(event.level))),
            ("SYSLOG_IDENTIFIER", "accueil"), ("ACCUEIL_LOGGER", label), ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)), ("CODE_FUNC", event.function),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields.append((Self.fieldName(key), value.description))
        }
        Self.send(Self.encode(fields))
    }

    /// `attendee_id` → `ACCUEIL_ATTENDEE_ID` (journal field names: A–Z, 0–9 and _).
    static func fieldName(_ key: String) -> String {
        "ACCUEIL_"
            + String(
                key.uppercased().unicodeScalars.map {
                    ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_"
                })
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The native protocol: `NAME=value\n`, or for a value with a newline `NAME\n`, its length as
    /// 64-bit little-endian, the value, `\n`.
    static func encode(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += Array(name.utf8)
            let data = Array(value.utf8)
            if data.contains(0x0A) {
                bytes.append(0x0A)
                withUnsafeBytes(of: UInt64(data.count).littleEndian) { bytes += $0 }
                bytes += data
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes += data
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    static func send(_ datagram: [UInt8]) {
        socket.withLock { fd in
            if fd < 0 { fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            guard fd >= 0 else { return }
            _ = Systemd.sendDatagram(datagram, to: socketPath, on: fd)
        }
    }
}

/// Every logged message and metadata value with its control characters escaped (`LogText`): a
/// login name or a roster id holding a newline or a terminal escape cannot forge a log line.
struct EscapingLogHandler<Inner: LogHandler>: LogHandler {
    var inner: Inner

    init(_ inner: Inner) { self.inner = inner }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(LogText.escaped(event.message.description, limit: 4096))"
        event.metadata = event.metadata.map(Self.escaped)
        inner.log(event: event)
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues { value in
            switch value {
            case .string(let text): .string(LogText.escaped(text, limit: 1024))
            case .stringConvertible(let item): .string(LogText.escaped(item.description, limit: 1024))
            case .array(let items): .array(items.map { .string(LogText.escaped($0.description, limit: 1024)) })
            case .dictionary(let items): .dictionary(escaped(items))
            }
        }
    }
}

/// Sets up logging for the whole process: the journal when systemd connected us to it
/// ($JOURNAL_STREAM) or a socket is named ($ACCUEIL_JOURNAL_SOCKET), else standard error.
public func bootstrapLogging() {
    let env = ProcessInfo.processInfo.environment
    let level = env["ACCUEIL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    let journal =
        (env["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false || env["ACCUEIL_JOURNAL_SOCKET"] != nil)
        && FileManager.default.fileExists(atPath: JournalLogHandler.socketPath)
    LoggingSystem.bootstrap { label in
        if journal { return EscapingLogHandler(JournalLogHandler(label: label, logLevel: level)) }
        return EscapingLogHandler(StderrLogHandler(label: label, logLevel: level))
    }
}
