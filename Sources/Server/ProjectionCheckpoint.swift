import AccueilCore
import CZlibSystem
import CentralStorage
import Foundation
import Logging
import Synchronization

/// The projection saved to a file, so that a restarted server reads the central log only past it:
/// at a million events the fold from the start takes half a minute, the checkpoint a few seconds.
///
/// It is a cache of what the store says, never the truth: it names the store's log epoch (a purge
/// starts a new one) and the last event it folded (sequence number and id), and it is used only
/// when the store still has that very event at that number; otherwise, or when the file is
/// missing, torn, of another version or unreadable, the server folds the log from the start as if
/// there were none, and says why in its log. Written to a new file then renamed over the old one,
/// with a checksum: a server killed while writing leaves the previous checkpoint whole.
///
/// The layout (numbers in seven bits a byte, ``PackWriter``): `ACCUEILP`, a version byte, the
/// store's epoch, the cursor, the last event's id, the counters and refusals, the sessions' logs,
/// then each attendee's id, attendee and packed events (in parts, each with its length), and a
/// CRC-32 of all before it.
enum ProjectionCheckpoint {
    static let magic = Array("ACCUEILP".utf8)
    static let version: UInt8 = 1
    /// Attendees per part of the file (parts are read back in parallel).
    static let part = 32_768

    /// What is saved: the projection's tables and where it is in the log.
    struct Content: Sendable {
        var cursor: Int64
        var lastEventID: UUID?
        var attendees: AttendeeTable
        var sessionLogs: [String: [Event]]
        var counters: [String: Int]
        var refusals: [String: [String: Int]]
    }

    struct Unusable: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Writes `content` to `path` (through `path.new-PID`, synced, then renamed). Returns the bytes written.
    @discardableResult
    static func write(_ content: Content, epoch: String, to path: String) throws -> Int {
        // Several instances on one machine and one database may share the file: each writes its own.
        let temporary = path + ".new-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw Unusable("cannot create \(temporary)")
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        var crc = crc32(0, nil, 0)
        var total = 0
        var writer = PackWriter(capacity: 1 << 22)
        func flush(_ force: Bool = false) throws {
            guard force || writer.bytes.count >= 1 << 22 else { return }
            crc = writer.bytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
            try file.write(contentsOf: writer.bytes)
            total += writer.bytes.count
            writer.bytes.removeAll(keepingCapacity: true)
        }
        do {
            writer.bytes.append(contentsOf: magic)
            writer.byte(version)
            writer.text(epoch)
            writer.number(Int(content.cursor))
            writer.byte(content.lastEventID == nil ? 0 : 1)
            if let id = content.lastEventID { writer.uuid(id) }
            writer.counts(content.counters)
            writer.number(content.refusals.count)
            for (session, reasons) in content.refusals.sorted(by: { $0.key < $1.key }) {
                writer.text(session)
                writer.counts(reasons)
            }
            writer.number(content.sessionLogs.count)
            for (id, log) in content.sessionLogs.sorted(by: { $0.key < $1.key }) {
                writer.text(id)
                writer.number(log.count)
                for event in log { writer.event(event) }
            }
            // Attendees in parts of `part`, each part's length first: read back on every core.
            writer.number(content.attendees.count)
            var part = PackWriter(capacity: 1 << 22)
            var inPart = 0
            for slot in content.attendees.slots {
                part.text(slot.id)
                // The log as it is packed, with the attendee it elides written beside it.
                part.byte(slot.state.attendee == nil ? 0 : 1)
                if let attendee = slot.state.attendee { part.attendee(attendee) }
                part.raw(slot.log)
                inPart += 1
                if inPart == Self.part {
                    writer.raw(part.bytes)
                    part.bytes.removeAll(keepingCapacity: true)
                    inPart = 0
                    try flush()
                }
            }
            if inPart > 0 { writer.raw(part.bytes) }
            try flush(true)
            var trailer = PackWriter()
            withUnsafeBytes(of: UInt32(crc).littleEndian) { trailer.bytes.append(contentsOf: $0) }
            try file.write(contentsOf: trailer.bytes)
            total += trailer.bytes.count
            try file.synchronize()
            try file.close()
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw Unusable("cannot rename \(temporary) to \(path): \(reason)")
        }
        syncDirectory(of: path)
        return total
    }

    /// Reads a checkpoint back, with the epoch it was written for; throws `Unusable` (saying why)
    /// when it cannot be used.
    static func read(from path: String) throws -> (content: Content, epoch: String) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Unusable("cannot read \(path): \(error.localizedDescription)")
        }
        // The header, sessions and counts; where each part of attendees lies.
        let (header, epoch, count, parts) = try data.withUnsafeBytes { raw in
            let all = raw.bindMemory(to: UInt8.self)
            guard all.count >= magic.count + 5, Array(all.prefix(magic.count)) == magic else {
                throw Unusable("\(path) is not a projection checkpoint")
            }
            let body = UnsafeBufferPointer(rebasing: all[0..<all.count - 4])
            var stored: UInt32 = 0
            for shift in 0..<4 { stored |= UInt32(all[all.count - 4 + shift]) << (8 * UInt32(shift)) }
            guard UInt32(crc32(0, body.baseAddress, uInt(body.count))) == UInt32(littleEndian: stored) else {
                throw Unusable("\(path) is torn or damaged (its checksum does not match)")
            }
            var reader = PackReader(bytes: body, at: magic.count)
            guard reader.byte() == version else {
                throw Unusable("\(path) was written by another version of accueil")
            }
            let epoch = reader.text()
            var content = Content(
                cursor: Int64(reader.number()), lastEventID: nil, attendees: AttendeeTable(), sessionLogs: [:],
                counters: [:], refusals: [:])
            if reader.byte() == 1 { content.lastEventID = reader.uuid() }
            content.counters = reader.counts()
            for _ in 0..<max(0, reader.number()) where !reader.failed {
                let session = reader.text()
                content.refusals[session] = reader.counts()
            }
            for _ in 0..<max(0, reader.number()) where !reader.failed {
                let id = reader.text()
                var log: [Event] = []
                for _ in 0..<max(0, reader.number()) where !reader.failed {
                    if let event = reader.event(subject: id) { log.append(event) }
                }
                content.sessionLogs[id] = log
            }
            let count = reader.number()
            var parts: [Range<Int>] = []
            while !reader.atEnd && !reader.failed {
                let part = reader.raw()
                parts.append(reader.at - part.count..<reader.at)
            }
            guard !reader.failed, count >= 0 else {
                throw Unusable("\(path) does not read back as it was written")
            }
            return (content, epoch, count, parts)
        }
        // Parts unpacked and folded on every core, a few at a time, while this thread puts the
        // previous few in the table, in order (what waits to go in stays small).
        var content = header
        content.attendees.reserve(count)
        let batch = max(2, ProcessInfo.processInfo.activeProcessorCount)
        func unpackInBackground(_ first: Int) -> Unpacking {
            let work = Unpacking()
            for index in first..<min(first + batch, parts.count) {
                let range = parts[index]
                DispatchQueue.global().async(group: work.group) {
                    let unpacked = data.withUnsafeBytes { Self.unpack($0.bindMemory(to: UInt8.self), range) }
                    work.done.withLock { $0[index] = unpacked }
                }
            }
            return work
        }
        var next = parts.isEmpty ? nil : unpackInBackground(0)
        var first = 0
        while let work = next {
            work.group.wait()
            let done = work.done.withLock { $0 }
            let following = first + batch
            next = following < parts.count ? unpackInBackground(following) : nil
            try data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                for index in first..<min(following, parts.count) {
                    guard let part = done[index] ?? nil else {
                        throw Unusable("\(path): a part of its attendees does not read back")
                    }
                    for one in part {
                        let slot = content.attendees.slot(for: one.id)
                        if let log = one.log {
                            content.attendees.set(slot, log: log, state: one.state)
                        } else {
                            content.attendees.set(
                                slot, packed: UnsafeBufferPointer(rebasing: bytes[one.packed]), state: one.state)
                        }
                    }
                }
            }
            first = following
        }
        guard content.attendees.count == count else {
            throw Unusable("\(path) holds \(content.attendees.count) attendees where it says \(count)")
        }
        return (content, epoch)
    }

    /// Parts being unpacked on other threads, by index.
    private final class Unpacking: Sendable {
        let group = DispatchGroup()
        let done = Mutex<[Int: [Unpacked]?]>([:])
    }

    /// One attendee read back: the state folded from their events, and where their packed log
    /// lies in the file (or the events themselves, when the log must be packed again).
    private struct Unpacked: Sendable {
        var id: String
        var state: AttendeeState
        var packed: Range<Int>
        var log: [Event]?
    }

    /// The attendees of the part of `file` at `range`, or nil when it does not read back.
    private static func unpack(_ file: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [Unpacked]? {
        var reader = PackReader(bytes: UnsafeBufferPointer(rebasing: file[..<range.upperBound]), at: range.lowerBound)
        var unpacked: [Unpacked] = []
        unpacked.reserveCapacity(Self.part)
        while !reader.atEnd {
            let id = reader.text()
            let attendee = reader.byte() == 1 ? reader.attendee() : nil
            let packed = reader.raw()
            guard !reader.failed else { return nil }
            var log: [Event] = []
            var events = PackReader(bytes: packed)
            while !events.atEnd, let event = events.event(subject: id, attendee: attendee) { log.append(event) }
            guard !events.failed else { return nil }
            let state = AttendeeState.fold(log)
            let start = reader.at - packed.count
            // What the log elides is the state's attendee: the log is kept as written.
            unpacked.append(
                Unpacked(
                    id: id, state: state, packed: start..<start + packed.count,
                    log: state.attendee == attendee ? nil : log))
        }
        return unpacked
    }

    /// Where a server on `store` keeps its checkpoint unless told: beside a SQLite store's file,
    /// else in `directory` (the server's data directory), named after the store (its password left out).
    static func defaultPath(store: String, directory: String) -> String {
        if let file = centralSQLitePath(store) { return file + ".projection" }
        var spec = store
        if var parts = URLComponents(string: store) {
            parts.password = nil
            spec = parts.string ?? store
        }
        let digest = spec.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }  // FNV-1a
        return (directory as NSString).appendingPathComponent(
            "accueil-projection-" + String(digest, radix: 16) + ".checkpoint")
    }

    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// Keeps one projection's checkpoint: reads it at start when it belongs to the store, writes it
/// once the log has grown by `everyEvents` (or after `everySeconds` with anything new) and when the
/// server stops. Writing runs on a thread of its own; the projection goes on answering (its
/// tables are shared copy on write, and the write reads them as they were).
actor CheckpointKeeper {
    let path: String
    let projection: CentralProjection
    let store: any CentralStore
    let logger: Logger
    let everyEvents: Int64
    let everySeconds: Double
    private var savedCursor: Int64 = -1
    private var savedAt = ContinuousClock.now

    init(
        path: String, projection: CentralProjection, store: any CentralStore, logger: Logger,
        everyEvents: Int64 = 50_000, everySeconds: Double = 300
    ) {
        self.path = path
        self.projection = projection
        self.store = store
        self.logger = logger
        self.everyEvents = everyEvents
        self.everySeconds = everySeconds
        Self.removeAbandonedWrites(of: path)
    }

    /// Half-written files of processes killed while writing (a write takes seconds: older than ten
    /// minutes, nobody is writing it).
    private static func removeAbandonedWrites(of path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let prefix = url.lastPathComponent + ".new-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            let file = directory.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
            if let modified, modified < Date() - 600 { try? FileManager.default.removeItem(atPath: file) }
        }
    }

    /// Starts the projection from the checkpoint, when there is one that belongs to the store's
    /// log as it is now. Says in the log what it did and why. False when there is none or it is
    /// not the log's (it is deleted then); nil when the store could not be read (try again).
    @discardableResult
    func restore() async -> Bool? {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let started = ContinuousClock.now
        do {
            let path = self.path
            let (content, epoch) = try await onThread { try ProjectionCheckpoint.read(from: path) }
            let storeEpoch = try await store.logEpoch()
            guard epoch == storeEpoch else {
                throw ProjectionCheckpoint.Unusable("the store was purged since (its log is not the one folded)")
            }
            if content.cursor > 0 {
                let page = try await store.changes(since: content.cursor - 1, limit: 1)
                guard let first = page.events.first, first.seq == content.cursor, first.id == content.lastEventID
                else {
                    throw ProjectionCheckpoint.Unusable(
                        "the store has no longer event \(content.cursor) as it was (another or a restored database)")
                }
            }
            guard await projection.restore(content) else {
                logger.warning(
                    "projection checkpoint not used: the projection had already read the log",
                    metadata: ["file": "\(path)"])
                return false
            }
            returnFreeMemory()  // what reading left free, on the threads that read
            savedCursor = content.cursor
            savedAt = ContinuousClock.now
            logger.info(
                "projection read from its checkpoint",
                metadata: [
                    "file": "\(path)", "cursor": "\(content.cursor)", "attendees": "\(content.attendees.count)",
                    "seconds": "\(Self.seconds(since: started))",
                ])
            return true
        } catch let error as ProjectionCheckpoint.Unusable {
            // Not this log's (or damaged): of no use, and it may hold what a purge took out.
            try? FileManager.default.removeItem(atPath: path)
            logger.warning(
                "projection checkpoint not used (deleted); folding the central log from the start",
                metadata: ["file": "\(path)", "why": "\(error)"])
            return false
        } catch {
            logger.warning(
                "projection checkpoint not used yet: the store cannot be read",
                metadata: ["file": "\(path)", "why": "\(error)"])
            return nil
        }
    }

    /// Writes a checkpoint if the log grew enough since the last one (or `force`: whenever it grew).
    func saveIfDue(force: Bool = false) async {
        let content = await projection.checkpointContent()
        let grown = content.cursor - savedCursor
        guard content.cursor > 0, grown > 0 else { return }
        guard force || grown >= everyEvents || ContinuousClock.now - savedAt >= .seconds(everySeconds) else { return }
        let started = ContinuousClock.now
        do {
            let epoch = try await store.logEpoch()
            let path = self.path
            let bytes = try await onThread { try ProjectionCheckpoint.write(content, epoch: epoch, to: path) }
            savedCursor = content.cursor
            savedAt = ContinuousClock.now
            // The write's buffers, and what the projection freed as it grew since the last one
            // (a million attendees imported piece by piece left 0.2 GB free in malloc's arenas).
            returnFreeMemory()
            logger.info(
                "projection checkpoint written",
                metadata: [
                    "file": "\(path)", "cursor": "\(content.cursor)", "bytes": "\(bytes)",
                    "seconds": "\(Self.seconds(since: started))",
                ])
        } catch {
            savedAt = ContinuousClock.now  // tried: again after the interval, not at once
            logger.warning("cannot write the projection checkpoint", metadata: ["file": "\(path)", "why": "\(error)"])
        }
    }

    private static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        return String(
            format: "%.2f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// Runs blocking work (file reads and writes, a fold of a million logs) on a thread of its own,
/// off the tasks' shared threads.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension PackWriter {
    /// Counts by name (the projection's counters, a session's refusals), in name order.
    fileprivate mutating func counts(_ counts: [String: Int]) {
        number(counts.count)
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) {
            text(name)
            number(count)
        }
    }
}

extension PackReader {
    /// What ``PackWriter/counts(_:)`` wrote.
    fileprivate mutating func counts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<max(0, number()) where !failed {
            let name = text()
            counts[name] = number()
        }
        return counts
    }
}
