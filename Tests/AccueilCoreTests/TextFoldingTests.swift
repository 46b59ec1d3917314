import Testing

@testable import AccueilCore

@Suite("Text folding")
struct TextFoldingTests {
    let fold = TextFolding.shared

    @Test(
        "case, accents, ligatures and compatibility forms fold away",
        arguments: [
            ("Hélène", "helene"), ("ŒUVRE", "oeuvre"), ("Straße", "strasse"), ("ﬁlm", "film"),
            ("Ｔｏｋｙｏ", "tokyo"), ("Łódź", "lodz"), ("Nguyễn Đức", "nguyen duc"), ("İstanbul", "istanbul"),
            ("Ἀθῆναι", "αθηναι"), ("Ёлкин", "елкин"), ("  Jean-Pierre  N’Diaye ", "jean pierre n diaye"),
            ("Ægir Søren", "aegir soren"), ("ΟΔΥΣΣΕΥΣ", "οδυσσευσ"),
        ])
    func folds(input: String, expected: String) {
        #expect(fold.fold(input) == expected)
    }

    @Test("Arabic: harakat, hamza forms, alef maqsura, ta marbuta and tatweel")
    func arabic() {
        #expect(fold.fold("أَحْمَد") == fold.fold("احمد"))
        #expect(fold.fold("إيمان") == fold.fold("ايمان"))
        #expect(fold.fold("مصطفى") == fold.fold("مصطفي"))
        #expect(fold.fold("فاطمة") == fold.fold("فاطمه"))
        #expect(fold.fold("محـــمد") == fold.fold("محمد"))
        #expect(fold.fold("٢٠٢٦") == "2026")
    }

    @Test("katakana folds onto hiragana")
    func kana() {
        #expect(fold.fold("サクラ") == fold.fold("さくら"))
    }

    @Test("hyphenated and apostrophe names give their parts and the joined word")
    func compounds() {
        let words = fold.tokens("Jean-Pierre O'Brien").map(\.string)
        #expect(words == ["jean", "pierre", "jeanpierre", "o", "brien", "obrien"])
        #expect(fold.tokens("Jean-Pierre", compounds: false).map(\.string) == ["jean", "pierre"])
    }

    @Test("scripts without spaces are marked and split from Latin")
    func unsegmented() {
        let tokens = fold.tokens("王小明Wang 김민준")
        #expect(tokens.map(\.string) == ["王小明", "wang", "김민준"])
        #expect(tokens.map(\.isUnsegmented) == [true, false, true])
    }

    @Test(
        "log text: plain ASCII as is, backslashes doubled, controls and invisible characters escaped, cut at the limit")
    func logText() {
        #expect(LogText.escaped("ACC-00001 checked in") == "ACC-00001 checked in")
        #expect(LogText.escaped(#"C:\temp"#) == #"C:\\temp"#)
        #expect(LogText.escaped("a\nb\u{7F}c\u{202E}d") == "a\\u{A}b\\u{7F}c\\u{202E}d")
        #expect(LogText.escaped("Достоевский") == "Достоевский")
        #expect(LogText.escaped("abcde", limit: 5) == "abcde")
        #expect(LogText.escaped("abcdef", limit: 5) == "abcde…")
        #expect(LogText.escaped("Достоевский", limit: 5) == "Досто…")
        #expect(LogText.escaped(String(repeating: "x", count: 300)) == String(repeating: "x", count: 200) + "…")
    }
}
