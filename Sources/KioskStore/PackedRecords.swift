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
            var reader = PackReader(bytes: buffer, at: offsets[position])
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
        var writer = PackWriter()
        swap(&writer.bytes, &bytes)
        defer {
            swap(&writer.bytes, &bytes)
            offsets.append(bytes.count)
        }
        writer.attendee(record.attendee)
        writer.list(record.attended)
        // Flags: removed, a check-in, inside a session.
        var flags: UInt8 = 0
        if record.removed { flags |= 4 }
        if record.checkIn != nil { flags |= 8 }
        if record.inside != nil { flags |= 16 }
        writer.byte(flags)
        for number in [record.duplicates, record.refusedAttempts, record.badgeVersion, record.prints, record.reprints] {
            writer.number(number)
        }
        if let checkIn = record.checkIn {
            writer.uuid(checkIn.eventID)
            writer.date(checkIn.at)
            writer.text(checkIn.kiosk)
        }
        if let inside = record.inside {
            writer.text(inside.session)
            writer.date(inside.since)
            writer.text(inside.kiosk)
        }
    }
}

extension PackReader {
    fileprivate mutating func record() -> AttendeeRecord {
        let attendee = attendee()
        let attended = list()
        let flags = byte()
        let duplicates = number()
        let refused = number()
        let badgeVersion = number()
        let prints = number()
        let reprints = number()
        var checkIn: CheckInRecord?
        if flags & 8 != 0 {
            let id = uuid()
            let when = date()
            checkIn = CheckInRecord(eventID: id, at: when, kiosk: text())
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
