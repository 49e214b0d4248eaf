@testable import AuditRules
import BillingIngest
import BillingModel
import Foundation
import XCTest

/// One test per point of the 2026 expert review that issue 7a fixes (see
/// `shared/domain/nomenclature.md`, "What the 2026 review of the rule set found").
final class ReviewTests: XCTestCase {
    static let practitioner = RuleSetChecker.examplePractitionerID
    static let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount"

    /// Runs the shipped rule set (or `ruleSet`) over one CSV file written from `rows`.
    func runCSV(_ rows: [String], ruleSet: RuleSet = ShippedRules.ruleSet, header: String = ReviewTests.header) throws -> AuditOutcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("export.csv")
        try ([header] + rows).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let runner = AuditRunner(ruleSet: ruleSet, pseudonymizer: Pseudonymizer(key: Data(repeating: 3, count: 32)))
        let (outcome, readable) = runner.run(paths: [file.path])
        XCTAssertEqual(readable, 1)
        return outcome
    }

    func line(_ code: String, _ amount: String, date: String, invoice: String = "F1", birth: String = "1980-01-01",
              line: Int = 2) -> ActLine {
        ActLine(location: SourceLocation(file: "t.csv", line: line), invoiceID: invoice,
                actDate: CalendarDay(parsing: date)!, practitionerID: Self.practitioner, specialty: .generalPractice,
                patient: PatientInfo(ref: PatientRef("p-1"), birthDate: CalendarDay(parsing: birth)!),
                code: ActCode(wellFormed: code)!, amount: Cents(euros: amount)!)
    }

    func audit(_ invoices: [[ActLine]], ruleSet: RuleSet) -> [Finding] {
        let engine = AuditEngine(ruleSet: ruleSet)
        for lines in invoices { engine.audit(Invoice(lines: lines)) }
        return engine.finish()
    }

    // MARK: Contract v1.1 §1.2: well-formed unknown codes keep their lines

    func testReviewTCGAndVRNKeepTheirLines() throws {
        let p = Self.practitioner
        let outcome = try runCSV([
            "F1;2025-03-03;\(p);01;P0001;1950-01-01;VG;30,00",
            "F1;2025-03-03;\(p);01;P0001;1950-01-01;VRN;46,00",
            "F2;2025-03-04;\(p);01;P0002;1980-01-01;TCG;25,00",
            "F3;2025-03-05;\(p);01;P0003;1950-01-01;VG;30,00",
            "F3;2025-03-05;\(p);01;P0003;1950-01-01;vrn;46,00",
        ])
        XCTAssertEqual(outcome.rejectedLines, 0, "\(outcome.inputErrors)")
        XCTAssertEqual(outcome.acts, 5, "every line of a well-formed code stays in its invoice")
        XCTAssertEqual(outcome.invoices, 3)
        let vrnWarnings = outcome.warnings.filter { $0.message.contains("VRN") }
        let vrnPriced = ShippedRules.ruleSet.tariffs.pricing(of: "VRN", on: CalendarDay(year: 2025, month: 3, day: 3)!,
                                                             zone: "metropole").isPriced
        if vrnPriced {
            XCTAssertTrue(vrnWarnings.isEmpty)
        } else {
            XCTAssertEqual(vrnWarnings.count, 1, "an unpriced code is listed once, however many lines carry it")
            XCTAssertEqual(vrnWarnings.first?.line, 3, "at its first line")
            XCTAssertEqual(vrnWarnings.first?.severity, .warning)
        }
    }

    func testReviewVGWithVRNIsNotAMissingMDOnceTheRuleSaysSo() throws {
        // The invoice a rule sees carries the regulated-visit key: a `codes_none: [VRN]` condition
        // keeps VG + VRN out of missing-md whether or not the rule set prices VRN.
        var ruleSet = ShippedRules.ruleSet
        var rule = try XCTUnwrap(ruleSet.rule("missing-md"))
        if !(rule.when.codesNone ?? []).contains("VRN") { rule.when.codesNone = (rule.when.codesNone ?? []) + ["VRN"] }
        ruleSet.rules = [rule]
        let p = Self.practitioner
        let outcome = try runCSV([
            "F1;2025-03-03;\(p);01;P0001;1950-01-01;VG;30,00",
            "F1;2025-03-03;\(p);01;P0001;1950-01-01;VRN;46,00",
            "F2;2025-03-03;\(p);01;P0002;1950-01-01;VG;30,00",
        ], ruleSet: ruleSet)
        XCTAssertEqual(outcome.findings.map(\.invoiceID), ["F2"], "only the plain VG lacks its MD")
    }

    func testReviewOnlyAMalformedCodeRejectsItsLine() throws {
        XCTAssertNotNil(ActCode(wellFormed: "G"))
        XCTAssertNotNil(ActCode(wellFormed: "TCG"))
        XCTAssertNotNil(ActCode(wellFormed: "GL1"))
        XCTAssertNotNil(ActCode(wellFormed: "VRN"))
        XCTAssertNotNil(ActCode(wellFormed: "ABCDEF"), "a letter and 5 letters or digits")
        XCTAssertEqual(ActCode(wellFormed: "deqp003"), .ccam("DEQP003"))
        for malformed in ["1G", "ABCDEFG", "G-1", "AMI 1", "É", "G.", "ZZZZ99"] {
            XCTAssertNil(ActCode(wellFormed: malformed), malformed)
        }
        let p = Self.practitioner
        let outcome = try runCSV([
            "F1;2025-03-03;\(p);01;P0001;1980-01-01;G;30,00",
            "F1;2025-03-03;\(p);01;P0001;1980-01-01;ZZQ9;4,00",
            "F2;2025-03-03;\(p);01;P0002;1980-01-01;G+MEG;35,00",
        ])
        XCTAssertEqual(outcome.rejectedLines, 1)
        XCTAssertEqual(outcome.inputErrors.map(\.line), [4])
        XCTAssertEqual(outcome.inputErrors.first?.column, "code")
        XCTAssertTrue(outcome.inputErrors.first?.message.contains("mal formé") == true, outcome.inputErrors.first?.message ?? "")
        let unknown = outcome.warnings.filter { $0.column == "code" }
        XCTAssertEqual(unknown.map(\.message).filter { $0.contains("ZZQ9") }.count, 1)
        XCTAssertTrue(unknown.first?.message.contains("inconnu") == true)
    }

    func testReviewRulesNeedingATariffSkipACodeWithoutOne() throws {
        let ruleSet = ShippedRules.ruleSet
        // A known code on a day before its first period, and a CCAM act the rule set does not know
        // beside a known one billed at half rate: nothing to judge, no finding, no crash.
        let schedule = ruleSet.tariffs
        let entry = try XCTUnwrap(schedule.entries.values.filter { $0.nomenclature == .ngap && !$0.periods.isEmpty }
            .max { $0.periods[0].from < $1.periods[0].from })
        let before = entry.periods[0].from.adding(days: -1)
        XCTAssertEqual(schedule.pricing(of: entry.code, on: before, zone: "metropole"), .unpriced)
        var only = ruleSet
        only.rules = ruleSet.rules.filter { [.lineTariff, .substitution, .missingCode, .ccamAssociation].contains($0.check) }
        let findings = audit([
            [line(entry.code, "0.00", date: before.iso, invoice: "A")],
            [line("GLQP012", "41.08", date: "2025-03-10", invoice: "B"), line("ZZZZ999", "80.00", date: "2025-03-10", invoice: "B")],
            [line("ZZZZ999", "0.01", date: "2025-03-10", invoice: "C")],
        ], ruleSet: only)
        XCTAssertTrue(findings.filter { ["A", "C"].contains($0.invoiceID) }.isEmpty, "\(findings.map(\.message))")
        XCTAssertTrue(findings.filter { $0.invoiceID == "B" && $0.code == "GLQP012" }.isEmpty,
                      "the ranking is unknown beside an unpriced CCAM act: \(findings.map(\.message))")
    }
}

extension TariffSchedule.Pricing {
    var isPriced: Bool { if case .priced = self { return true } else { return false } }
}
