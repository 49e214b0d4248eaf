import AuditReport
@testable import AuditRules
import BatchGenerator
import BillingIngest
import BillingModel
import Foundation
import XCTest

/// Reading on one thread while the audit runs on another must change nothing: the JSON report of a
/// generated batch (CSV and XML, with planted errors and rejected rows) is the same, byte for byte,
/// and so is every issue as it is said, in its order.
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
            // More events than the queue holds (512 × 32), so the reading thread waits for the audit.
            _ = try BatchGenerator.generate(ruleSet: ruleSet, options: .init(lines: 10_000, seed: 11 + UInt64(index)),
                                            format: format) { bytes += $0 }
            let file = directory.appendingPathComponent("lot-\(index).\(format.rawValue)")
            try Data(bytes).write(to: file)
            paths.append(file.path)
        }
        let options = ReportOptions(asOf: CalendarDay(year: 2026, month: 6, day: 1)!, recoverableWindowDays: ruleSet.recoverableWindowDays,
                                    recoverableWindowSource: ruleSet.recoverableWindowSource, centreName: nil, ruleAdvice: [:])
        func json(jobs: Int, findingsRunLength: Int = FindingList.defaultRunLength, validatedOnReadingThread: Bool? = nil,
                  readsPlainRows: Bool = true) -> (String, Int) {
            var runner = AuditRunner(ruleSet: ruleSet, pseudonymizer: Pseudonymizer(key: Data(repeating: 7, count: 32)))
            runner.jobs = jobs
            runner.readsPlainRows = readsPlainRows
            runner.validatesRawRecordsOnTheReadingThread = validatedOnReadingThread
            runner.findingsRunLength = findingsRunLength
            var progress: [Int] = []
            runner.progress = { progress.append($0) }
            // Every issue as it is said (`--all-issues`), in its order: the JSON sorts its own.
            var said = ""
            runner.issueSink = { said += "\($0.file) \($0.line) \($0.columnInFile ?? "-") \($0.message)\n" }
            let (outcome, readable) = runner.run(paths: paths + [directory.appendingPathComponent("absent.csv").path])
            XCTAssertEqual(progress, [], "no progress line under 50 000 lines")
            XCTAssertEqual(outcome.findings.areOnDisk, findingsRunLength < outcome.findings.count)
            let totals = AuditTotals(outcome, options: options)
            // The text report's list of the largest findings walks them too.
            let text = TextReport.render(outcome, totals: totals, options: options, colors: false)
            return (JSONReport.render(outcome, totals: totals, options: options) + text + said, readable)
        }
        let (single, singleReadable) = json(jobs: 1)
        let (parallel, parallelReadable) = json(jobs: 2)
        // The XML acts validated on either thread, whatever the queue says.
        for onReadingThread in [true, false] {
            let (forced, forcedReadable) = json(jobs: 2, validatedOnReadingThread: onReadingThread)
            XCTAssertEqual(forcedReadable, singleReadable)
            XCTAssertTrue(single == forced, "XML acts validated on the \(onReadingThread ? "reading" : "audit's") thread give a different report")
        }
        XCTAssertEqual(singleReadable, 2)
        XCTAssertEqual(parallelReadable, singleReadable)
        XCTAssertGreaterThan(single.utf8.count, 100_000, "a report with findings and rejected rows")
        XCTAssertTrue(single == parallel, "the parallel audit's JSON differs from the single-threaded one")
        // Every CSV row read the general way, without the plain lane.
        for jobs in [1, 2] {
            let (general, generalReadable) = json(jobs: jobs, readsPlainRows: false)
            XCTAssertEqual(generalReadable, singleReadable)
            XCTAssertTrue(single == general, "the plain lane changes the report (\(jobs) threads)")
        }
        let (spilled, spilledReadable) = json(jobs: 2, findingsRunLength: 97)
        XCTAssertEqual(spilledReadable, singleReadable)
        XCTAssertTrue(single == spilled, "the findings read back from their temporary file give a different report")
    }

    /// An XML file's acts are validated on the audit's thread when it has its own: a rejected act
    /// must still name its columns as the file did when the act was read, not as it did later.
    func testXMLActsValidatedOnTheAuditThreadNameTheirColumnsAsWhenRead() throws {
        let ruleSet = try BatchGeneratorTests.ruleSet.get()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-names-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: file) }
        // The first act has no amount: the file has not named the column yet, so the message uses
        // the contract's attribute; the later acts name it `montant`, and so does the last one's message.
        try Data("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10001000008" specialty="01">
            <patient id="201067500171983" birth-date="2001-06-04"/>
            <act code="G"/>
            <act code="MEG" montant="5.00"/>
          </invoice>
          <invoice id="F2" date="2025-10-03" practitioner="10001000008" specialty="01">
            <patient id="201067500171983" birth-date="2001-06-04"/>
            <act code="G" montant="abc"/>
          </invoice>
        </batch>
        """.utf8).write(to: file)
        var profile = MappingProfile(name: "logiciel-x")
        profile.headers[MappingProfile.normalizeHeader("montant")] = .amount
        func rejections(jobs: Int) -> [String] {
            var runner = AuditRunner(ruleSet: ruleSet, profile: profile, pseudonymizer: Pseudonymizer(key: Data(repeating: 7, count: 32)))
            runner.jobs = jobs
            let (outcome, _) = runner.run(paths: [file.path])
            XCTAssertEqual(outcome.rejectedLines, 2)
            return outcome.inputErrors.map { "\($0.line) \($0.columnInFile ?? "-") \($0.message)" }
        }
        let single = rejections(jobs: 1)
        XCTAssertEqual(single.count, 2)
        XCTAssertTrue(single[0].hasPrefix("4 attribut « amount » de <act> "), single[0])
        XCTAssertTrue(single[1].hasPrefix("9 attribut « montant » de <act> "), single[1])
        XCTAssertEqual(rejections(jobs: 2), single)
    }

    /// A CSV file's valid lines are grouped into invoices on the audit's thread when it has its own:
    /// a line that does not fit its invoice, a malformed row and acts outside the period must be
    /// said in the same order, with the columns named as the file names them, and the invoices
    /// closed at each file's end.
    func testCSVLinesGroupedOnTheAuditThreadGiveTheSameOutcome() throws {
        let ruleSet = try BatchGeneratorTests.ruleSet.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-lines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;num_patient;patient_birth_date;code;montant"
        let first = [
            "F1;2025-10-02;10001000008;01;201067500171983;2023-06-04;G;30,00",
            "F1;2025-10-02;10001000008;01;P000002;2023-06-04;MEG;5,00",
            "F2;2025-10-03;10001000008;01;P000002;1950-01-01;G;25,00",
            "F3;2025-09-30;10001000008;01;P000003;1950-01-01;G;30,00",
            "F4;2025-10-04;10001000008;01;P000003;1950-01-01;G;abc",
            "F5;2025-10-05;10001000008;01;P000004;2022-01-01;G;30,00",
            "F5;2025-10-05;10001000008;01;P000004;2022-01-01;MEG;5,00",
        ]
        var paths: [String] = []
        for (index, rows) in [first, Array(first.reversed()), first + first].enumerated() {
            let file = directory.appendingPathComponent("lot-\(index).csv")
            try Data(([header] + rows).joined(separator: "\n").utf8).write(to: file)
            paths.append(file.path)
        }
        var profile = MappingProfile(name: "logiciel-y")
        profile.headers[MappingProfile.normalizeHeader("num_patient")] = .patientID
        profile.headers[MappingProfile.normalizeHeader("montant")] = .amount
        func outcome(jobs: Int) -> (issues: [String], invoices: Int, outside: Int, findings: [String]) {
            var runner = AuditRunner(ruleSet: ruleSet, profile: profile, pseudonymizer: Pseudonymizer(key: Data(repeating: 7, count: 32)))
            runner.jobs = jobs
            runner.period = ActPeriod(from: CalendarDay(year: 2025, month: 10, day: 1), to: nil)
            var said: [String] = []
            runner.issueSink = { said.append("\($0.file) \($0.line) \($0.columnInFile ?? "-") \($0.message)") }
            let (outcome, _) = runner.run(paths: paths)
            return (said, outcome.invoices, outcome.actsOutsidePeriod,
                    outcome.findings.map { "\($0.location) \($0.rule) \($0.invoiceID)" })
        }
        let single = outcome(jobs: 1)
        XCTAssertEqual(single.invoices, 12, "F1, F2 and F5 each of the four times the rows are read")
        XCTAssertEqual(single.outside, 4, "F3, once in each copy")
        XCTAssertTrue(single.issues.contains { $0.hasPrefix("lot-0.csv 3 colonne « num_patient » ") }, "\(single.issues)")
        XCTAssertTrue(single.issues.contains { $0.hasPrefix("lot-0.csv 6 colonne « montant » ") }, "\(single.issues)")
        XCTAssertFalse(single.findings.isEmpty)
        let parallel = outcome(jobs: 2)
        XCTAssertEqual(parallel.issues, single.issues)
        XCTAssertEqual(parallel.invoices, single.invoices)
        XCTAssertEqual(parallel.outside, single.outside)
        XCTAssertEqual(parallel.findings, single.findings)
    }
}
