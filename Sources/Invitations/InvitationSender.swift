import Foundation

/// Works through the queue's mails with a few workers: each mail is composed, marked `sending`
/// (committed), handed to the transport, then marked `sent` or `refused`. A temporary failure puts
/// the mail back in the queue and stops the run: what is left waits for the next one.
public final class InvitationSender: @unchecked Sendable {
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var sent: Int
        public var refused: Int
    }

    public struct Outcome: Sendable {
        public var sent: Int = 0
        public var refused: [(MailQueue.Mail, String)] = []
        /// Why the run stopped early, or nil when every mail was handled.
        public var stopped: String?
    }

    let queue: MailQueue
    let transport: any MailTransport
    let envelopeFrom: String
    let workers: Int
    let rate: Double
    let compose: @Sendable (MailQueue.Mail) throws -> MailMessage

    public init(
        queue: MailQueue, transport: any MailTransport, envelopeFrom: String, workers: Int = 4, rate: Double = 0,
        compose: @escaping @Sendable (MailQueue.Mail) throws -> MailMessage
    ) {
        self.rate = rate
        self.queue = queue
        self.transport = transport
        self.envelopeFrom = envelopeFrom
        self.workers = max(1, workers)
        self.compose = compose
    }

    /// Sends every queued mail (or until a temporary failure); `progress` is called after each.
    public func run(progress: @escaping @Sendable (Progress) -> Void = { _ in }) throws -> Outcome {
        let run = Run(mails: try queue.queued(), rate: rate, progress: progress)
        DispatchQueue.concurrentPerform(iterations: min(workers, max(run.mails.count, 1))) { _ in
            while let mail = run.take() {
                do {
                    let message: MailMessage
                    do { message = try compose(mail) } catch {
                        try queue.set(mail.id, .refused, reason: "cannot make the message: \(error)")
                        run.finish { $0.refused.append((mail, "cannot make the message: \(error)")) }
                        continue
                    }
                    try queue.markSending(mail.id)
                    var trouble: MailError?
                    do throws(MailError) {
                        try transport.send(message, envelopeFrom: envelopeFrom, recipient: mail.address)
                    } catch { trouble = error }
                    switch trouble {
                    case nil:
                        try queue.set(mail.id, .sent, reason: "")
                        run.finish { $0.sent += 1 }
                    case .refused(let reason)?:
                        try queue.set(mail.id, .refused, reason: reason)
                        run.finish { $0.refused.append((mail, reason)) }
                    case let error?:
                        try queue.requeue(mail.id, reason: error.description)
                        run.finish { if $0.stopped == nil { $0.stopped = error.description } }
                    }
                } catch {
                    run.fail(error)
                }
            }
        }
        return try run.result()
    }

    /// One run's shared state, behind a lock: the workers take mails from it and count what they did.
    final class Run: @unchecked Sendable {
        let mails: [MailQueue.Mail]
        let progress: @Sendable (Progress) -> Void
        /// Mails a second at most (0: no limit), counted from the run's start.
        let rate: Double
        let start = Date()
        private let lock = NSLock()
        private var next = 0
        private var outcome = Outcome()
        private var failure: (any Error)?

        init(mails: [MailQueue.Mail], rate: Double, progress: @escaping @Sendable (Progress) -> Void) {
            self.mails = mails
            self.rate = rate
            self.progress = progress
        }

        func take() -> MailQueue.Mail? {
            lock.lock()
            guard outcome.stopped == nil, failure == nil, next < mails.count else {
                lock.unlock()
                return nil
            }
            next += 1
            let (mail, number) = (mails[next - 1], next - 1)
            lock.unlock()
            if rate > 0 {
                let due = start.addingTimeInterval(Double(number) / rate).timeIntervalSinceNow
                if due > 0 { Thread.sleep(forTimeInterval: due) }
            }
            return mail
        }

        func finish(_ update: (inout Outcome) -> Void) {
            lock.lock()
            update(&outcome)
            let state = Progress(
                done: outcome.sent + outcome.refused.count, total: mails.count, sent: outcome.sent,
                refused: outcome.refused.count)
            lock.unlock()
            progress(state)
        }

        func fail(_ error: any Error) {
            lock.lock()
            failure = failure ?? error
            lock.unlock()
        }

        func result() throws -> Outcome {
            lock.lock()
            defer { lock.unlock() }
            if let failure { throw failure }
            return outcome
        }
    }
}
