import AuditReport
import AuditRules
import BillingIngest
import BillingModel
import Foundation
import XCTest

/// The bundled samples, audited end to end as a user would, must give exactly the expected
/// document; the CSV and the XML of the same month must give the same findings and totals.
final class SampleBatchesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("SampleBatches")
    /// The key the expected document was made with (also `.ci/run`'s).
    static let key = Data("cotaudit-ci-key-not-secret".utf8)
    static let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 1, day: 15)!, recoverableWindowDays: 730,
                                       recoverableWindowSource: "test", centreName: nil, ruleAdvice: [:])

    func audit(_ folder: String, profile: String?) throws -> AuditOutcome {
        let ruleSet = try RuleSetLoader.load(directory: Self.root.appendingPathComponent("Rules"))
        let (roster, rosterIssues) = try RosterReader.read(url: Self.samples.appendingPathComponent("roster.csv"))
        XCTAssertTrue(rosterIssues.isEmpty, "\(rosterIssues)")
        var mapping = MappingProfile.standard
        if let profile {
            mapping = try MappingProfile.load(named: profile, in: Self.root.appendingPathComponent("Rules/profiles"))
        }
        let runner = AuditRunner(ruleSet: ruleSet, profile: mapping, roster: roster, pseudonymizer: Pseudonymizer(key: Self.key))
        let (outcome, readable) = runner.run(paths: [Self.samples.appendingPathComponent(folder).path])
        XCTAssertEqual(readable, 1)
        return outcome
    }

    func json(_ outcome: AuditOutcome) -> String {
        JSONReport.render(outcome, totals: AuditTotals(outcome, options: Self.options), options: Self.options)
    }

    func testCSVSampleAuditMatchesTheExpectedDocumentExactly() throws {
        let outcome = try audit("csv", profile: "export-fr")
        let expected = try String(contentsOf: Self.samples.appendingPathComponent("expected/audit-csv.json"), encoding: .utf8)
        let actual = json(outcome)
        if actual != expected {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("audit-csv.actual.json")
            try actual.write(to: out, atomically: true, encoding: .utf8)
            XCTFail("l'audit des échantillons diffère de SampleBatches/expected/audit-csv.json ; obtenu : \(out.path)")
        }
    }

    func testCSVAndXMLOfTheSameMonthGiveTheSameFindingsAndTotals() throws {
        let csv = try audit("csv", profile: "export-fr")
        let xml = try audit("xml", profile: nil)
        XCTAssertEqual(csv.acts, xml.acts)
        XCTAssertEqual(csv.invoices, xml.invoices)
        XCTAssertEqual(csv.rejectedLines, xml.rejectedLines)
        XCTAssertEqual(csv.findings.count, xml.findings.count)
        func key(_ finding: Finding) -> String {
            "\(finding.rule)|\(finding.invoiceID)|\(finding.patientRef)|\(finding.code)|\(finding.expectedCode ?? "")|\(finding.lostCents.value)|\(finding.atRiskCents.value)|\(finding.message)"
        }
        XCTAssertEqual(csv.findings.map(key).sorted(), xml.findings.map(key).sorted())
        let csvTotals = AuditTotals(csv, options: Self.options)
        let xmlTotals = AuditTotals(xml, options: Self.options)
        XCTAssertEqual(csvTotals.lostCents, xmlTotals.lostCents)
        XCTAssertEqual(csvTotals.atRiskCents, xmlTotals.atRiskCents)
        XCTAssertEqual(csv.billedByPractitioner, xml.billedByPractitioner)
        // The same rows are rejected for the same reason; the quoted value keeps each format's spelling.
        func reason(_ issue: InputIssue) -> String {
            let unquoted = issue.message.replacingOccurrences(of: "« [^»]* »", with: "«…»", options: .regularExpression)
            return "\(issue.column ?? "")|\(unquoted)"
        }
        XCTAssertEqual(csv.inputErrors.map(reason).sorted(), xml.inputErrors.map(reason).sorted())
    }

    /// Staff look for the header their export has: `Montant`, not the contract's `amount`. The
    /// JSON's `column` stays the contract's name, for tools.
    func testRejectedLinesNameTheColumnAsTheFileDoes() throws {
        let csv = try audit("csv", profile: "export-fr")
        let csvAmount = try XCTUnwrap(csv.inputErrors.first { $0.column == "amount" })
        XCTAssertEqual(csvAmount.columnInFile, "colonne « Montant »")
        XCTAssertTrue(csvAmount.description.hasPrefix("decembre-2024.csv, ligne 305, colonne « Montant » : montant invalide"),
                      csvAmount.description)
        XCTAssertEqual(csv.inputErrors.first { $0.column == "practitioner_id" }?.columnInFile, "colonne « RPPS »")
        XCTAssertEqual(csv.inputErrors.first { $0.column == "act_date" }?.columnInFile, "colonne « Date de l'acte »")
        for issue in csv.inputErrors { XCTAssertFalse(issue.description.contains("« \(issue.column ?? "-") »"), issue.description) }
        XCTAssertTrue(json(csv).contains("\"column\": \"amount\""))

        let xml = try audit("xml", profile: nil)
        XCTAssertEqual(xml.inputErrors.first { $0.column == "amount" }?.columnInFile, "attribut « amount » de <act>")
        XCTAssertEqual(xml.inputErrors.first { $0.column == "practitioner_id" }?.columnInFile, "attribut « practitioner » de <invoice>")
    }

    func testEveryCoreRuleIsPlantedInTheSamples() throws {
        let outcome = try audit("csv", profile: "export-fr")
        let rules = Set(outcome.findings.map(\.rule))
        for id in ["tariff-below-schedule", "missing-meg", "missing-md", "missing-mt-declaration",
                   "mt-practitioner-departed", "meg-over-age"] {
            XCTAssertTrue(rules.contains(id), "aucun constat \(id) dans les échantillons")
        }
        XCTAssertEqual(outcome.rejectedLines, 3)
    }

    func testNoNIRNameOrBirthDateInAnyOutput() throws {
        let outcome = try audit("csv", profile: "export-fr")
        let totals = AuditTotals(outcome, options: Self.options)
        let outputs = [
            json(outcome),
            TextReport.render(outcome, totals: totals, options: Self.options, colors: false),
            String(decoding: CSVReport.findings(outcome, totals: totals, options: Self.options, decimalComma: true), as: UTF8.self),
            HTMLReport.render(outcome, totals: totals, options: Self.options),
        ]
        // Every patient identifier and birth date of the source file.
        let source = try String(contentsOf: Self.samples.appendingPathComponent("xml/decembre-2024.xml"), encoding: .utf8)
        var secrets = Set<String>()
        for attribute in ["id", "birth-date"] {
            let pattern = try NSRegularExpression(pattern: "<patient[^>]* \(attribute)=\"([^\"]+)\"")
            for match in pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                secrets.insert(String(source[Range(match.range(at: 1), in: source)!]))
            }
        }
        XCTAssertGreaterThan(secrets.count, 20)
        for output in outputs {
            for secret in secrets where secret.count >= 7 {
                XCTAssertFalse(output.contains(secret), "donnée patient en clair dans une sortie")
                // Act dates are all in December 2024: older days can only be birth dates.
                if let day = CalendarDay(parsing: secret), day.year < 2024 {
                    XCTAssertFalse(output.contains(day.french), "date de naissance en clair")
                }
            }
        }
    }
}
