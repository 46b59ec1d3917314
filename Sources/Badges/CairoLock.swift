import BadgeCore
import Foundation

/// Pango and cairo are used by one thread at a time in this process.
///
/// pango's default font map is per thread, but the fonts behind it are not: cairo's FreeType
/// faces and its scaled-font cache are shared by every thread, and a dispatch thread that ends
/// frees its font map while another thread draws with the same faces. Under AddressSanitizer, the
/// badge tests' parallel cases crashed once inside `cairo_scaled_font_glyph_extents` (a clean-clone
/// run, 2026-12-03). The server renders certificates and e-badges for concurrent requests, so
/// every drawing (badges, sheets, previews, certificates, e-badges, ZPL text) holds this lock from
/// its surface's creation to its end. A badge takes milliseconds; the door prints one at a time.
public enum CairoLock {
    private static let lock = NSRecursiveLock()

    /// Runs `body` with pango and cairo to itself (it may be called again inside).
    public static func drawing<T>(_ body: () throws(BadgeError) -> T) throws(BadgeError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
