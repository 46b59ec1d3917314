import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs other programs for the tests and the benchmarks, without Foundation's `Process`.
///
/// On Linux, `Process.waitUntilExit()` learns that a child ended when a socket it passed to the child
/// closes; a child that starts a daemon (tmux's server, cupsd) hands that socket on, and the wait never
/// ends (swift-corelibs-foundation issue 4795). This was seen here and on CI: the suite hung for good.
/// These helpers use `posix_spawn` and `waitpid` instead, give the child a clean signal mask and no
/// inherited descriptors, send its output to files (never a pipe a daemon could hold open), and kill
/// it when it overruns its deadline, so that a stuck tool fails one test instead of hanging the run.
public struct Outcome: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// The program overran its deadline and was killed.
    public var timedOut: Bool
    /// Ended by a signal (its number), or nil.
    public var signal: Int32?
    public var output: String { stdout + stderr }
}

public enum SpawnError: Error, CustomStringConvertible {
    case spawn(String, Int32)
    public var description: String {
        switch self {
        case .spawn(let path, let code): "cannot start \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// A started program.
public final class Spawned: @unchecked Sendable {
    public let pid: pid_t
    public let command: String
    private let lock = NSLock()
    private var ended: (status: Int32, signal: Int32?)?
    private var usage = rusage()

    /// Its peak resident memory in kilobytes (getrusage's ru_maxrss), once it ended.
    public var peakKilobytes: Int? {
        lock.lock()
        defer { lock.unlock() }
        return ended == nil ? nil : Int(usage.ru_maxrss)
    }

    init(pid: pid_t, command: String) {
        self.pid = pid
        self.command = command
    }

    /// The exit status once it ended (reaping it), or nil while it runs.
    public func poll() -> (status: Int32, signal: Int32?)? {
        lock.lock()
        defer { lock.unlock() }
        if let ended { return ended }
        var raw: Int32 = 0
        let result = wait4(pid, &raw, WNOHANG, &usage)
        guard result == pid else { return nil }
        let signalled = (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f
        ended = signalled ? (128 + (raw & 0x7f), raw & 0x7f) : ((raw >> 8) & 0xff, nil)
        return ended
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits until it ends; past `timeout`, kills its process group and says so.
    @discardableResult
    public func wait(timeout: Duration = .seconds(120)) -> (status: Int32, signal: Int32?, timedOut: Bool) {
        let deadline = ContinuousClock.now + timeout
        var pause: UInt32 = 1000
        while ContinuousClock.now < deadline {
            if let done = poll() { return (done.status, done.signal, false) }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        // Not reaped yet (poll said so), so the pid and its group are still this child's.
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        while poll() == nil { usleep(10_000) }
        let done = poll()!
        return (done.status, done.signal, true)
    }

    /// Signals its whole process group (it and what it started, unless they left the group).
    public func sendToGroup(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { kill(-pid, signal) }
    }

    /// Signals it, unless it has ended and been reaped: its pid may then belong to another process.
    public func send(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { kill(pid, signal) }
    }
}

/// Where a spawned program's output goes.
public enum Sink {
    case null
    case file(String)
    /// A descriptor of the caller's (e.g. the write end of a pipe), duplicated into the child.
    case descriptor(Int32)
}

/// Starts `path` with `arguments`; the child gets /dev/null as input (or the file `stdin`), a clean
/// signal mask, default signal handlers, no other descriptors, and its own process group.
public func spawn(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
    stdout: Sink = .null, stderr: Sink = .null
) throws -> Spawned {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
    for (fd, sink) in [(Int32(1), stdout), (Int32(2), stderr)] {
        switch sink {
        case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
        case .file(let file):
            posix_spawn_file_actions_addopen(&actions, fd, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, fd)
        }
    }
    closeFrom(&actions, 3)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in env { free(pointer) } }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, path, &actions, &attributes, argv, env)
    guard code == 0 else { throw SpawnError.spawn(path, code) }
    return Spawned(pid: pid, command: ([path] + arguments).joined(separator: " "))
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which the Glibc module does not import.
private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
private let closeFromFunction: CloseFrom? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    else { return nil }
    return unsafeBitCast(symbol, to: CloseFrom.self)
}()

private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ first: Int32) {
    if let closeFromFunction { _ = closeFromFunction(actions, first) }
}

/// Runs a program to its end (at most `timeout`) and returns its status and output.
@discardableResult
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
    timeout: Duration = .seconds(120)
) throws -> Outcome {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-run-\(UUID().uuidString)").path
    let (outFile, errFile) = (base + ".out", base + ".err")
    defer {
        try? FileManager.default.removeItem(atPath: outFile)
        try? FileManager.default.removeItem(atPath: errFile)
    }
    let child = try spawn(
        path, arguments, environment: environment, stdin: stdin, stdout: .file(outFile), stderr: .file(errFile))
    let end = child.wait(timeout: timeout)
    func read(_ file: String) -> String { String(decoding: readFile(file) ?? Data(), as: UTF8.self) }
    var errors = read(errFile)
    if end.timedOut { errors += "\n[killed: \(child.command) ran past \(timeout)]" }
    return Outcome(
        status: end.status, stdout: read(outFile), stderr: errors, timedOut: end.timedOut, signal: end.signal)
}

/// A file's bytes, or nil when it cannot be read. (Not `FileManager.contents(atPath:)`: in
/// swift-corelibs-foundation 6.3 it keeps 4 KB for good each time it reads an empty file, which
/// `runProgram` does twice a run for a quiet program: `invitations send` grew by 8 KB a mail.)
public func readFile(_ path: String) -> Data? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { return nil }
        if count == 0 { return data }
        data.append(contentsOf: buffer[0..<count])
    }
}

/// Runs a tool found in /usr/bin (pdftoppm, zbarimg, lpadmin…).
@discardableResult
public func tool(_ name: String, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> Outcome {
    let path = ["/usr/bin/\(name)", "/usr/sbin/\(name)", "/bin/\(name)"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    return try runProgram(path ?? name, arguments, timeout: timeout)
}

/// A TCP socket listening on 127.0.0.1 on a port the system picks: (descriptor, port).
public func listenOnLoopback(backlog: Int32 = 64) -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    listen(fd, backlog)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A TCP connection to 127.0.0.1:`port`, or nil when refused.
public func connectToLoopback(port: UInt16, from source: String? = nil) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    // Another loopback address as the source (127.0.0.2…): a second client, as the server sees it.
    if let source {
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            return nil
        }
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if connected == 0 { return fd }
    close(fd)
    return nil
}

/// The page token a kiosk's pages carry (`KioskGuard`), read from its screen at `/`: what a
/// client needs to call the kiosk's API the way its own page does.
public func kioskPageToken(port: UInt16) -> String? {
    guard let page = loopbackHTTP(port: port, method: "GET", path: "/", pageToken: false) else { return nil }
    let text = String(decoding: page.body, as: UTF8.self)
    guard let key = text.range(of: "\"page_token\"") else { return nil }
    let rest = text[key.upperBound...].drop { $0 == " " || $0 == ":" }.dropFirst()
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}

/// A plain HTTP/1.1 exchange with 127.0.0.1:`port` over a socket (one request, `Connection: close`),
/// for peers whose headers Foundation's URLSession will not parse (chromedriver writes `Name:value`).
/// A request with a body is JSON and, with `pageToken`
/// (the default), carries the kiosk's page token like the kiosk's own page; `headers` are added
/// (or replace `Host`).
public func loopbackHTTP(
    port: UInt16, method: String, path: String, body: Data? = nil, headers: [String: String] = [:],
    pageToken: Bool = true, from source: String? = nil
) -> (status: Int, body: Data)? {
    loopbackExchange(
        port: port, method: method, path: path, body: body, headers: headers, pageToken: pageToken, from: source
    ).map { ($0.status, $0.body) }
}

/// `loopbackHTTP` with the answer's headers too (lower-case names; the last of repeated ones).
public func loopbackExchange(
    port: UInt16, method: String, path: String, body: Data? = nil, headers: [String: String] = [:],
    pageToken: Bool = true, from source: String? = nil
) -> (status: Int, body: Data, headers: [String: String])? {
    var headers = headers
    if method != "GET", pageToken, headers["X-Accueil-Page"] == nil, let token = kioskPageToken(port: port) {
        headers["X-Accueil-Page"] = token
    }
    guard let fd = connectToLoopback(port: port, from: source) else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 120, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var request =
        "\(method) \(path) HTTP/1.1\r\nHost: \(headers["Host"] ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
    if let body {
        request += "Content-Type: \(headers["Content-Type"] ?? "application/json")\r\nContent-Length: \(body.count)\r\n"
    }
    for (name, value) in headers where name != "Host" && name != "Content-Type" { request += "\(name): \(value)\r\n" }
    var bytes = Array((request + "\r\n").utf8)
    if let body { bytes += body }
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return nil }
        sent += n
    }
    // Read the head, then the body by its Content-Length (chromedriver says `Connection:close`
    // and keeps the socket open), or to the end when it gives none.
    var response = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    var expected: Int?
    while true {
        if let end = response.range(of: Data("\r\n\r\n".utf8)) {
            if expected == nil {
                let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                expected =
                    length.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                    ?? -1
            }
            if let expected, expected >= 0, response.count - end.upperBound >= expected { break }
        }
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        response.append(contentsOf: buffer[0..<n])
    }
    guard let end = response.range(of: Data("\r\n\r\n".utf8)) else { return nil }
    let head = String(decoding: response[..<end.lowerBound], as: UTF8.self)
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    var payload = Data(response[end.upperBound...])
    if head.lowercased().contains("transfer-encoding: chunked")
        || head.lowercased().contains("transfer-encoding:chunked")
    {
        payload = dechunk(payload)
    }
    var fields: [String: String] = [:]
    for line in head.split(separator: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (status, payload, fields)
}

private func dechunk(_ data: Data) -> Data {
    var out = Data()
    var rest = data[...]
    while let line = rest.range(of: Data("\r\n".utf8)) {
        let size = Int(String(decoding: rest[..<line.lowerBound], as: UTF8.self), radix: 16) ?? 0
        if size == 0 { break }
        let start = line.upperBound
        guard let end = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) else { break }
        out.append(rest[start..<end])
        rest = rest[min(end + 2, rest.endIndex)...]
    }
    return out
}
