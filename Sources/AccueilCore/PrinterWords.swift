import Foundation

/// What goes wrong with a printer, in the words door staff and organisers read, in English and
/// French. The spooler writes the English sentences; the pages show them in the reader's language
/// (``french(_:)``). One table, so that a sentence the spooler writes has its translation here.
public enum PrinterWords {
    public static let stopped = (
        "the queue is stopped (cupsdisable): jobs wait until it is enabled",
        "la file est arrêtée (cupsdisable) : les badges attendent qu'elle soit réactivée"
    )
    public static let refusing = ("the queue refuses new jobs (cupsreject)", "la file refuse les travaux (cupsreject)")
    public static let mediaEmpty = (
        "out of badges or paper: load the printer", "plus de badges ni de papier : rechargez l'imprimante"
    )
    public static let mediaJam = (
        "paper jam: open the printer and clear it", "bourrage : ouvrez l'imprimante et dégagez-le"
    )
    public static let mediaLow = ("badges or paper running low", "badges ou papier bientôt épuisés")
    public static let offline = (
        "the printer is offline or unreachable: check its cable, power and network",
        "l'imprimante est hors ligne ou injoignable : vérifiez son câble, son alimentation et le réseau"
    )
    public static let coverOpen = ("a cover is open", "un capot est ouvert")
    public static let supplyEmpty = ("ribbon, ink or toner empty", "ruban, encre ou toner vide")
    public static let supplyLow = ("ribbon, ink or toner low", "ruban, encre ou toner bientôt vide")
    public static let driver = (
        "the print server cannot convert the job (driver problem)",
        "le serveur d'impression ne peut pas convertir le badge (problème de pilote)"
    )
    public static let unreachable = ("the print server is unreachable", "le serveur d'impression est injoignable")
    public static let isCupsRunning = ("is CUPS running?", "CUPS est-il lancé ?")
    public static let printerError = ("printer error:", "erreur de l'imprimante :")
    public static let refusesNew = ("the queue refuses new jobs", "la file refuse les travaux")
    public static let noLongerKnows = (
        "the print server no longer knows job", "le serveur d'impression ne connaît plus le travail"
    )
    public static let cannotMake = ("cannot make the badge:", "impossible de produire le badge :")
    public static let noPrinter = ("no printer", "pas d'imprimante")
    public static let onServer = ("on the print server", "sur le serveur d'impression")
    public static let isUnreachable = ("is unreachable", "est injoignable")
    public static let printServer = ("the print server", "le serveur d'impression")
    public static let cupsdAt = ("cupsd at", "cupsd à")
    public static let printingState = ("printing (", "impression (")
    public static let listingPrinters = ("listing printers", "liste des imprimantes")
    public static let creatingJob = ("creating a job on", "création du travail sur")
    public static let sendingTo = ("sending to", "envoi à")
    public static let finishingJob = ("finishing the job on", "fin du travail sur")
    public static let listingJobs = ("listing jobs", "liste des travaux")
    public static let askingForJob = ("asking for job", "demande du travail")
    public static let cancellingJob = ("cancelling job", "annulation du travail")

    /// Longest first, so that a sentence is translated before the words it contains.
    public static let table: [(String, String)] = [
        stopped, refusing, mediaEmpty, mediaJam, mediaLow, offline, coverOpen, supplyEmpty, supplyLow, driver,
        unreachable, isCupsRunning, printerError, refusesNew, noLongerKnows, cannotMake, noPrinter, onServer,
        isUnreachable, printServer, cupsdAt, printingState, listingPrinters, creatingJob, sendingTo, finishingJob,
        listingJobs, askingForJob, cancellingJob,
    ].sorted { $0.0.count > $1.0.count }

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
