import Foundation

/// Countries by ISO 3166-1 code, with their French and English names.
///
/// Rosters write countries as alpha-2 codes ("FR"), alpha-3 codes ("FRA") or names in French or
/// English, with or without accents ("Côte d'Ivoire", "Cote d Ivoire", "Ivory Coast").
/// ``Country/code(for:)`` turns any of them into the alpha-2 code that the store keeps.
public enum Country {
    /// The alpha-2 code for a code or name, or nil when nothing matches.
    public static func code(for text: String) -> String? {
        let key = TextFolding.shared.fold(text)
        if key.isEmpty { return nil }
        return table.byKey[key]
    }

    /// The country's name in French or English ("DE" → "Allemagne" / "Germany").
    public static func name(_ code: String, language: Language = .en) -> String {
        let names = table.names[code.uppercased()]
        return (language == .fr ? names?.fr : names?.en) ?? code
    }

    /// Every known alpha-2 code.
    public static var allCodes: [String] { table.names.keys.sorted() }

    public enum Language: String, Sendable { case fr, en }

    private struct Table: Sendable {
        var byKey: [String: String] = [:]
        var names: [String: (fr: String, en: String)] = [:]
    }

    private static let table: Table = {
        var table = Table()
        let fr = Locale(identifier: "fr_FR")
        let en = Locale(identifier: "en_GB")
        let fold = TextFolding.shared
        for pair in alpha2to3.split(whereSeparator: { $0 == " " || $0 == "\n" }) where pair.count == 5 {
            let alpha2 = String(pair.prefix(2))
            let alpha3 = String(pair.suffix(3))
            let nameFR = fr.localizedString(forRegionCode: alpha2) ?? alpha2
            let nameEN = en.localizedString(forRegionCode: alpha2) ?? alpha2
            table.names[alpha2] = (nameFR, nameEN)
            for key in [alpha2, alpha3, nameFR, nameEN] {
                table.byKey[fold.fold(key)] = alpha2
            }
        }
        for (alias, code) in aliases { table.byKey[fold.fold(alias)] = code }
        table.names["CN"] = ("Chine", "China")
        table.names["HK"] = ("Hong Kong", "Hong Kong")
        table.names["MO"] = ("Macao", "Macao")
        table.names["PS"] = ("Palestine", "Palestine")
        table.names["XK"] = ("Kosovo", "Kosovo")
        return table
    }()

    /// Names that people write and that the locale data does not give.
    private static let aliases: [String: String] = [
        "UK": "GB", "Great Britain": "GB", "England": "GB", "Angleterre": "GB", "Grande-Bretagne": "GB",
        "Scotland": "GB", "Écosse": "GB", "Wales": "GB", "Pays de Galles": "GB",
        "USA": "US", "United States of America": "US", "Etats-Unis d'Amérique": "US", "America": "US",
        "China": "CN", "Chine": "CN", "People's Republic of China": "CN", "PRC": "CN",
        "République populaire de Chine": "CN", "Hong Kong": "HK", "Macao": "MO", "Macau": "MO",
        "Ivory Coast": "CI", "Cote d Ivoire": "CI", "South Korea": "KR", "Korea": "KR",
        "Republic of Korea": "KR", "Corée": "KR", "North Korea": "KP", "Corée du Nord": "KP",
        "Russia": "RU", "Russian Federation": "RU", "Fédération de Russie": "RU",
        "Czech Republic": "CZ", "République tchèque": "CZ", "Tchéquie": "CZ",
        "Holland": "NL", "The Netherlands": "NL", "Hollande": "NL", "Vietnam": "VN", "Viet Nam": "VN",
        "Palestine": "PS", "Palestinian Territories": "PS", "Territoires palestiniens": "PS",
        "Congo-Kinshasa": "CD", "DRC": "CD", "RDC": "CD", "Democratic Republic of the Congo": "CD",
        "République démocratique du Congo": "CD", "Congo-Brazzaville": "CG", "Republic of the Congo": "CG",
        "Burma": "MM", "Birmanie": "MM", "Swaziland": "SZ", "Cape Verde": "CV", "Cap Vert": "CV",
        "Macedonia": "MK", "Macédoine": "MK", "Turkey": "TR", "Türkiye": "TR", "Turquie": "TR",
        "Iran": "IR", "Syria": "SY", "Syrie": "SY", "Laos": "LA", "Moldova": "MD", "Moldavie": "MD",
        "Tanzania": "TZ", "Tanzanie": "TZ", "Bolivia": "BO", "Bolivie": "BO", "Venezuela": "VE",
        "Vatican": "VA", "Holy See": "VA", "Saint-Siège": "VA", "Brunei": "BN", "East Timor": "TL",
        "Timor oriental": "TL", "Kosovo": "XK", "Taiwan": "TW", "Taïwan": "TW",
    ]

    private static let alpha2to3 = """
        ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO AQATA ARARG ASASM ATAUT AUAUS AWABW AXALA AZAZE
        BABIH BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES BRBRA BSBHS
        BTBTN BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK CLCHL CMCMR CNCHN
        COCOL CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM DZDZA ECECU EEEST
        EGEGY EHESH ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO GFGUF
        GGGGY GHGHA GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GSSGS GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD
        HNHND HRHRV HTHTI HUHUN IDIDN IEIRL ILISR IMIMN ININD IOIOT IQIRQ IRIRN ISISL ITITA JEJEY JMJAM
        JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA
        LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD
        MLMLI MMMMR MNMNG MOMAC MPMNP MQMTQ MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM
        NCNCL NENER NFNFK NGNGA NINIC NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG
        PHPHL PKPAK PLPOL PMSPM PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA
        SASAU SBSLB SCSYC SDSDN SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD
        STSTP SVSLV SXSXM SYSYR SZSWZ TCTCA TDTCD TFATF TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON
        TRTUR TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA UMUMI USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR
        VNVNM VUVUT WFWLF WSWSM YEYEM YTMYT ZAZAF ZMZMB ZWZWE
        """
}
