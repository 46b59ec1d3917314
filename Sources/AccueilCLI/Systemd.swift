import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd service protocol (sd_notify(3)) without libsystemd: `READY=1` once the service
/// listens, `WATCHDOG=1` at half the watchdog interval, `STOPPING=1` on the way out. Outside
/// systemd ($NOTIFY_SOCKET unset) every call does nothing.
enum Systemd {
    /// Sends `state` (newline-separated assignments) to the service manager; false when not under systemd.
    @discardableResult
    static func notify(_ state: String) -> Bool {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty,
            path.hasPrefix("/") || path.hasPrefix("@")
        else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), sa, length)
            }
        }
        return sent == message.count
    }

    /// How often systemd wants a sign of life ($WATCHDOG_USEC, for this process), or nil.
    static var watchdogInterval: Duration? {
        let env = ProcessInfo.processInfo.environment
        guard let text = env["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let pid = env["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return .microseconds(usec)
    }

    /// Says `WATCHDOG=1` at half the interval while `alive()` holds, until cancelled (without a
    /// watchdog it only waits to be cancelled, so that a task group's first ending stays the service's).
    static func watchdog(alive: @escaping @Sendable () async -> Bool = { true }) async {
        guard let interval = watchdogInterval else {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        while !Task.isCancelled {
            if await alive() { notify("WATCHDOG=1") }
            try? await Task.sleep(for: interval / 2)
        }
    }
}
