@testable import AuditRules
import BillingModel
import XCTest

/// How a run holds its findings until `finish`: in chunks, joined at exact size, sorted through a
/// permutation of indices (the memory a 5M-line audit saved at its end).
final class FindingListTests: XCTestCase {
    private func finding(file: String, line: Int, rule: String) -> Finding {
        Finding(rule: rule, kind: .underCoding, certainty: .certain, location: SourceLocation(file: file, line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(year: 2025, month: 3, day: 4)!, practitionerID: "10000000001",
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: nil, lostCents: Cents(Int64(line)), atRiskCents: .zero,
                message: "m\(line)")
    }

    func testDrainGivesEveryFindingInTheOrderAppendedAcrossChunks() {
        var list = FindingList()
        let count = 3 * FindingList.chunkSize + 17
        let appended = (0..<count).map { finding(file: "a.csv", line: $0, rule: "r") }
        for item in appended { list.append(item) }
        XCTAssertEqual(list.count, count)
        let drained = list.drain()
        XCTAssertEqual(drained, appended)
        XCTAssertGreaterThanOrEqual(drained.capacity, count)
        XCTAssertEqual(list.count, 0)
        XCTAssertEqual(list.drain(), [])
    }

    func testPermutationSortEqualsTheStandardStableSort() {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 2, 3, 10, 1_000, 5_003] {
            // Few distinct keys, so that ties are common and stability shows.
            let items = (0..<size).map { index in
                finding(file: ["a.csv", "b.csv"][Int.random(in: 0...1, using: &generator)], line: Int.random(in: 0..<40, using: &generator),
                        rule: ["missing-meg", "duplicate-act"][Int.random(in: 0...1, using: &generator)])
            }.enumerated().map { offset, item in
                var item = item
                item.message = "#\(offset)"  // not compared: shows which of equal findings came first
                return item
            }
            var permuted = items
            permuted.sortInPlaceByPermutation(by: Finding.fileOrder)
            XCTAssertEqual(permuted.map(\.message), items.sorted(by: Finding.fileOrder).map(\.message), "size \(size)")
        }
    }
}
