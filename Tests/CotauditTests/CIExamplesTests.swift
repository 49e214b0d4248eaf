import Foundation
import XCTest
import Yams

/// The CI jobs the README shows (docs/ci/): valid YAML with the structure each CI reads, the same
/// text in the README, and a `cotaudit check` command line the tool really accepts.
final class CIExamplesTests: XCTestCase {
    static let root = SampleBatchesTests.root

    func text(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    func testTheREADMEShowsBothFilesVerbatim() throws {
        let readme = try text("README.md")
        for path in ["docs/ci/gitlab-ci.yml", "docs/ci/github-workflow.yml"] {
            XCTAssertTrue(readme.contains("```yaml\n" + (try text(path)) + "```\n"), "README : \(path) recopié tel quel")
        }
    }

    func testGitLabJob() throws {
        let document = try XCTUnwrap(try Yams.load(yaml: try text("docs/ci/gitlab-ci.yml")) as? [String: Any])
        let job = try XCTUnwrap(document["cotaudit-check"] as? [String: Any])
        XCTAssertEqual(job["stage"] as? String, "test")
        let script = try XCTUnwrap(job["script"] as? [String])
        let command = try XCTUnwrap(script.first { $0.hasPrefix("cotaudit check ") })
        let artifacts = try XCTUnwrap(job["artifacts"] as? [String: Any])
        XCTAssertEqual(artifacts["when"] as? String, "always", "les rapports sont gardés quand le lot échoue")
        let reports = try XCTUnwrap(artifacts["reports"] as? [String: Any])
        let junit = try XCTUnwrap(reports["junit"] as? String)
        let codequality = try XCTUnwrap(reports["codequality"] as? String)
        XCTAssertTrue(command.contains("--junit \(junit)"), command)
        XCTAssertTrue(command.contains("--format gitlab -o \(codequality)"), command)
        try runsAsWritten(command, expectFormat: "gitlab")
    }

    func testGitHubWorkflow() throws {
        let document = try XCTUnwrap(try Yams.load(yaml: try text("docs/ci/github-workflow.yml")) as? [String: Any])
        XCTAssertEqual(document["name"] as? String, "cotaudit check")
        // YAML 1.1 readers take a bare `on` for true; GitHub reads it as the key `on`.
        XCTAssertNotNil(document["on"] ?? document["true"], "déclencheurs")
        let jobs = try XCTUnwrap(document["jobs"] as? [String: Any])
        let check = try XCTUnwrap(jobs["check"] as? [String: Any])
        XCTAssertNotNil(check["runs-on"] as? String)
        let steps = try XCTUnwrap(check["steps"] as? [[String: Any]])
        XCTAssertTrue(steps.contains { ($0["uses"] as? String)?.hasPrefix("actions/checkout@") ?? false })
        let run = try XCTUnwrap(steps.compactMap { $0["run"] as? String }.first { $0.hasPrefix("cotaudit check ") })
        XCTAssertTrue(run.contains("--format github"), run)
        try runsAsWritten(run, expectFormat: "github")
    }

    /// The job's command line, run on the samples: `exports/` is the samples' folder, the baseline
    /// one written for them, the outputs go to a scratch folder. A refused command line exits 64.
    func runsAsWritten(_ command: String, expectFormat format: String) throws {
        let scratch = try CommandLineTests.temporaryDirectory()
        let baseline = scratch.appendingPathComponent("cotaudit-reference.json")
        let written = try ChildProcess.run(["baseline", "SampleBatches/csv", "--profile", "export-fr", "-o", baseline.path])
        XCTAssertEqual(written.status, 0, written.stderr)
        var arguments = command.split(separator: " ").map(String.init).dropFirst().map { argument -> String in
            switch argument {
            case "exports/": return "SampleBatches/csv"
            case "cotaudit-reference.json": return baseline.path
            default: return argument.hasSuffix(".xml") || argument.hasSuffix(".json") ? scratch.appendingPathComponent(argument).path : argument
            }
        }
        arguments += ["--profile", "export-fr", "--max-rejected", "3"]
        let result = try ChildProcess.run(arguments)
        XCTAssertEqual(result.status, 0, "\(arguments) : \(result.stderr)")
        let lastLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(lastLine.hasPrefix("cotaudit : lot accepté ("), "les constats des échantillons sont dans la référence : \(lastLine)")
        if format == "github" {
            XCTAssertTrue(result.stdout.contains("::notice title=cotaudit check::lot accepté"), result.stdout)
        } else {
            let report = scratch.appendingPathComponent("gl-code-quality-report.json")
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [Any], "rapport code quality écrit")
        }
    }
}
