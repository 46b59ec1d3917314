import Foundation

/// How a query word matched a word of the attendee.
public enum MatchKind: Int, Sendable, Comparable, Codable {
    case fuzzy = 1
    case prefix = 2
    case exact = 3
    public static func < (a: MatchKind, b: MatchKind) -> Bool { a.rawValue < b.rawValue }
}

/// A search result: the position of the attendee in the array the index was built from.
public struct SearchHit: Sendable, Equatable {
    public var index: Int
    public var score: Int
    /// The weakest way one of the query words matched: exact > prefix > fuzzy.
    public var match: MatchKind

    public init(index: Int, score: Int, match: MatchKind) {
        self.index = index
        self.score = score
        self.match = match
    }
}

/// An in-memory index over attendees for the door's search-as-you-type.
///
/// Every query word must match a word of the attendee (in any order), exactly, as a prefix, or
/// with one typo (insertion, deletion, substitution or transposition) for names of five letters
/// or more (organisations and ids are matched exactly or by prefix). Names, native-script names, organisation, title, delegation, e-mail and id are
/// searched; names weigh more. Scripts written without spaces (Chinese, Japanese, Korean, Thai)
/// match anywhere inside a name. Immutable and `Sendable`: build once, query from any thread.
public struct SearchIndex: Sendable {
    /// Sorted unique words, concatenated; word `t` is `bytes[offsets[t]..<offsets[t + 1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int32]
    /// Attendees holding each word: `(doc << 2) | field`, grouped per word; `field` is 2 for the last
    /// name, 1 for the first and native names, 0 for the other fields.
    private let postingStart: [Int32]
    private let postings: [UInt32]
    /// Words of each attendee: `(word << 2) | field`.
    private let docStart: [Int32]
    private let docWords: [UInt32]
    /// Rank of each attendee in name order, for ties.
    private let rank: [UInt32]
    /// Hashes of each fuzzy-eligible word and of its one-deletion variants, sorted, with the word.
    private let deletionHashes: [UInt32]
    private let deletionWords: [UInt32]

    /// Number of attendees indexed.
    public let count: Int

    public static let fuzzyMinimumLength = 5

    /// Builds the index. 100,000 attendees take well under a second (see BENCHMARKS.md). Any
    /// collection of attendees will do: a kiosk's roster is kept packed and read from there.
    public init<Attendees: RandomAccessCollection & Sendable>(_ attendees: Attendees)
    where Attendees.Element == Attendee, Attendees.Index == Int {
        let fold = TextFolding.shared
        // Name order (for ties) is computed on the other core while this one reads the words.
        let rankTask = Background { SearchIndex.nameRanks(attendees) }
        var table = WordTable(expected: attendees.count * 3)
        var docStart: [Int32] = [0]
        docStart.reserveCapacity(attendees.count + 1)
        var docWords: [UInt32] = []
        docWords.reserveCapacity(attendees.count * 12)
        var scratch = TextFolding.TokenScratch()

        for attendee in attendees {
            let begin = docWords.count
            // The last name weighs most: at the door people give it first ("Garcia, Mónica").
            for (text, flag) in [
                (attendee.lastName, 2), (attendee.firstName, 1), (attendee.nativeName, 1),
                (attendee.organisation, 0), (attendee.title, 0), (attendee.delegation, 0),
                (attendee.id, 0), (attendee.email, 0),
            ] as [(String, UInt32)] where !text.isEmpty {
                fold.forEachToken(text, scratch: &scratch) { bytes, unsegmented in
                    bytes.withUnsafeBufferPointer { buffer in
                        if unsegmented {
                            // Every suffix, so that a prefix search finds any part of the run.
                            var start = 0
                            while start < buffer.count {
                                let suffix = UnsafeBufferPointer(rebasing: buffer[start...])
                                docWords.append(table.id(suffix) << 2 | flag)
                                start += 1
                                while start < buffer.count && buffer[start] & 0xC0 == 0x80 { start += 1 }
                            }
                        } else {
                            docWords.append(table.id(buffer) << 2 | flag)
                        }
                    }
                }
            }
            // A word found in several fields counts once, as in the one that weighs most.
            var write = begin
            for read in begin..<docWords.count {
                let entry = docWords[read]
                var duplicate = false
                for at in begin..<write where docWords[at] >> 2 == entry >> 2 {
                    docWords[at] = max(docWords[at], entry)
                    duplicate = true
                    break
                }
                if !duplicate {
                    docWords[write] = entry
                    write += 1
                }
            }
            docWords.removeLast(docWords.count - write)
            docStart.append(Int32(docWords.count))
        }

        // Sort words by bytes and renumber.
        let wordCount = table.count
        let order = table.sortedOrder()
        var newID = [UInt32](repeating: 0, count: wordCount)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(table.arena.count)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(wordCount + 1)
        for (position, old) in order.enumerated() {
            newID[Int(old)] = UInt32(position)
            bytes.append(contentsOf: table.word(Int(old)))
            offsets.append(Int32(bytes.count))
        }
        table = WordTable(expected: 0)
        for i in docWords.indices {
            let entry = docWords[i]
            docWords[i] = newID[Int(entry >> 2)] << 2 | (entry & 3)
        }

        // Postings, grouped per word (counting sort).
        var postingStart = [Int32](repeating: 0, count: wordCount + 1)
        for entry in docWords { postingStart[Int(entry >> 2) + 1] += 1 }
        for i in 0..<wordCount { postingStart[i + 1] += postingStart[i] }
        var fill = postingStart
        var postings = [UInt32](repeating: 0, count: docWords.count)
        for doc in 0..<attendees.count {
            for i in Int(docStart[doc])..<Int(docStart[doc + 1]) {
                let entry = docWords[i]
                let word = Int(entry >> 2)
                postings[Int(fill[word])] = UInt32(doc) << 2 | (entry & 3)
                fill[word] += 1
            }
        }

        // One-deletion variants of every word long enough to be reached by a typo.
        // Typos are forgiven in names only: organisations and titles are typed as prefixes.
        var inName = [Bool](repeating: false, count: wordCount)
        for entry in docWords where entry & 3 != 0 { inName[Int(entry >> 2)] = true }
        var pairs: [(UInt32, UInt32)] = []
        var scalars: [UInt32] = []
        for position in 0..<wordCount where inName[position] {
            SearchIndex.decodeScalars(bytes[Int(offsets[position])..<Int(offsets[position + 1])], into: &scalars)
            guard scalars.count >= SearchIndex.fuzzyMinimumLength - 1, scalars.count <= 32,
                SearchIndex.isFuzzyEligible(scalars)
            else { continue }
            pairs.append((SearchIndex.hash(scalars, skipping: -1), UInt32(position)))
            for skip in 0..<scalars.count {
                pairs.append((SearchIndex.hash(scalars, skipping: skip), UInt32(position)))
            }
        }
        pairs.sort { $0.0 < $1.0 }

        let rank = rankTask.wait()

        self.bytes = bytes
        self.offsets = offsets
        self.postingStart = postingStart
        self.postings = postings
        self.docStart = docStart
        self.docWords = docWords
        self.rank = rank
        self.deletionHashes = pairs.map(\.0)
        self.deletionWords = pairs.map(\.1)
        self.count = attendees.count
    }

    /// Each attendee's position in name order.
    static func nameRanks<Attendees: RandomAccessCollection>(_ attendees: Attendees) -> [UInt32]
    where Attendees.Element == Attendee, Attendees.Index == Int {
        let sortKeys = attendees.map { Array($0.sortKey.utf8) }
        let order = attendees.indices.sorted { less(sortKeys[$0], sortKeys[$1]) }
        var rank = [UInt32](repeating: 0, count: attendees.count)
        for (position, doc) in order.enumerated() { rank[doc] = UInt32(position) }
        return rank
    }

    // MARK: Query

    private struct QueryWord {
        var exact: Int32 = -1
        /// Words starting with the query word: `lo..<hi`.
        var lo: Int32 = 0
        var hi: Int32 = 0
        /// Words one typo away (not prefixed by it).
        var fuzzy: [UInt32] = []
        var cost: Int = 0
    }

    /// Attendees matching every word of `query`, best first: exact before prefix before
    /// one-typo matches, names before other fields, then by name.
    public func search(_ query: String, limit: Int = 20) -> [SearchHit] {
        let tokens = TextFolding.shared.tokens(query, compounds: false)
        guard !tokens.isEmpty, limit > 0, count > 0 else { return [] }
        var queryWords: [QueryWord] = []
        var scalars: [UInt32] = []
        for token in tokens {
            var word = QueryWord()
            word.lo = lowerBound(token.bytes)
            word.hi = lowerBound(token.bytes + [0xFF])
            if word.lo < word.hi && compare(word.lo, token.bytes) == 0 { word.exact = word.lo }
            SearchIndex.decodeScalars(token.bytes, into: &scalars)
            if scalars.count >= SearchIndex.fuzzyMinimumLength && SearchIndex.isFuzzyEligible(scalars) {
                word.fuzzy = fuzzyWords(scalars, excluding: word.lo..<word.hi)
            }
            word.cost = Int(postingStart[Int(word.hi)] - postingStart[Int(word.lo)])
            for w in word.fuzzy { word.cost += Int(postingStart[Int(w) + 1] - postingStart[Int(w)]) }
            if word.cost == 0 { return [] }
            queryWords.append(word)
        }
        if queryWords.count == 1 { return searchOneWord(queryWords[0], limit: limit) }
        // The most selective word proposes candidates; the others filter and score them.
        let driver = queryWords.indices.min { queryWords[$0].cost < queryWords[$1].cost }!
        var seen = [UInt64](repeating: 0, count: (count + 63) / 64)
        var top: [SearchHit] = []
        top.reserveCapacity(limit + 1)

        func consider(_ doc: Int) {
            if seen[doc >> 6] & (1 << UInt64(doc & 63)) != 0 { return }
            seen[doc >> 6] |= 1 << UInt64(doc & 63)
            var score = 0
            var weakest = MatchKind.exact
            for word in queryWords {
                var best = 0
                var bestKind = MatchKind.fuzzy
                for i in Int(docStart[doc])..<Int(docStart[doc + 1]) {
                    let entry = docWords[i]
                    let id = Int32(entry >> 2)
                    let kind: MatchKind
                    if id == word.exact {
                        kind = .exact
                    } else if id >= word.lo && id < word.hi {
                        kind = .prefix
                    } else if !word.fuzzy.isEmpty && word.fuzzy.contains(UInt32(id)) {
                        kind = .fuzzy
                    } else {
                        continue
                    }
                    let value = kind.rawValue * 3 + Int(entry & 3)
                    if value > best {
                        best = value
                        bestKind = kind
                    }
                }
                if best == 0 { return }
                score += best
                weakest = min(weakest, bestKind)
            }
            let hit = SearchHit(index: doc, score: score, match: weakest)
            if top.count == limit {
                let last = top[limit - 1]
                if !better(hit, than: last) { return }
                top.removeLast()
            }
            var at = top.count
            while at > 0 && better(hit, than: top[at - 1]) { at -= 1 }
            top.insert(hit, at: at)
        }

        let word = queryWords[driver]
        for i in Int(postingStart[Int(word.lo)])..<Int(postingStart[Int(word.hi)]) {
            consider(Int(postings[i] >> 2))
        }
        for w in word.fuzzy {
            for i in Int(postingStart[Int(w)])..<Int(postingStart[Int(w) + 1]) {
                consider(Int(postings[i] >> 2))
            }
        }
        return top
    }

    /// One word: each posting already says how the attendee matches, so candidates are taken
    /// best kind first (exact, prefix, typo; names before other fields) and the scan stops as
    /// soon as no later candidate can enter the results.
    private func searchOneWord(_ word: QueryWord, limit: Int) -> [SearchHit] {
        var seen = [UInt64](repeating: 0, count: (count + 63) / 64)
        var top: [SearchHit] = []
        top.reserveCapacity(limit + 1)
        var prefixWords: [Int32] = []
        for w in word.lo..<word.hi where w != word.exact { prefixWords.append(w) }
        let passes: [([Int32], MatchKind)] = [
            (word.exact >= 0 ? [word.exact] : [], .exact), (prefixWords, .prefix),
            (word.fuzzy.map { Int32($0) }, .fuzzy),
        ]
        for (words, kind) in passes where !words.isEmpty {
            for flag: UInt32 in [2, 1, 0] {
                let score = kind.rawValue * 3 + Int(flag)
                if top.count == limit && score < top[limit - 1].score { return top }
                for w in words {
                    for i in Int(postingStart[Int(w)])..<Int(postingStart[Int(w) + 1]) {
                        let entry = postings[i]
                        guard entry & 3 == flag else { continue }
                        let doc = Int(entry >> 2)
                        if seen[doc >> 6] & (1 << UInt64(doc & 63)) != 0 { continue }
                        seen[doc >> 6] |= 1 << UInt64(doc & 63)
                        let hit = SearchHit(index: doc, score: score, match: kind)
                        if top.count == limit {
                            if !better(hit, than: top[limit - 1]) { continue }
                            top.removeLast()
                        }
                        var at = top.count
                        while at > 0 && better(hit, than: top[at - 1]) { at -= 1 }
                        top.insert(hit, at: at)
                    }
                }
            }
        }
        return top
    }

    @inline(__always)
    private func better(_ a: SearchHit, than b: SearchHit) -> Bool {
        a.score != b.score ? a.score > b.score : rank[a.index] < rank[b.index]
    }

    private func fuzzyWords(_ scalars: [UInt32], excluding prefixed: Range<Int32>) -> [UInt32] {
        var candidates = Set<UInt32>()
        for skip in -1..<scalars.count {
            let h = SearchIndex.hash(scalars, skipping: skip)
            var i = lowerBoundHash(h)
            while i < deletionHashes.count && deletionHashes[i] == h {
                candidates.insert(deletionWords[i])
                i += 1
            }
        }
        var result: [UInt32] = []
        var other: [UInt32] = []
        for word in candidates where !prefixed.contains(Int32(word)) {
            SearchIndex.decodeScalars(wordBytes(Int(word)), into: &other)
            if SearchIndex.withinOneEdit(scalars, other) { result.append(word) }
        }
        return result.sorted()
    }

    private func wordBytes(_ word: Int) -> ArraySlice<UInt8> {
        bytes[Int(offsets[word])..<Int(offsets[word + 1])]
    }

    private func compare(_ word: Int32, _ key: [UInt8]) -> Int {
        let start = Int(offsets[Int(word)])
        let end = Int(offsets[Int(word) + 1])
        return bytes.withUnsafeBufferPointer { buffer in
            key.withUnsafeBufferPointer { k in
                let n = min(end - start, k.count)
                let c = n == 0 ? 0 : memcmp(buffer.baseAddress! + start, k.baseAddress!, n)
                if c != 0 { return Int(c) }
                return (end - start) - k.count
            }
        }
    }

    private func lowerBound(_ key: [UInt8]) -> Int32 {
        var lo: Int32 = 0
        var hi = Int32(offsets.count - 1)
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(mid, key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func lowerBoundHash(_ h: UInt32) -> Int {
        var lo = 0
        var hi = deletionHashes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if deletionHashes[mid] < h { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: Helpers

    /// The order of names: bytewise over folded sort keys (``Attendee/sortKey``).
    public static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return c != 0 ? c < 0 : x.count < y.count
            }
        }
    }

    /// Words that a typo may reach: letters in a spaced script. Numbers (ids, postcodes) must be exact.
    static func isFuzzyEligible(_ scalars: [UInt32]) -> Bool {
        !scalars.contains { (0x30...0x39).contains($0) || TextFolding.isUnsegmented($0) }
    }

    static func decodeScalars<C: Collection>(_ utf8: C, into out: inout [UInt32]) where C.Element == UInt8 {
        out.removeAll(keepingCapacity: true)
        var iterator = utf8.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { out.append(scalar.value) }
    }

    /// FNV-1a over the scalars, leaving out the one at `skipping` (-1: none).
    static func hash(_ scalars: [UInt32], skipping: Int) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, s) in scalars.enumerated() where i != skipping {
            h = (h ^ UInt64(s)) &* 0x100_0000_01b3
        }
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// Damerau–Levenshtein distance of at most one (one insertion, deletion, substitution or
    /// transposition of neighbours).
    static func withinOneEdit(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        if a == b { return true }
        let (m, n) = (a.count, b.count)
        if abs(m - n) > 1 { return false }
        var i = 0
        while i < min(m, n) && a[i] == b[i] { i += 1 }
        if m == n {
            // substitution, or transposition of i and i+1
            if a[(i + 1)...] == b[(i + 1)...] { return true }
            return i + 1 < m && a[i] == b[i + 1] && a[i + 1] == b[i] && a[(i + 2)...] == b[(i + 2)...]
        }
        return m > n ? a[(i + 1)...] == b[i...] : a[i...] == b[(i + 1)...]
    }
}

/// Interns words during the build: an open-addressing hash table over one byte arena.
struct WordTable {
    private(set) var arena: [UInt8] = []
    private var offsets: [Int32] = [0]
    private var slots: [Int32]
    private var mask: Int

    init(expected: Int) {
        var capacity = 1024
        while capacity < expected * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        arena.reserveCapacity(expected * 8)
        offsets.reserveCapacity(expected + 1)
    }

    var count: Int { offsets.count - 1 }

    func word(_ id: Int) -> ArraySlice<UInt8> { arena[Int(offsets[id])..<Int(offsets[id + 1])] }

    /// The id of `bytes`, adding it if new.
    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            let start = Int(offsets[Int(id)])
            let length = Int(offsets[Int(id) + 1]) - start
            if length == bytes.count {
                let same = arena.withUnsafeBufferPointer { a in
                    length == 0 || memcmp(a.baseAddress! + start, bytes.baseAddress!, length) == 0
                }
                if same { return UInt32(id) }
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(count)
        arena.append(contentsOf: bytes)
        offsets.append(Int32(arena.count))
        slots[slot] = id
        if count * 2 > slots.count { grow() }
        return UInt32(id)
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for id in 0..<count {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in word(id) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    /// Word ids in byte order.
    func sortedOrder() -> [Int32] {
        arena.withUnsafeBufferPointer { a in
            offsets.withUnsafeBufferPointer { o in
                (0..<Int32(count)).sorted { x, y in
                    let xs = Int(o[Int(x)])
                    let xl = Int(o[Int(x) + 1]) - xs
                    let ys = Int(o[Int(y)])
                    let yl = Int(o[Int(y) + 1]) - ys
                    let n = min(xl, yl)
                    let c = n == 0 ? 0 : memcmp(a.baseAddress! + xs, a.baseAddress! + ys, n)
                    return c != 0 ? c < 0 : xl < yl
                }
            }
        }
    }
}

/// Runs a closure on another thread now; `wait()` returns its result.
final class Background<T: Sendable>: @unchecked Sendable {
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        Thread.detachNewThread { [self] in
            result = work()
            done.signal()
        }
    }

    func wait() -> T {
        done.wait()
        return result!
    }
}
