import AuditRules
import BillingModel

/// `cotaudit rules explain ID`, in French, for the person who has to act on the rule.
enum RuleExplanation {
    static func render(_ rule: Rule, ruleSet: RuleSet) -> String {
        var text = """
        \(rule.id) — \(rule.title)
        Nature : \(rule.kind.rawValue) · certitude : \(rule.certainty.french) · contrôle : \(rule.check.rawValue)

        \(rule.explanation)

        Que faire : \(rule.advice)
        Source : \(rule.source)
        """
        if let expect = rule.expect, let entry = ruleSet.tariffs[expect] {
            text += "\nCode à facturer : \(expect) (\(entry.label))"
            for period in entry.periods {
                let value = period.cents.map(\.euros) ?? "non tarifé"
                let bySpecialty = period.specialties.sorted { $0.key < $1.key }.map { " (spécialité \($0.key) : \($0.value.euros))" }.joined()
                text += "\n  \(value)\(bySpecialty) du \(period.from.french)\(period.until.map { " au \($0.french)" } ?? " à aujourd'hui") — \(period.source)"
            }
        }
        func describe(_ example: RuleExample) -> String {
            let acts = example.acts.map { act in
                "\(act.code)\(act.coefficient == .one ? "" : " \(act.coefficient)") \(act.amount.euros)"
            }.joined(separator: " + ")
            var line = "  • \(example.name) : le \(example.date.french), \(acts)"
            if example.repeatInvoices > 1 { line += ", \(example.repeatInvoices) factures" }
            if let lost = example.lostCents { line += " → manque à gagner \(lost.euros)" }
            if let atRisk = example.atRiskCents { line += " → à risque \(atRisk.euros)" }
            return line
        }
        text += "\n\nExemples qui déclenchent la règle :\n" + rule.triggering.map(describe).joined(separator: "\n")
        text += "\n\nExemples qui ne la déclenchent pas :\n" + rule.nonTriggering.map(describe).joined(separator: "\n")
        return text
    }
}
