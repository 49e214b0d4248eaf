@testable import AuditRules
import BillingModel
import Foundation
import XCTest

/// The duplicate rule remembers the acts around each patient's last day, not every act it has seen:
/// before, a 1M-line file kept all its acts to the end of the run, then 8 days of them per patient.
extension EngineTests {
    func testThreeYearsOfDailyActsKeepAWeekAndStillFindTheDuplicate() {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == "duplicate-act" }
        let engine = AuditEngine(ruleSet: ruleSet)
        var day = CalendarDay(year: 2023, month: 1, day: 2)!
        for index in 0..<1_000 {
            engine.audit(Invoice(lines: [line("G", "30.00", date: day.iso, invoice: "F\(index)", line: index + 2)]))
            day = day.adding(days: 1)
        }
        XCTAssertEqual(engine.duplicateDaysKept, Int(DuplicateState.windowDays) + 1, "the last day and the 7 before it")
        // The same day again, a few days later in the file: still a duplicate.
        let last = day.adding(days: -3)
        engine.audit(Invoice(lines: [line("G", "30.00", date: last.iso, invoice: "DOUBLON", line: 5_000)]))
        XCTAssertEqual(engine.finish().map(\.invoiceID), ["DOUBLON"])
    }

    /// A patient seen once a month keeps one day, and an export sorted by practitioner (each
    /// practitioner's year in date order, one after the other) still finds a duplicate in the second
    /// practitioner's block although the first block ended months later.
    func testMonthlyVisitsKeepOneDayAndPractitionerOrderStillFindsTheDuplicate() {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == "duplicate-act" }
        let engine = AuditEngine(ruleSet: ruleSet)
        var lineNumber = 2
        func bill(_ date: String, _ invoice: String, practitioner: String) {
            var act = line("G", "30.00", date: date, invoice: invoice, line: lineNumber)
            act.practitionerID = practitioner
            engine.audit(Invoice(lines: [act]))
            lineNumber += 1
        }
        for month in 1...12 { bill(String(format: "2024-%02d-10", month), "A\(month)", practitioner: "10000000009") }
        XCTAssertEqual(engine.duplicateDaysKept, 1)
        bill("2024-03-05", "B1", practitioner: "10000000017")
        bill("2024-03-05", "B2", practitioner: "10000000017")  // the same act billed twice that day
        bill("2024-03-10", "B3", practitioner: "10000000017")  // same day as A3, another practitioner: no duplicate
        XCTAssertEqual(engine.finish().map(\.invoiceID), ["B2"])
    }
}

/// The patients held by the duplicate rule are those seen lately or on a day still open, not every
/// patient of the run: 500 000 patients once held 100 MB to the end of a 5M-line file.
extension EngineTests {
    private func duplicateOnlyEngine(sweepInterval: Int) -> AuditEngine {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == "duplicate-act" }
        let engine = AuditEngine(ruleSet: ruleSet)
        engine.duplicateSweepInterval = sweepInterval
        return engine
    }

    private func bill(_ engine: AuditEngine, patient: Int, _ date: CalendarDay, invoice: String, line number: Int) {
        var act = line("G", "30.00", date: date.iso, invoice: invoice, line: number)
        act.patient.ref = PatientRef(bits: UInt64(patient))
        engine.audit(Invoice(lines: [act]))
    }

    /// An export sorted by date, a new patient on every invoice, ten a day for a year: the closed
    /// days are dropped, and a duplicate on the last day is still found.
    func testDateOrderDropsThePatientsOfClosedDays() {
        let engine = duplicateOnlyEngine(sweepInterval: 100)
        var day = CalendarDay(year: 2025, month: 1, day: 1)!
        var number = 2
        for dayIndex in 0..<365 {
            for slot in 0..<10 {
                bill(engine, patient: dayIndex * 10 + slot, day, invoice: "F\(number)", line: number)
                number += 1
            }
            if dayIndex < 364 { day = day.adding(days: 1) }
        }
        // Two sweeps' worth of invoices at most, plus the days still open (8 days of 10 patients).
        XCTAssertLessThanOrEqual(engine.duplicatePatientsKept, 2 * 100 + 80)
        bill(engine, patient: 3_645, day, invoice: "DOUBLON", line: number)
        XCTAssertEqual(engine.finish().map(\.invoiceID), ["DOUBLON"])
    }

    /// An export sorted by patient: each patient's year, one after the other, with one visit
    /// billed twice in a row. The latest day reaches December at once, so no day closes; the
    /// patients whose block ended a few sweeps ago are dropped all the same, and every duplicate is
    /// found.
    func testPatientOrderFindsEachDuplicateAndDropsEndedBlocks() {
        let engine = duplicateOnlyEngine(sweepInterval: 50)
        var number = 2
        for patient in 0..<1_000 {
            for month in 1...12 {
                let day = CalendarDay(year: 2025, month: month, day: 15)!
                bill(engine, patient: patient, day, invoice: "P\(patient)-\(month)", line: number)
                number += 1
                if month == 6 {
                    bill(engine, patient: patient, day, invoice: "P\(patient)-bis", line: number)
                    number += 1
                }
            }
        }
        // At most the patients seen in the last idleSweepsKept + 1 intervals (13 invoices each).
        XCTAssertLessThanOrEqual(engine.duplicatePatientsKept, (Int(DuplicateMemory.idleSweepsKept) + 1) * 50 / 13 + 2)
        XCTAssertEqual(engine.finish().map(\.invoiceID), (0..<1_000).map { "P\($0)-bis" })
    }
}
