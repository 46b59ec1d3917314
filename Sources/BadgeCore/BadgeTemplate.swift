import AccueilCore
import Foundation

/// A badge layout, read from a JSON file in `badges/templates/` so that organisers can add one or
/// change colours, logo and texts without rebuilding. All lengths are in millimetres, from the
/// top-left corner; font sizes in points.
public struct BadgeTemplate: Sendable, Codable, Equatable {
    public struct Box: Sendable, Codable, Equatable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        /// Whether the two boxes share some area.
        func overlaps(_ other: Box) -> Bool {
            x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
        }
    }

    /// A text on the badge. The text is shrunk from `maxSize` towards `minSize` to fit on one line,
    /// then wrapped on up to `lines` lines; it is never clipped (past that, it is cut with "…" and
    /// the render reports it).
    public struct TextField: Sendable, Codable, Equatable {
        public var box: Box
        public var font: String
        public var maxSize: Double
        public var minSize: Double
        public var lines: Int
        /// "left", "center" or "right".
        public var align: String
        /// "#RRGGBB"; the role's text colour when on the band.
        public var color: String?

        enum CodingKeys: String, CodingKey {
            case box, font, lines, align, color
            case maxSize = "max_size"
            case minSize = "min_size"
        }

        /// This field narrowed to the side of `column` that leaves it more room, 1 mm off it, when
        /// the two overlap (a name set in a vertical column takes that space from the texts it
        /// crosses).
        public func givingWay(to column: Box) -> TextField {
            guard box.overlaps(column) else { return self }
            var field = self
            let left = column.x - 1 - box.x
            let right = box.x + box.width - (column.x + column.width + 1)
            if left >= right {
                field.box.width = max(left, 1)
            } else {
                field.box.x = column.x + column.width + 1
                field.box.width = max(right, 1)
            }
            return field
        }
    }

    public struct RoleStyle: Sendable, Codable, Equatable {
        /// Band colour, "#RRGGBB".
        public var color: String
        public var textColor: String
        public var labelFR: String?
        public var labelEN: String?

        enum CodingKeys: String, CodingKey {
            case color
            case textColor = "text_color"
            case labelFR = "label_fr"
            case labelEN = "label_en"
        }
    }

    public var name: String
    public var description: String
    public var width: Double
    public var height: Double
    /// Event name shown when the keyring gives none.
    public var eventName: String
    public var background: String?
    /// PNG or SVG file, relative to the `badges/` folder.
    public var logo: String?
    public var logoBox: Box?
    public var eventField: TextField
    public var nameField: TextField
    public var nativeNameField: TextField
    /// Where a name in a script written in vertical columns (Traditional Mongolian) goes, top to
    /// bottom with columns from left to right; `lines` is the number of columns. Texts this box
    /// crosses give way to it when it is used. Without it such a name is set in `native_name`,
    /// horizontally.
    public var verticalNameField: TextField?
    public var titleField: TextField
    public var organisationField: TextField
    /// Country and delegation, on one line.
    public var countryField: TextField
    public var band: Box
    public var bandField: TextField
    /// The QR code, quiet zone included.
    public var qr: Box
    public var roles: [String: RoleStyle]
    /// Badges per A4 page for `badge sheet` (0: as many as fit).
    public var perPage: Int?

    enum CodingKeys: String, CodingKey {
        case name, description, width, height, background, logo, band, qr, roles
        case eventName = "event_name"
        case logoBox = "logo_box"
        case eventField = "event"
        case nameField = "name_text"
        case nativeNameField = "native_name"
        case verticalNameField = "native_name_vertical"
        case titleField = "title"
        case organisationField = "organisation"
        case countryField = "country"
        case bandField = "band_text"
        case perPage = "per_page"
    }

    public func style(for role: Role) -> RoleStyle {
        roles[role.rawValue] ?? RoleStyle(color: "#455A64", textColor: "#FFFFFF", labelFR: nil, labelEN: nil)
    }

    /// "ÉLU·E / ELECTED OFFICIAL", or the template's own labels for that role.
    public func label(for role: Role) -> String {
        let style = style(for: role)
        return "\(style.labelFR ?? role.labelFR) / \(style.labelEN ?? role.labelEN)"
    }

    // MARK: Loading

    /// Reads `NAME.json` from `directory/templates`, checking what a typo would break.
    public static func load(named name: String, from directory: URL) throws(BadgeError) -> BadgeTemplate {
        let url = directory.appendingPathComponent("templates").appendingPathComponent("\(name).json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let known = available(in: directory)
            throw .invalidInput(
                "no badge template \"\(name)\" in \(url.deletingLastPathComponent().path) (known: \(known.joined(separator: ", ")))"
            )
        }
        let template: BadgeTemplate
        do {
            template = try JSONDecoder().decode(BadgeTemplate.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidInput(
                "\(url.path): not valid JSON: \(context.debugDescription) \(context.underlyingError.map { "\($0)" } ?? "")"
            )
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidInput("\(url.path): missing \"\(key.stringValue)\" at \(path(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidInput("\(url.path): wrong type at \(path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw .invalidInput("\(url.path): \(error)")
        }
        try template.validate(file: url.path)
        return template
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map(\.stringValue).joined(separator: ".")
    }

    /// Template names (file names without .json) in `directory/templates`.
    public static func available(in directory: URL) -> [String] {
        let files =
            (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("templates").path))
            ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    func validate(file: String) throws(BadgeError) {
        guard width > 10, height > 10, width < 500, height < 500 else {
            throw .invalidInput("\(file): width and height must be between 10 and 500 mm")
        }
        let fields: [(String, TextField)] =
            [
                ("event", eventField), ("name_text", nameField), ("native_name", nativeNameField),
                ("title", titleField), ("organisation", organisationField), ("country", countryField),
                ("band_text", bandField),
            ] + (verticalNameField.map { [("native_name_vertical", $0)] } ?? [])
        for (key, field) in fields {
            guard field.minSize > 0, field.maxSize >= field.minSize, field.lines >= 1 else {
                throw .invalidInput("\(file): \(key): need 0 < min_size ≤ max_size and lines ≥ 1")
            }
            guard ["left", "center", "right"].contains(field.align) else {
                throw .invalidInput("\(file): \(key): align must be left, center or right")
            }
            try check(field.box, "\(key).box", file)
            if let color = field.color, Color(hex: color) == nil {
                throw .invalidInput("\(file): \(key).color \"\(color)\" is not #RRGGBB")
            }
        }
        try check(band, "band", file)
        try check(qr, "qr", file)
        if let logoBox { try check(logoBox, "logo_box", file) }
        for (role, style) in roles {
            guard Role(rawValue: role) != nil else {
                throw .invalidInput(
                    "\(file): roles.\(role): unknown role (one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard Color(hex: style.color) != nil, Color(hex: style.textColor) != nil else {
                throw .invalidInput("\(file): roles.\(role): colours must be #RRGGBB")
            }
        }
    }

    private func check(_ box: Box, _ key: String, _ file: String) throws(BadgeError) {
        guard box.width > 0, box.height > 0, box.x >= 0, box.y >= 0, box.x + box.width <= width + 0.01,
            box.y + box.height <= height + 0.01
        else { throw .invalidInput("\(file): \(key) does not fit on a \(width) × \(height) mm badge") }
    }
}

/// An sRGB colour from "#RRGGBB".
public struct Color: Sendable, Equatable {
    public var red, green, blue: Double

    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        red = Double((value >> 16) & 0xFF) / 255
        green = Double((value >> 8) & 0xFF) / 255
        blue = Double(value & 0xFF) / 255
    }
}
