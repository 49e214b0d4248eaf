import AuditRules
import BillingModel
import Foundation

/// Findings and totals for a French spreadsheet: `;`, UTF-8 with BOM, CRLF, amounts in euros with
/// a decimal comma (or integer cents).
public enum CSVReport {
    public static func findings(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, decimalComma: Bool = true) -> Data {
        var rows: [[String]] = [[
            "rule", "kind", "certainty", "file", "line", "invoice_id", "act_date", "practitioner_id", "practitioner_name",
            "patient_ref", "code", "expected_code", decimalComma ? "lost_eur" : "lost_cents",
            decimalComma ? "at_risk_eur" : "at_risk_cents", decimalComma ? "rebill_eur" : "rebill_cents",
            decimalComma ? "obtain_eur" : "obtain_cents", "recoverable", "message",
        ]]
        for finding in outcome.findings {
            let counted = finding.certainty.countsAsLost ? finding.lostCents : .zero
            rows.append([
                finding.rule, finding.kind.rawValue, finding.certainty.rawValue, finding.location.file,
                String(finding.location.line), finding.invoiceID, finding.actDate.iso, finding.practitionerID,
                outcome.roster?.name(of: finding.practitionerID) ?? "", finding.patientRef.value, finding.code,
                finding.expectedCode ?? "", amount(finding.lostCents, decimalComma), amount(finding.atRiskCents, decimalComma),
                amount(finding.isObtainedByDeclaration ? .zero : counted, decimalComma),
                amount(finding.isObtainedByDeclaration ? counted : .zero, decimalComma),
                options.isRecoverable(finding) ? "oui" : "non", finding.message,
            ])
        }
        return encode(rows)
    }

    /// `trendAndFixes` (from `cotaudit report`) adds the sections `trend` (every month held up to
    /// the period's end), `fixed` and `fixed-previous-month` (per practitioner, what corrected
    /// re-exports fixed, keyed `RPPS YYYY-MM`).
    public static func aggregates(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, decimalComma: Bool = true,
                                  trendAndFixes: TrendAndFixes? = nil) -> Data {
        let unit = decimalComma ? "eur" : "cents"
        var rows: [[String]] = [["section", "key", "name", "lost_\(unit)", "possible_\(unit)", "at_risk_\(unit)", "findings", "billed_\(unit)",
                                 "rebill_\(unit)", "obtain_\(unit)", "recoverable_\(unit)"]]
        rows.append(["total", "", "", amount(totals.lostCents, decimalComma), amount(totals.possibleCents, decimalComma),
                     amount(totals.atRiskCents, decimalComma), String(outcome.findings.count), amount(totals.billedCents, decimalComma),
                     amount(totals.rebillCents, decimalComma), amount(totals.obtainCents, decimalComma),
                     amount(totals.recoverableLostCents, decimalComma)])
        let sections: [(String, [Breakdown])] = [("practitioner", totals.byPractitioner), ("act", totals.byAct),
                                                  ("rule", totals.byRule), ("month", totals.byMonth)]
        for (section, lines) in sections {
            for line in lines {
                let name = section == "practitioner" ? outcome.roster?.name(of: line.key) ?? "" : ""
                rows.append([section, line.key, name, amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                             amount(line.atRiskCents, decimalComma), String(line.findings), amount(line.billedCents, decimalComma),
                             amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma),
                             amount(line.recoverableCents, decimalComma)])
            }
        }
        for practitioner in totals.byPractitionerMonth.keys.sorted() {
            let name = outcome.roster?.name(of: practitioner) ?? ""
            for line in totals.byPractitionerMonth[practitioner] ?? [] {
                rows.append(["practitioner-month", "\(practitioner) \(line.key)", name, amount(line.lostCents, decimalComma),
                             amount(line.possibleCents, decimalComma), amount(line.atRiskCents, decimalComma),
                             String(line.findings), "", amount(line.rebillCents, decimalComma),
                             amount(line.obtainCents, decimalComma), amount(line.recoverableCents, decimalComma)])
            }
        }
        if let store = trendAndFixes {
            for line in store.months {
                rows.append(["trend", line.key, "", amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                             amount(line.atRiskCents, decimalComma), String(line.findings), amount(line.billedCents, decimalComma),
                             amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma),
                             amount(line.recoverableCents, decimalComma)])
            }
            let period = store.fixedFrom == store.fixedTo ? store.fixedFrom.description : "\(store.fixedFrom)/\(store.fixedTo)"
            for (section, months) in [("fixed", period), ("fixed-previous-month", store.previousMonth.description)] {
                for fixes in store.fixedByPractitioner {
                    let line = section == "fixed" ? fixes.period : fixes.previousMonth
                    // Billed and still-billable have no meaning for findings that went.
                    rows.append([section, "\(fixes.practitionerID) \(months)", outcome.roster?.name(of: fixes.practitionerID) ?? "",
                                 amount(line.lostCents, decimalComma), amount(line.possibleCents, decimalComma),
                                 amount(line.atRiskCents, decimalComma), String(line.findings), "",
                                 amount(line.rebillCents, decimalComma), amount(line.obtainCents, decimalComma), ""])
                }
            }
        }
        return encode(rows)
    }

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
