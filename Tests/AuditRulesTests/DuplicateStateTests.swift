@testable import AuditRules
import BillingModel
import Foundation
import XCTest

/// The duplicate rule remembers a few days per patient, not every act it has seen: before, a
/// 1M-line file kept all its acts to the end of the run.
extension EngineTests {
    func testThreeYearsOfDailyActsKeepEightDaysAndStillFindTheDuplicate() {
        var ruleSet = ShippedRules.ruleSet
        ruleSet.rules = ruleSet.rules.filter { $0.id == "duplicate-act" }
        let engine = AuditEngine(ruleSet: ruleSet)
        var day = CalendarDay(year: 2023, month: 1, day: 2)!
        for index in 0..<1_000 {
            engine.audit(Invoice(lines: [line("G", "30.00", date: day.iso, invoice: "F\(index)", line: index + 2)]))
            day = day.adding(days: 1)
        }
        XCTAssertEqual(engine.duplicateDaysKept, DuplicateState.daysKept)
        // The same day again, a few days later in the file: still a duplicate.
        let last = day.adding(days: -3)
        engine.audit(Invoice(lines: [line("G", "30.00", date: last.iso, invoice: "DOUBLON", line: 5_000)]))
        XCTAssertEqual(engine.finish().map(\.invoiceID), ["DOUBLON"])
    }
}
