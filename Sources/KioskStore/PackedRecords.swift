import AccueilCore
import Foundation

/// Attendee records packed end to end in one byte buffer, unpacked when one is asked for.
///
/// As Swift values a record weighs about 400 bytes inline, plus one heap allocation for each of
/// its longer strings (an organisation, an e-mail, a title, a name in Cyrillic…) and for each
/// non-empty list: at a million attendees the door's roster alone took most of the kiosk's
/// memory. Packed, a record is its text and a few bytes more. A door unpacks the twenty results
/// of a search, or the one attendee a scan or a check-in is about: microseconds each.
public struct PackedRecords: Sendable, RandomAccessCollection {
    private var bytes: [UInt8] = []
    /// Where each record starts in `bytes`, and one past the last.
    private var offsets: [Int] = [0]

    public init() {}

    public init(_ records: some Collection<AttendeeRecord>) {
        offsets.reserveCapacity(records.count + 1)
        bytes.reserveCapacity(records.count * 160)
        for record in records { append(record) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { offsets.count - 1 }

    public subscript(position: Int) -> AttendeeRecord {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer, at: offsets[position])
            return reader.record()
        }
    }

    /// The attendees alone, unpacked one by one as they are read (to build a search index).
    public var attendees: Attendees { Attendees(records: self) }

    public struct Attendees: RandomAccessCollection, Sendable {
        let records: PackedRecords
        public var startIndex: Int { 0 }
        public var endIndex: Int { records.count }
        public subscript(position: Int) -> Attendee { records[position].attendee }
    }

    /// Gives back the room the buffers grew into beyond what they hold (up to half of it).
    public mutating func trim() {
        var exact: [UInt8] = []
        exact.reserveCapacity(bytes.count)
        exact.append(contentsOf: bytes)
        bytes = exact
        var starts: [Int] = []
        starts.reserveCapacity(offsets.count)
        starts.append(contentsOf: offsets)
        offsets = starts
    }

    /// Bytes held, the offsets included.
    public var footprint: Int { bytes.capacity + offsets.capacity * MemoryLayout<Int>.stride }

    public mutating func append(_ record: AttendeeRecord) {
        let a = record.attendee
        for text in [
            a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country, a.role.rawValue,
            a.delegation, a.email, a.language, a.vip, a.notes,
        ] {
            write(text)
        }
        write(a.sessions)
        write(a.tickets)
        write(record.attended)
        // Flags: walk-in, pending, removed, a check-in, inside a session.
        var flags: UInt8 = 0
        if a.walkIn { flags |= 1 }
        if a.pending { flags |= 2 }
        if record.removed { flags |= 4 }
        if record.checkIn != nil { flags |= 8 }
        if record.inside != nil { flags |= 16 }
        bytes.append(flags)
        for number in [record.duplicates, record.refusedAttempts, record.badgeVersion, record.prints, record.reprints] {
            write(number)
        }
        if let checkIn = record.checkIn {
            let uuid = checkIn.eventID.uuid
            withUnsafeBytes(of: uuid) { bytes.append(contentsOf: $0) }
            write(checkIn.at)
            write(checkIn.kiosk)
        }
        if let inside = record.inside {
            write(inside.session)
            write(inside.since)
            write(inside.kiosk)
        }
        offsets.append(bytes.count)
    }

    private mutating func write(_ number: Int) {
        // Zigzag, then seven bits a byte.
        var value = UInt64(bitPattern: Int64(number) << 1 ^ Int64(number) >> 63)
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            write(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func write(_ list: [String]) {
        write(list.count)
        for text in list { write(text) }
    }

    /// Exactly: the bits of the time interval.
    private mutating func write(_ date: Date) {
        withUnsafeBytes(of: date.timeIntervalSince1970.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at: Int

        mutating func number() -> Int {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = bytes[at]
                at += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            return Int(Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1))
        }

        mutating func text() -> String {
            let count = number()
            defer { at += count }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
        }

        mutating func list() -> [String] {
            let count = number()
            return count == 0 ? [] : (0..<count).map { _ in text() }
        }

        mutating func date() -> Date {
            var bits: UInt64 = 0
            for shift in 0..<8 { bits |= UInt64(bytes[at + shift]) << (8 * UInt64(shift)) }
            at += 8
            return Date(timeIntervalSince1970: Double(bitPattern: UInt64(littleEndian: bits)))
        }

        mutating func record() -> AttendeeRecord {
            let id = text()
            let firstName = text()
            let lastName = text()
            let nativeName = text()
            let organisation = text()
            let title = text()
            let country = text()
            let role = Role(rawValue: text()) ?? .participant  // written from a Role: always one
            let delegation = text()
            let email = text()
            let language = text()
            let vip = text()
            let notes = text()
            let sessions = list()
            let tickets = list()
            let attended = list()
            let flags = bytes[at]
            at += 1
            let attendee = Attendee(
                id: id, firstName: firstName, lastName: lastName, nativeName: nativeName, organisation: organisation,
                title: title, country: country, role: role, delegation: delegation, email: email, language: language,
                sessions: sessions, vip: vip, notes: notes, walkIn: flags & 1 != 0, tickets: tickets,
                pending: flags & 2 != 0)
            let duplicates = number()
            let refused = number()
            let badgeVersion = number()
            let prints = number()
            let reprints = number()
            var checkIn: CheckInRecord?
            if flags & 8 != 0 {
                let b = bytes
                let o = at
                let uuid: uuid_t = (
                    b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9],
                    b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15]
                )
                at += 16
                let when = date()
                checkIn = CheckInRecord(eventID: UUID(uuid: uuid), at: when, kiosk: text())
            }
            var inside: Presence?
            if flags & 16 != 0 {
                let session = text()
                let since = date()
                inside = Presence(session: session, since: since, kiosk: text())
            }
            return AttendeeRecord(
                attendee: attendee, checkIn: checkIn, duplicates: duplicates, refusedAttempts: refused,
                removed: flags & 4 != 0, badgeVersion: badgeVersion, prints: prints, reprints: reprints, inside: inside,
                attended: attended)
        }
    }
}
