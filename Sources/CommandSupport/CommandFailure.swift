import AccueilCore
import ArgumentParser
import BadgeCore
import Foundation
import KioskStore
import Ops

/// A command failed in a way the user should read; `status` is the process exit status.
public struct CommandFailure: Error {
    public var message: String
    public var status: Int32

    public init(message: String, status: Int32) { (self.message, self.status) = (message, status) }

    public static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, status: 2) }
}

/// Maps errors to the documented exit statuses.
public func commandFailure(_ error: any Error) -> CommandFailure {
    if let failure = error as? CommandFailure { return failure }
    if let error = error as? ConfigFile.Invalid { return CommandFailure.usage(error.message) }
    if let error = error as? BadgeError { return CommandFailure(message: error.description, status: 2) }
    guard let error = error as? StoreError else { return CommandFailure(message: "\(error)", status: 1) }
    return switch error.kind {
    case .unknownAttendee: CommandFailure(message: error.message, status: 5)
    case .notCheckedIn: CommandFailure(message: error.message, status: 6)
    case .idTaken, .unknownSession: CommandFailure(message: error.message, status: 2)
    case .failure: CommandFailure(message: error.message, status: 1)
    }
}

extension Role: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension RosterPreset: ExpressibleByArgument {}

// MARK: Output helpers

public enum Output {

    /// "09:12", in the event's time zone (`EventTime`).
    public static func time(_ date: Date) -> String { EventTime.hhmm(date) }

    public static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    public static func json(_ value: some Encodable) -> String { JSONText.pretty(value) }

    public static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    public static func err(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// Writes a line to standard output at once, unbuffered: what is printed has happened.
    public static func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}
