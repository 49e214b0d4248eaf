import AuditRules
import BillingModel
import Foundation

/// Findings and totals for a French spreadsheet: `;`, UTF-8 with BOM, CRLF, amounts in euros with
/// a decimal comma (or integer cents). Headers and values are French; `machineKeys` writes the
/// English keys and values tools read (`--csv-keys`), unchanged from one version to the next.
public enum CSVReport {
    public static func findings(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, decimalComma: Bool = true,
                                machineKeys: Bool = false) -> Data {
        var data = Data()
        writeFindings(outcome, options: options, decimalComma: decimalComma, machineKeys: machineKeys) { data.append(contentsOf: $0.utf8) }
        return data
    }

    /// The findings table, handed to `sink` a part of about `partSize` bytes at a time, so that a
    /// table of many findings is never held whole; the parts, joined, are `findings`'s text.
    public static func writeFindings(_ outcome: AuditOutcome, options: ReportOptions, decimalComma: Bool = true,
                                     machineKeys: Bool = false, sink: (String) -> Void) {
        let unit = decimalComma ? "€" : "centimes"
        var text = "\u{FEFF}"
        func add(_ row: [String]) {
            text += row.map(quote).joined(separator: ";") + "\r\n"
            if text.utf8.count >= partSize {
                sink(text)
                text = ""
            }
        }
        add(machineKeys ? [
            "rule", "kind", "certainty", "file", "line", "invoice_id", "act_date", "practitioner_id", "practitioner_name",
            "patient_ref", "code", "expected_code", decimalComma ? "lost_eur" : "lost_cents",
            decimalComma ? "at_risk_eur" : "at_risk_cents", decimalComma ? "rebill_eur" : "rebill_cents",
            decimalComma ? "obtain_eur" : "obtain_cents", "recoverable", "message",
        ] : [
            "Règle", "Type", "Certitude", "Fichier", "Ligne", "N° facture", "Date de l'acte", "RPPS praticien", "Praticien",
            "Patient (pseudonyme)", "Code facturé", "Code à facturer", "Manque à gagner (\(unit))", "À risque (\(unit))",
            "À refacturer (\(unit))", "À obtenir (\(unit))", "Encore facturable", "Message", "Identifiant de la règle",
        ])
        for finding in outcome.findings {
            let counted = finding.certainty.countsAsLost ? finding.lostCents : .zero
            var row = [
                machineKeys ? finding.rule : options.title(ofRule: finding.rule),
                machineKeys ? finding.kind.rawValue : finding.kind.french,
                machineKeys ? finding.certainty.rawValue : finding.certainty.french,
                finding.location.file, String(finding.location.line), finding.invoiceID,
                machineKeys ? finding.actDate.iso : finding.actDate.french, finding.practitionerID,
                outcome.roster?.name(of: finding.practitionerID) ?? "", finding.patientRef.value, finding.code,
                finding.expectedCode ?? "", amount(finding.lostCents, decimalComma), amount(finding.atRiskCents, decimalComma),
                amount(finding.isObtainedByDeclaration ? .zero : counted, decimalComma),
                amount(finding.isObtainedByDeclaration ? counted : .zero, decimalComma),
                options.isRecoverable(finding) ? "oui" : "non", finding.message,
            ]
            // The id, last, for `cotaudit rules explain`.
            if !machineKeys { row.append(finding.rule) }
            add(row)
        }
        if !text.isEmpty { sink(text) }
    }

    static let partSize = 1 << 16

    /// `trendAndFixes` (from `cotaudit report`) adds the sections `trend` (every month held up to
    /// the period's end), `fixed` and `fixed-previous-month` (per practitioner, what corrected
    /// re-exports fixed, keyed `RPPS YYYY-MM`).
    public static func aggregates(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, decimalComma: Bool = true,
                                  machineKeys: Bool = false, trendAndFixes: TrendAndFixes? = nil) -> Data {
        var rows: [[String]]
        if machineKeys {
            let unit = decimalComma ? "eur" : "cents"
            rows = [["section", "key", "name", "lost_\(unit)", "possible_\(unit)", "at_risk_\(unit)", "findings", "billed_\(unit)",
                     "rebill_\(unit)", "obtain_\(unit)", "recoverable_\(unit)"]]
        } else {
            let unit = decimalComma ? "€" : "centimes"
            rows = [["Section", "Clé", "Nom", "Manque à gagner (\(unit))", "À vérifier (\(unit))", "À risque (\(unit))", "Constats",
                     "Facturé (\(unit))", "À refacturer (\(unit))", "À obtenir (\(unit))", "Encore facturable (\(unit))"]]
        }
        rows.append(["total", "", "", amount(totals.lostCents, decimalComma), amount(totals.possibleCents, decimalComma),
                     amount(totals.atRiskCents, decimalComma), String(outcome.findings.count), amount(totals.billedCents, decimalComma),
                     amount(totals.rebillCents, decimalComma), amount(totals.obtainCents, decimalComma),
                     amount(totals.recoverableLostCents, decimalComma)])
        let sections: [(String, [Breakdown])] = [("practitioner", totals.byPractitioner), ("act", totals.byAct),
                                                  ("rule", totals.byRule), ("month", totals.byMonth)]
        for (section, lines) in sections {
            for line in lines {
                let name: String
                switch section {
                case "practitioner": name = outcome.roster?.name(of: line.key) ?? ""
                // The machine table has always left these names empty; the French one names them.
                case "act" where !machineKeys: name = options.codeLabels[line.key] ?? ""
                case "rule" where !machineKeys: name = options.ruleTitles[line.key] ?? ""
                default: name = ""
                }
                rows.append([machineKeys ? section : frenchSection[section] ?? section, line.key, name,
                             amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                             amount(line.atRiskCents, decimalComma), String(line.findings), amount(line.billedCents, decimalComma),
                             amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma),
                             amount(line.recoverableCents, decimalComma)])
            }
        }
        for practitioner in totals.byPractitionerMonth.keys.sorted() {
            let name = outcome.roster?.name(of: practitioner) ?? ""
            for line in totals.byPractitionerMonth[practitioner] ?? [] {
                rows.append([machineKeys ? "practitioner-month" : frenchSection["practitioner-month"]!, "\(practitioner) \(line.key)", name,
                             amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                             amount(line.atRiskCents, decimalComma), String(line.findings), "", amount(line.rebillCents, decimalComma),
                             amount(line.obtainCents, decimalComma), amount(line.recoverableCents, decimalComma)])
            }
        }
        if let store = trendAndFixes {
            for line in store.months {
                rows.append([machineKeys ? "trend" : frenchSection["trend"]!, line.key, "", amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                             amount(line.atRiskCents, decimalComma), String(line.findings), amount(line.billedCents, decimalComma),
                             amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma),
                             amount(line.recoverableCents, decimalComma)])
            }
            let period = store.fixedFrom == store.fixedTo ? store.fixedFrom.description : "\(store.fixedFrom)/\(store.fixedTo)"
            for (section, months) in [("fixed", period), ("fixed-previous-month", store.previousMonth.description)] {
                for fixes in store.fixedByPractitioner {
                    let line = section == "fixed" ? fixes.period : fixes.previousMonth
                    // Billed and still-billable have no meaning for findings that went.
                    rows.append([machineKeys ? section : frenchSection[section] ?? section, "\(fixes.practitionerID) \(months)", outcome.roster?.name(of: fixes.practitionerID) ?? "",
                                 amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                                 amount(line.atRiskCents, decimalComma), String(line.findings), "",
                                 amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma), ""])
                }
            }
        }
        return encode(rows)
    }

    /// The totals table's section names in French (`--csv-keys` keeps the English ones).
    static let frenchSection = ["practitioner": "praticien", "act": "acte", "rule": "règle", "month": "mois",
                                "practitioner-month": "praticien-mois", "trend": "tendance", "fixed": "corrigé",
                                "fixed-previous-month": "corrigé-mois-précédent"]

    public static func amount(_ cents: Cents, _ decimalComma: Bool) -> String {
        decimalComma ? cents.plainEuros.replacingOccurrences(of: ".", with: ",") : String(cents.value)
    }

    public static func encode(_ rows: [[String]]) -> Data {
        var text = "\u{FEFF}"
        for row in rows {
            text += row.map(quote).joined(separator: ";") + "\r\n"
        }
        return Data(text.utf8)
    }

    /// RFC 4180: a field with the delimiter, a quote or a line break is quoted, quotes doubled.
    static func quote(_ raw: String) -> String {
        let field = neutralized(raw)
        guard field.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// No cell may run as a spreadsheet formula (CSV injection). A cell whose first character,
    /// blanks skipped, is `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms)
    /// is prefixed with an apostrophe, which spreadsheets show as text. The one exception is a cell
    /// that is a plain decimal number and nothing else (`-3,50`, `-350`): it cannot be a formula, and
    /// the amounts the tool writes itself stay numbers a spreadsheet can add up. Text copied from an
    /// export (`-2+3+cmd|…`, `-1,5;…`) is never a plain number and is always neutralized.
    static func neutralized(_ field: String) -> String {
        guard let first = field.unicodeScalars.first(where: { $0 != " " && $0 != "\u{00A0}" }) else { return field }
        guard formulaStarters.contains(first) else { return field }
        return isPlainNumber(field) ? field : "'" + field
    }

    static let formulaStarters: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}"]

    /// `-`? digits, then at most one `,` or `.` followed by digits: the only shape amounts and counts take.
    static func isPlainNumber(_ field: String) -> Bool {
        var scalars = Substring(field).unicodeScalars[...]
        if scalars.first == "-" { scalars = scalars.dropFirst() }
        let parts = scalars.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "," || $0 == "." })
        return parts.count <= 2 && parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) } }
    }
}
