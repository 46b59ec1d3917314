import AccueilCore
import BadgeCore
import Foundation
import HTTPTypes
import Hummingbird
import WebSupport

/// The kiosk's web pages, from the files in Pages/ compiled into the binary (SwiftPM `embedInCode`):
/// - `door.html` (staff at the entrance: search, check in and print, reprint, undo, walk-ins),
///   `session.html` (a session room's door) and `self.html` (self-service), each with its .css and .js;
/// - `kiosk.js` and `kiosk.css`, what every page uses (the page token on requests, the API's error
///   text, the scanner; labels for screen readers);
/// - `words-fr.json`, `words-en.json`: every word of the screens and of the API's answers.
///
/// A page is sent with its configuration (`CONFIG`), the words of the kiosk's language (`T`) and of
/// the other one (`T_OTHER`), and the role colours and labels of the badge template (`ROLES`), put in
/// its first script; its style and scripts are served under /assets/.
enum KioskPages {
    enum Page: String {
        case door, session, `self`

        var html: [UInt8] {
            switch self {
            case .door: PackageResources.door_html
            case .session: PackageResources.session_html
            case .`self`: PackageResources.self_html
            }
        }
    }

    /// The files under /assets/, by name, with their media type.
    static let assets: PageAssets = [
        "kiosk.js": (PackageResources.kiosk_js, "text/javascript; charset=utf-8"),
        "kiosk.css": (PackageResources.kiosk_css, "text/css; charset=utf-8"),
        "door.js": (PackageResources.door_js, "text/javascript; charset=utf-8"),
        "door.css": (PackageResources.door_css, "text/css; charset=utf-8"),
        "session.js": (PackageResources.session_js, "text/javascript; charset=utf-8"),
        "session.css": (PackageResources.session_css, "text/css; charset=utf-8"),
        "self.js": (PackageResources.self_js, "text/javascript; charset=utf-8"),
        "self.css": (PackageResources.self_css, "text/css; charset=utf-8"),
    ]

    /// A words file: a JSON object of strings. A broken file is a build defect, caught by the tests.
    static func words(_ bytes: [UInt8]) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(bytes))) ?? [:]
    }

    /// The role colours and labels the station's badge template prints, for the screens to show the
    /// same; the built-in ones when the template cannot be read.
    static func roles(_ template: BadgeTemplate?) -> String {
        var roles: [String: [String: String]] = [:]
        for role in Role.allCases {
            let style = template?.style(for: role)
            roles[role.rawValue] = [
                "color": style?.color ?? builtInColours[role] ?? "#455A64",
                "text_color": style?.textColor ?? "#FFFFFF",
                "fr": style?.labelFR ?? role.labelFR, "en": style?.labelEN ?? role.labelEN,
            ]
        }
        return JSONText.pretty(roles)
    }

    /// The a6 template's colours, for a station without badge templates.
    private static let builtInColours: [Role: String] = [
        .electedOfficial: "#1F4E9C", .embassy: "#6A1B9A", .delegation: "#00838F", .speaker: "#C62828",
        .press: "#EF6C00", .staff: "#2E7D32", .partner: "#8D6E63", .participant: "#546E7A",
    ]

    /// `page` with its configuration and words put in.
    static func response(_ page: Page, language: UILanguage, config: [String: String], roles: String) -> Response {
        let other: UILanguage = language == .fr ? .en : .fr
        let script =
            "const T = \(Words.json(language));\nconst T_OTHER = \(Words.json(other));\n"
            + "const CONFIG = \(JSONText.pretty(config));\nconst ROLES = \(roles);"
        let html = String(decoding: page.html, as: UTF8.self)
            .replacingOccurrences(of: "/*CONFIG*/", with: script)
            .replacingOccurrences(of: "<html lang=\"fr\">", with: "<html lang=\"\(language.rawValue)\">")
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

}
