import AuditReport
@testable import AuditRules
import BatchGenerator
import BillingIngest
import BillingModel
import Foundation
import XCTest

/// Reading on one thread while the audit runs on another must change nothing: the JSON report of a
/// generated batch (CSV and XML, with planted errors and rejected rows) is the same, byte for byte.
/// So must holding the findings in a temporary file rather than in memory.
final class ParallelAuditTests: XCTestCase {
    func testAParallelAuditWritesTheSameJSONAsOneThread() throws {
        let ruleSet = try BatchGeneratorTests.ruleSet.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-parallel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, format) in BatchFormat.allCases.enumerated() {
            var bytes: [UInt8] = []
            // More events than the queue holds (512 × 8), so the reading thread waits for the audit.
            _ = try BatchGenerator.generate(ruleSet: ruleSet, options: .init(lines: 6_000, seed: 11 + UInt64(index)),
                                            format: format) { bytes += $0 }
            let file = directory.appendingPathComponent("lot-\(index).\(format.rawValue)")
            try Data(bytes).write(to: file)
            paths.append(file.path)
        }
        let options = ReportOptions(asOf: CalendarDay(year: 2026, month: 6, day: 1)!, recoverableWindowDays: ruleSet.recoverableWindowDays,
                                    recoverableWindowSource: ruleSet.recoverableWindowSource, centreName: nil, ruleAdvice: [:])
        func json(jobs: Int, findingsRunLength: Int = FindingList.defaultRunLength) -> (String, Int) {
            var runner = AuditRunner(ruleSet: ruleSet, pseudonymizer: Pseudonymizer(key: Data(repeating: 7, count: 32)))
            runner.jobs = jobs
            runner.findingsRunLength = findingsRunLength
            var progress: [Int] = []
            runner.progress = { progress.append($0) }
            let (outcome, readable) = runner.run(paths: paths + [directory.appendingPathComponent("absent.csv").path])
            XCTAssertEqual(progress, [], "no progress line under 50 000 lines")
            XCTAssertEqual(outcome.findings.areOnDisk, findingsRunLength < outcome.findings.count)
            let totals = AuditTotals(outcome, options: options)
            // The text report's list of the largest findings walks them too.
            let text = TextReport.render(outcome, totals: totals, options: options, colors: false)
            return (JSONReport.render(outcome, totals: totals, options: options) + text, readable)
        }
        let (single, singleReadable) = json(jobs: 1)
        let (parallel, parallelReadable) = json(jobs: 2)
        XCTAssertEqual(singleReadable, 2)
        XCTAssertEqual(parallelReadable, singleReadable)
        XCTAssertGreaterThan(single.utf8.count, 100_000, "a report with findings and rejected rows")
        XCTAssertTrue(single == parallel, "the parallel audit's JSON differs from the single-threaded one")
        let (spilled, spilledReadable) = json(jobs: 2, findingsRunLength: 97)
        XCTAssertEqual(spilledReadable, singleReadable)
        XCTAssertTrue(single == spilled, "the findings read back from their temporary file give a different report")
    }
}
