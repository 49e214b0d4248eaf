@testable import AuditRules
import BillingModel
import Foundation
import XCTest

/// One test per point of the 2026 billing expert's review (NGAP part), named after it, on the
/// shipped rule set. Sources are cited on the tariff periods and rule files themselves.
final class NGAPReviewTests: XCTestCase {
    struct Act {
        var code: String
        var amount: String
        var coefficient = "1"
    }

    func invoice(_ acts: [Act], date: String, birth: String = "1980-01-01", specialty: String = "01",
                 place: Place = .cabinet, time: String? = nil, ald: Bool = false, mt: MTStatus? = nil,
                 id: String = "F1") -> Invoice {
        Invoice(lines: acts.enumerated().map { offset, act in
            ActLine(location: SourceLocation(file: "revue.csv", line: offset + 2), invoiceID: id,
                    actDate: CalendarDay(parsing: date)!, actTime: time.flatMap(TimeOfDay.init(parsing:)), place: place,
                    practitionerID: RuleSetChecker.examplePractitionerID, specialty: Specialty(specialty)!,
                    patient: PatientInfo(ref: PatientRef("p-revue"), birthDate: CalendarDay(parsing: birth)!, ald: ald, mtStatus: mt),
                    code: ActCode.isCCAM(act.code) ? .ccam(act.code) : .ngap(act.code),
                    coefficient: Coefficient(act.coefficient)!, amount: Cents(euros: act.amount)!)
        })
    }

    func audit(_ invoices: [Invoice], rules: [String]) -> [Finding] {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { rules.contains($0.id) }
        XCTAssertEqual(ruleSet.rules.count, rules.count, "règle absente du jeu livré")
        let engine = AuditEngine(ruleSet: ruleSet)
        for invoice in invoices { engine.audit(invoice) }
        return Array(engine.finish())
    }

    func value(_ code: String, _ date: String, zone: String = "metropole", specialty: String? = nil) -> Cents? {
        ShippedRules.ruleSet.tariffs.value(of: code, on: CalendarDay(parsing: date)!, zone: zone, specialty: specialty)
    }

    // MARK: COE

    func testReviewCOEAt54InSecondHalf2025IsNotALoss() {
        let findings = audit([
            invoice([Act(code: "COE", amount: "54.00")], date: "2025-07-01", birth: "2025-06-25", id: "A"),
            invoice([Act(code: "COE", amount: "54.00")], date: "2025-12-31", birth: "2024-04-10", id: "B"),
            invoice([Act(code: "COE", amount: "54.00")], date: "2026-01-02", birth: "2025-12-28", id: "C"),
        ], rules: ["tariff-below-schedule"])
        // Only the COE of 2026 is short: the 1 July 2025 step was suspended and applies from 1 January 2026.
        XCTAssertEqual(findings.map(\.invoiceID), ["C"])
        XCTAssertEqual(findings.first?.lostCents, Cents(600))
    }

    func testReviewCOEScheduleFrom2023ToToday() {
        XCTAssertEqual(value("COE", "2023-01-02"), Cents(4600))
        XCTAssertEqual(value("COE", "2023-11-01"), Cents(4750))
        XCTAssertEqual(value("COE", "2024-12-22"), Cents(5400))
        XCTAssertEqual(value("COE", "2025-09-03"), Cents(5400))
        XCTAssertEqual(value("COE", "2026-01-01"), Cents(6000))
        XCTAssertEqual(value("COE", "2026-11-23"), Cents(6000))
    }

    func testReviewCOEWindowsIncludeEightAndTwentyThreeMonths() {
        let rules = ["coe-8-days", "coe-9-months", "coe-24-months"]
        let g = [Act(code: "G", amount: "30.00"), Act(code: "MEG", amount: "5.00")]
        let caught = audit([
            invoice(g, date: "2025-09-08", birth: "2025-08-31", id: "day-8"),
            invoice(g, date: "2025-09-03", birth: "2025-01-03", id: "8-months"),
            invoice(g, date: "2025-09-02", birth: "2024-11-03", id: "eve-of-10-months"),
            invoice(g, date: "2025-09-03", birth: "2023-10-03", id: "23-months"),
            invoice(g, date: "2025-09-02", birth: "2023-08-03", id: "eve-of-25-months"),
        ], rules: rules)
        XCTAssertEqual(Set(caught.map(\.invoiceID)), ["day-8", "8-months", "eve-of-10-months", "23-months", "eve-of-25-months"])
        XCTAssertEqual(caught.count, 5)
        XCTAssertTrue(caught.allSatisfy { $0.expectedCode == "COE" && $0.lostCents == Cents(2400) })
    }

    func testReviewCOENotSuggestedAtTenAndTwentyFiveMonths() {
        let g = [Act(code: "G", amount: "30.00"), Act(code: "MEG", amount: "5.00")]
        let findings = audit([
            invoice(g, date: "2025-09-09", birth: "2025-08-31", id: "day-9"),
            invoice(g, date: "2025-09-03", birth: "2024-11-03", id: "10-months"),
            invoice(g, date: "2025-09-03", birth: "2023-08-03", id: "25-months"),
            invoice(g, date: "2025-09-02", birth: "2025-01-03", id: "eve-of-8-months"),
            invoice(g, date: "2025-09-02", birth: "2023-10-03", id: "eve-of-23-months"),
        ], rules: ["coe-8-days", "coe-9-months", "coe-24-months"])
        XCTAssertEqual(findings.map(\.invoiceID), [])
    }

    // MARK: MAU, IMT

    func testReviewMAUPricedSince2012() {
        XCTAssertEqual(value("MAU", "2023-01-01"), Cents(135))
        let findings = audit([invoice([Act(code: "AMI", amount: "3.15")], date: "2023-03-06", specialty: "24")],
                             rules: ["missing-mau"])
        XCTAssertEqual(findings.map(\.lostCents), [Cents(135)])
    }

    func testReviewMAUNotWithAMXMCIOrIFI() {
        let findings = audit([
            invoice([Act(code: "AMI", amount: "3.15"), Act(code: "MCI", amount: "5.00")], date: "2025-03-10", specialty: "24", id: "MCI"),
            invoice([Act(code: "AMI", amount: "3.15"), Act(code: "AMX", amount: "3.15")], date: "2025-03-10", specialty: "24", id: "AMX"),
            invoice([Act(code: "AMI", amount: "3.15"), Act(code: "IFI", amount: "2.75")], date: "2025-03-10", specialty: "24", id: "IFI"),
            invoice([Act(code: "AMI", amount: "3.15"), Act(code: "IFD", amount: "2.75")], date: "2025-03-10", specialty: "24", id: "IFD"),
        ], rules: ["missing-mau"])
        XCTAssertEqual(findings.map(\.invoiceID), ["IFD"])
    }

    func testReviewIMTPricedFromFifteenMay2023() {
        XCTAssertNil(value("IMT", "2023-05-14"))
        XCTAssertEqual(value("IMT", "2023-05-15"), Cents(6000))
        XCTAssertEqual(value("IMT", "2023-05-15", zone: "reunion-mayotte"), Cents(7200))
        XCTAssertEqual(value("IMT", "2026-11-23"), Cents(6000))
    }

    // MARK: MD

    func testReviewMDIsLikelyNotCertain() {
        XCTAssertEqual(ShippedRules.ruleSet.rule("missing-md")?.certainty, .likely)
    }

    func testReviewMDNotOnRegulatedVisit() {
        let findings = audit(["VRN", "VRM", "VRD", "VRS"].map { key in
            invoice([Act(code: "VG", amount: "30.00"), Act(code: key, amount: "30.00")], date: "2025-02-09",
                    birth: "1940-06-01", place: .domicile, id: key)
        } + [invoice([Act(code: "VG", amount: "30.00")], date: "2025-02-10", birth: "1940-06-01", place: .domicile, id: "VG")],
        rules: ["missing-md"])
        XCTAssertEqual(findings.map(\.invoiceID), ["VG"])
    }

    // MARK: MHP

    func testReviewMHPNotWithSNP() {
        let night = "21:30"
        let findings = audit([
            invoice([Act(code: "G", amount: "30.00"), Act(code: "SNP", amount: "15.00")], date: "2025-03-11", time: night, id: "SNP"),
            invoice([Act(code: "G", amount: "30.00"), Act(code: "SNP", amount: "15.00"), Act(code: "SHE", amount: "5.00")],
                    date: "2025-03-12", time: "20:15", id: "SHE"),
            invoice([Act(code: "G", amount: "30.00")], date: "2025-03-13", time: night, id: "G"),
        ], rules: ["missing-mhp"])
        XCTAssertEqual(findings.map(\.invoiceID), ["G"])
    }

    func testReviewMHPNotWithRegulatedOrUrgentMajorations() {
        let keys = ["CRN", "CRM", "CRD", "CRS", "VRN", "VRM", "VRD", "VRS", "MU", "F", "MN", "MM", "MRT"]
        let findings = audit(keys.enumerated().map { index, key in
            invoice([Act(code: "G", amount: "30.00"), Act(code: key, amount: "20.00")],
                    date: CalendarDay(parsing: "2025-03-01")!.adding(days: index).iso, time: "23:00", id: key)
        }, rules: ["missing-mhp"])
        XCTAssertEqual(findings.map(\.invoiceID), [])
    }

    func testReviewMHPAppliesToTCG() {
        let findings = audit([invoice([Act(code: "TCG", amount: "25.00")], date: "2025-03-16", place: .tele)],
                             rules: ["missing-mhp"])
        XCTAssertEqual(findings.map(\.lostCents), [Cents(500)])
    }

    // MARK: Known keys

    func testReviewKeysRealExportsCarryAreKnown() {
        let known = ShippedRules.ruleSet.tariffs.ngapKeys
        for key in ["TCG", "SNP", "SHE", "MRT", "VRN", "VRM", "VRD", "VRS", "CRN", "CRM", "CRD", "CRS", "VL",
                    "GL1", "GL2", "GL3", "IK", "AMX", "MCI", "MIE", "AMK", "AMC", "SF", "F", "MN", "MM"] {
            XCTAssertTrue(known.contains(key), "\(key) inconnue du jeu de règles")
        }
    }

    func testReviewTodaysValuesG30COE60TCG25() {
        XCTAssertEqual(value("G", "2026-11-23"), Cents(3000))
        XCTAssertEqual(value("COE", "2026-11-23"), Cents(6000))
        XCTAssertEqual(value("TCG", "2026-11-23"), Cents(2500))
        XCTAssertEqual(value("GL1", "2026-11-23"), Cents(6000))
        XCTAssertNil(value("GL1", "2025-12-31"), "les consultations longues commencent le 1er janvier 2026")
    }

    func testAKnownKeyWithoutATariffKeepsItsLineAndHasNoValue() {
        let entry = ShippedRules.ruleSet.tariffs["VRM"]
        XCTAssertNotNil(entry)
        XCTAssertEqual(entry?.isPriced, false)
        XCTAssertNotNil(entry?.source)
        XCTAssertNil(value("VRM", "2025-03-01"))
    }

    func testOneKeyPricedByProfession() {
        // F: 19,06 € for a GP, 8,50 € for a nurse; IFD: 2,75 € for a nurse, 2,50 € for a physiotherapist.
        XCTAssertEqual(value("F", "2025-03-16", specialty: "01"), Cents(1906))
        XCTAssertEqual(value("F", "2025-03-16", specialty: "24"), Cents(850))
        XCTAssertNil(value("F", "2025-03-16", specialty: "26"))
        XCTAssertEqual(value("IFD", "2025-03-10", specialty: "24"), Cents(275))
        XCTAssertEqual(value("IFD", "2025-03-10", specialty: "26"), Cents(250))
        let findings = audit([
            invoice([Act(code: "AMK", amount: "17.68", coefficient: "8"), Act(code: "IFD", amount: "2.50")],
                    date: "2025-03-10", specialty: "26", place: .domicile, id: "kine"),
            invoice([Act(code: "AMI", amount: "6.30", coefficient: "2"), Act(code: "IFD", amount: "2.50")],
                    date: "2025-03-10", specialty: "24", place: .domicile, id: "infirmier"),
        ], rules: ["tariff-below-schedule"])
        XCTAssertEqual(findings.map(\.invoiceID), ["infirmier"])
        XCTAssertEqual(findings.first?.lostCents, Cents(25))
    }

    // MARK: Over-coding checks the review asks for

    func testReviewTCGBilledAtGPriceIsOverCoding() {
        let findings = audit([
            invoice([Act(code: "TCG", amount: "30.00")], date: "2025-03-10", place: .tele, id: "at-G-price"),
            invoice([Act(code: "TCG", amount: "25.00")], date: "2025-03-11", place: .tele, id: "right"),
        ], rules: ["tcg-above-tariff"])
        XCTAssertEqual(findings.map(\.invoiceID), ["at-G-price"])
        XCTAssertEqual(findings.first?.atRiskCents, Cents(500))
        XCTAssertEqual(findings.first?.certainty, .certain)
    }

    func testReviewCOEOutsideItsWindowsIsOverCoding() {
        let coe = [Act(code: "COE", amount: "54.00")]
        let findings = audit([
            invoice(coe, date: "2025-09-03", birth: "2024-11-03", id: "10-months"),
            invoice(coe, date: "2025-09-03", birth: "2023-08-03", id: "25-months"),
            invoice(coe, date: "2025-09-03", birth: "2025-01-03", id: "8-months"),
            invoice(coe, date: "2025-09-03", birth: "2023-10-03", id: "23-months"),
            invoice(coe, date: "2025-09-03", birth: "2025-08-26", id: "day-8"),
        ], rules: ["coe-outside-windows"])
        XCTAssertEqual(Set(findings.map(\.invoiceID)), ["10-months", "25-months"])
    }

    func testReviewMDWithoutVGOrVLIsOverCoding() {
        let findings = audit([
            invoice([Act(code: "G", amount: "30.00"), Act(code: "MD", amount: "10.00")], date: "2025-03-10", id: "G+MD"),
            invoice([Act(code: "VL", amount: "60.00"), Act(code: "MD", amount: "10.00")], date: "2025-03-11", place: .domicile, id: "VL+MD"),
            invoice([Act(code: "VG", amount: "30.00"), Act(code: "MD", amount: "10.00")], date: "2025-03-12", place: .domicile, id: "VG+MD"),
        ], rules: ["md-without-visit"])
        XCTAssertEqual(findings.map(\.invoiceID), ["G+MD"])
        XCTAssertEqual(findings.first?.atRiskCents, Cents(1000))
    }

    func testReviewMUWithMDIsOverCoding() {
        let findings = audit([
            invoice([Act(code: "VG", amount: "30.00"), Act(code: "MU", amount: "22.60"), Act(code: "MD", amount: "10.00")],
                    date: "2025-03-10", place: .domicile),
        ], rules: ["mu-with-md"])
        XCTAssertEqual(findings.map(\.code), ["MD"])
    }

    func testReviewIFDTwiceForOnePassage() {
        let findings = audit([
            invoice([Act(code: "AMI", amount: "6.30", coefficient: "2"), Act(code: "IFD", amount: "2.75"), Act(code: "IFD", amount: "2.75")],
                    date: "2025-03-10", specialty: "24", place: .domicile),
        ], rules: ["ifd-twice-per-passage"])
        XCTAssertEqual(findings.map(\.atRiskCents), [Cents(275)])
    }

    func testReviewTwoGOnOneInvoice() {
        let findings = audit([
            invoice([Act(code: "G", amount: "30.00"), Act(code: "G", amount: "30.00")], date: "2025-03-10", id: "two"),
            invoice([Act(code: "G", amount: "30.00")], date: "2025-03-10", id: "one"),
        ], rules: ["consultation-twice-on-invoice"])
        XCTAssertEqual(findings.map(\.invoiceID), ["two"])
        XCTAssertEqual(findings.first?.atRiskCents, Cents(3000))
    }

    // MARK: Under-coding opportunities the review ranks by money

    func testReviewVLForPatientsOf80AndOverInALD() {
        let visit = [Act(code: "VG", amount: "30.00"), Act(code: "MD", amount: "10.00")]
        let findings = audit([
            invoice(visit, date: "2025-03-10", birth: "1945-03-10", place: .domicile, ald: true, mt: .centre, id: "80-ALD"),
            invoice(visit, date: "2025-03-11", birth: "1945-03-12", place: .domicile, ald: true, mt: .centre, id: "79-ALD"),
            invoice(visit, date: "2025-03-12", birth: "1940-01-01", place: .domicile, ald: false, mt: .centre, id: "85"),
        ], rules: ["vl-instead-of-vg"])
        XCTAssertEqual(findings.map(\.invoiceID), ["80-ALD"])
        XCTAssertEqual(findings.first?.lostCents, Cents(3000))
        XCTAssertEqual(findings.first?.certainty, .possible)
    }

    func testReviewIMTInsteadOfGAtAnALDPatientsDeclaration() {
        let findings = audit([
            invoice([Act(code: "G", amount: "30.00")], date: "2025-03-10", ald: true, mt: MTStatus.none, id: "ALD-no-MT"),
            invoice([Act(code: "G", amount: "30.00")], date: "2025-03-11", ald: true, mt: .centre, id: "ALD-MT"),
        ], rules: ["imt-instead-of-g"])
        XCTAssertEqual(findings.map(\.invoiceID), ["ALD-no-MT"])
        XCTAssertEqual(findings.first?.expectedCode, "IMT")
    }

    func testReviewConsultationsLonguesArePossibleFrom2026() {
        let findings = audit([
            invoice([Act(code: "G", amount: "30.00")], date: "2025-12-31", birth: "1940-01-01", mt: .centre, id: "2025"),
            invoice([Act(code: "G", amount: "30.00")], date: "2026-01-01", birth: "1940-01-01", mt: .centre, id: "2026"),
        ], rules: ["consultation-longue-possible"])
        XCTAssertEqual(findings.map(\.invoiceID), ["2026"])
        XCTAssertEqual(findings.first?.certainty, .possible)
        XCTAssertEqual(findings.first?.lostCents, Cents(3000))
    }

    func testReviewNurseSundayAndNightMajorations() {
        let care = [Act(code: "AMI", amount: "6.30", coefficient: "2"), Act(code: "IFD", amount: "2.75")]
        let findings = audit([
            invoice(care, date: "2025-03-16", specialty: "24", place: .domicile, id: "sunday"),
            invoice(care, date: "2025-07-14", specialty: "24", place: .domicile, id: "holiday"),
            invoice(care, date: "2025-03-11", specialty: "24", place: .domicile, time: "21:00", id: "night"),
            invoice(care, date: "2025-03-12", specialty: "24", place: .domicile, time: "10:00", id: "day"),
        ], rules: ["missing-nurse-sunday", "missing-nurse-night"])
        XCTAssertEqual(Set(findings.map(\.invoiceID)), ["sunday", "holiday", "night"])
        XCTAssertEqual(findings.first { $0.invoiceID == "sunday" }?.lostCents, Cents(850))
        XCTAssertEqual(findings.first { $0.invoiceID == "night" }?.lostCents, Cents(915))
        XCTAssertTrue(findings.allSatisfy { $0.certainty == .possible })
    }

    func testReviewSHEWithSNPBetween19And21() {
        let regulated = [Act(code: "G", amount: "30.00"), Act(code: "SNP", amount: "15.00")]
        let findings = audit([
            invoice(regulated, date: "2025-03-11", time: "19:00", id: "19h"),
            invoice(regulated, date: "2025-03-12", time: "21:00", id: "21h"),
        ], rules: ["missing-she"])
        XCTAssertEqual(findings.map(\.invoiceID), ["19h"])
        XCTAssertEqual(findings.first?.lostCents, Cents(500))
    }

    func testReviewMOPAppliesToTCG() {
        let findings = audit([invoice([Act(code: "TCG", amount: "25.00")], date: "2025-03-10", birth: "1940-01-01",
                                      place: .tele, mt: .elsewhere)], rules: ["missing-mop"])
        XCTAssertEqual(findings.map(\.lostCents), [Cents(500)])
    }

    // MARK: The rule set as a whole

    func testReviewEveryPricedNGAPKeyHasAValueEveryDayFrom2023ToToday() {
        let first = CalendarDay(year: 2023, month: 1, day: 1)!
        let today = CalendarDay(year: 2026, month: 11, day: 23)!
        for entry in ShippedRules.ruleSet.tariffs.entries.values where entry.nomenclature == .ngap && entry.isPriced {
            var day = max(first, entry.created?.date ?? first)
            let end = entry.retired.map { $0.date.adding(days: -1) } ?? today
            while day <= end {
                XCTAssertTrue(entry.periods.contains { $0.covers(day) }, "\(entry.code) : aucune période le \(day.iso)")
                if !entry.periods.contains(where: { $0.covers(day) }) { break }
                day = day.adding(days: 1)
            }
            for period in entry.periods {
                XCTAssertFalse(period.source.isEmpty, "\(entry.code) : période du \(period.from.iso) sans source")
            }
        }
    }

    func testReviewCertaintyIsHonestForFactsTheExportDoesNotCarry() {
        // A justified visit, a regulated call, a prescription, the médecin traitant being the billing doctor:
        // rules that need them are never `certain`.
        for id in ["missing-md", "md-without-visit", "mu-with-md", "vl-instead-of-vg", "imt-instead-of-g",
                   "consultation-longue-possible", "missing-nurse-sunday", "missing-nurse-night", "missing-mhp",
                   "ifd-twice-per-passage", "urgent-majoration-not-regulated", "coe-8-days", "coe-9-months", "coe-24-months"] {
            let rule = ShippedRules.ruleSet.rule(id)
            XCTAssertNotNil(rule, id)
            XCTAssertNotEqual(rule?.certainty, .certain, id)
        }
    }

    func testAtLeastThirtyTwoRulesShipWithBothKindsOfExample() {
        let rules = ShippedRules.ruleSet.rules
        XCTAssertGreaterThanOrEqual(rules.count, 32)
        XCTAssertTrue(rules.allSatisfy { !$0.triggering.isEmpty && !$0.nonTriggering.isEmpty })
    }
}
