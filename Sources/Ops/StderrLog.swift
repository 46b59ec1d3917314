import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log to standard error, one line a message, in swift-log's `StreamLogHandler` format
/// (`2026-12-03T18:38:39+0000 info accueil.kiosk: attendee_id=ACC-00005 kiosk=door-1 [KioskStore]
/// checked in`), for a daemon run outside systemd (the benches, the tests, a terminal), at a
/// fraction of the CPU: each check-in logs a line on the HTTP server's threads, where logging was a
/// fifth of their time under load, `StreamLogHandler` half of that. What it does not repeat:
/// - the timestamp is formatted once a second, not for each line (`StreamLogHandler` calls
///   `localtime`, which stats `/etc/localtime` every time, and `strftime`);
/// - metadata set on the logger (Hummingbird sets a request id on each request's) is rendered
///   when a line is written, not each time it is set;
/// - a line is one `write(2)`, not a locked `FILE` written and flushed.
struct StderrLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(label: String, logLevel: Logger.Level) { (self.label, self.logLevel) = (label, logLevel) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata, !explicit.isEmpty { all.merge(explicit) { $1 } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = Self.timestamp()
        line += " "
        line += event.level.rawValue
        if !label.isEmpty {
            line += " "
            line += label
        }
        line += ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        Self.write(line)
    }

    /// The second the cached text is of, and that text, under `lock` (an NSLock: ThreadSanitizer
    /// sees pthread mutexes, not Synchronization's `Mutex` on Linux).
    nonisolated(unsafe) private static var cached: (second: time_t, text: String) = (-1, "")
    private static let lock = NSLock()

    /// Now, as `StreamLogHandler` writes it: local time, `%Y-%m-%dT%H:%M:%S%z`.
    static func timestamp() -> String {
        let now = time(nil)
        return lock.withLock {
            if cached.second == now { return cached.text }
            var second = now
            var local = tm()
            guard localtime_r(&second, &local) != nil else { return "<unknown>" }
            var buffer = [CChar](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            cached = (now, text)
            return text
        }
    }

    /// `line` to file descriptor 2 in one `write(2)` (a line under 4 KiB reaches a pipe whole,
    /// whichever threads write at the same time); the rest again if the kernel took part of it.
    static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
