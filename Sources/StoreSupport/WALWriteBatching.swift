import Foundation
import GRDBSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One `pwrite` per commit (of up to 30 pages) for the write-ahead log, instead of two per page.
///
/// SQLite writes each frame of its log as two writes — the frame's 24-byte header, then its page —
/// so a door's group of check-ins (about 22 pages) made 44 system calls before its `fdatasync`:
/// `perf trace` on the committer's thread counted 47.6 `pwrite64` a commit, 1.1 with this shim.
/// On this project's two-core stations the calls cost more than the bytes; the committer's CPU per
/// check-in fell by about 12 % (`accueil bench kiosk-api`, BENCHMARKS.md).
///
/// This is a VFS shim over SQLite's own (`unix`), installed as the default before any store is
/// opened (``install()``). It changes only the log's files (`SQLITE_OPEN_WAL`); every other file is
/// SQLite's own, untouched. On a log, writes that follow one another are gathered in memory and
/// written as one, at the latest:
/// - after the page of a commit frame (the frame whose header carries the database's size, which
///   SQLite writes last in every commit, and never overwrites), so a commit's frames are in the
///   file before SQLite publishes it to other connections (it does so only after writing them),
///   in every `synchronous` mode;
/// - before a sync (so `synchronous = FULL` still syncs every frame of the commit before it
///   returns), a read, a truncation, a size asked for, a file-control, a close;
/// - before a write elsewhere in the file (SQLite rewrites a frame in place when a transaction
///   changes the same page twice) and when 1 MiB is gathered (a large transaction's frames).
///
/// Written in parts of at most 124 KiB: SQLite's `unix` VFS keeps only the low 17 bits of a
/// write's length (`seekAndWriteFd`), so a longer write came back as "database or disk is full".
///
/// What SQLite finds in the file at any moment it looks is therefore what it wrote; what another
/// connection or process can see (published frames) was written first; what a sync promises to be
/// on disk was written first. A crash between the gathering and the write loses only frames of a
/// commit that had not returned. The file's own descriptor and locks are SQLite's.
public enum WALWriteBatching {
    /// Installs the shim as SQLite's default VFS, once. Connections opened earlier keep the VFS
    /// they were opened with.
    public static func install() { _ = installed }

    /// Whether the shim is SQLite's default VFS now.
    public static var isDefault: Bool {
        guard let vfs = sqlite3_vfs_find(nil), let name = vfs.pointee.zName else { return false }
        return String(cString: name) == vfsName
    }

    static let vfsName = "accueil-wal"

    /// Counts the writes asked of the shim and made to the file for the logs opened at `path`
    /// from now on (tests: counting every log's would slow every write, and the tests' other
    /// stores would add theirs).
    public static func count(_ path: String) { _ = Counters.lock.withLock { Counters.paths.insert(path) } }

    /// The writes asked of the shim on the counted logs, and those it made to their files.
    public static var counts: (asked: Int, made: Int) {
        (Counters.asked.load(ordering: .relaxed), Counters.made.load(ordering: .relaxed))
    }

    private static let installed: Bool = {
        guard let base = sqlite3_vfs_find(nil) else { return false }
        if let name = base.pointee.zName, String(cString: name) == vfsName { return true }
        Shim.base = base
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: base.pointee)
        vfs.pointee.zName = UnsafePointer(strdup(vfsName))
        vfs.pointee.szOsFile = base.pointee.szOsFile + Int32(Shim.innerOffset)
        vfs.pointee.pNext = nil
        vfs.pointee.xOpen = { _, name, file, flags, outFlags in Shim.open(name, file!, flags, outFlags) }
        return sqlite3_vfs_register(vfs, 1) == SQLITE_OK
    }()
}

/// Counts for the tests: the logs counted, writes asked of the shim on them, and writes made.
private enum Counters {
    /// An NSLock: a pthread mutex, which ThreadSanitizer sees (Synchronization's `Mutex` is a bare
    /// futex on Linux).
    static let lock = NSLock()
    nonisolated(unsafe) static var paths: Set<String> = []
    static let asked = Atomic<Int>(0)
    static let made = Atomic<Int>(0)
}

/// The gathered bytes of one open log: `count` bytes meant for the file at `start`.
private struct Gathered {
    var bytes: UnsafeMutableRawPointer?
    var capacity: Int
    var start: Int64
    var count: Int
    /// The last write was the header of a commit frame: its page comes next, and ends the commit.
    var commitFollows: Bool
    /// Counted in `Counters` (a log of a path given to `WALWriteBatching.count`).
    var counted: Bool
}

/// The shim's files. A log's `sqlite3_file` is laid out as: SQLite's `pMethods` (the shim's
/// methods), a pointer to its `Gathered`, then the `unix` VFS's own file, which the shim hands
/// every call on, after writing what it gathered where needed. Each open file is used by one
/// connection, which SQLite serializes: no lock is needed around `Gathered`.
private enum Shim {
    nonisolated(unsafe) static var base: UnsafeMutablePointer<sqlite3_vfs>!
    static let innerOffset = 16
    /// Gathered bytes are written once they reach this size.
    static let limit = 1 << 20

    static func inner(_ file: UnsafeMutablePointer<sqlite3_file>) -> UnsafeMutablePointer<sqlite3_file> {
        UnsafeMutableRawPointer(file).advanced(by: innerOffset).assumingMemoryBound(to: sqlite3_file.self)
    }

    static func gathered(_ file: UnsafeMutablePointer<sqlite3_file>) -> UnsafeMutablePointer<Gathered> {
        UnsafeMutableRawPointer(file).load(fromByteOffset: 8, as: UnsafeMutablePointer<Gathered>.self)
    }

    static func methods(_ file: UnsafeMutablePointer<sqlite3_file>) -> sqlite3_io_methods {
        inner(file).pointee.pMethods.pointee
    }

    static func open(
        _ name: UnsafePointer<CChar>?, _ file: UnsafeMutablePointer<sqlite3_file>, _ flags: Int32,
        _ outFlags: UnsafeMutablePointer<Int32>?
    ) -> Int32 {
        guard flags & SQLITE_OPEN_WAL != 0 else {
            // Not a log: the file is SQLite's own `unix` file, in the same memory.
            return base.pointee.xOpen(base, name, file, flags, outFlags)
        }
        file.pointee.pMethods = nil
        let innerFile = inner(file)
        innerFile.pointee.pMethods = nil
        let rc = base.pointee.xOpen(base, name, innerFile, flags, outFlags)
        guard rc == SQLITE_OK else {
            if let methods = innerFile.pointee.pMethods { _ = methods.pointee.xClose(innerFile) }
            return rc
        }
        let state = UnsafeMutablePointer<Gathered>.allocate(capacity: 1)
        let counted = name.map { name in Counters.lock.withLock { Counters.paths.contains(String(cString: name)) } }
        state.initialize(
            to: Gathered(bytes: nil, capacity: 0, start: 0, count: 0, commitFollows: false, counted: counted ?? false))
        UnsafeMutableRawPointer(file).storeBytes(of: state, toByteOffset: 8, as: UnsafeMutablePointer<Gathered>.self)
        file.pointee.pMethods = UnsafePointer(ioMethods)
        return SQLITE_OK
    }

    /// Writes what `file` gathered through the `unix` file's `xWrite` (which writes again what the
    /// kernel did not take), in calls of at most `chunk` bytes: one for a door's commit. The
    /// gathered bytes are dropped whatever the result: SQLite treats an error here as the commit's
    /// own.
    static func flush(_ file: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
        let state = gathered(file)
        guard state.pointee.count > 0, let bytes = state.pointee.bytes else { return SQLITE_OK }
        let (count, start) = (state.pointee.count, state.pointee.start)
        state.pointee.count = 0
        state.pointee.commitFollows = false
        var done = 0
        while done < count {
            let part = min(chunk, count - done)
            if state.pointee.counted { Counters.made.add(1, ordering: .relaxed) }
            let rc = methods(file).xWrite(inner(file), bytes + done, Int32(part), start + Int64(done))
            guard rc == SQLITE_OK else { return rc }
            done += part
        }
        return SQLITE_OK
    }

    /// The most one `xWrite` of the `unix` VFS takes: it keeps the low 17 bits of a write's length
    /// (`seekAndWriteFd`, "nBuf &= 0x1ffff"), so a longer write is cut short and reported as a
    /// full disk. 124 KiB: 30 frames of 4 KiB pages and their headers.
    static let chunk = 0x1ffff & ~0xfff

    /// Writes what `file` gathered, then hands the call on to the `unix` file (`call`, given it
    /// and its methods); a failed write is the call's error.
    static func flushed(
        _ file: UnsafeMutablePointer<sqlite3_file>?,
        _ call: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> Int32
    ) -> Int32 {
        let file = file!
        let rc = flush(file)
        guard rc == SQLITE_OK else { return rc }
        return call(inner(file), methods(file))
    }

    static func write(
        _ file: UnsafeMutablePointer<sqlite3_file>, _ data: UnsafeRawPointer, _ amount: Int32, _ offset: Int64
    ) -> Int32 {
        let state = gathered(file)
        if state.pointee.counted { Counters.asked.add(1, ordering: .relaxed) }
        if state.pointee.count > 0 && offset != state.pointee.start + Int64(state.pointee.count) {
            let rc = flush(file)
            guard rc == SQLITE_OK else { return rc }
        }
        let amount = Int(amount)
        if state.pointee.count + amount > state.pointee.capacity {
            let capacity = max(state.pointee.count + amount, 2 * state.pointee.capacity, 64 << 10)
            guard let grown = realloc(state.pointee.bytes, capacity) else {
                // No memory to gather: write what was gathered, then this, as SQLite would.
                let rc = flush(file)
                guard rc == SQLITE_OK else { return rc }
                if state.pointee.counted { Counters.made.add(1, ordering: .relaxed) }
                return methods(file).xWrite(inner(file), data, Int32(amount), offset)
            }
            state.pointee.bytes = grown
            state.pointee.capacity = capacity
        }
        if state.pointee.count == 0 { state.pointee.start = offset }
        (state.pointee.bytes! + state.pointee.count).copyMemory(from: data, byteCount: amount)
        state.pointee.count += amount
        if amount == frameHeaderSize {
            // A frame's header: bytes 4–7 hold the database's size in pages after a commit, and
            // zero in every other frame (SQLite's `walEncodeFrame`).
            let header = data.assumingMemoryBound(to: UInt8.self)
            // Never written out on its own: a write here would clear `commitFollows` (a header is
            // 24 bytes; the page after it checks `limit`).
            state.pointee.commitFollows = (header[4] | header[5] | header[6] | header[7]) != 0
            return SQLITE_OK
        }
        if state.pointee.commitFollows || state.pointee.count >= limit { return flush(file) }
        return SQLITE_OK
    }

    static let frameHeaderSize = 24

    /// The shim's methods: each writes what was gathered first, except those that only look at
    /// locks, sizes of sectors, or the shared memory (SQLite keeps none for a log).
    nonisolated(unsafe) static let ioMethods: UnsafeMutablePointer<sqlite3_io_methods> = {
        let methods = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        methods.initialize(to: sqlite3_io_methods())
        methods.pointee.iVersion = 3
        methods.pointee.xClose = { file in
            let file = file!
            let rc = Shim.flush(file)
            let closed = Shim.methods(file).xClose(Shim.inner(file))
            let state = Shim.gathered(file)
            free(state.pointee.bytes)
            state.deallocate()
            file.pointee.pMethods = nil
            return rc == SQLITE_OK ? closed : rc
        }
        methods.pointee.xRead = { file, buffer, amount, offset in
            Shim.flushed(file) { inner, methods in methods.xRead(inner, buffer, amount, offset) }
        }
        methods.pointee.xWrite = { file, data, amount, offset in Shim.write(file!, data!, amount, offset) }
        methods.pointee.xTruncate = { file, size in
            Shim.flushed(file) { inner, methods in methods.xTruncate(inner, size) }
        }
        methods.pointee.xSync = { file, flags in
            Shim.flushed(file) { inner, methods in methods.xSync(inner, flags) }
        }
        methods.pointee.xFileSize = { file, size in
            Shim.flushed(file) { inner, methods in methods.xFileSize(inner, size) }
        }
        methods.pointee.xLock = { file, lock in Shim.methods(file!).xLock(Shim.inner(file!), lock) }
        methods.pointee.xUnlock = { file, lock in Shim.methods(file!).xUnlock(Shim.inner(file!), lock) }
        methods.pointee.xCheckReservedLock = { file, out in
            Shim.methods(file!).xCheckReservedLock(Shim.inner(file!), out)
        }
        methods.pointee.xFileControl = { file, op, argument in
            Shim.flushed(file) { inner, methods in methods.xFileControl(inner, op, argument) }
        }
        methods.pointee.xSectorSize = { file in Shim.methods(file!).xSectorSize(Shim.inner(file!)) }
        methods.pointee.xDeviceCharacteristics = { file in
            Shim.methods(file!).xDeviceCharacteristics(Shim.inner(file!))
        }
        methods.pointee.xShmMap = { file, region, size, extend, out in
            Shim.methods(file!).xShmMap(Shim.inner(file!), region, size, extend, out)
        }
        methods.pointee.xShmLock = { file, offset, n, flags in
            Shim.methods(file!).xShmLock(Shim.inner(file!), offset, n, flags)
        }
        methods.pointee.xShmBarrier = { file in Shim.methods(file!).xShmBarrier(Shim.inner(file!)) }
        methods.pointee.xShmUnmap = { file, delete in Shim.methods(file!).xShmUnmap(Shim.inner(file!), delete) }
        methods.pointee.xFetch = { file, offset, amount, out in
            Shim.flushed(file) { inner, methods in methods.xFetch(inner, offset, amount, out) }
        }
        methods.pointee.xUnfetch = { file, offset, pointer in
            Shim.methods(file!).xUnfetch(Shim.inner(file!), offset, pointer)
        }
        return methods
    }()
}
