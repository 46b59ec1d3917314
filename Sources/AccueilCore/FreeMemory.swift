#if canImport(Glibc)
    /// glibc's malloc_trim(3), which the Glibc module does not export.
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Gives the system back the memory malloc holds free (after a large structure was built and its
/// scaffolding dropped: a kiosk's door index, a server's projection read back). A no-op off glibc.
public func returnFreeMemory() {
    #if canImport(Glibc)
        _ = glibcMallocTrim(0)
    #endif
}
