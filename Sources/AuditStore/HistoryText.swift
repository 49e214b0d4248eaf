import AuditReport
import BillingModel

/// `cotaudit history` in French: each run, then the files it recorded with their totals.
public enum HistoryText {
    public static func render(_ runs: [RunRecord], storePath: String) -> String {
        guard !runs.isEmpty else { return "Aucun passage enregistré dans \(storePath).\n" }
        var lines: [String] = []
        for run in runs {
            let end = run.finishedAt.map { "terminé le \(StoreClock.frenchDay($0))" } ?? "interrompu (les fichiers enregistrés sont gardés)"
            lines.append("Passage \(run.id) du \(StoreClock.frenchDay(run.startedAt)) — \(end) — \(run.ruleSet)")
            // An interrupted run never wrote its counts: only its recorded files say what it did.
            if run.finishedAt != nil {
                lines.append("  " + [FrenchText.count(run.filesAudited, "fichier audité"),
                                     FrenchText.count(run.filesSkipped, "identique ignoré"),
                                     FrenchText.count(run.filesUnreadable, "illisible")].joined(separator: ", "))
            }
            for file in run.files {
                var text = "  • \(file.name) : \(FrenchText.count(file.invoices, "facture")), \(FrenchText.count(file.acts, "acte")), \(file.billed.euros) facturés"
                if let first = file.firstActDate, let last = file.lastActDate { text += ", actes du \(first.french) au \(last.french)" }
                if file.rejectedLines > 0 { text += ", \(FrenchText.count(file.rejectedLines, "ligne rejetée"))" }
                if file.replacedInvoices > 0 { text += ", remplace \(FrenchText.count(file.replacedInvoices, "facture"))" }
                text += " ; constats : \(FrenchText.count(file.newFindings, "nouveau", "nouveaux")), \(FrenchText.count(file.fixedFindings, "corrigé"))"
                lines.append(text)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
