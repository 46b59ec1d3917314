import Foundation
import Yams

/// A configuration file (`/etc/accueil/server.yaml`, `/etc/accueil/kiosk.yaml`): one `key: value`
/// per option, in YAML. Values given by flags, then environment variables, win over the file's;
/// the file's win over the defaults. A file with an unknown key, a value of the wrong kind or a
/// syntax error is refused at start with the file, the line and the reason.
public struct ConfigFile: Sendable {
    /// A file that cannot be read or checked: its path, the line and the reason.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    public enum Kind: Sendable {
        case string, int, bool
        case choice([String])
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case bool(Bool)
    }

    public let path: String
    public private(set) var values: [String: Value] = [:]

    /// An empty configuration (no file).
    public init() { path = "" }

    /// Reads and checks `path` against `schema` (key → kind).
    public init(path: String, schema: [String: Kind]) throws(Invalid) {
        self.path = path
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Invalid(message: "\(path): cannot read the configuration: \((error as NSError).localizedDescription)")
        }
        func fail(_ line: Int, _ reason: String) -> Invalid {
            Invalid(message: "\(path), line \(line): \(reason)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw fail(Self.line(of: error) ?? 1, "not valid YAML: \(Self.reason(of: error))")
        } catch {
            throw fail(1, "not valid YAML: \(error)")
        }
        guard let root else { return }  // empty file: every default
        guard let mapping = root.mapping else {
            throw fail(root.mark?.line ?? 1, "expected `option: value` lines")
        }
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 1
            guard let key = keyNode.scalar?.string else { throw fail(line, "an option name must be a word") }
            guard let kind = schema[key] else {
                let known = schema.keys.sorted().joined(separator: ", ")
                throw fail(line, "unknown option \"\(key)\" (options: \(known))")
            }
            guard let scalar = valueNode.scalar else {
                throw fail(valueNode.mark?.line ?? line, "\(key) takes a single value, not a list or a section")
            }
            let raw = scalar.string
            // An empty value (`key:` or `key: ""`) means the default.
            if raw.isEmpty { continue }
            switch kind {
            case .string:
                values[key] = .string(raw)
            case .int:
                guard let number = Int(raw) else { throw fail(line, "\(key) must be a whole number, not \"\(raw)\"") }
                values[key] = .int(number)
            case .bool:
                switch raw.lowercased() {
                case "true", "yes", "on": values[key] = .bool(true)
                case "false", "no", "off": values[key] = .bool(false)
                default: throw fail(line, "\(key) must be true or false, not \"\(raw)\"")
                }
            case .choice(let choices):
                guard choices.contains(raw) else {
                    throw fail(line, "\(key) must be one of \(choices.joined(separator: ", ")), not \"\(raw)\"")
                }
                values[key] = .string(raw)
            }
        }
    }

    /// The file named by `--config`, else by `$ACCUEIL_CONFIG`; no file at all is an empty configuration.
    public static func load(_ option: String?, schema: [String: Kind]) throws(Invalid) -> ConfigFile {
        guard let path = option ?? ProcessInfo.processInfo.environment["ACCUEIL_CONFIG"], !path.isEmpty else {
            return ConfigFile()
        }
        return try ConfigFile(path: path, schema: schema)
    }

    public func string(_ key: String) -> String? {
        if case .string(let text)? = values[key] { return text }
        return nil
    }

    public func int(_ key: String) -> Int? {
        if case .int(let number)? = values[key] { return number }
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let flag)? = values[key] { return flag }
        return nil
    }

    /// A flag's value, else the environment variable's, else the file's, else nil.
    public func pick(_ flag: String?, env: String?, _ key: String) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let env, let value = ProcessInfo.processInfo.environment[env], !value.isEmpty { return value }
        return string(key)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default: return nil
        }
    }

    private static func reason(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default: return "\(error)"
        }
    }
}
