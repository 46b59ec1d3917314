import AccueilCore
import CCups
import Foundation

/// A printer (CUPS destination) and what it is doing, in words staff understand.
public struct PrinterStatus: Sendable, Equatable, Codable {
    public var name: String
    public var isDefault: Bool
    /// idle, printing, stopped.
    public var state: String
    public var acceptingJobs: Bool
    /// CUPS printer-state-reasons, e.g. media-empty-error, offline-report.
    public var reasons: [String]
    public var info: String
    public var deviceURI: String
    /// Media the printer offers (PWG names), when it says.
    public var media: [String]

    enum CodingKeys: String, CodingKey {
        case name, state, reasons, info, media
        case isDefault = "default"
        case acceptingJobs = "accepting_jobs"
        case deviceURI = "device_uri"
    }

    public init(
        name: String, isDefault: Bool, state: String, acceptingJobs: Bool, reasons: [String], info: String,
        deviceURI: String, media: [String]
    ) {
        self.name = name
        self.isDefault = isDefault
        self.state = state
        self.acceptingJobs = acceptingJobs
        self.reasons = reasons
        self.info = info
        self.deviceURI = deviceURI
        self.media = media
    }

    /// Whether a job sent now would print now.
    public var isReady: Bool { state != "stopped" && acceptingJobs && problems.isEmpty }

    /// The trouble, in plain words; empty when none.
    public var problems: [String] {
        var out: [String] = []
        if state == "stopped" { out.append(PrinterWords.stopped.english) }
        if !acceptingJobs { out.append(PrinterWords.refusing.english) }
        for reason in reasons {
            let base = reason.replacingOccurrences(of: "-error", with: "").replacingOccurrences(
                of: "-warning", with: ""
            )
            .replacingOccurrences(of: "-report", with: "")
            let words: String? =
                switch base {
                case "none", "paused": nil
                case "media-empty", "media-needed": PrinterWords.mediaEmpty.english
                case "media-jam": PrinterWords.mediaJam.english
                case "media-low": PrinterWords.mediaLow.english
                case "offline", "connecting-to-device", "timed-out":
                    PrinterWords.offline.english
                case "door-open", "cover-open": PrinterWords.coverOpen.english
                case "toner-empty", "marker-supply-empty", "ribbon-empty": PrinterWords.supplyEmpty.english
                case "toner-low", "marker-supply-low": PrinterWords.supplyLow.english
                case "cups-missing-filter", "cups-insecure-filter":
                    PrinterWords.driver.english
                default: reason.hasSuffix("-error") ? "\(PrinterWords.printerError.english) \(base)" : nil
                }
            if let words, !out.contains(words) { out.append(words) }
        }
        return out
    }
}

/// A CUPS job as the print server reports it.
public struct CupsJob: Sendable, Equatable {
    public var id: Int
    public var title: String
    public var printer: String
    /// pending, held, processing, stopped, cancelled, aborted, completed.
    public var state: String

    public var isFinished: Bool { ["cancelled", "aborted", "completed"].contains(state) }
}

/// Why talking to CUPS failed, in words for staff.
public struct PrintError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable { case unreachable, unknownPrinter, refused, failed }
    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Talks to the print server (cupsd) through libcups. Every call blocks: call it from a thread of
/// its own (``CupsClient/perform(_:)``), never from the Swift concurrency pool.
public struct CupsClient: Sendable {
    /// Host, host:port or socket path; nil for the machine's default ($CUPS_SERVER, client.conf,
    /// the local socket).
    public var server: String?
    /// How long to wait for cupsd before calling it unreachable.
    public var timeout: TimeInterval

    public init(server: String? = nil, timeout: TimeInterval = 5) {
        self.server = server
        self.timeout = timeout
    }

    /// A serial queue for blocking CUPS calls made on behalf of async code.
    static let queue = DispatchQueue(label: "accueil.cups")

    /// Runs `body` on the CUPS thread and waits for it without blocking the concurrency pool.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (CupsClient) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    // MARK: Connection

    func connect() throws(PrintError) -> OpaquePointer {
        let host = server ?? String(cString: cupsServer())
        var port = Int32(ippPort())
        var name = host
        if !host.hasPrefix("/"), let colon = host.lastIndex(of: ":"), let p = Int32(host[host.index(after: colon)...]) {
            name = String(host[..<colon])
            port = p
        }
        guard let http = httpConnect2(name, port, nil, AF_UNSPEC, cupsEncryption(), 1, Int32(timeout * 1000), nil)
        else {
            throw PrintError(
                .unreachable,
                "\(PrinterWords.printServer.english) (\(PrinterWords.cupsdAt.english) \(host)) \(PrinterWords.isUnreachable.english): \(PrinterWords.isCupsRunning.english)"
            )
        }
        return http
    }

    func withConnection<T>(_ body: (OpaquePointer) throws(PrintError) -> T) throws(PrintError) -> T {
        let http = try connect()
        defer { httpClose(http) }
        return try body(http)
    }

    static func lastError(_ what: String) -> PrintError {
        let status = cupsLastError()
        let message = String(cString: cupsLastErrorString())
        if status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || message.lowercased().contains("connection refused") {
            return PrintError(.unreachable, "\(what): \(PrinterWords.unreachable.english) (\(message))")
        }
        if status == IPP_STATUS_ERROR_NOT_FOUND { return PrintError(.unknownPrinter, "\(what): \(message)") }
        if status == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS {
            return PrintError(.refused, "\(what): \(PrinterWords.refusesNew.english) (\(message))")
        }
        return PrintError(.failed, "\(what): \(message)")
    }

    // MARK: Printers

    /// Every destination, with its state.
    public func printers() throws(PrintError) -> [PrinterStatus] {
        try withConnection { (http) throws(PrintError) -> [PrinterStatus] in
            var dests: UnsafeMutablePointer<cups_dest_t>?
            let count = cupsGetDests2(http, &dests)
            defer { cupsFreeDests(count, dests) }
            if count == 0 && cupsLastError().rawValue > IPP_STATUS_OK_EVENTS_COMPLETE.rawValue
                && cupsLastError() != IPP_STATUS_ERROR_NOT_FOUND
            {
                throw Self.lastError(PrinterWords.listingPrinters.english)
            }
            guard let dests else { return [] }
            return (0..<Int(count)).map { status(http, &dests[$0], withMedia: true) }
        }
    }

    /// One printer's state; nil name: the default printer.
    public func printer(_ name: String?) throws(PrintError) -> PrinterStatus {
        try withConnection { (http) throws(PrintError) -> PrinterStatus in
            guard let dest = cupsGetNamedDest(http, name, nil) else {
                if cupsLastError() == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE { throw Self.lastError("printer") }
                throw PrintError(
                    .unknownPrinter,
                    name.map { "no printer \"\($0)\" on the print server" }
                        ?? "no default printer: give one with --printer")
            }
            defer { cupsFreeDests(1, dest) }
            return status(http, dest, withMedia: false)
        }
    }

    private func status(_ http: OpaquePointer, _ dest: UnsafeMutablePointer<cups_dest_t>, withMedia: Bool)
        -> PrinterStatus
    {
        func option(_ name: String) -> String? {
            cupsGetOption(name, dest.pointee.num_options, dest.pointee.options).map { String(cString: $0) }
        }
        let state: String =
            switch option("printer-state") {
            case "4": "printing"
            case "5": "stopped"
            default: "idle"
            }
        var media: [String] = []
        if withMedia, let info = cupsCopyDestInfo(http, dest) {
            defer { cupsFreeDestInfo(info) }
            let count = cupsGetDestMediaCount(http, dest, info, 0)
            for i in 0..<count {
                var size = cups_size_t()
                if cupsGetDestMediaByIndex(http, dest, info, i, 0, &size) != 0 {
                    let name = withUnsafeBytes(of: &size.media) {
                        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                    }
                    media.append(name)
                }
            }
        }
        return PrinterStatus(
            name: String(cString: dest.pointee.name), isDefault: dest.pointee.is_default != 0, state: state,
            acceptingJobs: option("printer-is-accepting-jobs") != "false",
            reasons: (option("printer-state-reasons") ?? "none").split(separator: ",").map(String.init),
            info: option("printer-info") ?? "", deviceURI: option("device-uri") ?? "", media: media)
    }

    // MARK: Jobs

    /// Sends a document as one job and returns the CUPS job id once the server has accepted it.
    /// The document is streamed as is: `options` should say its media and that it is not to be
    /// scaled.
    public func submit(
        printer: String, title: String, document: Data, format: String, options: [String: String]
    ) throws(PrintError) -> Int {
        try withConnection { (http) throws(PrintError) -> Int in
            guard let dest = cupsGetNamedDest(http, printer, nil) else {
                throw PrintError(
                    .unknownPrinter, "\(PrinterWords.noPrinter.english) \"\(printer)\" \(PrinterWords.onServer.english)"
                )
            }
            defer { cupsFreeDests(1, dest) }
            guard let info = cupsCopyDestInfo(http, dest) else { throw Self.lastError("printer \(printer)") }
            defer { cupsFreeDestInfo(info) }
            var count: Int32 = 0
            var cOptions: UnsafeMutablePointer<cups_option_t>?
            for (name, value) in options { count = cupsAddOption(name, value, count, &cOptions) }
            defer { cupsFreeOptions(count, cOptions) }
            var jobID: Int32 = 0
            guard cupsCreateDestJob(http, dest, info, &jobID, title, count, cOptions) == IPP_STATUS_OK, jobID > 0 else {
                throw Self.lastError("\(PrinterWords.creatingJob.english) \(printer)")
            }
            guard cupsStartDestDocument(http, dest, info, jobID, title, format, 0, nil, 1) == HTTP_STATUS_CONTINUE
            else {
                let error = Self.lastError("\(PrinterWords.sendingTo.english) \(printer)")
                cupsCancelJob2(http, printer, jobID, 0)
                throw error
            }
            let written = document.withUnsafeBytes { bytes in
                cupsWriteRequestData(http, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
            }
            guard written == HTTP_STATUS_CONTINUE else {
                let error = Self.lastError("\(PrinterWords.sendingTo.english) \(printer)")
                _ = cupsFinishDestDocument(http, dest, info)
                cupsCancelJob2(http, printer, jobID, 0)
                throw error
            }
            guard cupsFinishDestDocument(http, dest, info) == IPP_STATUS_OK else {
                throw Self.lastError("\(PrinterWords.finishingJob.english) \(printer)")
            }
            return Int(jobID)
        }
    }

    /// Jobs of a printer (nil: all). `activeOnly`: only those not finished yet — the whole history
    /// grows with every badge printed, and is only needed to find a job again after a crash.
    public func jobs(printer: String? = nil, activeOnly: Bool = false) throws(PrintError) -> [CupsJob] {
        try withConnection { (http) throws(PrintError) -> [CupsJob] in
            var jobs: UnsafeMutablePointer<cups_job_t>?
            let count = cupsGetJobs2(http, &jobs, printer, 0, activeOnly ? CUPS_WHICHJOBS_ACTIVE : CUPS_WHICHJOBS_ALL)
            defer { cupsFreeJobs(count, jobs) }
            if count < 0 { throw Self.lastError(PrinterWords.listingJobs.english) }
            guard let jobs else { return [] }
            return (0..<Int(count)).map { i in
                let job = jobs[i]
                let state = Self.stateName(job.state)
                return CupsJob(
                    id: Int(job.id), title: job.title.map { String(cString: $0) } ?? "",
                    printer: job.dest.map { String(cString: $0) } ?? "", state: state)
            }
        }
    }

    /// One job's state, asked for alone (IPP Get-Job-Attributes); nil when the server does not know it.
    public func job(_ id: Int, printer: String) throws(PrintError) -> CupsJob? {
        try withConnection { (http) throws(PrintError) -> CupsJob? in
            guard let request = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES) else {
                throw PrintError(.failed, "out of memory")
            }
            ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nil, "ipp://localhost/jobs/\(id)")
            ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nil, cupsUser())
            guard let response = cupsDoRequest(http, request, "/") else {
                if cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND { return nil }
                throw Self.lastError("\(PrinterWords.askingForJob.english) \(id)")
            }
            defer { ippDelete(response) }
            if cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND { return nil }
            guard let stateAttribute = ippFindAttribute(response, "job-state", IPP_TAG_ENUM) else { return nil }
            let title = ippFindAttribute(response, "job-name", IPP_TAG_NAME).flatMap { ippGetString($0, 0, nil) }
            return CupsJob(
                id: id, title: title.map { String(cString: $0) } ?? "", printer: printer,
                state: Self.stateName(ipp_jstate_t(rawValue: UInt32(ippGetInteger(stateAttribute, 0)))))
        }
    }

    static func stateName(_ state: ipp_jstate_t) -> String {
        switch state {
        case IPP_JSTATE_PENDING: "pending"
        case IPP_JSTATE_HELD: "held"
        case IPP_JSTATE_PROCESSING: "processing"
        case IPP_JSTATE_STOPPED: "stopped"
        case IPP_JSTATE_CANCELED: "cancelled"
        case IPP_JSTATE_ABORTED: "aborted"
        default: "completed"
        }
    }

    public func cancel(_ id: Int, printer: String) throws(PrintError) {
        try withConnection { (http) throws(PrintError) in
            guard cupsCancelJob2(http, printer, Int32(id), 0) == IPP_STATUS_OK else {
                throw Self.lastError("\(PrinterWords.cancellingJob.english) \(id)")
            }
        }
    }

    /// The default printer's name, if the server has one.
    public func defaultPrinter() -> String? {
        try? printer(nil).name
    }
}
