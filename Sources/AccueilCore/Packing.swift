import Foundation

/// Values written end to end in bytes: numbers in seven bits a byte, texts as their length then
/// their UTF-8, times as the bits of their interval. It is how the kiosk's door roster
/// (`PackedRecords`) and the server's projection keep a million attendees in a fraction of what
/// Swift values take, and how the projection's checkpoint is written.
public struct PackWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Zigzag, then seven bits a byte.
    public mutating func number(_ number: Int) {
        var value = UInt64(bitPattern: Int64(number) << 1 ^ Int64(number) >> 63)
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func text(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            number(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func optionalText(_ text: String?) {
        byte(text == nil ? 0 : 1)
        if let text { self.text(text) }
    }

    public mutating func list(_ list: [String]) {
        number(list.count)
        for text in list { self.text(text) }
    }

    /// Exactly: the bits of the interval a `Date` holds (since 2001; through 1970 the last bit can change).
    public mutating func date(_ date: Date) {
        withUnsafeBytes(of: date.timeIntervalSinceReferenceDate.bitPattern.littleEndian) {
            bytes.append(contentsOf: $0)
        }
    }

    public mutating func uuid(_ uuid: UUID) {
        withUnsafeBytes(of: uuid.uuid) { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ other: some Collection<UInt8>) {
        number(other.count)
        bytes.append(contentsOf: other)
    }

    /// An attendee's fields, in a fixed order (``PackReader/attendee()``).
    public mutating func attendee(_ a: Attendee) {
        for text in [
            a.id, a.firstName, a.lastName, a.nativeName, a.organisation, a.title, a.country, a.role.rawValue,
            a.delegation, a.email, a.language, a.vip, a.notes,
        ] {
            self.text(text)
        }
        list(a.sessions)
        list(a.tickets)
        byte((a.walkIn ? 1 : 0) | (a.pending ? 2 : 0))
    }
}

/// Reads what a ``PackWriter`` wrote. It never reads past its bytes: on bytes that end too soon or
/// say something impossible it gives empty values and sets ``failed``, for the caller to check
/// once at the end (a checkpoint file read back; in-memory buffers cannot fail).
public struct PackReader {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var at: Int
    public private(set) var failed = false

    public init(bytes: UnsafeBufferPointer<UInt8>, at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    public var atEnd: Bool { at >= bytes.count }

    private mutating func has(_ count: Int) -> Bool {
        if count >= 0, at <= bytes.count - count { return true }
        failed = true
        at = bytes.count
        return false
    }

    public mutating func byte() -> UInt8 {
        guard has(1) else { return 0 }
        defer { at += 1 }
        return bytes[at]
    }

    public mutating func number() -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard has(1), shift < 64 else {
                failed = true
                return 0
            }
            let byte = bytes[at]
            at += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1))
    }

    public mutating func text() -> String {
        let count = number()
        guard has(count) else { return "" }
        defer { at += count }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
    }

    public mutating func optionalText() -> String? {
        byte() == 0 ? nil : text()
    }

    public mutating func list() -> [String] {
        let count = number()
        guard count > 0 else { return [] }
        guard count <= bytes.count - at else {  // at least a byte each
            failed = true
            return []
        }
        return (0..<count).map { _ in text() }
    }

    public mutating func date() -> Date {
        guard has(8) else { return Date(timeIntervalSinceReferenceDate: 0) }
        var bits: UInt64 = 0
        for shift in 0..<8 { bits |= UInt64(bytes[at + shift]) << (8 * UInt64(shift)) }
        at += 8
        return Date(timeIntervalSinceReferenceDate: Double(bitPattern: UInt64(littleEndian: bits)))
    }

    public mutating func uuid() -> UUID {
        guard has(16) else { return UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }
        let b = bytes
        let o = at
        at += 16
        return UUID(
            uuid: (
                b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9],
                b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15]
            ))
    }

    /// What ``PackWriter/raw(_:)`` wrote, as a slice of the bytes.
    public mutating func raw() -> UnsafeBufferPointer<UInt8> {
        let count = number()
        guard has(count) else { return UnsafeBufferPointer(rebasing: bytes[at..<at]) }
        defer { at += count }
        return UnsafeBufferPointer(rebasing: bytes[at..<at + count])
    }

    public mutating func attendee() -> Attendee {
        let id = text()
        let firstName = text()
        let lastName = text()
        let nativeName = text()
        let organisation = text()
        let title = text()
        let country = text()
        let role: Role
        if let known = Role(rawValue: text()) {
            role = known
        } else {  // written from a Role: always one
            role = .participant
            failed = true
        }
        let delegation = text()
        let email = text()
        let language = text()
        let vip = text()
        let notes = text()
        let sessions = list()
        let tickets = list()
        let flags = byte()
        return Attendee(
            id: id, firstName: firstName, lastName: lastName, nativeName: nativeName, organisation: organisation,
            title: title, country: country, role: role, delegation: delegation, email: email, language: language,
            sessions: sessions, vip: vip, notes: notes, walkIn: flags & 1 != 0, tickets: tickets,
            pending: flags & 2 != 0)
    }
}

extension PackWriter {
    /// An event without its subject (the caller keeps it). With `eliding`, an upsert of that very
    /// attendee is written without them: the reader is given them back (``PackReader/event(subject:attendee:)``).
    public mutating func event(_ event: Event, eliding known: Attendee? = nil) {
        var kind = PackedKind(event.body)
        var elided = false
        if case .attendeeUpserted(let attendee) = event.body, let known, attendee == known {
            elided = true
            kind = .upsertedElided
        }
        byte(kind.rawValue)
        uuid(event.id)
        date(event.at)
        text(event.kiosk)
        switch event.body {
        case .attendeeUpserted(let attendee): if !elided { self.attendee(attendee) }
        case .attendeeRemoved, .checkedIn: break
        case .checkInRefused(let previousKiosk, let previousAt):
            text(previousKiosk)
            date(previousAt)
        case .checkInUndone(let checkIn, let reason):
            uuid(checkIn)
            text(reason)
        case .badgeReissued(let reason): text(reason)
        case .badgePrintRequested(let job, let reason):
            uuid(job)
            optionalText(reason)
        case .sessionScheduled: optionalText(EventCodec.payload(event.body))  // a few hundred: as stored
        case .sessionEntered(let session, let override):
            text(session)
            optionalText(override)
        case .sessionExited(let session): text(session)
        case .sessionRefused(let session, let reason):
            text(session)
            text(reason.rawValue)
        }
    }
}

extension PackReader {
    /// An event written by ``PackWriter/event(_:eliding:)``; `attendee` is the one it elided. Nil
    /// when the bytes do not hold one (and ``failed`` is set).
    public mutating func event(subject: String, attendee known: Attendee? = nil) -> Event? {
        guard let kind = PackedKind(rawValue: byte()) else {
            failed = true
            return nil
        }
        let id = uuid()
        let at = date()
        let kiosk = text()
        let body: Event.Body
        switch kind {
        case .upserted: body = .attendeeUpserted(attendee())
        case .upsertedElided:
            guard let known else {
                failed = true
                return nil
            }
            body = .attendeeUpserted(known)
        case .removed: body = .attendeeRemoved
        case .checkedIn: body = .checkedIn
        case .checkInRefused:
            let previousKiosk = text()
            body = .checkInRefused(previousKiosk: previousKiosk, previousAt: date())
        case .checkInUndone:
            let checkIn = uuid()
            body = .checkInUndone(checkIn: checkIn, reason: text())
        case .badgeReissued: body = .badgeReissued(reason: text())
        case .badgePrintRequested:
            let job = uuid()
            body = .badgePrintRequested(job: job, reason: optionalText())
        case .sessionScheduled:
            guard let decoded = try? EventCodec.body(type: "session.scheduled", payload: optionalText()) else {
                failed = true
                return nil
            }
            body = decoded
        case .sessionEntered:
            let session = text()
            body = .sessionEntered(session: session, override: optionalText())
        case .sessionExited: body = .sessionExited(session: text())
        case .sessionRefused:
            let session = text()
            guard let reason = ScanRefusal(rawValue: text()) else {
                failed = true
                return nil
            }
            body = .sessionRefused(session: session, reason: reason)
        }
        guard !failed else { return nil }
        // Not through `Event.init`: the time was rounded when the event was made, and is kept exactly.
        var event = Event(id: id, attendeeID: subject, at: at, kiosk: kiosk, body: body)
        event.at = at
        return event
    }
}

/// The first byte of a packed event.
private enum PackedKind: UInt8 {
    case upserted = 0
    case removed, checkedIn, checkInRefused, checkInUndone, badgeReissued, badgePrintRequested,
        sessionScheduled, sessionEntered, sessionExited, sessionRefused
    case upsertedElided = 0x80

    init(_ body: Event.Body) {
        self =
            switch body {
            case .attendeeUpserted: .upserted
            case .attendeeRemoved: .removed
            case .checkedIn: .checkedIn
            case .checkInRefused: .checkInRefused
            case .checkInUndone: .checkInUndone
            case .badgeReissued: .badgeReissued
            case .badgePrintRequested: .badgePrintRequested
            case .sessionScheduled: .sessionScheduled
            case .sessionEntered: .sessionEntered
            case .sessionExited: .sessionExited
            case .sessionRefused: .sessionRefused
            }
    }
}
