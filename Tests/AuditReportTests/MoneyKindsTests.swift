import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// Review point: "récupérable" counts re-billable errors only; a médecin traitant forfait is
/// earned by a declaration, not by a corrected bill. Every format shows the two apart.
final class MoneyKindsTests: XCTestCase {
    let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 3, day: 31)!, recoverableWindowDays: 730,
                                recoverableWindowSource: "CSS art. L332-1", centreName: nil, ruleAdvice: [:])

    func finding(_ rule: String, kind: FindingKind, lost: Int64, certainty: Certainty = .certain,
                 date: String = "2025-02-10", line: Int, expected: String) -> Finding {
        Finding(rule: rule, kind: kind, certainty: certainty, location: SourceLocation(file: "f.csv", line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(parsing: date)!, practitionerID: "10000000009",
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: expected, lostCents: Cents(lost),
                atRiskCents: .zero, message: "m")
    }

    func outcome() -> AuditOutcome {
        var outcome = AuditOutcome()
        outcome.files = ["f.csv"]
        outcome.findings = [
            finding("missing-meg", kind: .underCoding, lost: 500, line: 2, expected: "MEG"),
            finding("tariff-below-schedule", kind: .underCoding, lost: 350, date: "2022-12-01", line: 3, expected: "G"),
            finding("missing-mt-declaration", kind: .missingMT, lost: 5500, line: 4, expected: "FMT"),
            finding("mt-practitioner-departed", kind: .missingMT, lost: 500, line: 5, expected: "FMT"),
            finding("coe-9-months", kind: .underCoding, lost: 3000, certainty: .possible, line: 6, expected: "COE"),
        ]
        outcome.billedByPractitioner = ["10000000009": Cents(100_000)]
        return outcome
    }

    func testReviewRecoverableCountsRebillableOnly() throws {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        XCTAssertEqual(totals.lostCents, Cents(500 + 350 + 5500 + 500))
        XCTAssertEqual(totals.rebillCents, Cents(850))
        XCTAssertEqual(totals.obtainCents, Cents(6000))
        XCTAssertEqual(totals.recoverableLostCents, Cents(500), "the 2022 act is out of the window; forfaits are never billed")
        XCTAssertFalse(options.isRecoverable(Array(outcome.findings)[2]), "a forfait is obtained, not re-billed")
        let fmt = try XCTUnwrap(totals.byAct.first { $0.key == "FMT" })
        XCTAssertEqual(fmt.obtainCents, Cents(6000))
        XCTAssertEqual(fmt.rebillCents, .zero)
        XCTAssertEqual(fmt.recoverableCents, .zero)
        let practitioner = try XCTUnwrap(totals.byPractitioner.first)
        XCTAssertEqual(practitioner.rebillCents + practitioner.obtainCents, practitioner.lostCents)
        XCTAssertEqual(practitioner.recoverableCents, Cents(500))
    }

    func testEveryFormatShowsTheTwoKindsOfMoneyApart() throws {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)

        let document = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(JSONReport.render(outcome, totals: totals, options: options).utf8)) as? [String: Any])
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        XCTAssertEqual(summary["lost_cents"] as? Int, 6850, "the contract's lost_cents still counts both")
        XCTAssertEqual(summary["rebill_cents"] as? Int, 850)
        XCTAssertEqual(summary["obtain_cents"] as? Int, 6000)
        XCTAssertEqual(summary["recoverable_cents"] as? Int, 500)
        XCTAssertEqual(summary["recoverable_lost_cents"] as? Int, 500)
        for key in ["by_practitioner", "by_act", "by_rule"] {
            for line in try XCTUnwrap(document[key] as? [[String: Any]]) {
                XCTAssertEqual((line["rebill_cents"] as? Int ?? -1) + (line["obtain_cents"] as? Int ?? -1),
                               line["lost_cents"] as? Int, "\(key): \(line)")
                XCTAssertNotNil(line["recoverable_cents"], key)
            }
        }
        let findings = try XCTUnwrap(document["findings"] as? [[String: Any]])
        let mt = try XCTUnwrap(findings.first { $0["rule"] as? String == "missing-mt-declaration" })
        XCTAssertEqual(mt["obtain_cents"] as? Int, 5500)
        XCTAssertEqual(mt["rebill_cents"] as? Int, 0)
        XCTAssertEqual(mt["recoverable"] as? Bool, false)

        let text = TextReport.render(outcome, totals: totals, options: options, colors: false)
        XCTAssertTrue(text.contains("dont à refacturer (erreurs de facturation)"), text)
        XCTAssertTrue(text.contains("dont à obtenir (déclarations de médecin traitant)"), text)
        let line = { (label: String) in text.split(separator: "\n").first { $0.contains(label) }.map(String.init) ?? "" }
        XCTAssertTrue(line("à refacturer (erreurs").hasSuffix(": 8,50 €"), line("à refacturer (erreurs"))
        XCTAssertTrue(line("encore facturable").hasSuffix(": 5,00 €"), line("encore facturable"))
        XCTAssertTrue(line("à obtenir (déclarations").hasSuffix(": 60,00 €"), line("à obtenir (déclarations"))
        XCTAssertTrue(text.contains("à refacturer    à obtenir"), "column titles: \(text)")

        // The same two kinds in the machine table (--csv-keys) and in the French one.
        for (machineKeys, rebill, obtain, recoverable) in [(true, "rebill_eur", "obtain_eur", "recoverable_eur"),
                                                           (false, "À refacturer (€)", "À obtenir (€)", "Encore facturable (€)")] {
            let csv = String(decoding: CSVReport.aggregates(outcome, totals: totals, options: options, machineKeys: machineKeys), as: UTF8.self)
            let rows = csv.split(separator: "\r\n").map { $0.split(separator: ";", omittingEmptySubsequences: false).map(String.init) }
            let header = rows[0]
            let total = rows[1]
            XCTAssertEqual(header.firstIndex(of: rebill).map { total[$0] }, "8,50", "\(header)")
            XCTAssertEqual(header.firstIndex(of: obtain).map { total[$0] }, "60,00", "\(header)")
            XCTAssertEqual(header.firstIndex(of: recoverable).map { total[$0] }, "5,00", "\(header)")
        }
        let findingsCSV = String(decoding: CSVReport.findings(outcome, totals: totals, options: options, machineKeys: true), as: UTF8.self)
        XCTAssertTrue(findingsCSV.contains("rebill_eur;obtain_eur;recoverable"), findingsCSV)
        let frenchFindings = String(decoding: CSVReport.findings(outcome, totals: totals, options: options), as: UTF8.self)
        XCTAssertTrue(frenchFindings.contains("À refacturer (€);À obtenir (€);Encore facturable"), frenchFindings)

        let html = HTMLReport.render(outcome, totals: totals, options: options)
        XCTAssertTrue(html.contains("<span class=\"amount\">8,50 €</span><span class=\"caption\">à refacturer"), html)
        XCTAssertTrue(html.contains("<span class=\"amount\">5,00 €</span><span class=\"caption\">dont encore facturable"), html)
        XCTAssertTrue(html.contains("<span class=\"amount\">60,00 €</span><span class=\"caption\">à obtenir"), html)
    }
}
