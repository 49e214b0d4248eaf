import Foundation
import XCTest

/// A file of thousands of bad rows: the report keeps a bounded list per kind and says how many more
/// there were, `rejected_lines` stays exact, and `--all-issues FILE` lists every one of them.
final class BoundedIssuesTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-bounded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func testReportsKeepTwoHundredPerKindAndAllIssuesListsThemAll() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var text = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount\n"
        for index in 0..<1_500 {
            // Two kinds: an amount that is not a number, and a quote that swallows the next line.
            text += index % 3 == 0 ? "\"F\(index);2024-10-02;10004129838;01;P1;1980-01-01;G;30\n"
                                   : "F\(index);2024-10-02;10004129838;01;P1;1980-01-01;G;trente\n"
        }
        let input = folder.appendingPathComponent("mauvais.csv")
        try Data(text.utf8).write(to: input)
        let report = folder.appendingPathComponent("rapport.json")
        let all = folder.appendingPathComponent("anomalies.txt")
        let run = try ChildProcess.run(["audit", input.path, "--format", "json", "-o", report.path, "--all-issues", all.path])
        XCTAssertEqual(run.status, 0, run.stderr)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let summary = try XCTUnwrap(json["summary"] as? [String: Any])
        XCTAssertEqual(summary["rejected_lines"] as? Int, 1_500)
        let errors = try XCTUnwrap(json["input_errors"] as? [[String: Any]])
        XCTAssertEqual(errors.count, 400, "200 per kind: the amount column, and rows without a column")
        XCTAssertEqual(summary["input_errors_omitted"] as? Int, 1_100)

        let listed = try String(contentsOf: all, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(listed.count, 1_500)
        XCTAssertTrue(listed.allSatisfy { $0.hasPrefix("erreur : mauvais.csv, ligne ") }, String(listed.first ?? ""))
    }

    /// A file of a thousand made-up codes: each is listed once up to the cap, the lines with further
    /// codes are counted in one warning, and every line is still audited.
    func testDistinctUnknownCodesAreListedUpToACapAndTheRestCounted() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var text = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount\n"
        for index in 0..<1_050 {
            let code = "QZ" + String([letters[index / 676 % 26], letters[index / 26 % 26], letters[index % 26]])
            text += "F\(index);2024-10-02;10004129838;01;P1;1980-01-01;\(code);30\n"
        }
        let input = folder.appendingPathComponent("codes.csv")
        try Data(text.utf8).write(to: input)
        let report = folder.appendingPathComponent("rapport.json")
        let all = folder.appendingPathComponent("anomalies.txt")
        let run = try ChildProcess.run(["audit", input.path, "--format", "json", "-o", report.path, "--all-issues", all.path])
        XCTAssertEqual(run.status, 0, run.stderr)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let summary = try XCTUnwrap(json["summary"] as? [String: Any])
        XCTAssertEqual(summary["acts"] as? Int, 1_050)
        XCTAssertEqual(summary["rejected_lines"] as? Int, 0)
        let warnings = try XCTUnwrap(json["warnings"] as? [[String: Any]]).compactMap { $0["message"] as? String }
        XCTAssertEqual(warnings.filter { $0.hasPrefix("plus de 1000 codes distincts") && $0.contains(" 50 autre(s) ligne(s)") }.count, 1,
                       warnings.first ?? "")
        let listed = try String(contentsOf: all, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(listed.filter { $0.contains("inconnu du jeu de règles") }.count, 1_000)
        XCTAssertEqual(summary["warnings_omitted"] as? Int, 1_001 - 200)
    }
}
