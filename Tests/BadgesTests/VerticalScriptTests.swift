import AccueilCore
import Foundation
import Testing

@testable import BadgeCore
@testable import Badges

/// Traditional Mongolian is written in columns, top to bottom, the columns from left to right, its
/// letters turned a quarter clockwise from how its fonts draw them. Checked on the printed pixels.
@Suite("Badge names in vertical scripts")
struct VerticalScriptTests {
    static let mongolian = "ᠪᠠᠲᠤ ᠪᠣᠯᠣᠳ"
    static let dpi = 200.0

    typealias Grey = (width: Int, height: Int, pixels: [UInt8])

    /// The box (in pixels) the dark pixels inside `box` (millimetres) cover.
    static func darkBox(_ image: Grey, in box: BadgeTemplate.Box) -> (x: Int, y: Int, width: Int, height: Int)? {
        let k = dpi / 25.4
        let x0 = max(0, Int(box.x * k))
        let y0 = max(0, Int(box.y * k))
        let x1 = min(image.width, Int(((box.x + box.width) * k).rounded(.up)))
        let y1 = min(image.height, Int(((box.y + box.height) * k).rounded(.up)))
        var (minX, minY, maxX, maxY) = (Int.max, Int.max, -1, -1)
        for y in y0..<y1 {
            for x in x0..<x1 where image.pixels[y * image.width + x] < 128 {
                (minX, minY, maxX, maxY) = (min(minX, x), min(minY, y), max(maxX, x), max(maxY, y))
            }
        }
        return maxX < 0 ? nil : (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }

    static func render(_ attendee: Attendee, _ template: BadgeTemplate) throws -> (RenderReport, Grey) {
        let renderer = try BadgeRenderer(template: template, badgesDirectory: badgesDirectory)
        let image = try renderer.grey(try ScriptFontTests.content(attendee), dpi: dpi)
        let report = try renderer.pdf(
            try ScriptFontTests.content(attendee), to: scratch().appendingPathComponent("v.pdf").path)
        return (report, image)
    }

    @Test(
        "a Mongolian name is set in its column, top to bottom, and the texts it crosses give way",
        arguments: BadgeTemplate.available(in: badgesDirectory))
    func column(template name: String) throws {
        let template = try BadgeTemplate.load(named: name, from: badgesDirectory)
        let column = try #require(template.verticalNameField, "\(name) has no column for vertical names")
        let attendee = Attendee(
            id: "M", firstName: "Batu", lastName: "Bolod", nativeName: Self.mongolian,
            organisation: "Ville d'Oulan-Bator", title: "Maire adjoint", country: "MN", role: .electedOfficial)
        let (report, image) = try Self.render(attendee, template)
        #expect(report.vertical == ["native_name"])
        #expect(!report.hasUnknownGlyphs && report.truncated.isEmpty, "\(report)")
        #expect(report.fonts["native_name"]?.contains("Noto Sans Mongolian") == true)
        // The pixels: a tall, narrow run of ink inside the column, nothing in the horizontal box.
        let ink = try #require(Self.darkBox(image, in: column.box), "nothing printed in the column")
        #expect(ink.height > 2 * ink.width, "\(name): ink \(ink) is not a column")
        let k = Self.dpi / 25.4
        let inkBox = try #require(report.inkBoxes["native_name"])
        #expect(
            abs(Double(ink.x) / k - inkBox.x) < 1 && abs(Double(ink.height) / k - inkBox.height) < 1, "\(ink) \(inkBox)"
        )
        #expect(Self.darkBox(image, in: template.nativeNameField.box) == nil || name == "cr80" || name == "label-4x3")
        // The other texts do not run into it.
        for field in ["name", "title", "organisation", "country"] {
            let box = try #require(report.inkBoxes[field], "\(field) not printed")
            #expect(!box.overlaps(column.box), "\(name): \(field) \(box) runs into the column \(column.box)")
        }
    }

    @Test("the column is the horizontal line turned a quarter clockwise, glyph for glyph")
    func turnedClockwise() throws {
        // The same text at the same size, once in the native-name box (no column in the
        // template) and once in the column: the column must be the line turned clockwise.
        var template = try BadgeTemplate.load(named: "a6", from: badgesDirectory)
        let size = 12.0
        template.nativeNameField.maxSize = size
        template.nativeNameField.minSize = size
        template.verticalNameField?.maxSize = size
        template.verticalNameField?.minSize = size
        let column = try #require(template.verticalNameField)
        let attendee = Attendee(
            id: "M", firstName: "Batu", lastName: "Bolod", nativeName: Self.mongolian, role: .delegation)
        let (vertical, down) = try Self.render(attendee, template)
        #expect(vertical.vertical == ["native_name"] && vertical.fontSizes["native_name"] == size)
        var flat = template
        flat.verticalNameField = nil
        let (horizontal, across) = try Self.render(attendee, flat)
        #expect(horizontal.vertical.isEmpty && horizontal.fontSizes["native_name"] == size)

        let a = try #require(Self.darkBox(across, in: template.nativeNameField.box))
        let b = try #require(Self.darkBox(down, in: column.box))
        #expect(abs(a.width - b.height) <= 2 && abs(a.height - b.width) <= 2, "line \(a), column \(b)")
        // Compare each pixel of the line with where a clockwise quarter turn puts it in the
        // column, and with where an anticlockwise one would.
        func mismatches(clockwise: Bool) -> Double {
            var wrong = 0
            var dark = 0
            for y in 0..<min(a.height, b.width) {
                for x in 0..<min(a.width, b.height) {
                    let p = across.pixels[(a.y + y) * across.width + a.x + x] < 128
                    // Clockwise: the line's top row becomes the column's right edge.
                    let (cx, cy) = clockwise ? (b.width - 1 - y, x) : (y, b.height - 1 - x)
                    let q = down.pixels[(b.y + cy) * down.width + b.x + cx] < 128
                    if p || q { dark += 1 }
                    if p != q { wrong += 1 }
                }
            }
            return Double(wrong) / Double(max(dark, 1))
        }
        let right = mismatches(clockwise: true)
        let wrong = mismatches(clockwise: false)
        #expect(right < 0.2, "clockwise: \(right) of the dark pixels differ")
        #expect(
            wrong > 2 * right, "anticlockwise \(wrong) vs clockwise \(right): the comparison does not tell them apart")
    }

    @Test("which texts are vertical: Mongolian (and its Manchu letters), not a name with a Mongolian word in it")
    func detection() {
        #expect(BadgeRenderer.isVerticalScript(Self.mongolian))
        #expect(BadgeRenderer.isVerticalScript("ᠮᠠᠨᠵᡠ"))
        #expect(!BadgeRenderer.isVerticalScript("Батын Болд"))
        #expect(!BadgeRenderer.isVerticalScript("Batu Bolod (ᠪᠠᠲᠤ)"))
        #expect(!BadgeRenderer.isVerticalScript(""))
    }
}
