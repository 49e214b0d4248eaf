import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// Reports built from a hand-made outcome: every format shows the same figures.
final class ReportTests: XCTestCase {
    let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 3, day: 31)!, recoverableWindowDays: 730,
                                recoverableWindowSource: "CSS art. L332-1", centreName: "Centre de santé Test",
                                ruleAdvice: ["missing-meg": "Ajouter la MEG."])

    func finding(_ rule: String, _ certainty: Certainty, lost: Int64, atRisk: Int64 = 0, practitioner: String = "10000000009",
                 date: String = "2025-02-10", line: Int = 2, kind: FindingKind = .underCoding, expected: String? = "MEG",
                 message: String = "message") -> Finding {
        Finding(rule: rule, kind: kind, certainty: certainty, location: SourceLocation(file: "f.csv", line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(parsing: date)!, practitionerID: practitioner,
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: expected, lostCents: Cents(lost),
                atRiskCents: Cents(atRisk), message: message)
    }

    func outcome() -> AuditOutcome {
        var outcome = AuditOutcome()
        outcome.files = ["f.csv"]
        outcome.acts = 40
        outcome.invoices = 30
        outcome.rejectedLines = 1
        outcome.inputErrors = [InputIssue(file: "f.csv", line: 9, column: "amount", message: "montant invalide")]
        outcome.findings = [
            finding("missing-meg", .certain, lost: 500, line: 2),
            finding("missing-mt-declaration", .likely, lost: 4200, practitioner: "10000000017", date: "2025-01-05", line: 3,
                    kind: .missingMT, expected: "FPMT"),
            finding("coe-9-months", .possible, lost: 3000, line: 4, expected: "COE"),
            finding("meg-over-age", .certain, lost: 0, atRisk: 500, line: 5, kind: .overCoding, expected: nil,
                    message: "MEG <à retirer> & \"vite\"\nligne 2; fin"),
            finding("tariff-below-schedule", .certain, lost: 350, date: "2022-12-01", line: 6, expected: "G"),
        ]
        outcome.billedByPractitioner = ["10000000009": Cents(100_000), "10000000017": Cents(50_000)]
        outcome.billedByMonth = [YearMonth(year: 2025, month: 1): Cents(60_000), YearMonth(year: 2025, month: 2): Cents(90_000)]
        outcome.firstActDate = CalendarDay(year: 2022, month: 12, day: 1)
        outcome.lastActDate = CalendarDay(year: 2025, month: 2, day: 10)
        outcome.roster = Roster([RosterEntry(practitionerID: "10000000009", name: "Dr Test", specialty: nil, startDate: nil, endDate: nil)])
        return outcome
    }

    func testTotalsCountCertainAndLikelyAsLostAndPossibleApart() {
        let totals = AuditTotals(outcome(), options: options)
        XCTAssertEqual(totals.lostCents, Cents(500 + 4200 + 350))
        XCTAssertEqual(totals.possibleCents, Cents(3000))
        XCTAssertEqual(totals.atRiskCents, Cents(500))
        XCTAssertEqual(totals.recoverableLostCents, Cents(500 + 4200), "l'acte de 2022 est hors du délai de 730 jours")
        XCTAssertEqual(totals.byPractitioner.first?.key, "10000000017")
        XCTAssertEqual(totals.byAct.map(\.key).first, "FPMT")
        XCTAssertEqual(totals.mtWorklist.count, 1)
        XCTAssertEqual(totals.byPractitioner.first { $0.key == "10000000009" }?.lostShareBasisPoints, 85, "850 / 100 000 = 0,85 %")
    }

    func testRecoverableWindowBoundary() {
        let inside = finding("x", .certain, lost: 1, date: "2023-04-01")
        let outside = finding("x", .certain, lost: 1, date: "2023-03-31")
        XCTAssertTrue(options.isRecoverable(inside), "730 jours pile")
        XCTAssertFalse(options.isRecoverable(outside))
    }

    func testJSONHasTheContractKeysAndTheTotals() throws {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let text = JSONReport.render(outcome, totals: totals, options: options)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "cotaudit.audit/1")
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        for key in ["files", "acts", "invoices", "rejected_lines", "findings", "lost_cents", "at_risk_cents"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["lost_cents"] as? Int, 5050)
        XCTAssertEqual(summary["at_risk_cents"] as? Int, 500)
        let findings = try XCTUnwrap(document["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.count, 5)
        for key in ["rule", "kind", "certainty", "file", "line", "invoice_id", "practitioner_id", "patient_ref", "code",
                    "expected_code", "lost_cents", "at_risk_cents", "message"] {
            XCTAssertTrue(findings[0].keys.contains(key), key)
        }
        XCTAssertEqual(findings[3]["message"] as? String, "MEG <à retirer> & \"vite\"\nligne 2; fin", "échappement JSON")
        XCTAssertTrue(findings[3]["expected_code"] is NSNull)
        let errors = try XCTUnwrap(document["input_errors"] as? [[String: Any]])
        XCTAssertEqual(errors.first?["column"] as? String, "amount")
        for key in ["by_practitioner", "by_act", "by_rule"] { XCTAssertNotNil(document[key] as? [[String: Any]], key) }
    }

    func testTheSameTotalsAppearInTextCSVAndHTML() {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let lost = totals.lostCents.euros
        let text = TextReport.render(outcome, totals: totals, options: options, colors: false)
        XCTAssertTrue(text.contains(lost), text)
        XCTAssertFalse(text.contains("\u{1B}["), "pas de couleurs hors terminal")
        XCTAssertTrue(TextReport.render(outcome, totals: totals, options: options, colors: true).contains("\u{1B}["))
        let html = HTMLReport.render(outcome, totals: totals, options: options)
        XCTAssertTrue(html.contains(lost))
        XCTAssertTrue(html.contains(totals.possibleCents.euros))
        let csv = String(decoding: CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false), as: UTF8.self)
        let rows = csv.split(separator: "\r\n").dropFirst()
        let lostColumn = 12
        let certaintyColumn = 2
        var sum: Int64 = 0
        for row in rows {
            let fields = row.split(separator: ";", omittingEmptySubsequences: false)
            if fields.count > lostColumn, fields[certaintyColumn] != "possible" { sum += Int64(fields[lostColumn]) ?? 0 }
        }
        XCTAssertEqual(sum, totals.lostCents.value)
        let aggregates = String(decoding: CSVReport.aggregates(outcome, totals: totals, options: options, decimalComma: true), as: UTF8.self)
        XCTAssertTrue(aggregates.contains("total;;;50,50;30,00;5,00;5;1500,00"), aggregates)
    }

    func testHTMLIsSelfContainedWithChartsAndEscapedText() {
        let outcome = outcome()
        let html = HTMLReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<svg").count - 1, 3)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("src=\"http"))
        XCTAssertFalse(html.contains("href=\"http"))
        XCTAssertTrue(html.contains("@media print"))
        XCTAssertTrue(html.contains("Dr Test"))
        XCTAssertTrue(html.contains("Ajouter la MEG."))
        XCTAssertFalse(html.contains("<à retirer>"))
    }

    func testCSVHasABOMAndQuotesFieldsWithDelimiters() {
        let outcome = outcome()
        let data = CSVReport.findings(outcome, totals: AuditTotals(outcome, options: options), options: options, decimalComma: true)
        XCTAssertEqual(Array(data.prefix(3)), [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"MEG <à retirer> & \"\"vite\"\"\nligne 2; fin\""))
        XCTAssertTrue(text.contains(";5,00;"))
    }

    func testJUnitAndGate() {
        let outcome = outcome()
        let gate = CheckGate()
        XCTAssertEqual(gate.failures(outcome).count, 2, "une ligne rejetée et des constats certains")
        let relaxed = CheckGate(maxLost: Cents(100_000), maxRejected: 5, failOn: .certain)
        XCTAssertEqual(relaxed.failures(outcome).count, 1)
        let junit = JUnitReport.render(outcome, gate: gate)
        XCTAssertTrue(junit.contains("<testsuites"))
        XCTAssertTrue(junit.contains("<failure"))
        XCTAssertTrue(junit.contains("&lt;à retirer&gt;"))
    }
}
