import AuditRules
import BillingIngest
import BillingModel
import Foundation
import GRDB
import XCTest
@testable import AuditStore

/// The nightly store fed a year night after night equals one audit of the year.
final class StoreTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let key = Data("cotaudit-ci-key-not-secret".utf8)

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func makeRunner() throws -> AuditRunner {
        let ruleSet = try RuleSetLoader.load(directory: Self.root.appendingPathComponent("Rules"))
        let roster = try RosterReader.read(url: folder.appendingPathComponent("roster.csv")).0
        return AuditRunner(ruleSet: ruleSet, roster: roster, pseudonymizer: Pseudonymizer(key: Self.key))
    }

    func openStore() throws -> AuditStore {
        try AuditStore(path: folder.appendingPathComponent("store/cotaudit.sqlite").path,
                       pseudonymCheck: Pseudonymizer(key: Self.key).ref(for: "check").value)
    }

    /// Findings in one total order, so that two lists with the same findings compare equal.
    func sorted(_ findings: [Finding]) -> [Finding] {
        findings.sorted { ($0.location.file, $0.location.line, $0.fingerprint, $0.message) < ($1.location.file, $1.location.line, $1.fingerprint, $1.message) }
    }

    func recorded(_ outcome: FileOutcome) -> RecordedFile? {
        if case .recorded(let file) = outcome { return file }
        return nil
    }

    func testAYearNightByNightEqualsOneAuditOfTheCorrectedYear() throws {
        let generator = YearGenerator(patients: 60, invoicesPerMonth: 50)
        let months = try generator.write(to: folder)
        let runner = try makeRunner()
        let store = try openStore()
        let marchApril = runner.pseudonymizer.ref(for: YearGenerator.marchAprilPatient)
        func marchAprilFindings() throws -> [Finding] {
            try store.outcome(from: YearMonth(year: YearGenerator.year, month: 1), to: YearMonth(year: YearGenerator.year, month: 12), ruleSetName: "", ruleSetVersion: "", roster: nil)
                .findings.filter { $0.patientRef == marchApril && $0.rule == "missing-mt-declaration" }
        }

        // One file a night.
        for (index, month) in months.enumerated() {
            let run = try store.nightly(paths: [month.path], runner: runner)
            let file = try XCTUnwrap(recorded(run.files[0]), "\(month.lastPathComponent) not recorded")
            XCTAssertEqual(file.replacedInvoices, 0)
            if index == 2 { XCTAssertEqual(try marchAprilFindings().count, 0, "seen once in March: no finding yet") }
            if index == 3 {
                XCTAssertEqual(try marchAprilFindings().count, 1, "seen in March and April: one finding when April arrives")
                let new = try store.changes(afterRun: run.sinceRunID).filter { $0.change == .new && $0.finding.patientRef == marchApril }
                XCTAssertEqual(new.count, 1)
            }
        }
        XCTAssertEqual(try marchAprilFindings().count, 1)

        // The same files again, and an identical re-export under another name: nothing changes.
        let before = try store.outcome(from: YearMonth(year: YearGenerator.year, month: 1), to: YearMonth(year: YearGenerator.year, month: 12),
                                       ruleSetName: "", ruleSetVersion: "", roster: nil).findings
        let again = try store.nightly(paths: [folder.appendingPathComponent("exports").path], runner: runner)
        XCTAssertEqual(again.files.count, 12)
        XCTAssertTrue(again.files.allSatisfy { if case .skipped = $0 { return true } else { return false } })
        let copy = folder.appendingPathComponent("reexport/mai-bis.csv")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: months[4], to: copy)
        let identical = try store.nightly(paths: [copy.path], runner: runner)
        guard case .skipped = identical.files[0] else { return XCTFail("identical re-export not skipped") }
        XCTAssertTrue(try store.changes(afterRun: again.sinceRunID).isEmpty)

        // A corrected re-export of June replaces June's invoices and fixes their findings.
        let corrected = folder.appendingPathComponent("reexport/2025-06-corrige.csv")
        try generator.month(6, corrected: true).write(to: corrected, atomically: true, encoding: .utf8)
        let correction = try store.nightly(paths: [corrected.path], runner: runner)
        let file = try XCTUnwrap(recorded(correction.files[0]))
        XCTAssertEqual(file.replacedInvoices, generator.invoicesPerMonth)
        XCTAssertGreaterThan(file.fixedFindings, 0)
        let fixed = try store.changes(afterRun: correction.sinceRunID).filter { $0.change == .fixed }
        XCTAssertEqual(fixed.count, file.fixedFindings)
        XCTAssertTrue(fixed.allSatisfy { $0.finding.actDate.month == 6 || $0.finding.kind == .missingMT },
                      "only what the June file covers is fixed")
        let after = try store.outcome(from: YearMonth(year: YearGenerator.year, month: 1), to: YearMonth(year: YearGenerator.year, month: 12),
                                      ruleSetName: "", ruleSetVersion: "", roster: nil).findings
        XCTAssertEqual(before.count - after.count, file.fixedFindings - file.newFindings)

        // One audit of the corrected year.
        var yearFiles = months.map(\.path)
        yearFiles[5] = corrected.path
        let (single, _) = runner.run(paths: yearFiles)
        XCTAssertGreaterThan(single.findings.count, 50)
        for rule in ["missing-mt-declaration", "mt-practitioner-departed", "missing-meg", "tariff-below-schedule"] {
            XCTAssertTrue(single.findings.contains { $0.rule == rule }, "the year exercises \(rule)")
        }
        XCTAssertTrue(single.findings.contains { $0.message.contains("majoration C2S") }, "the year exercises the C2S supplement")
        for month in 1...12 {
            let yearMonth = YearMonth(year: YearGenerator.year, month: month)
            let report = try store.outcome(from: yearMonth, to: yearMonth, ruleSetName: runner.ruleSet.name,
                                           ruleSetVersion: runner.ruleSet.version, roster: runner.roster)
            let expected = single.findings.filter { $0.actDate.yearMonth == yearMonth }
            XCTAssertEqual(sorted(Array(report.findings)), sorted(expected), "month \(month)")
            XCTAssertEqual(report.billedByMonth, [yearMonth: single.billedByMonth[yearMonth]!], "month \(month)")
            XCTAssertEqual(report.invoices, generator.invoicesPerMonth)
        }
        let wholeYear = try store.outcome(from: YearMonth(year: YearGenerator.year, month: 1), to: YearMonth(year: YearGenerator.year, month: 12),
                                          ruleSetName: "", ruleSetVersion: "", roster: nil)
        XCTAssertEqual(wholeYear.billedByPractitioner, single.billedByPractitioner)
        XCTAssertEqual(wholeYear.acts, single.acts)
        XCTAssertEqual(wholeYear.invoices, single.invoices)
    }

    func testTheStoreFileIsPrivateAndKeepsNoBirthDateNorPatientNumber() throws {
        let months = try YearGenerator(patients: 20, invoicesPerMonth: 10).write(to: folder)
        let store = try openStore()
        _ = try store.nightly(paths: [months[0].path], runner: try makeRunner())
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: store.path).deletingLastPathComponent().path)
        XCTAssertEqual((folderAttributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        // Every text value in every table: no patient number, no birth date of the export.
        let export = try String(contentsOf: months[0], encoding: .utf8)
        let birthDates = Set(export.split(separator: "\n").dropFirst().map { $0.split(separator: ";")[5] }.map(String.init))
        let texts = try store.pool.read { db -> [String] in
            var all: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") {
                    for value in row.databaseValues { if case .string(let text) = value.storage { all.append(text) } }
                }
            }
            return all
        }
        XCTAssertFalse(texts.isEmpty)
        for text in texts {
            XCTAssertFalse(text.contains("PAT-"), "a patient number reached the store: \(text)")
            for birth in birthDates { XCTAssertFalse(text.contains(birth), "a birth date reached the store") }
        }
    }

    func testAStoreFilledWithAnotherKeyIsRefused() throws {
        _ = try openStore()
        XCTAssertThrowsError(try AuditStore(path: folder.appendingPathComponent("store/cotaudit.sqlite").path, pseudonymCheck: "p-other")) { error in
            XCTAssertTrue("\(error)".contains("autre clé"), "\(error)")
        }
    }

    func testASecondRunWaitsABoundedTimeThenGivesUpInFrench() throws {
        let path = folder.appendingPathComponent("store/cotaudit.sqlite").path
        _ = try openStore()
        let holder = try RunLock(storePath: path, waitSeconds: 0)
        let start = Date()
        XCTAssertThrowsError(try RunLock(storePath: path, waitSeconds: 0.3)) { error in
            XCTAssertTrue("\(error)".contains("un autre audit de nuit"), "\(error)")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.3)
        withExtendedLifetime(holder) {}
    }
}
