@testable import AuditRules
import BillingModel
import Foundation
import XCTest

final class EngineTests: XCTestCase {
    let gp = RuleSetChecker.examplePractitionerID

    func line(_ code: String, _ amount: String, date: String, invoice: String = "F1", birth: String = "1980-01-01",
              coefficient: String = "1", specialty: String = "01", line: Int = 2, time: String? = nil,
              mt: MTStatus? = nil) -> ActLine {
        ActLine(location: SourceLocation(file: "t.csv", line: line), invoiceID: invoice,
                actDate: CalendarDay(parsing: date)!, actTime: time.flatMap(TimeOfDay.init(parsing:)),
                practitionerID: gp, specialty: Specialty(specialty)!,
                patient: PatientInfo(ref: PatientRef("p-1"), birthDate: CalendarDay(parsing: birth)!, mtStatus: mt),
                code: ActCode.isCCAM(code) ? .ccam(code) : .ngap(code), coefficient: Coefficient(coefficient)!,
                amount: Cents(euros: amount)!)
    }

    func audit(_ invoices: [[ActLine]], rules: [String]) -> [Finding] {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { rules.contains($0.id) }
        let engine = AuditEngine(ruleSet: ruleSet)
        for lines in invoices { engine.audit(Invoice(lines: lines)) }
        return Array(engine.finish())
    }

    /// `InvoiceContext.matches` makes each condition from its bit's number as the case's value in
    /// memory: that value must be the case's place, for every case.
    func testConditionBitsNameTheirConditions() {
        for (place, condition) in CompiledConditions.Condition.allCases.enumerated() {
            XCTAssertEqual(condition.rawValue, place)
            XCTAssertEqual(unsafeBitCast(UInt8(place), to: CompiledConditions.Condition.self), condition)
        }
        XCTAssertEqual(MemoryLayout<CompiledConditions.Condition>.size, 1)
        XCTAssertLessThanOrEqual(CompiledConditions.Condition.allCases.count, 32, "a bit each in `present`")
    }

    func testDecember2024ActsAreValuedAtTheTariffOfTheirOwnDate() {
        let findings = audit([
            [line("G", "26.50", date: "2024-12-21", invoice: "A", line: 2)],
            [line("G", "26.50", date: "2024-12-22", invoice: "B", line: 3)],
            [line("G", "30.00", date: "2024-12-23", invoice: "C", line: 4)],
            [line("G", "26.50", date: "2025-06-02", invoice: "D", line: 5)],
        ], rules: ["tariff-below-schedule"])
        XCTAssertEqual(findings.map(\.invoiceID), ["B", "D"])
        XCTAssertEqual(findings.map(\.lostCents), [Cents(350), Cents(350)])
        XCTAssertEqual(findings.first?.expectedCode, "G")
        XCTAssertEqual(findings.first?.certainty, .certain)
    }

    func testCCAMAssociationSecondActAtHalfRateAndECGAtFullRateBesideAConsultation() throws {
        let ruleSet = ShippedRules.ruleSet
        let engine = AuditEngine(ruleSet: ruleSet)
        let withConsultation = Invoice(lines: [line("G", "30.00", date: "2025-03-10"), line("DEQP003", "14.52", date: "2025-03-10")])
        XCTAssertEqual(engine.associationRates(withConsultation), [100, 100])
        let twoTechnical = Invoice(lines: [line("DEQP003", "14.52", date: "2025-03-10"), line("GLQP012", "41.08", date: "2025-03-10"),
                                           line("JKHD001", "12.73", date: "2025-03-10")])
        // Highest-priced first at 100 %, the second at 50 %, the third unpaid.
        XCTAssertEqual(engine.associationRates(twoTechnical), [50, 100, 0])
    }

    func testNurseActsSecondAtHalfRate() {
        let engine = AuditEngine(ruleSet: ShippedRules.ruleSet)
        let invoice = Invoice(lines: [line("AMI", "3.15", date: "2025-03-10", specialty: "24"),
                                      line("AMI", "6.30", date: "2025-03-10", coefficient: "2", specialty: "24")])
        XCTAssertEqual(engine.associationRates(invoice), [50, 100])
    }

    func testRegularPatientCreditedToTheDoctorWhoSawThemMostThenTheMostRecent() {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == "missing-mt-declaration" }
        let engine = AuditEngine(ruleSet: ruleSet)
        let other = "1000000001" + String(RPPS.checkDigit(for: "1000000001")!)
        var first = line("G", "30.00", date: "2025-02-01", invoice: "A", mt: MTStatus.none)
        var second = line("G", "30.00", date: "2025-03-01", invoice: "B", mt: MTStatus.none)
        second.practitionerID = other
        first.location = SourceLocation(file: "t.csv", line: 2)
        second.location = SourceLocation(file: "t.csv", line: 3)
        engine.audit(Invoice(lines: [first]))
        engine.audit(Invoice(lines: [second]))
        let findings = Array(engine.finish())
        XCTAssertEqual(findings.count, 1)
        XCTAssertEqual(findings.first?.practitionerID, other, "à égalité, le plus récent")
        XCTAssertEqual(findings.first?.lostCents, Cents(500))
        XCTAssertEqual(findings.first?.expectedCode, "FPMT")
    }

    func testRegularPatientCountedPerCalendarYear() {
        let findings = audit([
            [line("G", "26.50", date: "2024-12-20", invoice: "A", mt: MTStatus.none)],
            [line("G", "30.00", date: "2025-01-05", invoice: "B", mt: MTStatus.none)],
        ], rules: ["missing-mt-declaration"])
        XCTAssertTrue(findings.isEmpty, "une venue en 2024 et une en 2025 ne font pas un patient régulier")
    }

    func testFrenchPublicHolidaysIncludeTheEasterBasedOnes() {
        let holidays = ShippedRules.ruleSet.holidays
        XCTAssertEqual(PublicHolidays.easterSunday(year: 2024), CalendarDay(year: 2024, month: 3, day: 31))
        XCTAssertEqual(PublicHolidays.easterSunday(year: 2025), CalendarDay(year: 2025, month: 4, day: 20))
        XCTAssertTrue(holidays.contains(CalendarDay(year: 2025, month: 4, day: 21)!), "lundi de Pâques 2025")
        XCTAssertTrue(holidays.contains(CalendarDay(year: 2025, month: 5, day: 29)!), "Ascension 2025")
        XCTAssertTrue(holidays.contains(CalendarDay(year: 2025, month: 6, day: 9)!), "lundi de Pentecôte 2025")
        XCTAssertTrue(holidays.contains(CalendarDay(year: 2024, month: 12, day: 25)!))
        XCTAssertFalse(holidays.contains(CalendarDay(year: 2025, month: 4, day: 22)!))
    }

    /// The engine asks a year's holidays once (`dayNumbers(in:)`): they must be the days `contains` says.
    func testAYearsHolidaysAreTheDaysContainsSays() {
        let holidays = ShippedRules.ruleSet.holidays
        for year in [2023, 2024, 2025, 2026, 2027, 2038] {
            let listed = Set(holidays.dayNumbers(in: year))
            var day = CalendarDay(year: year, month: 1, day: 1)!
            var found = 0
            while day.year == year {
                XCTAssertEqual(listed.contains(day.dayNumber), holidays.contains(day), "\(day.iso)")
                if holidays.contains(day) { found += 1 }
                day = day.adding(days: 1)
            }
            XCTAssertEqual(found, 11, "\(year) : 11 jours fériés en métropole")
            XCTAssertEqual(listed.count, 11)
        }
    }

    func testMessageTemplateFillsKnownPlaceholdersAndKeepsUnknownOnes() {
        XCTAssertEqual(MessageTemplate.fill("{code} à {lost} {inconnu}", ["code": "G", "lost": "3,50 €"]), "G à 3,50 € {inconnu}")
        XCTAssertEqual(MessageTemplate.fill("« {code} » déjà facturé le {date} : perte {lost}", ["code": "MÉG", "date": "02/01/2026", "lost": "5,00 €"]),
                       "« MÉG » déjà facturé le 02/01/2026 : perte 5,00 €")
        // An unclosed brace is text: kept once, as written.
        XCTAssertEqual(MessageTemplate.fill("écart {lost} puis {reste", ["lost": "1,00 €"]), "écart 1,00 € puis {reste")
        XCTAssertEqual(MessageTemplate.fill("", [:]), "")
        // A placeholder runs to the first closing brace; an empty one is kept unless given.
        XCTAssertEqual(MessageTemplate.fill("{a{b} {} {a}", ["a{b": "x", "a": "é"]), "x {} é")
        XCTAssertEqual(MessageTemplate.fill("{}{code}}", ["": "vide", "code": "G"]), "videG}")
    }
}

final class RuleLoadingTests: XCTestCase {
    func copyOfShippedRules() throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ShippedRules.directory, to: target)
        return target
    }

    func testABrokenRuleFileNamesTheFileAndLine() throws {
        let directory = try copyOfShippedRules()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rules/missing-md.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "certainty: likely", with: "certainty: sure")
        try text.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RuleSetLoader.load(directory: directory)) { error in
            let failure = error as? RuleLoadError
            XCTAssertEqual(failure?.file, "missing-md.yaml")
            XCTAssertEqual(failure?.line, 3)
            XCTAssertTrue(failure?.message.contains("certainty") == true)
        }
    }

    func testOverlappingTariffPeriodsAreRefused() throws {
        let directory = try copyOfShippedRules()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tariffs/zz-test.yaml")
        try """
        codes:
          - code: ZZT
            nomenclature: ngap
            periods:
              - { from: 2024-01-01, until: 2024-06-30, cents: 100, source: test }
              - { from: 2024-06-01, cents: 200, source: test }
        """.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RuleSetLoader.load(directory: directory)) { error in
            XCTAssertTrue(String(describing: error).contains("chevauchent"), String(describing: error))
        }
    }

    func testARuleNamingAnUnknownCodeIsRefused() throws {
        let directory = try copyOfShippedRules()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rules/missing-md.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "expect: MD", with: "expect: MDX")
        try text.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RuleSetLoader.load(directory: directory)) { error in
            XCTAssertTrue(String(describing: error).contains("MDX"), String(describing: error))
            XCTAssertEqual((error as? RuleLoadError)?.line, 13, "la ligne de « expect: MDX »")
        }
    }

    func testANewSupplementRuleIsOneFileAndNoSwift() throws {
        let directory = try copyOfShippedRules()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        id: test-md-ehpad
        kind: under-coding
        certainty: likely
        check: missing-code
        title: Test
        explanation: "Visite en EHPAD sans MD."
        advice: "Ajouter MD."
        message: "{code} sans MD"
        source: "test"
        when: { codes_any: [VG], codes_none: [MD, MU], place: [ehpad] }
        expect: MD
        codes: [VG]
        examples:
          trigger:
            - { name: en EHPAD, date: 2025-02-03, place: ehpad, birth_date: 1940-01-01, acts: [{ code: VG, amount: "30.00" }], lost_cents: 1000 }
          no_trigger:
            - { name: à domicile, date: 2025-02-03, place: domicile, birth_date: 1940-01-01, acts: [{ code: VG, amount: "30.00" }] }
        """.write(to: directory.appendingPathComponent("rules/test-md-ehpad.yaml"), atomically: true, encoding: .utf8)
        let ruleSet = try RuleSetLoader.load(directory: directory)
        XCTAssertNotNil(ruleSet.rule("test-md-ehpad"))
        XCTAssertTrue(RuleSetChecker.runExamples(ruleSet).isEmpty)
    }
}

final class FindingFingerprintTests: XCTestCase {
    func finding(rule: String = "missing-meg", kind: FindingKind = .underCoding, file: String = "a.csv", line: Int = 2,
                 invoice: String = "F1", date: String = "2025-03-04", patient: String = "p-1", code: String = "G") -> Finding {
        Finding(rule: rule, kind: kind, certainty: .certain, location: SourceLocation(file: file, line: line),
                invoiceID: invoice, actDate: CalendarDay(parsing: date)!, practitionerID: "10000000001",
                patientRef: PatientRef(patient), code: code, expectedCode: "MEG", lostCents: Cents(500),
                atRiskCents: .zero, message: "m")
    }

    func testFingerprintIgnoresFileAndLineButNotWhatTheFindingIsAbout() {
        let base = finding()
        XCTAssertEqual(base.fingerprint, finding(file: "re-export.csv", line: 900).fingerprint)
        XCTAssertEqual(base.fingerprint.count, 32)
        XCTAssertNotEqual(base.fingerprint, finding(invoice: "F2").fingerprint)
        XCTAssertNotEqual(base.fingerprint, finding(date: "2025-03-05").fingerprint)
        XCTAssertNotEqual(base.fingerprint, finding(patient: "p-2").fingerprint)
        XCTAssertNotEqual(base.fingerprint, finding(code: "VG").fingerprint)
        XCTAssertNotEqual(base.fingerprint, finding(rule: "missing-md").fingerprint)
    }

    func testMedecinTraitantFindingIsOnePerPatientAndYearWhicheverInvoice() {
        let march = finding(rule: "missing-mt-declaration", kind: .missingMT, invoice: "F1", date: "2025-03-04")
        let april = finding(rule: "missing-mt-declaration", kind: .missingMT, invoice: "F9", date: "2025-04-20")
        let nextYear = finding(rule: "missing-mt-declaration", kind: .missingMT, invoice: "F1", date: "2026-01-04")
        XCTAssertEqual(march.fingerprint, april.fingerprint)
        XCTAssertNotEqual(march.fingerprint, nextYear.fingerprint)
    }
}
