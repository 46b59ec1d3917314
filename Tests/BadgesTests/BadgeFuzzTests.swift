import AccueilCore
import Foundation
import Testing

@testable import BadgeCore
@testable import Badges

/// The badge codes' fuzzing, in a short form that runs with the suite (issue 14): codes mutated
/// in every way a scanner, a printer or a forger could, checked against the verifier.
@Suite("Fuzzing: mutated badge codes")
struct BadgeFuzzTests {
    @Test("20,000 mutated codes: none accepted unless it says exactly what was signed, none crashes")
    func mutatedCodes() throws {
        let ring = try Keyring.create(event: "RGL26", eventName: "Rencontre")
        let originals = try (0..<20).map { i in
            let payload = BadgePayload(
                event: "RGL26", attendeeID: "ACC-\(String(format: "%05d", i))", version: 1 + i % 3,
                role: Role.allCases[i % Role.allCases.count], keyID: 1)
            return (payload, try payload.signed(with: ring.signingKey().key))
        }
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:abcé\u{0}\n")
        var random = SeededGenerator(seed: 14)
        var (refused, accepted, reasons) = (0, 0, [String: Int]())
        for n in 0..<20_000 {
            let (payload, code) = originals[n % originals.count]
            var chars = Array(code)
            switch random.next() % 7 {
            case 0: chars[random.index(chars)] = alphabet[random.index(alphabet)]
            case 1: chars.remove(at: random.index(chars))
            case 2: chars.insert(alphabet[random.index(alphabet)], at: random.index(chars))
            case 3: chars = Array(chars.prefix(random.index(chars)))
            case 4: chars += Array(originals[random.index(originals)].1.dropFirst(4).prefix(random.index(chars)))
            case 5:
                let (a, b) = (random.index(chars), random.index(chars))
                chars.swapAt(a, b)
            default:
                // Another badge's body with this one's signature, or the reverse.
                let other = Array(originals[random.index(originals)].1)
                let cut = 4 + random.index(Array(chars.dropFirst(4)))
                chars = Array(chars.prefix(cut)) + Array(other.dropFirst(min(cut, other.count)))
            }
            let text = String(chars)
            do {
                let verified = try ring.verifier.verify(text)
                accepted += 1
                // Only what was signed: the same payload (a mutation that changed nothing).
                #expect(
                    verified == payload || originals.contains { $0.0 == verified && $0.1 == text }, "accepted \(text)")
            } catch {
                refused += 1
                reasons[error.code, default: 0] += 1
            }
        }
        print(
            "badge fuzzing: 20000 mutated codes, \(refused) refused \(reasons), \(accepted) accepted as the code signed"
        )
        #expect(refused + accepted == 20_000)
        #expect(refused > 19_000)
    }
}
