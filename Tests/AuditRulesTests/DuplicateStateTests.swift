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
