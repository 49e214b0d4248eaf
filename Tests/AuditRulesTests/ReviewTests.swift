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
    func runCSV(_ rows: [String], ruleSet: RuleSet = ShippedRules.ruleSet, header: String = ReviewTests.header,
                profile: MappingProfile = .standard) throws -> AuditOutcome {
        try run(([header] + rows).joined(separator: "\n"), named: "export.csv", ruleSet: ruleSet, profile: profile)
    }

    func run(_ text: String, named name: String, ruleSet: RuleSet = ShippedRules.ruleSet,
             profile: MappingProfile = .standard) throws -> AuditOutcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let runner = AuditRunner(ruleSet: ruleSet, profile: profile, pseudonymizer: Pseudonymizer(key: Data(repeating: 3, count: 32)))
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
        return Array(engine.finish())
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
        for malformed in ["1G", "ABCDEFG", "G-1", "AMI 1", "É", "G.", "ZZZZ9999", ""] {
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

    // MARK: Contract v1.1: patient_coverage; AME patients outside the médecin traitant rules

    func rulesAlone(_ ids: [String]) -> RuleSet {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { ids.contains($0.id) }
        return ruleSet
    }

    func testReviewAMEPatientsNeverFireTheMedecinTraitantRules() throws {
        let p = Self.practitioner
        let header = Self.header + ";mt_status;patient_coverage"
        let outcome = try runCSV([
            "F1;2025-03-03;\(p);01;P0001;1980-01-01;G;30,00;none;ame",
            "F2;2025-04-03;\(p);01;P0001;1980-01-01;G;30,00;none;AME",
            "F3;2025-03-03;\(p);01;P0002;1980-01-01;G;30,00;none;c2s",
            "F4;2025-04-03;\(p);01;P0002;1980-01-01;G;30,00;none;c2s",
            "F5;2025-03-03;\(p);01;P0003;1980-01-01;G;30,00;none;",
            "F6;2025-04-03;\(p);01;P0003;1980-01-01;G;30,00;none;",
            "F7;2025-04-03;\(p);01;P0004;1980-01-01;G;30,00;none;cmu",
        ], ruleSet: rulesAlone(["missing-mt-declaration"]), header: header)
        XCTAssertEqual(outcome.rejectedLines, 1)
        XCTAssertEqual(outcome.inputErrors.first?.column, "patient_coverage")
        XCTAssertEqual(outcome.findings.map(\.invoiceID).sorted(), ["F4", "F6"], "the C2S and the ordinary patient, not the AME one")

        let departed = try XCTUnwrap(ShippedRules.ruleSet.rule("mt-practitioner-departed"))
        XCTAssertEqual(departed.when.coverage?.contains("ame"), false)
        XCTAssertTrue(departed.nonTriggering.contains { $0.coverage == .ame })
    }

    func testCoverageIsReadFromCSVXMLAndTheFrenchProfile() throws {
        let p = Self.practitioner
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <batch>
          <invoice id="X1" date="2026-02-02" practitioner="\(p)" specialty="01">
            <patient id="P0001" birth-date="1980-01-01" coverage="c2s" mt-status="none"/>
            <act code="G" amount="30.00"/>
          </invoice>
          <invoice id="X2" date="2026-02-03" practitioner="\(p)" specialty="01">
            <patient id="P0002" birth-date="1980-01-01" coverage="" mt-status="none"/>
            <act code="G" amount="30.00"/>
          </invoice>
        </batch>
        """
        let fromXML = try run(xml, named: "export.xml", ruleSet: rulesAlone(["tariff-below-schedule"]))
        XCTAssertEqual(fromXML.rejectedLines, 0, "\(fromXML.inputErrors)")
        XCTAssertTrue(fromXML.warnings.filter { $0.message.contains("coverage") }.isEmpty, "a known attribute: \(fromXML.warnings)")

        let profile = try MappingProfile.load(named: "export-fr", in: ShippedRules.directory.appendingPathComponent("profiles"))
        XCTAssertEqual(profile.column(forHeader: "Couverture"), .patientCoverage)
        XCTAssertEqual(profile.value("Complémentaire santé solidaire", for: .patientCoverage), "c2s")
        XCTAssertEqual(profile.value("AME", for: .patientCoverage), "ame")
        let header = "N° facture;Date de l'acte;RPPS;Spécialité;NIR;Date de naissance;Code acte;Montant;Couverture"
        let fromCSV = try runCSV([
            "F1;02/02/2026;\(p);01;P0001;01/01/1980;G;30,00;C2S",
            "F2;02/02/2026;\(p);01;P0002;01/01/1980;G;30,00;Aide médicale de l'État",
            "F3;02/02/2026;\(p);01;P0003;01/01/1980;G;30,00;Aucune",
        ], ruleSet: rulesAlone(["tariff-below-schedule"]), header: header, profile: profile)
        XCTAssertEqual(fromCSV.rejectedLines, 0, "\(fromCSV.inputErrors)")
        XCTAssertTrue(fromCSV.warnings.filter { $0.message.contains("Couverture") }.isEmpty, "\(fromCSV.warnings)")

        let validator = RecordValidator(pseudonymizer: Pseudonymizer(key: Data(repeating: 3, count: 32)), profile: profile)
        func coverage(_ text: String) -> Coverage?? {
            var fields: [Column: String] = [.invoiceID: "F1", .actDate: "2026-02-02", .practitionerID: p,
                                            .practitionerSpecialty: "01", .patientID: "P1", .patientBirthDate: "1980-01-01",
                                            .code: "G", .amount: "30"]
            fields[.patientCoverage] = text
            guard case .success(let line) = validator.validate(RawRecord(location: SourceLocation(file: "f", line: 2), fields: fields)) else { return .none }
            return .some(line.patient.coverage)
        }
        XCTAssertEqual(coverage("C2S"), .some(.c2s))
        XCTAssertEqual(coverage("ame"), .some(.ame))
        XCTAssertEqual(coverage("Régime général"), .some(nil))
        XCTAssertEqual(coverage(""), .some(nil))
        XCTAssertEqual(coverage("CMU"), .none, "an unknown cover rejects its line")
    }

    // MARK: Contract v1.1 §5: the médecin traitant forfait by year

    func regularPatient(year: Int, birth: String, ald: Bool = false, coverage: Coverage? = nil) -> [[ActLine]] {
        (1...2).map { visit in
            var act = line("G", "30.00", date: "\(year)-0\(visit + 2)-02", invoice: "I\(year)-\(visit)", birth: birth)
            act.patient.ald = ald
            act.patient.mtStatus = MTStatus.none
            act.patient.coverage = coverage
            act.patient.ref = PatientRef("p-\(year)-\(birth)-\(ald)-\(coverage?.rawValue ?? "")")
            return [act]
        }
    }

    func testReviewForfaitIs46In2024AndFMTIn2026() {
        let ruleSet = rulesAlone(["missing-mt-declaration"])
        func forfait(year: Int, birth: String, ald: Bool = false, coverage: Coverage? = nil) -> (Cents?, String?) {
            let findings = audit(regularPatient(year: year, birth: birth, ald: ald, coverage: coverage), ruleSet: ruleSet)
            return (findings.first?.lostCents, findings.first?.expectedCode)
        }
        // Under 80 in ALD, and 80 and over without ALD: 42 € in 2023, 46 € in 2024 and 2025, 55 € in 2026.
        for (year, cents, scheme) in [(2023, 4200, "FPMT"), (2024, 4600, "FPMT"), (2025, 4600, "FPMT"), (2026, 5500, "FMT")] {
            XCTAssertEqual(forfait(year: year, birth: "1960-05-05", ald: true).0, Cents(Int64(cents)), "ALD \(year)")
            XCTAssertEqual(forfait(year: year, birth: "1930-05-05").0, Cents(Int64(cents)), "80+ \(year)")
            XCTAssertEqual(forfait(year: year, birth: "1930-05-05").1, scheme)
        }
        // The FMT grid of 2026: 15 / 5 / 15 / 55 / 55 / 100, + 10 € for a C2S patient.
        XCTAssertEqual(forfait(year: 2026, birth: "2020-05-05").0, Cents(1500))
        XCTAssertEqual(forfait(year: 2026, birth: "1980-05-05").0, Cents(500))
        XCTAssertEqual(forfait(year: 2026, birth: "1949-05-05").0, Cents(1500), "77 on 31/12/2026")
        XCTAssertEqual(forfait(year: 2026, birth: "1946-12-31").0, Cents(5500), "80 on 31/12/2026")
        XCTAssertEqual(forfait(year: 2026, birth: "1930-05-05", ald: true).0, Cents(10000))
        XCTAssertEqual(forfait(year: 2026, birth: "1980-05-05", coverage: .c2s).0, Cents(1500))
        XCTAssertEqual(forfait(year: 2025, birth: "1980-05-05", coverage: .c2s).0, Cents(500), "no per-patient C2S supplement before the FMT")
        XCTAssertNil(forfait(year: 2026, birth: "1930-05-05", ald: true, coverage: .ame).0)
        // The 2023 grid had no 75–79 band: 5 € like every adult.
        XCTAssertEqual(forfait(year: 2025, birth: "1949-05-05").0, Cents(500))
    }

    func testReviewForfaitGridCoversEveryPatientEveryYear() throws {
        var ruleSet = ShippedRules.ruleSet
        XCTAssertNoThrow(try RuleSetChecker.checkForfaitGrid(ruleSet, through: 2026))
        ruleSet.forfaits.removeAll { $0.code == "FMT-75-79" }
        XCTAssertThrowsError(try RuleSetChecker.checkForfaitGrid(ruleSet, through: 2026)) { error in
            XCTAssertTrue(String(describing: error).contains("75 ans sans ALD en 2026"), String(describing: error))
        }
    }
}

extension TariffSchedule.Pricing {
    var isPriced: Bool { if case .priced = self { return true } else { return false } }
}

/// CCAM association by the general provisions, art. III-3 (review points).
final class CCAMReviewTests: XCTestCase {
    func line(_ code: String, _ amount: String, date: String = "2025-03-10", association: String? = nil) -> ActLine {
        ActLine(location: SourceLocation(file: "t.csv", line: 2), invoiceID: "F1", actDate: CalendarDay(parsing: date)!,
                practitionerID: RuleSetChecker.examplePractitionerID, specialty: .generalPractice,
                patient: PatientInfo(ref: PatientRef("p-1"), birthDate: CalendarDay(year: 1960, month: 1, day: 1)!),
                code: ActCode(wellFormed: code)!, association: association, amount: Cents(euros: amount)!)
    }

    func findings(_ lines: [ActLine], rule: String) -> [Finding] {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == rule }
        let engine = AuditEngine(ruleSet: ruleSet)
        engine.audit(Invoice(lines: lines))
        return Array(engine.finish())
    }

    func testReviewCCAMAssociationCodeHonoured() {
        let engine = AuditEngine(ruleSet: ShippedRules.ruleSet)
        func rates(_ codes: [String?]) -> [Int64?] {
            engine.associationRates(Invoice(lines: [line("GLQP012", "41.08", association: codes[0]),
                                                    line("JKHD001", "12.73", association: codes[1])]))
        }
        XCTAssertEqual(rates([nil, nil]), [100, 50], "without codes: ranked by price")
        XCTAssertEqual(rates(["4", "4"]), [100, 100], "code 4: every act of the session at 100 %")
        XCTAssertEqual(rates(["1", "5"]), [100, 100], "code 5: acts at separate times of the day at 100 %")
        XCTAssertEqual(rates(["1", "3"]), [100, 75], "code 3: 75 % (III-3 B 2 a)")
        XCTAssertEqual(rates(["1", "2"]), [100, 50])
        XCTAssertEqual(rates(["2", "1"]), [50, 100], "code 2 as stated; code 1 ranked among the acts without a stated rate")
        XCTAssertEqual(rates(["1", "1"]), [100, 50], "two codes 1: only the highest-priced act is the principal one")
        XCTAssertTrue(findings([line("GLQP012", "41.08", association: "4"), line("JKHD001", "12.73", association: "4")],
                               rule: "ccam-association-overbilled").isEmpty)
        XCTAssertEqual(findings([line("GLQP012", "41.08"), line("JKHD001", "12.73")], rule: "ccam-association-overbilled")
            .map(\.atRiskCents), [Cents(636)])
    }

    func testReviewECGFullRateBesideAConsultationOnlyAsTheSoleTechnicalAct() {
        let engine = AuditEngine(ruleSet: ShippedRules.ruleSet)
        XCTAssertEqual(engine.associationRates(Invoice(lines: [line("G", "30.00"), line("DEQP003", "14.52")])), [100, 100])
        // With another technical act the ECG is ranked with it (III-3 B), and the consultation does not cumulate.
        XCTAssertEqual(engine.associationRates(Invoice(lines: [line("G", "30.00"), line("DEQP003", "14.52"), line("JKLD001", "38.40")])),
                       [100, 50, 100])
        XCTAssertEqual(findings([line("G", "30.00"), line("DEQP003", "7.26")], rule: "tariff-below-schedule").map(\.lostCents),
                       [Cents(726)], "the ECG alone beside G is due at full rate")
        // The smear cumulates at 100 %, a listed biopsy at 50 %.
        XCTAssertEqual(engine.associationRates(Invoice(lines: [line("G", "30.00"), line("JKHD001", "12.73")])), [100, 100])
        XCTAssertEqual(engine.associationRates(Invoice(lines: [line("G", "30.00"), line("QZHA001", "10.00")])), [100, 50])
    }

    func testReviewConsultationWithTechnicalActIsOverCoding() {
        let rule = "consultation-with-technical-act"
        XCTAssertEqual(findings([line("G", "30.00"), line("GLQP012", "41.08")], rule: rule).map(\.atRiskCents), [Cents(3000)])
        XCTAssertEqual(findings([line("G", "30.00"), line("GLQP012", "41.08")], rule: rule).first?.certainty, .likely)
        XCTAssertTrue(findings([line("G", "30.00"), line("DEQP003", "14.52")], rule: rule).isEmpty)
        XCTAssertTrue(findings([line("G", "30.00"), line("JKHD001", "12.73")], rule: rule).isEmpty)
        XCTAssertEqual(findings([line("G", "30.00"), line("DEQP003", "14.52"), line("JKLD001", "38.40")], rule: rule).count, 1,
                       "the ECG derogation holds only for the sole technical act")
        XCTAssertTrue(findings([line("G", "30.00", date: "2026-01-01"), line("GLQP012", "41.08", date: "2026-01-01")], rule: rule).isEmpty,
                      "annex 22 of the 2024 agreement: spirometry with G from 1 January 2026")
        XCTAssertEqual(findings([line("G", "30.00", date: "2025-12-31"), line("GLQP012", "41.08", date: "2025-12-31")], rule: rule).count, 1)
    }

    func testReviewNGAPMajorationsOnACCAMOnlyInvoiceAreOverCoding() {
        let rule = "ngap-majoration-on-ccam-act"
        let found = findings([line("JKLD001", "38.40"), line("MEG", "5.00"), line("MOP", "5.00"), line("MHP", "5.00")], rule: rule)
        XCTAssertEqual(found.map(\.code).sorted(), ["MEG", "MHP", "MOP"])
        XCTAssertEqual(found.first?.certainty, .certain)
        XCTAssertTrue(findings([line("G", "30.00"), line("MEG", "5.00"), line("DEQP003", "14.52")], rule: rule).isEmpty)
    }
}

/// `rules validate`: every priced code has a value (or a documented "no value found" period) for
/// every day from 2023-01-01 (or its creation) to today, and every period has a source.
final class TariffCoverageTests: XCTestCase {
    func ruleSet(with yaml: String) throws -> RuleSet {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ShippedRules.directory, to: target)
        defer { try? FileManager.default.removeItem(at: target) }
        try yaml.write(to: target.appendingPathComponent("tariffs/zz-test.yaml"), atomically: true, encoding: .utf8)
        return try RuleSetLoader.load(directory: target)
    }

    let today = CalendarDay(year: 2026, month: 11, day: 23)!

    func testReviewShippedTariffsCoverEveryDaySince2023() {
        XCTAssertEqual(RuleSetChecker.coverageGaps(ShippedRules.ruleSet, through: today).map(\.description), [])
    }

    func testReviewValidateRefusesAPricedCodeWithAGap() throws {
        let late = try ruleSet(with: """
        codes:
          - code: ZZT
            nomenclature: ngap
            periods:
              - { from: 2024-01-01, until: 2025-12-31, cents: 100, source: test }
        """)
        let gaps = RuleSetChecker.coverageGaps(late, through: today).filter { $0.code == "ZZT" }
        XCTAssertEqual(gaps.map(\.from), [CalendarDay(year: 2023, month: 1, day: 1)!, CalendarDay(year: 2026, month: 1, day: 1)!])
        XCTAssertEqual(gaps.map(\.until), [CalendarDay(year: 2023, month: 12, day: 31)!, today])
        XCTAssertTrue(gaps[0].description.contains("ZZT"), gaps[0].description)

        let documented = try ruleSet(with: """
        codes:
          - code: ZZT
            nomenclature: ngap
            created: { date: 2024-01-01, source: "décision de création (test)" }
            retired: { date: 2026-01-01, source: "décision de suppression (test)" }
            periods:
              - { from: 2024-01-01, until: 2025-12-31, cents: 100, source: test }
          - code: ZZU
            nomenclature: ngap
            periods:
              - { from: 2023-01-01, until: 2023-12-31, source: "valeur non trouvée (test)" }
              - { from: 2024-01-01, cents: 100, source: test }
        """)
        XCTAssertTrue(RuleSetChecker.coverageGaps(documented, through: today).filter { $0.code.hasPrefix("ZZ") }.isEmpty,
                      "a creation date, a removal date and a documented period without a value are not gaps")
    }

    func testReviewValidateRefusesAPeriodWithoutSource() {
        XCTAssertThrowsError(try ruleSet(with: """
        codes:
          - code: ZZT
            nomenclature: ngap
            periods:
              - { from: 2023-01-01, cents: 100 }
        """)) { error in
            XCTAssertTrue(String(describing: error).contains("source"), String(describing: error))
        }
    }
}

final class READMERuleListTests: XCTestCase {
    /// "The README says how many rules ship": the count and the table follow the rule files.
    func testREADMECountsAndListsEveryShippedRule() throws {
        let readme = try String(contentsOf: ShippedRules.directory.deletingLastPathComponent().appendingPathComponent("README.md"),
                                encoding: .utf8)
        let rules = ShippedRules.ruleSet.rules
        XCTAssertTrue(readme.contains("\(rules.count) rules ship"), "README : « \(rules.count) rules ship »")
        for rule in rules {
            XCTAssertTrue(readme.contains("| `\(rule.id)` | \(rule.kind.rawValue) | \(rule.certainty.rawValue) |"), "README : \(rule.id)")
        }
    }
}
