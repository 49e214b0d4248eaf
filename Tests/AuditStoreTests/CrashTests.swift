import AuditRules
import BillingIngest
import BillingModel
import Foundation
import GRDB
import XCTest
@testable import AuditStore

/// A nightly run of the real binary killed with SIGKILL in the middle: the store stays whole and
/// the next run finishes the job.
final class CrashTests: XCTestCase {
    /// `swift test` builds the executable beside the test bundle.
    static var binary: URL {
        let bundle = Bundle(for: CrashTests.self).bundleURL
        let beside = bundle.appendingPathComponent("cotaudit")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return bundle.deletingLastPathComponent().appendingPathComponent("cotaudit")
    }

    /// The binary set up with the store tests' pseudonym key, not started; its outputs go nowhere
    /// until the caller says otherwise.
    static func process(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COTAUDIT_PSEUDONYM_KEY"] = String(decoding: StoreTests.key, as: UTF8.self)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return process
    }

    func nightly(_ folder: URL, store: String) throws -> Process {
        let process = Self.process(["nightly", folder.appendingPathComponent("exports").path, "--store", store,
                                    "--roster", folder.appendingPathComponent("roster.csv").path,
                                    "--rules", StoreTests.root.appendingPathComponent("Rules").path])
        try process.run()
        return process
    }

    func recordedFiles(_ path: String) -> Int {
        guard let queue = try? DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }()),
              let count = try? queue.read({ try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM source_file") }) else { return 0 }
        return count
    }

    func testAKilledNightlyLeavesTheStoreWholeAndTheRerunFinishes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let generator = YearGenerator(patients: 300, invoicesPerMonth: 300)
        let months = try generator.write(to: folder)
        let path = folder.appendingPathComponent("store/cotaudit.sqlite").path

        // Killed once at least one file is recorded, while the next one is under way.
        let first = try nightly(folder, store: path)
        let deadline = Date().addingTimeInterval(120)
        while recordedFiles(path) < 2 && first.isRunning && Date() < deadline { usleep(5_000) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationReason, .uncaughtSignal, "the run ended before it could be killed")

        let ruleSet = try RuleSetLoader.load(directory: StoreTests.root.appendingPathComponent("Rules"))
        let roster = try RosterReader.read(url: folder.appendingPathComponent("roster.csv")).0
        let runner = AuditRunner(ruleSet: ruleSet, roster: roster, pseudonymizer: Pseudonymizer(key: StoreTests.key))
        let store = try AuditStore(path: path, pseudonymCheck: nil)
        let (recorded, integrity, unfinished, orphans) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM source_file")!,
             try String.fetchOne(db, sql: "PRAGMA integrity_check"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE finished_at IS NULL")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM source_file f WHERE f.invoices <> (SELECT COUNT(*) FROM invoice i WHERE i.file_id = f.id)")!)
        }
        XCTAssertEqual(integrity, "ok")
        XCTAssertGreaterThanOrEqual(recorded, 2)
        XCTAssertLessThan(recorded, months.count, "killed mid-way, not after the end")
        XCTAssertEqual(unfinished, 1, "the killed run is recorded as not finished")
        XCTAssertEqual(orphans, 0, "every recorded file has all its invoices: each file is one transaction")

        // The rerun skips what was recorded and finishes the rest.
        let second = try nightly(folder, store: path)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 0)
        let history = try store.history()
        XCTAssertNotNil(history[0].finishedAt)
        XCTAssertEqual(history[0].filesSkipped, recorded)
        XCTAssertEqual(history[0].filesAudited, months.count - recorded)

        let (single, _) = runner.run(paths: months.map(\.path))
        let year = try store.outcome(from: YearMonth(year: YearGenerator.year, month: 1), to: YearMonth(year: YearGenerator.year, month: 12),
                                     ruleSetName: "", ruleSetVersion: "", roster: nil)
        XCTAssertEqual(year.invoices, single.invoices)
        XCTAssertEqual(year.billedByPractitioner, single.billedByPractitioner)
        XCTAssertEqual(Set(year.findings.map(\.fingerprint)), Set(single.findings.map(\.fingerprint)))
        XCTAssertEqual(year.findings.count, single.findings.count)
    }
}
