import Crypto
import CryptoExtras
import Foundation

/// An organiser's account for the dashboard: the password kept as a scrypt hash with its salt.
/// `canSeeNames` organisers see attendees' names (alerts, reports); the others only counts and ids.
public struct OrganiserAccount: Sendable, Equatable {
    public var name: String
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var canSeeNames: Bool

    public init(name: String, salt: [UInt8], hash: [UInt8], canSeeNames: Bool) {
        self.name = name
        self.salt = salt
        self.hash = hash
        self.canSeeNames = canSeeNames
    }

    /// A new account for `password` (at least 10 characters).
    public static func make(name: String, password: String, canSeeNames: Bool) throws -> OrganiserAccount {
        guard password.count >= 10 else { throw SetupError("a password needs at least 10 characters") }
        guard !name.isEmpty, name.count <= 64 else { throw SetupError("an organiser's name is 1 to 64 characters") }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return OrganiserAccount(
            name: name, salt: salt, hash: try derive(password, salt: salt), canSeeNames: canSeeNames)
    }

    /// Whether `password` is this account's (in constant time).
    public func accepts(_ password: String) -> Bool {
        guard let candidate = try? Self.derive(password, salt: salt), candidate.count == hash.count else {
            return false
        }
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, hash) { difference |= a ^ b }
        return difference == 0
    }

    package static func derive(_ password: String, salt: [UInt8]) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << 14, blockSize: 8, parallelism: 1)
        return key.withUnsafeBytes { Array($0) }
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
