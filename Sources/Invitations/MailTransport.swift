import Foundation
import Tooling

/// Where mails go: the machine's mail server through its sendmail(8) program, or an SMTP relay.
public protocol MailTransport: Sendable {
    /// Hands `message` to the mail server for `recipient`; returns once the server has taken it.
    func send(_ message: MailMessage, envelopeFrom: String, recipient: String) throws(MailError)
}

/// The sendmail(8) interface every Unix mail server offers (Postfix, Exim, OpenSMTPD, msmtp…):
/// the message on its input, `-i` (a lone dot is text), the envelope sender after `-f`, the
/// recipient as the argument. Exit status 0 means the server took it; sysexits(3) tell the rest: a
/// refused address or message (64, 65, 67, 68) is refused for good, anything else (75 "try
/// later", a server down, a missing program) is temporary.
public struct SendmailTransport: MailTransport {
    public var path: String
    public var extraArguments: [String]
    public var spool: URL

    public init(path: String = "/usr/sbin/sendmail", extraArguments: [String] = [], spool: URL? = nil) {
        self.path = path
        self.extraArguments = extraArguments
        self.spool = spool ?? FileManager.default.temporaryDirectory
    }

    public func send(_ message: MailMessage, envelopeFrom: String, recipient: String) throws(MailError) {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw .temporary("\(path) is not there or not a program: is a mail server (postfix, exim4…) installed?")
        }
        let file = spool.appendingPathComponent("accueil-mail-\(UUID().uuidString).eml").path
        guard
            FileManager.default.createFile(
                atPath: file, contents: message.rendered(), attributes: [.posixPermissions: 0o600])
        else { throw .temporary("cannot write \(file)") }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let outcome: Outcome
        do {
            outcome = try runProgram(
                path, extraArguments + ["-i", "-f", envelopeFrom, "--", recipient], stdin: file, timeout: .seconds(60))
        } catch {
            throw .temporary("cannot run \(path): \(error)")
        }
        if outcome.status == 0 && !outcome.timedOut { return }
        let said = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\n").prefix(3).joined(separator: " ")
        let detail = said.isEmpty ? "" : ": \(said)"
        if outcome.timedOut { throw .temporary("\(path) did not answer in 60 s") }
        if let signal = outcome.signal { throw .temporary("\(path) was stopped by signal \(signal)") }
        switch outcome.status {
        case 64, 65, 67, 68: throw .refused("the mail server refused it (sendmail exit \(outcome.status))\(detail)")
        default: throw .temporary("the mail server could not take it (sendmail exit \(outcome.status))\(detail)")
        }
    }
}
