import Foundation
import TestSupport
import Testing

@Suite("accueil keys and badge")
struct BadgeCLITests {
    func box() throws -> Sandbox {
        let box = Sandbox()
        #expect(try box.run(["roster", "import", demoRoster]).status == 0)
        #expect(try box.run(["keys", "create", "--event", "RGL26"]).status == 0)
        return box
    }

    @Test("render a badge to PDF, decode its QR with zbarimg, verify it; reissue refuses the old one")
    func renderVerifyReissue() throws {
        let box = try box()
        let pdf = box.root.appendingPathComponent("b.pdf").path
        let render = try box.run(["badge", "render", "ACC-00002", "--out", pdf, "--template", "cr80"])
        #expect(render.status == 0, "\(render.output)")
        let codes = try qrCodes(inPDF: pdf)
        #expect(codes.count == 1)
        let code = try #require(codes.first)
        #expect(
            try box.run(["badge", "qr", "ACC-00002"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == code)
        let valid = try box.run(["badge", "verify", code])
        #expect(valid.status == 0 && valid.stdout.hasPrefix("valid:"), "\(valid.output)")

        #expect(try box.run(["badge", "reissue", "ACC-00002", "--reason", "lost"]).status == 0)
        let old = try box.run(["badge", "verify", code])
        #expect(old.status == 7 && old.stderr.contains("reissued"), "\(old.output)")
        let json = try #require(try box.json(["badge", "verify", code]) as? [String: String])
        #expect(json["reason"] == "reissued" && json["valid"] == "false")
        let fresh = try box.run(["badge", "qr", "ACC-00002"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(fresh != code)
        #expect(try box.run(["badge", "verify", fresh]).status == 0)
    }

    @Test("verify reads a PNG; forged, garbage and other events' codes are refused with a reason")
    func verifyRefusals() throws {
        let box = try box()
        let png = box.root.appendingPathComponent("p.png").path
        #expect(try box.run(["badge", "render", "ACC-00010", "--out", png]).status == 0)
        let fromImage = try box.run(["badge", "verify", "--image", png])
        #expect(fromImage.status == 0 && fromImage.stdout.contains("ACC-00010"), "\(fromImage.output)")
        let code = try box.run(["badge", "qr", "ACC-00010"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // A changed character in the signature, then in the attendee id.
        var chars = Array(code)
        chars[chars.count - 9] = chars[chars.count - 9] == "A" ? "B" : "A"
        let forged = try box.run(["badge", "verify", String(chars)])
        #expect(forged.status == 7 && forged.stderr.contains("bad signature"), "\(forged.output)")
        chars = Array(code)
        chars[18] = chars[18] == "A" ? "B" : "A"
        let altered = try box.run(["badge", "verify", String(chars)])
        #expect(altered.status == 7 && altered.stderr.contains("refused:"), "\(altered.output)")
        for junk in ["hello", "", String(repeating: "Z", count: 10_000), String(code.prefix(40))] {
            let result = try box.run(["badge", "verify", junk])
            #expect(result.status == 7 && result.stderr.contains("malformed"), "\(junk.prefix(20)): \(result.output)")
        }
        // Another event's badge.
        let other = Sandbox()
        #expect(try other.run(["roster", "import", demoRoster]).status == 0)
        #expect(try other.run(["keys", "create", "--event", "OTHER"]).status == 0)
        let foreign = try other.run(["badge", "qr", "ACC-00010"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let refused = try box.run(["badge", "verify", foreign])
        #expect(refused.status == 7 && refused.stderr.contains("other event"))
        let blank = try box.run(["badge", "verify", "--image", try box.file("blank.png", [0x89, 0x50])])
        #expect(blank.status != 0)
    }

    @Test("rotating keys keeps printed badges valid and signs new ones with the new key")
    func rotation() throws {
        let box = try box()
        let before = try box.run(["badge", "qr", "ACC-00003"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try box.run(["keys", "rotate"]).status == 0)
        let list = try box.run(["keys", "list"])
        #expect(list.stdout.contains("key 1") && list.stdout.contains("key 2"))
        #expect(try box.run(["badge", "verify", before]).stdout.contains("key 1"))
        let after = try box.run(["badge", "qr", "ACC-00003"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try box.run(["badge", "verify", after]).stdout.contains("key 2"))
        #expect(try box.run(["keys", "create"]).status == 2)
        let perms = try FileManager.default.attributesOfItem(atPath: box.data + "/keys.json")[.posixPermissions] as? Int
        #expect(perms == 0o600)
    }

    @Test("a sheet of all embassies, and unknown ids or missing keys are clear errors")
    func sheetAndErrors() throws {
        let box = try box()
        let pdf = box.root.appendingPathComponent("sheet.pdf").path
        let sheet = try box.run(["badge", "sheet", "--role", "embassy", "--out", pdf])
        #expect(sheet.status == 0, "\(sheet.output)")
        #expect(sheet.stdout.contains("badges (a6)"))
        #expect(try box.run(["badge", "render", "NOPE", "--out", pdf]).status == 5)
        let bare = Sandbox()
        let noKeys = try bare.run(["badge", "qr", "ACC-00001"])
        #expect(noKeys.status == 2 && noKeys.stderr.contains("keys create"))
        #expect(
            try box.run(["badge", "render", "ACC-00001", "--out", box.root.appendingPathComponent("x.txt").path]).status
                == 2)
        #expect(
            try box.run(["badge", "render", "ACC-00001", "--template", "nope", "--out", pdf]).stderr.contains(
                "no badge template"))
    }
}
