import AccueilCore
import Foundation
import Hummingbird
import WebSupport

/// The organisers' dashboard in the browser: the sign-in form, and the page (Pages/dashboard.*, compiled
/// into the binary), fed by server-sent events.
enum DashboardPage {
    /// The sign-in form's fields (`application/x-www-form-urlencoded`), decoded by Hummingbird's
    /// `URLEncodedFormDecoder`; a field left out is empty.
    struct SignIn: Decodable {
        var name: String
        var password: String

        init(name: String = "", password: String = "") {
            self.name = name
            self.password = password
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            name = try fields.decodeIfPresent(String.self, forKey: .name) ?? ""
            password = try fields.decodeIfPresent(String.self, forKey: .password) ?? ""
        }
        enum CodingKeys: String, CodingKey { case name, password }
    }

    static func signIn(_ body: String) -> SignIn {
        // A body that is not a form signs nobody in: the same answer as a wrong password.
        (try? URLEncodedFormDecoder().decode(SignIn.self, from: body)) ?? SignIn()
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func login(error: String?) -> String {
        """
        <!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Accueil — tableau de bord / dashboard</title>
        <style>body{font:18px system-ui,sans-serif;background:#f4f4f1;display:flex;align-items:center;justify-content:center;height:100vh;margin:0}
        form{background:#fff;padding:28px;border-radius:14px;display:flex;flex-direction:column;gap:10px;min-width:320px}
        label{font-size:15px;color:#4a4a46}h1{margin:0}
        input,button{font-size:20px;padding:10px;border-radius:8px;border:2px solid #8a8a85}button{background:#1f4e9c;color:#fff;border:0}
        .error{color:#b3261e;font-weight:700}</style></head><body><main>
        <form method="post" action="/dashboard/login"><h1>Accueil</h1>
        <div>Tableau de bord des organisateurs / <span lang="en">Organisers' dashboard</span></div>
        \(error.map { "<div class=\"error\" id=\"error\" role=\"alert\">\(escape($0))</div>" } ?? "")
        <label for="name">Nom / <span lang="en">Name</span></label>
        <input name="name" id="name" autocomplete="username">
        <label for="password">Mot de passe / <span lang="en">Password</span></label>
        <input name="password" id="password" type="password" autocomplete="current-password">
        <button id="signin" type="submit">Se connecter / <span lang="en">Sign in</span></button></form></main></body></html>
        """
    }

    /// The dashboard for a signed-in organiser: Pages/dashboard.html with its configuration, the
    /// words of both languages and the role names put in; its style and script are under
    /// /dashboard/assets/.
    static func page(organiser: String, names: Bool, eventName: String) -> String {
        var roles: [String: [String: String]] = [:]
        let sentence = { (label: String) -> String in String(label.prefix(1)) + label.dropFirst().lowercased() }
        for role in Role.allCases {
            roles[role.rawValue] = ["fr": sentence(role.labelFR), "en": sentence(role.labelEN)]
        }
        let config = JSONLine.encode([
            "organiser": organiser, "event_name": eventName, "time_zone": EventTime.zone.identifier,
        ])
        let script = """
            const CONFIG = Object.assign(\(config), { names: \(names) });
            const WORDS = { fr: \(String(decoding: PackageResources.dashboard_fr_json, as: UTF8.self)), en: \(String(decoding: PackageResources.dashboard_en_json, as: UTF8.self)) };
            const ROLES = \(JSONLine.encode(roles));
            """
        return String(decoding: PackageResources.dashboard_html, as: UTF8.self)
            .replacingOccurrences(of: "/*CONFIG*/", with: script)
    }

    /// The files under /dashboard/assets/, by name, with their media type.
    static let assets: PageAssets = [
        "dashboard.js": (PackageResources.dashboard_js, "text/javascript; charset=utf-8"),
        "dashboard.css": (PackageResources.dashboard_css, "text/css; charset=utf-8"),
    ]
}

/// JSON for a page's script: "</" escaped so that no value can close the <script> element.
enum JSONLine {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return text.replacingOccurrences(of: "</", with: "<\\/")
    }
}
