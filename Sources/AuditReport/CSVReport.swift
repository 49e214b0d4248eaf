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

    public static func aggregates(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, decimalComma: Bool = true) -> Data {
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

    /// Values copied from an export (invoice numbers, file names) must not run as spreadsheet
    /// formulas: a field starting with `=`, `+`, `@`, a tab or `-` not followed by a digit is
    /// prefixed with an apostrophe. Negative amounts (`-3,50`) stay numbers.
    static func neutralized(_ field: String) -> String {
        guard let first = field.first else { return field }
        switch first {
        case "=", "+", "@", "\t", "\r":
            return "'" + field
        case "-":
            let second = field.dropFirst().first
            return second.map { $0.isASCII && $0.isNumber } == true ? field : "'" + field
        default:
            return field
        }
    }
}
