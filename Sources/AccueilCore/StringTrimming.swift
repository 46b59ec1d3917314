extension String {
    /// The string without leading and trailing white space and newlines (Unicode's White_Space).
    /// Much cheaper than Foundation's `trimmingCharacters(in:)` in the import's inner loop.
    public var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !Self.isSpace(first) && !Self.isSpace(last) { return self }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end && Self.isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start && Self.isSpace(scalars[scalars.index(before: end)]) {
            end = scalars.index(before: end)
        }
        return String(scalars[start..<end])
    }

    /// Unicode's White_Space, answered without the property tables for ASCII (most cells).
    @inline(__always)
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) }
        return scalar.properties.isWhitespace
    }
}
