@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// `--format json` goes to its file a part at a time: a report of many findings is never held whole,
/// and the parts make exactly the document `render` gives.
extension ReportTests {
    func testTheJSONReportWrittenInPartsIsTheRenderedDocument() {
        var outcome = outcome()
        outcome.findings = (0..<20_000).map { index in
            finding(index % 2 == 0 ? "missing-meg" : "tariff-below-schedule", .certain, lost: Int64(100 + index % 700),
                    line: index + 2, message: "message \(index) « à corriger »")
        }
        let totals = AuditTotals(outcome, options: options)
        var parts: [String] = []
        JSONReport.write(outcome, totals: totals, options: options) { parts.append($0) }
        XCTAssertGreaterThan(parts.count, 3, "several parts of about \(JSONWriter.partSize) bytes")
        XCTAssertTrue(parts.dropLast().allSatisfy { $0.utf8.count < JSONWriter.partSize + 4_096 }, "no part much larger than the bound")
        XCTAssertEqual(parts.joined(), JSONReport.render(outcome, totals: totals, options: options))
    }
}
