import Crypto
import Foundation

/// The event's badge-signing keys, kept in `keys.json` in the data directory (mode 0600).
///
/// The newest key signs; every listed key verifies, so a rotation leaves printed badges valid.
public struct Keyring: Sendable, Codable {
    public struct Key: Sendable, Codable {
        public var id: Int
        /// Raw Ed25519 public key, base64.
        public var publicKey: String
        /// Raw Ed25519 private key, base64; absent on stations that only verify.
        public var privateKey: String?
        public var created: Date
        /// The station this key was issued to by the server (nil: a keyring made locally).
        public var station: String?
        /// Revoked on the server: badges it signed are refused everywhere, and it signs no more.
        public var revoked: Bool?

        enum CodingKeys: String, CodingKey {
            case id, created, station, revoked
            case publicKey = "public_key"
            case privateKey = "private_key"
        }

        /// First 8 bytes of SHA-256 of the public key, hex: to compare keys between stations.
        public var fingerprint: String {
            let digest = SHA256.hash(data: Data(base64Encoded: publicKey) ?? Data())
            return digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Short code of the event, carried in every badge (e.g. "RGL26").
    public var event: String
    /// Name printed on badges.
    public var eventName: String
    public var keys: [Key]
    /// When the server's keyring was last rotated: a station's key made before is replaced at its
    /// next fetch (the old one keeps verifying).
    public var rotatedAt: Date?
    /// The event's secret for registration tickets (32 random bytes, base64): ticket codes are
    /// stored as HMAC-SHA256 digests under it (``TicketDigester``), so that a store without its
    /// keyring gives no working ticket. Every station gets it with the keyring; it never rotates
    /// (stored digests would no longer match). Nil in keyrings made before tickets were read.
    public var ticketKey: String?

    enum CodingKeys: String, CodingKey {
        case event, keys
        case eventName = "event_name"
        case rotatedAt = "rotated_at"
        case ticketKey = "ticket_key"
    }

    public static let fileName = "keys.json"

    /// The key that signs here: the newest one this keyring holds privately and that is not revoked.
    public var activeKey: Key? {
        keys.filter { $0.privateKey != nil && $0.revoked != true }.max { $0.id < $1.id }
    }

    /// Creates a keyring with its first key.
    public static func create(event: String, eventName: String) throws(BadgeError) -> Keyring {
        guard (1...16).contains(event.utf8.count), event.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
            throw .invalidInput("the event code must be 1 to 16 printable ASCII characters, e.g. RGL26")
        }
        var ring = Keyring(event: event, eventName: eventName, keys: [], rotatedAt: nil)
        ring.rotate()
        ring.addTicketKey()
        return ring
    }

    /// Gives an older keyring its ticket key; returns whether it had none.
    @discardableResult
    public mutating func addTicketKey() -> Bool {
        guard ticketKey == nil else { return false }
        ticketKey = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        return true
    }

    /// Digests ticket codes under this event's ticket key; nil when the keyring has none.
    public var tickets: TicketDigester? {
        ticketKey.flatMap { Data(base64Encoded: $0) }.flatMap { $0.count >= 16 ? TicketDigester(key: $0) : nil }
    }

    /// Adds a new signing key; the older ones keep verifying.
    @discardableResult
    public mutating func rotate(now: Date = Date(), station: String? = nil) -> Key {
        let key = Curve25519.Signing.PrivateKey()
        let entry = Key(
            id: (keys.map(\.id).max() ?? 0) + 1, publicKey: key.publicKey.rawRepresentation.base64EncodedString(),
            privateKey: key.rawRepresentation.base64EncodedString(), created: now, station: station, revoked: nil)
        keys.append(entry)
        return entry
    }

    // MARK: The server's keyring

    /// The key `station` signs with, issued now when it has none (or only revoked ones, or one made
    /// before the last rotation). Returns whether the keyring changed.
    public mutating func issue(to station: String, now: Date = Date()) -> Bool {
        let current = keys.filter { $0.station == station && $0.revoked != true }.max { $0.id < $1.id }
        if let current, current.created >= (rotatedAt ?? .distantPast) { return false }
        rotate(now: now, station: station)
        return true
    }

    /// What the server hands `station`: every public key (revoked ones marked), and the private key
    /// of its own keys only.
    public func handed(to station: String) -> Keyring {
        var copy = self
        for i in copy.keys.indices where copy.keys[i].station != station || copy.keys[i].revoked == true {
            copy.keys[i].privateKey = nil
        }
        return copy
    }

    /// Revokes every key issued to `station`; returns how many.
    public mutating func revoke(station: String) -> Int {
        var count = 0
        for i in keys.indices where keys[i].station == station && keys[i].revoked != true {
            keys[i].revoked = true
            count += 1
        }
        return count
    }

    /// The keyring as JSON (the file's format, and what the server stores and hands out).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> Keyring {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Keyring.self, from: data)
    }

    public func signingKey() throws(BadgeError) -> (id: Int, key: Curve25519.Signing.PrivateKey) {
        guard let active = activeKey, let raw = active.privateKey.flatMap({ Data(base64Encoded: $0) }),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw .invalidInput("this station has no private signing key: it can verify badges, not make them") }
        return (active.id, key)
    }

    public var verifier: BadgeVerifier {
        var publicKeys: [Int: Curve25519.Signing.PublicKey] = [:]
        for key in keys where key.revoked != true {
            if let raw = Data(base64Encoded: key.publicKey),
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            {
                publicKeys[key.id] = publicKey
            }
        }
        return BadgeVerifier(event: event, publicKeys: publicKeys)
    }

    /// The keyring without private keys, for stations that only verify.
    public var publicOnly: Keyring {
        var copy = self
        for i in copy.keys.indices { copy.keys[i].privateKey = nil }
        return copy
    }

    // MARK: File

    public static func url(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }

    /// Loads the keyring of a data directory; nil when there is none yet.
    public static func load(from directory: URL) throws(BadgeError) -> Keyring? {
        let url = url(in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try decode(Data(contentsOf: url))
        } catch {
            throw .invalidInput("cannot read the keyring \(url.path): \(error)")
        }
    }

    public func save(to directory: URL) throws(BadgeError) {
        let url = Self.url(in: directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let data = try json()
            let temporary = url.appendingPathExtension("tmp")
            guard
                FileManager.default.createFile(
                    atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw BadgeError.invalidInput("cannot create \(temporary.path)") }
            guard rename(temporary.path, url.path) == 0 else {
                throw BadgeError.invalidInput("rename failed: errno \(errno)")
            }
        } catch {
            throw .invalidInput("cannot write the keyring \(url.path): \(error)")
        }
    }
}

/// A data directory's keyring, read again only when its file changed: `save` replaces the file by
/// a rename (a new inode), so a `stat` says whether what is held is current. For the door's
/// routes, which need the keys on every request and used to read and decode the file each time.
public final class KeyringFile: @unchecked Sendable {
    private let path: String
    // An NSLock (a pthread mutex ThreadSanitizer sees), guarding `stamp` and `ring`.
    private let lock = NSLock()
    private var stamp: Stamp?
    private var ring: Keyring?

    /// What says the file is the one read: a rename gives a new inode, a write in place a new
    /// size or change time.
    private struct Stamp: Equatable {
        var inode, size, modifiedSeconds, modifiedNanoseconds, changedSeconds, changedNanoseconds: Int
    }

    public init(directory: URL) { path = Keyring.url(in: directory).path }

    /// The keyring as the file holds it now; nil when there is none, or it cannot be read.
    public func current() -> Keyring? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            lock.withLock { (stamp, ring) = (nil, nil) }
            return nil
        }
        let now = Stamp(
            inode: Int(info.st_ino), size: Int(info.st_size), modifiedSeconds: Int(info.st_mtim.tv_sec),
            modifiedNanoseconds: Int(info.st_mtim.tv_nsec), changedSeconds: Int(info.st_ctim.tv_sec),
            changedNanoseconds: Int(info.st_ctim.tv_nsec))
        if let held = lock.withLock({ stamp == now ? ring : nil }) { return held }
        let fresh = (try? Keyring.load(from: URL(fileURLWithPath: path).deletingLastPathComponent())) ?? nil
        lock.withLock { (stamp, ring) = (fresh == nil ? nil : now, fresh) }
        return fresh
    }
}
