@testable import AuditRules
import BillingModel
import XCTest

/// How a run holds its findings until `finish`: sorted runs written to a temporary file and merged
/// back in file order, or in memory when they are few or no file can be written.
final class FindingListTests: XCTestCase {
    private func finding(file: String, line: Int, rule: String) -> Finding {
        Finding(rule: rule, kind: .underCoding, certainty: .certain, location: SourceLocation(file: file, line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(year: 2025, month: 3, day: 4)!, practitionerID: "10000000001",
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: nil, lostCents: Cents(Int64(line)), atRiskCents: .zero,
                message: "m\(line)")
    }

    /// Findings in a random order with few distinct keys, so that ties are common; each message
    /// says where the finding came, which shows the order kept between equal findings.
    private func shuffled(_ count: Int) -> [Finding] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { offset in
            var item = finding(file: ["a.csv", "b.csv"][Int.random(in: 0...1, using: &generator)],
                               line: Int.random(in: 0..<40, using: &generator),
                               rule: ["missing-meg", "duplicate-act"][Int.random(in: 0...1, using: &generator)])
            item.message = "#\(offset)"
            return item
        }
    }

    /// The place a merge reads from a finding's record, and `fileOrder`'s shortcut for two lines of
    /// one file, order findings as the comparison of (location, rule, invoice, patient) does.
    func testOrderReadFromRecordsIsTheFindingsFileOrder() {
        var generator = SystemRandomNumberGenerator()
        let findings: [Finding] = (0..<300).map { _ in
            var item = finding(file: ["a.csv", "b.csv", "c.csv"][Int.random(in: 0...2, using: &generator)],
                               line: Int.random(in: 0..<6, using: &generator),
                               rule: ["missing-meg", "duplicate-act"][Int.random(in: 0...1, using: &generator)])
            item.invoiceID = ["F1", "F2", "F10"][Int.random(in: 0...2, using: &generator)]
            item.patientRef = [PatientRef(bits: 3), PatientRef(bits: 12), PatientRef("p-texte")][Int.random(in: 0...2, using: &generator)]
            return item
        }
        let keys: [FindingOrderKey] = findings.map { item in
            var record: [UInt8] = []
            FindingCoding.append(item, to: &record)
            return FindingCoding.orderKey(record)!
        }
        for left in findings.indices {
            for right in findings.indices {
                let (a, b) = (findings[left], findings[right])
                let expected = (a.location, a.rule, a.invoiceID, a.patientRef) < (b.location, b.rule, b.invoiceID, b.patientRef)
                XCTAssertEqual(Finding.fileOrder(a, b), expected)
                XCTAssertEqual(keys[left] < keys[right], expected)
            }
        }
    }

    func testSpilledRunsMergeIntoTheStableSortOfEveryFinding() {
        for (count, runLength) in [(1, 1), (7, 3), (1_000, 64), (5_003, 500), (300, 300), (301, 300)] {
            let appended = shuffled(count)
            var list = FindingList()
            list.runLength = runLength
            for item in appended { list.append(item) }
            XCTAssertEqual(list.count, count)
            let findings = list.finish()
            XCTAssertTrue(findings.areOnDisk, "\(count) findings in runs of \(runLength) go to a file")
            XCTAssertEqual(findings.count, count)
            let expected = appended.sorted(by: Finding.fileOrder)
            XCTAssertEqual(Array(findings), expected, "\(count) in runs of \(runLength)")
            XCTAssertEqual(Array(findings), expected, "a second walk reads the same findings")
            XCTAssertEqual(list.count, 0, "the list is left empty")
        }
    }

    /// `finish` reads the pass's findings and the per-patient ones, settled apart, as one list:
    /// the stable sort of both, the first list's findings before equal ones of the second,
    /// whether each list is on disk or in memory, and when one is empty.
    func testTwoListsMergeIntoTheStableSortOfBoth() {
        for (firstCount, secondCount, runLength) in [(1_000, 700, 64), (200, 5, 300), (0, 40, 16), (33, 0, 16), (1, 1, 1), (0, 0, 8)] {
            let firstAppended = shuffled(firstCount)
            var secondAppended = shuffled(secondCount)
            for index in secondAppended.indices { secondAppended[index].message += " (2)" }
            var first = FindingList(runLength: runLength)
            var second = FindingList(runLength: runLength)
            for item in firstAppended { first.append(item) }
            for item in secondAppended { second.append(item) }
            let merged = Findings(merging: first.finish(), second.finish())
            let expected = (firstAppended + secondAppended).sorted(by: Finding.fileOrder)
            XCTAssertEqual(merged.count, firstCount + secondCount)
            XCTAssertEqual(Array(merged), expected, "\(firstCount) and \(secondCount) in runs of \(runLength)")
            XCTAssertEqual(Array(merged), expected, "a second walk reads the same findings")
            // A list goes to a file once a run of it fills.
            XCTAssertEqual(merged.areOnDisk, [firstCount, secondCount].contains { $0 > 0 && $0 >= runLength })
        }
    }

    func testFewFindingsStayInMemorySorted() {
        let appended = shuffled(299)
        var list = FindingList()
        list.runLength = 300
        for item in appended { list.append(item) }
        let findings = list.finish()
        XCTAssertFalse(findings.areOnDisk)
        XCTAssertEqual(Array(findings), appended.sorted(by: Finding.fileOrder))
        var empty = FindingList()
        XCTAssertTrue(empty.finish().isEmpty)
    }

    func testRunsThatCannotBeWrittenAreMergedInMemory() {
        let appended = shuffled(2_000)
        var list = FindingList()
        list.runLength = 128
        list.folder = "/nonexistent-cotaudit-folder"
        for item in appended { list.append(item) }
        let findings = list.finish()
        XCTAssertFalse(findings.areOnDisk, "no file could be made: nothing is lost, all is held in memory")
        XCTAssertEqual(Array(findings), appended.sorted(by: Finding.fileOrder))
    }

    func testEveryFieldReadsBackAsWritten() throws {
        let texts = ["", "é « à corriger » \u{1F600}", String(repeating: "x", count: 70_000), "a\u{0}b\r\n"]
        var written: [Finding] = []
        for (index, text) in texts.enumerated() {
            for kind in FindingKind.allCases {
                for certainty in Certainty.allCases {
                    written.append(Finding(rule: "rule-\(text.prefix(4))", kind: kind, certainty: certainty,
                                           location: SourceLocation(file: "dossier/\(text.prefix(10)).xml", line: Int.max - index),
                                           invoiceID: text, actDate: CalendarDay(year: 9999, month: 12, day: 31)!,
                                           practitionerID: "1000000000\(index)",
                                           patientRef: PatientRef(index % 2 == 0 ? "p-0123456789abcdef" : "patient \(text.prefix(5))"),
                                           code: "G", expectedCode: index == 1 ? nil : (index == 2 ? "" : "MEG"),
                                           lostCents: Cents(Int64.min + Int64(index)), atRiskCents: Cents(Int64.max),
                                           message: text))
                }
            }
        }
        let file = try XCTUnwrap(FindingFile.makeTemporary())
        let range = try XCTUnwrap(file.append(written))
        let reader = FindingReader(file, range: range)
        var read: [Finding] = []
        while let next = reader.next() { read.append(next) }
        XCTAssertEqual(read, written)
    }

    func testPermutationSortEqualsTheStandardStableSort() {
        for size in [0, 1, 2, 3, 10, 1_000, 5_003] {
            let items = shuffled(size)
            var permuted = items
            permuted.sortInPlaceByPermutation(by: Finding.fileOrder)
            XCTAssertEqual(permuted.map(\.message), items.sorted(by: Finding.fileOrder).map(\.message), "size \(size)")
        }
    }
}
