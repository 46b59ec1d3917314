import AccueilCore
import Foundation
import Testing

@testable import BadgeCore
@testable import Badges

/// Every script a name may come in is drawn with a font made for it and shaped right: read back
/// from the layout pango made (the families it chose, dotted circles, `.notdef`), not by eye.
@Suite("Badge names in every script: fonts and shaping read back")
struct ScriptFontTests {
    /// A name in each script the roster generator uses, and in those issue 17 lists, with the font
    /// family it must come out in.
    static let samples: [(script: String, name: String, family: String)] = [
        ("Latin", "Nguyễn Thu Hương Łukasz Şebnem Œuvray", "Noto Sans"),
        ("Arabic", "يوسف العمراني", "Noto Sans Arabic"),
        ("Chinese", "王小明", "Noto Sans CJK"),
        ("Japanese", "佐藤 さくら", "Noto Sans CJK"),
        ("Korean", "김민준", "Noto Sans CJK"),
        ("Cyrillic", "Олена Шевченко", "Noto Sans"),
        ("Armenian", "Արմեն Սարգսյան", "Noto Sans"),
        ("Greek", "Νίκος Παπαδόπουλος", "Noto Sans"),
        ("Hebrew", "דוד כהן", "Noto Sans Hebrew"),
        ("Thai", "สมชาย ใจดี", "Noto Sans Thai"),
        ("Devanagari", "राहुल शर्मा", "Noto Sans Devanagari"),
        ("Tamil", "கவிதா ராமன்", "Noto Sans Tamil"),
        ("Bengali", "রবীন্দ্রনাথ ঠাকুর", "Noto Sans Bengali"),
        ("Sinhala", "කුමාර සංගක්කාර", "Noto Sans Sinhala"),
        ("Myanmar", "အောင်ဆန်းစုကြည်", "Noto Sans Myanmar"),
        ("Khmer", "ចាន់ សុខា", "Noto Sans Khmer"),
        ("Lao", "ສົມພອນ ແກ້ວມະນີ", "Noto Sans Lao"),
        ("Tibetan", "བཀྲ་ཤིས་བདེ་ལེགས", "Noto Serif Tibetan"),
        ("Georgian", "ნინო ბერიძე", "Noto Sans Georgian"),
        ("Ethiopic", "አበበ ቢቂላ", "Noto Sans Ethiopic"),
        ("Mongolian", "ᠪᠠᠲᠤ ᠪᠣᠯᠣᠳ", "Noto Sans Mongolian"),
    ]

    static func render(_ name: String, template: String = "a6") throws -> RenderReport {
        let renderer = try BadgeRenderer(
            template: try BadgeTemplate.load(named: template, from: badgesDirectory), badgesDirectory: badgesDirectory)
        let attendee = Attendee(id: "X", firstName: "Test", lastName: "Name", nativeName: name, role: .delegation)
        return try renderer.pdf(try content(attendee), to: scratch().appendingPathComponent("s.pdf").path)
    }

    static func content(_ attendee: Attendee) throws -> BadgeContent {
        try BadgeRenderTests().content(attendee)
    }

    @Test("each script is set in its own font, every glyph drawn and shaped", arguments: samples.indices)
    func script(index: Int) throws {
        let sample = Self.samples[index]
        for template in ["a6", "cr80", "label-4x3"] {
            let report = try Self.render(sample.name, template: template)
            #expect(report.unknownGlyphs.isEmpty, "\(sample.script) \(template): \(report.unknownGlyphs)")
            #expect(report.brokenShaping.isEmpty, "\(sample.script) \(template): \(report.brokenShaping)")
            let families = report.fonts["native_name"] ?? []
            // The letters are in the script's font (spaces may come from the first family).
            #expect(
                families.contains { $0.hasPrefix(sample.family) }
                    && families.allSatisfy { $0.hasPrefix(sample.family) || $0 == "Noto Sans" },
                "\(sample.script) \(template): \(families)")
        }
    }

    @Test("a mark with nothing to sit on is reported as broken shaping (exit 8), a dotted circle in the name is not")
    func brokenShapingIsSeen() throws {
        // A Tamil vowel sign with no consonant before it: the shaper draws it on a dotted circle.
        let broken = try Self.render("\u{0BBF}கவ")
        #expect(broken.brokenShaping["native_name"] == 1 && broken.hasUnknownGlyphs)
        // A name that really holds U+25CC (unlikely, but it is the text): nothing to report.
        let written = try Self.render("கவிதா \u{25CC}")
        #expect(written.brokenShaping.isEmpty && !written.hasUnknownGlyphs)
    }
}
