import Foundation

/// What goes wrong with a printer, in the words door staff and organisers read, in English and
/// French. The spooler writes the English sentences (each case's raw value); the pages show them in
/// the reader's language (``french(_:)``). A sentence is a case, so it cannot be written without its
/// translation.
public enum PrinterWords: String, CaseIterable, Sendable {
    case stopped = "the queue is stopped (cupsdisable): jobs wait until it is enabled"
    case refusing = "the queue refuses new jobs (cupsreject)"
    case mediaEmpty = "out of badges or paper: load the printer"
    case mediaJam = "paper jam: open the printer and clear it"
    case mediaLow = "badges or paper running low"
    case offline = "the printer is offline or unreachable: check its cable, power and network"
    case coverOpen = "a cover is open"
    case supplyEmpty = "ribbon, ink or toner empty"
    case supplyLow = "ribbon, ink or toner low"
    case driver = "the print server cannot convert the job (driver problem)"
    case unreachable = "the print server is unreachable"
    case isCupsRunning = "is CUPS running?"
    case printerError = "printer error:"
    case refusesNew = "the queue refuses new jobs"
    case noLongerKnows = "the print server no longer knows job"
    case cannotMake = "cannot make the badge:"
    case noPrinter = "no printer"
    case onServer = "on the print server"
    case isUnreachable = "is unreachable"
    case printServer = "the print server"
    case cupsdAt = "cupsd at"
    case printingState = "printing ("
    case listingPrinters = "listing printers"
    case creatingJob = "creating a job on"
    case sendingTo = "sending to"
    case finishingJob = "finishing the job on"
    case listingJobs = "listing jobs"
    case askingForJob = "asking for job"
    case cancellingJob = "cancelling job"

    public var english: String { rawValue }

    public var inFrench: String {
        switch self {
        case .stopped: "la file est arrêtée (cupsdisable) : les badges attendent qu'elle soit réactivée"
        case .refusing: "la file refuse les travaux (cupsreject)"
        case .mediaEmpty: "plus de badges ni de papier : rechargez l'imprimante"
        case .mediaJam: "bourrage : ouvrez l'imprimante et dégagez-le"
        case .mediaLow: "badges ou papier bientôt épuisés"
        case .offline: "l'imprimante est hors ligne ou injoignable : vérifiez son câble, son alimentation et le réseau"
        case .coverOpen: "un capot est ouvert"
        case .supplyEmpty: "ruban, encre ou toner vide"
        case .supplyLow: "ruban, encre ou toner bientôt vide"
        case .driver: "le serveur d'impression ne peut pas convertir le badge (problème de pilote)"
        case .unreachable: "le serveur d'impression est injoignable"
        case .isCupsRunning: "CUPS est-il lancé ?"
        case .printerError: "erreur de l'imprimante :"
        case .refusesNew: "la file refuse les travaux"
        case .noLongerKnows: "le serveur d'impression ne connaît plus le travail"
        case .cannotMake: "impossible de produire le badge :"
        case .noPrinter: "pas d'imprimante"
        case .onServer: "sur le serveur d'impression"
        case .isUnreachable: "est injoignable"
        case .printServer: "le serveur d'impression"
        case .cupsdAt: "cupsd à"
        case .printingState: "impression ("
        case .listingPrinters: "liste des imprimantes"
        case .creatingJob: "création du travail sur"
        case .sendingTo: "envoi à"
        case .finishingJob: "fin du travail sur"
        case .listingJobs: "liste des travaux"
        case .askingForJob: "demande du travail"
        case .cancellingJob: "annulation du travail"
        }
    }

    /// Every sentence and phrase with its French, longest first, so that a sentence is translated
    /// before the words it contains.
    public static let table: [(String, String)] = allCases.map { ($0.english, $0.inFrench) }
        .sorted { $0.0.count > $1.0.count }

    /// `text` with every sentence and phrase of the table in French; what is not in the table (a
    /// queue's name, a host, CUPS's own message) is left as it is.
    public static func french(_ text: String) -> String {
        var out = text
        for (english, french) in table where out.contains(english) {
            out = out.replacingOccurrences(of: english, with: french)
        }
        return out
    }
}
