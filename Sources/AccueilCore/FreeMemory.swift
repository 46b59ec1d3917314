#if canImport(Glibc)
    import Glibc

    /// glibc's malloc_trim(3), which the Glibc module does not export.
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32

    /// glibc's mallopt(3), likewise.
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

    /// M_ARENA_MAX, from glibc's malloc.h.
    private let glibcArenaMax: Int32 = -8
#endif

/// The malloc arenas a process may use, at most: see ``limitMallocArenas()``.
public let mallocArenas: Int32 = 2

/// Caps malloc's arenas at ``mallocArenas`` (glibc gives each new thread its own, up to eight per
/// core). A daemon's threads (NIO's event loops, Swift's pool, the store's queues) each kept
/// memory freed on them in their own arena, where no other thread could reuse it: the kiosk
/// under the door screens' load held 147 MB from malloc with 59 MB in use, and grew for minutes.
/// Call it before threads start. `MALLOC_ARENA_MAX` in the environment, glibc's own setting, wins.
/// A no-op off glibc.
public func limitMallocArenas() {
    #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil { _ = glibcMallopt(glibcArenaMax, mallocArenas) }
    #endif
}

/// Gives the system back the memory malloc holds free (after a large structure was built and its
/// scaffolding dropped: a kiosk's door index, a server's projection read back). A no-op off glibc.
public func returnFreeMemory() {
    #if canImport(Glibc)
        _ = glibcMallocTrim(0)
    #endif
}
