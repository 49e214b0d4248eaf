import Foundation
import XCTest
import Yams

/// The README's "Adding a rule" example works as written: added to a copy of the rule set it
/// validates, and on its own trigger examples it is the only rule that finds anything (an example
/// that a shipped rule also caught would teach readers to count the same money twice).
final class READMERuleExampleTests: XCTestCase {
    static let root = CommandLineTests.root

    /// The first YAML block of the README's "Adding a rule" section.
    func exampleRule() throws -> String {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "### Adding a rule"), "section « Adding a rule » absente du README")
        let open = try XCTUnwrap(readme.range(of: "```yaml\n", range: section.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "```\n", range: open.upperBound..<readme.endIndex))
        return String(readme[open.upperBound..<close.lowerBound])
    }

    /// The trigger examples as rows of the contract's CSV, one invoice each.
    func batch(from examples: [[String: Any]]) throws -> String {
        var rows = ["invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;code;amount"]
        let handled: Set<String> = ["name", "date", "birth_date", "specialty", "mt_status", "acts", "lost_cents", "at_risk_cents"]
        for (index, example) in examples.enumerated() {
            XCTAssertEqual(Set(example.keys).subtracting(handled), [], "clé d'exemple que ce test ne sait pas écrire en CSV")
            let date = try XCTUnwrap(example["date"].map { "\($0)" })
            let birth = try XCTUnwrap(example["birth_date"].map { "\($0)" })
            let specialty = example["specialty"].map { "\($0)" } ?? "01"
            let status = example["mt_status"].map { "\($0)" } ?? "centre"
            for act in try XCTUnwrap(example["acts"] as? [[String: Any]]) {
                let code = try XCTUnwrap(act["code"] as? String)
                let amount = try XCTUnwrap(act["amount"] as? String).replacingOccurrences(of: ".", with: ",")
                rows.append("F\(index + 1);\(date);10000000009;\(specialty);P\(index + 1);\(birth);\(status);\(code);\(amount)")
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The rules of the findings of `audit`, every act of the batch read (none rejected: an
    /// empty list must mean that nothing was found, not that nothing was read).
    func findings(_ arguments: [String], acts: Int) throws -> [String] {
        let result = try ChildProcess.run(["audit"] + arguments + ["--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        XCTAssertEqual(summary["acts"] as? Int, acts)
        XCTAssertEqual(summary["rejected_lines"] as? Int, 0, result.stderr)
        return try XCTUnwrap(document["findings"] as? [[String: Any]]).compactMap { $0["rule"] as? String }
    }

    func testTheExampleRuleValidatesAndOverlapsNoShippedRule() throws {
        let yaml = try exampleRule()
        // Dates kept as written (2025-01-10), as the rule set's loader reads them.
        let rule = try XCTUnwrap(try Yams.load(yaml: yaml, .default.removing(.timestamp)) as? [String: Any])
        let id = try XCTUnwrap(rule["id"] as? String)
        let shipped = Self.root.appendingPathComponent("Rules")
        let shippedRules = try FileManager.default.contentsOfDirectory(atPath: shipped.appendingPathComponent("rules").path)
            .filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(shippedRules.contains("\(id).yaml"), "l'exemple ne doit pas être une règle déjà livrée")

        // A copy of the rule set with the example added, as the README tells a reader to do.
        let folder = try CommandLineTests.temporaryDirectory()
        let copy = folder.appendingPathComponent("Rules")
        try FileManager.default.copyItem(at: shipped, to: copy)
        try yaml.write(to: copy.appendingPathComponent("rules/\(id).yaml"), atomically: true, encoding: .utf8)
        let validate = try ChildProcess.run(["rules", "validate", copy.path])
        XCTAssertEqual(validate.status, 0, validate.stdout + validate.stderr)
        XCTAssertTrue(validate.stdout.contains("\(shippedRules.count + 1) règles"), validate.stdout)

        let examples = try XCTUnwrap((rule["examples"] as? [String: Any])?["trigger"] as? [[String: Any]])
        XCTAssertFalse(examples.isEmpty)
        let csv = folder.appendingPathComponent("exemple.csv")
        let rows = try batch(from: examples)
        try rows.write(to: csv, atomically: true, encoding: .utf8)
        let acts = rows.split(separator: "\n").count - 1
        XCTAssertEqual(try findings([csv.path, "--rules", copy.path], acts: acts), Array(repeating: id, count: examples.count),
                       "sur ses exemples, seule la règle de l'exemple trouve quelque chose")
        XCTAssertEqual(try findings([csv.path, "--rules", shipped.path], acts: acts), [], "aucune règle livrée ne trouve déjà ce cas")
    }
}
