import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd service protocol (sd_notify(3)) without libsystemd: `READY=1` once the service
/// listens, `WATCHDOG=1` at half the watchdog interval, `STOPPING=1` on the way out. Outside
/// systemd ($NOTIFY_SOCKET unset) every call does nothing.
public enum Systemd {
    /// Sends `state` (newline-separated assignments) to the service manager; false when not under systemd.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty,
            path.hasPrefix("/") || path.hasPrefix("@")
        else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return sendDatagram(Array(state.utf8), to: path, on: fd)
    }

    /// Sends `bytes` as one datagram to the Unix socket at `path` (`@name`: the abstract namespace).
    static func sendDatagram(_ bytes: [UInt8], to path: String, on fd: Int32) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }
        guard name.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in name.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (name.first == 0 ? 0 : 1))
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
            }
        }
        return sent == bytes.count
    }

    /// How often systemd wants a sign of life ($WATCHDOG_USEC, for this process), or nil.
    public static var watchdogInterval: Duration? {
        let env = ProcessInfo.processInfo.environment
        guard let text = env["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let pid = env["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return .microseconds(usec)
    }

    /// Says `WATCHDOG=1` at half the interval while `alive()` holds, until cancelled (without a
    /// watchdog it only waits to be cancelled, so that a task group's first ending stays the service's).
    public static func watchdog(alive: @escaping @Sendable () async -> Bool = { true }) async {
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
