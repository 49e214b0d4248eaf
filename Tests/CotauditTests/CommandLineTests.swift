import Foundation
import XCTest

/// The `cotaudit` binary run as a user or a CI job runs it: exit statuses and outputs.
final class CommandLineTests: XCTestCase, RunsCotaudit {
    typealias Run = ChildProcess.Run
    static let root = SampleBatchesTests.root

    func temporaryDirectory() throws -> URL { try Self.temporaryDirectory() }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testTheREADMECommandAuditsTheSamplesInFrench() throws {
        let result = try run(["audit", "SampleBatches/csv", "--profile", "export-fr", "--roster", "SampleBatches/roster.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Manque à gagner"), result.stdout)
        XCTAssertTrue(result.stdout.contains("MEG"))
    }

    func testJSONOutputToAFile() throws {
        let directory = try temporaryDirectory()
        let output = directory.appendingPathComponent("audit.json")
        let result = try run(["audit", "SampleBatches/xml", "--roster", "SampleBatches/roster.csv", "--format", "json", "-o", output.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any]
        XCTAssertEqual(document?["schema"] as? String, "cotaudit.audit/1")
    }

    func testCheckFailsOnTheSamplesAndWritesJUnit() throws {
        let directory = try temporaryDirectory()
        let junit = directory.appendingPathComponent("junit.xml")
        let result = try run(["check", "SampleBatches/csv", "--profile", "export-fr", "--junit", junit.path, "--format", "json", "-o", "/dev/null"])
        XCTAssertEqual(result.status, 1, "des lignes rejetées et des constats certains font échouer le lot")
        XCTAssertTrue(result.stderr.contains("lot refusé"), result.stderr)
        let xml = try String(contentsOf: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains("<testsuites"))
        XCTAssertTrue(xml.contains("<failure"))
    }

    func testCheckPassesACleanBatch() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("propre.csv")
        try """
        invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;code;amount
        F1;2025-03-10;10000000009;01;P1;1980-01-01;centre;G;30,00

        """.write(to: file, atomically: true, encoding: .utf8)
        let junit = directory.appendingPathComponent("junit.xml")
        let result = try run(["check", file.path, "--junit", junit.path, "-o", "/dev/null"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(try String(contentsOf: junit, encoding: .utf8).contains("<failure"))
    }

    func testCheckExitsTwoOnAnUnreadableFile() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("tronque.xml")
        try "<?xml version=\"1.0\"?>\n<batch>\n<invoice id=\"F1\" date=\"2025-03-10\"".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(["check", file.path, "-o", "/dev/null"])
        XCTAssertEqual(result.status, 2, result.stderr)
    }

    func testAuditExitsTwoWhenNoInputCanBeRead() throws {
        let result = try run(["audit", "/nonexistent/folder"])
        XCTAssertEqual(result.status, 2, result.stderr)
    }

    func testAWrongCommandLineExits64WithOneLine() throws {
        for arguments in [["audit"], ["audit", "x", "--format", "pdf"], ["frobnicate"], ["check", "x", "--fail-on", "maybe"]] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1,
                           "\(arguments): \(result.stderr)")
        }
    }

    func testRulesCommands() throws {
        let list = try run(["rules", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("missing-meg"))
        let validate = try run(["rules", "validate"])
        XCTAssertEqual(validate.status, 0, validate.stdout + validate.stderr)
        let explain = try run(["rules", "explain", "missing-meg"])
        XCTAssertEqual(explain.status, 0)
        XCTAssertTrue(explain.stdout.contains("Exemples qui déclenchent"))
        XCTAssertEqual(try run(["rules", "explain", "nope"]).status, 64)
    }
}
