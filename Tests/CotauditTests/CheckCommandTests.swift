import Foundation
import XCTest

/// `cotaudit check` as a CI job runs it: each exit status and threshold, and the JUnit file read
/// back by a real JUnit reader (Python's junitparser, through Scripts/junit-summary.py) and
/// validated against the Jenkins xUnit plugin's schema (junit-10.xsd, with xmllint).
///
/// `.ci/run` installs junitparser and xmllint and fetches the schema, and sets
/// COTAUDIT_REQUIRE_JUNIT_TOOLS=1 so that a missing tool fails these tests; elsewhere a missing
/// tool skips them with the command that installs it.
final class CheckCommandTests: XCTestCase {
    typealias Run = CommandLineTests.Run
    static let root = SampleBatchesTests.root
    static let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;code;amount"
    /// A G for an adult: nothing to say.
    static let cleanRow = "F1;2025-03-10;10000000009;01;P1;1980-01-01;centre;G;30,00"
    /// A G for a child of 3 without MEG: `missing-meg`, certain, 5 € lost.
    static let megRow = "F2;2025-03-10;10000000009;01;P2;2022-01-01;centre;G;30,00"
    /// An amount that is not a number: a rejected row.
    static let badRow = "F3;2025-03-10;10000000009;01;P3;1980-01-01;centre;G;trente"

    var requireTools: Bool { ProcessInfo.processInfo.environment["COTAUDIT_REQUIRE_JUNIT_TOOLS"] == "1" }

    func batch(_ rows: [String], name: String = "lot.csv") throws -> URL {
        let file = try CommandLineTests.temporaryDirectory().appendingPathComponent(name)
        try ([Self.header] + rows).joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A tool the tests need: present, or a failure in CI and a skip elsewhere.
    func need(_ available: Bool, _ install: String) throws {
        guard !available else { return }
        if requireTools {
            XCTFail("outil absent en CI : \(install)")
            throw XCTSkip("outil absent")
        }
        throw XCTSkip("outil absent : \(install)")
    }

    func shell(_ executable: String, _ arguments: [String]) throws -> Run {
        try ChildProcess.run(arguments, onPath: executable)
    }

    /// The JUnit file as junitparser reads it (Scripts/junit-summary.py), which also checks that the
    /// declared counts match the test cases.
    func readWithJunitparser(_ file: URL, file line: StaticString = #filePath, line number: UInt = #line) throws -> [String: Any] {
        let result = try shell("python3", ["Scripts/junit-summary.py", file.path])
        try need(result.status != 3 && result.status != 127, "python3 -m pip install junitparser")
        XCTAssertEqual(result.status, 0, "junitparser : \(result.stderr)", file: line, line: number)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// xmllint against the Jenkins xUnit plugin's junit-10.xsd (path in COTAUDIT_JUNIT_XSD).
    func validateAgainstJenkinsSchema(_ file: URL) throws -> Run {
        let schema = ProcessInfo.processInfo.environment["COTAUDIT_JUNIT_XSD"] ?? ""
        try need(!schema.isEmpty && FileManager.default.fileExists(atPath: schema),
                 "Scripts/fetch-junit-xsd.sh puis COTAUDIT_JUNIT_XSD=.build/junit-xsd/junit-10.xsd")
        let result = try shell("xmllint", ["--noout", "--schema", schema, file.path])
        try need(result.status != 127, "apt-get install libxml2-utils")
        return result
    }

    struct Outcome {
        var run: Run
        var junit: [String: Any]

        var failures: Int { junit["failures"] as? Int ?? -1 }
        var errors: Int { junit["errors"] as? Int ?? -1 }
        var lastLine: String {
            run.stderr.split(separator: "\n").last.map(String.init) ?? ""
        }

        /// Every case of every suite, as (suite, case, kind of result or nil, message).
        var cases: [(suite: String, name: String, kind: String?, message: String?)] {
            (junit["suites"] as? [[String: Any]] ?? []).flatMap { suite in
                (suite["cases"] as? [[String: Any]] ?? []).map { testCase in
                    let result = (testCase["results"] as? [[String: Any]])?.first
                    return (suite["name"] as? String ?? "", testCase["name"] as? String ?? "",
                            result?["kind"] as? String, result?["message"] as? String)
                }
            }
        }
    }

    /// Runs `check` with a JUnit file and asserts the agreement the CI job relies on: exit status,
    /// last line, and JUnit failures and errors all say the same thing.
    func check(_ arguments: [String], expect status: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let junit = try CommandLineTests.temporaryDirectory().appendingPathComponent("junit.xml")
        let run = try ChildProcess.run(["check"] + arguments + ["--junit", junit.path, "-o", "/dev/null"])
        let outcome = Outcome(run: run, junit: try readWithJunitparser(junit))
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
        XCTAssertEqual(outcome.failures + outcome.errors == 0, status == 0,
                       "statut \(run.status) mais JUnit \(outcome.failures) échec(s) et \(outcome.errors) erreur(s)", file: file, line: line)
        if status == 2 { XCTAssertGreaterThan(outcome.errors, 0, "une entrée illisible est une erreur JUnit", file: file, line: line) }
        let expectedStart = status == 0 ? "cotaudit : lot accepté" : "cotaudit : lot refusé : "
        XCTAssertTrue(outcome.lastLine.hasPrefix(expectedStart), outcome.lastLine, file: file, line: line)
        let schema = try validateAgainstJenkinsSchema(junit)
        XCTAssertEqual(schema.status, 0, "junit-10.xsd : \(schema.stderr)", file: file, line: line)
        return outcome
    }

    func testEachExitStatusAndThresholdAgreesWithJUnit() throws {
        let clean = try batch([Self.cleanRow]).path
        _ = try check([clean], expect: 0)

        let meg = try batch([Self.cleanRow, Self.megRow]).path
        let failing = try check([meg], expect: 1)
        XCTAssertEqual(failing.lastLine, "cotaudit : lot refusé : 1 constat(s) de certitude « certain » ou plus")
        let megCase = try XCTUnwrap(failing.cases.first { $0.name == "missing-meg" })
        XCTAssertEqual(megCase.kind, "failure")
        XCTAssertEqual(megCase.message, "missing-meg : 1 constat(s), manque à gagner 5,00 €", "la règle et le montant")
        _ = try check([meg, "--fail-on", "none"], expect: 0)
        _ = try check([meg, "--fail-on", "possible"], expect: 1)
        _ = try check([meg, "--fail-on", "none", "--max-lost", "4,99"], expect: 1)
        _ = try check([meg, "--fail-on", "none", "--max-lost", "5"], expect: 0)

        let rejected = try batch([Self.cleanRow, Self.badRow]).path
        let overRejected = try check([rejected], expect: 1)
        XCTAssertEqual(overRejected.cases.first { $0.name == "lecture du fichier" }?.kind, "error")
        let tolerated = try check([rejected, "--max-rejected", "1"], expect: 0)
        XCTAssertEqual(tolerated.lastLine, "cotaudit : lot accepté")
    }

    func testAHeaderOnlyExportFailsUnlessAllowed() throws {
        let empty = try batch([]).path
        let refused = try check([empty], expect: 1)
        XCTAssertEqual(refused.lastLine, "cotaudit : lot refusé : aucune ligne d'acte dans le lot (--allow-empty pour l'accepter)")
        XCTAssertEqual(refused.cases.first { $0.name == "lot non vide" }?.kind, "failure")
        _ = try check([empty, "--allow-empty"], expect: 0)
    }

    func testAnUnreadableFileIsAJUnitErrorAndExitsTwo() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let truncated = directory.appendingPathComponent("tronque.xml")
        try "<?xml version=\"1.0\"?>\n<batch>\n<invoice id=\"F1\" date=\"2025-03-10\"".write(to: truncated, atomically: true, encoding: .utf8)
        let clean = try batch([Self.cleanRow]).path
        let result = try check([clean, truncated.path, "--fail-on", "none"], expect: 2)
        let reading = try XCTUnwrap(result.cases.first { $0.suite == "tronque.xml" && $0.name == "lecture du fichier" })
        XCTAssertEqual(reading.kind, "error")
        XCTAssertEqual(result.cases.filter { $0.kind != nil }.count, 1, "seul le fichier illisible est en erreur")
        _ = try check(["/nonexistent/exports"], expect: 2)
    }

    func testTheSamplesAsACIServerReadsThem() throws {
        let result = try check(["SampleBatches/csv", "SampleBatches/xml", "--profile", "export-fr"], expect: 1)
        let suites = (result.junit["suites"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(suites.last, "lot")
        XCTAssertEqual(suites.count, 3, "un fichier CSV, un fichier XML, le lot : \(suites)")
        let failed = result.cases.filter { $0.kind == "failure" }
        XCTAssertFalse(failed.isEmpty)
        for failure in failed where failure.suite != "lot" {
            XCTAssertTrue(failure.message?.hasPrefix(failure.name + " : ") ?? false, "le message nomme la règle : \(failure.message ?? "")")
            XCTAssertTrue(failure.message?.contains("€") ?? false, "le message dit le montant : \(failure.message ?? "")")
        }
    }

    /// The checkers bite: a JUnit file whose counts lie, or that the schema refuses, is rejected.
    func testTheJUnitCheckersRejectAWrongFile() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let lying = directory.appendingPathComponent("faux.xml")
        try """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites tests="1" failures="0" errors="0">
          <testsuite name="f.csv" tests="1" failures="0" errors="0">
            <testcase name="missing-meg" classname="cotaudit.f_csv"><failure message="x">y</failure></testcase>
          </testsuite>
        </testsuites>
        """.write(to: lying, atomically: true, encoding: .utf8)
        let read = try shell("python3", ["Scripts/junit-summary.py", lying.path])
        try need(read.status != 3 && read.status != 127, "python3 -m pip install junitparser")
        XCTAssertEqual(read.status, 1, "un échec non compté est refusé : \(read.stderr)")

        let invalid = directory.appendingPathComponent("invalide.xml")
        try """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites>
          <testsuite name="f.csv" failures="0" errors="0"><testcase classname="x"/></testsuite>
        </testsuites>
        """.write(to: invalid, atomically: true, encoding: .utf8)
        // Outside the assertion: a missing schema is a skip, which an assertion's autoclosure would record as a failure.
        let validation = try validateAgainstJenkinsSchema(invalid)
        XCTAssertNotEqual(validation.status, 0, "tests et name manquent : le schéma refuse")
    }

    func testAnnotationFormatsOnTheSamples() throws {
        let github = try ChildProcess.run(["check", "SampleBatches/csv", "--profile", "export-fr", "--format", "github"])
        XCTAssertEqual(github.status, 1, github.stderr)
        let lines = github.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("::error ") || $0.hasPrefix("::warning ") }, github.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("::error file=SampleBatches/csv/decembre-2024.csv,line=") },
                      "chemins relatifs au dépôt, comme GitHub les attend")
        let summary = github.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertEqual(lines.last, "::error title=cotaudit check::" + summary.replacingOccurrences(of: "cotaudit : ", with: ""),
                       "la dernière annotation est le verdict, le même que la dernière ligne")

        let output = try CommandLineTests.temporaryDirectory().appendingPathComponent("gl-code-quality-report.json")
        let gitlab = try ChildProcess.run(["check", "SampleBatches/xml", "--format", "gitlab", "-o", output.path])
        XCTAssertEqual(gitlab.status, 1, gitlab.stderr)
        let issues = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]])
        XCTAssertFalse(issues.isEmpty)
        XCTAssertTrue(issues.allSatisfy { (($0["location"] as? [String: Any])?["path"] as? String)?.hasPrefix("SampleBatches/xml/") ?? false })

        let refused = try ChildProcess.run(["audit", "SampleBatches/csv", "--format", "github"])
        XCTAssertEqual(refused.status, 64, "les annotations demandent le verdict de check")
    }

    /// An invoice number holding ESC and a right-to-left override, from the export: the runner gets
    /// them as the visible escapes the text report shows, never raw (GitHub would decode %1B too).
    func testGitHubAnnotationsEscapeControlCharactersFromTheData() throws {
        let file = try batch([Self.megRow.replacingOccurrences(of: "F2;", with: "F\u{1B}[2J\u{202E}9;")])
        let github = try ChildProcess.run(["check", file.path, "--format", "github"])
        XCTAssertEqual(github.status, 1, github.stderr)
        XCTAssertFalse(github.stdout.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" },
                       github.stdout)
        let finding = try XCTUnwrap(github.stdout.split(separator: "\n").first { $0.contains("missing-meg") }, github.stdout)
        XCTAssertTrue(finding.contains(" · facture F\\x1B[2J\\u202E9 · "), String(finding))
        let text = try ChildProcess.run(["audit", file.path])
        XCTAssertTrue(text.stdout.contains("F\\x1B[2J\\u202E9"), "the text report shows the number the same way: \(text.stdout)")
    }

    // MARK: Baseline

    /// Another G for a child without MEG, on another invoice: a finding the baseline does not know.
    static let newMegRow = "F4;2025-03-11;10000000009;01;P4;2021-06-01;centre;G;30,00"

    func writeBaseline(_ arguments: [String]) throws -> URL {
        let file = try CommandLineTests.temporaryDirectory().appendingPathComponent("reference.json")
        let result = try ChildProcess.run(["baseline"] + arguments + ["-o", file.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return file
    }

    func testBaselineOldFindingsPassNewOnesFailReorderedFilesMatch() throws {
        let known = try batch([Self.cleanRow, Self.megRow]).path
        let baseline = try writeBaseline([known, "--reason", "MEG refacturée le 12/03"])
        let written = try String(contentsOf: baseline, encoding: .utf8)
        XCTAssertTrue(written.contains("\"schema\": \"cotaudit.baseline/1\""))
        XCTAssertTrue(written.contains("\"reason\": \"MEG refacturée le 12/03\""))
        XCTAssertTrue(written.contains("\"rule\": \"missing-meg\""))

        let old = try check([known, "--baseline", baseline.path], expect: 0)
        XCTAssertEqual(old.lastLine, "cotaudit : lot accepté (1 constat(s) acceptés par la référence)")

        let grown = try batch([Self.cleanRow, Self.megRow, Self.newMegRow]).path
        let new = try check([grown, "--baseline", baseline.path], expect: 1)
        XCTAssertEqual(new.lastLine, "cotaudit : lot refusé : 1 constat(s) de certitude « certain » ou plus hors référence")
        let failure = try XCTUnwrap(new.cases.first { $0.name == "missing-meg" })
        XCTAssertEqual(failure.message, "missing-meg : 1 constat(s), manque à gagner 5,00 €", "seul le nouveau constat échoue")

        // The same acts re-exported in another order, under another name, with blank lines: still known.
        let reordered = try batch([Self.megRow, "", Self.cleanRow], name: "reexport-mars.csv").path
        _ = try check([reordered, "--baseline", baseline.path], expect: 0)
    }

    func testAnExpiredAcceptanceFailsAgain() throws {
        let known = try batch([Self.cleanRow, Self.megRow]).path
        let baseline = try writeBaseline([known, "--reason", "à voir avec le Dr", "--expires", "2025-04-30"])
        _ = try check([known, "--baseline", baseline.path, "--as-of", "2025-04-30"], expect: 0)
        let expired = try check([known, "--baseline", baseline.path, "--as-of", "2025-05-01"], expect: 1)
        XCTAssertEqual(expired.lastLine,
                       "cotaudit : lot refusé : 1 constat(s) de certitude « certain » ou plus hors référence (dont 1 à l'acceptation expirée)")
    }

    func testBaselineHoldsNoPatientIdentityAndRefusesWhatItCannotTrust() throws {
        let baseline = try writeBaseline(["SampleBatches/csv", "--profile", "export-fr"])
        let written = try String(contentsOf: baseline, encoding: .utf8)
        let source = try String(contentsOf: Self.root.appendingPathComponent("SampleBatches/csv/decembre-2024.csv"), encoding: .windowsCP1252)
        let nirs = Set(source.split(whereSeparator: \.isNewline).dropFirst().compactMap { row -> String? in
            let fields = row.split(separator: ";", omittingEmptySubsequences: false)
            return fields.count > 7 ? String(fields[6]) : nil
        }.filter { $0.count >= 13 })
        XCTAssertFalse(nirs.isEmpty)
        for nir in nirs { XCTAssertFalse(written.contains(nir), "aucun NIR dans la référence") }
        let entries = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any])?["accepted"] as? [Any])
        XCTAssertFalse(entries.isEmpty)
        _ = try check(["SampleBatches/csv", "--profile", "export-fr", "--baseline", baseline.path, "--max-rejected", "3"], expect: 0)

        let broken = try CommandLineTests.temporaryDirectory().appendingPathComponent("faux.json")
        try #"{"schema": "autre"}"#.write(to: broken, atomically: true, encoding: .utf8)
        let refused = try ChildProcess.run(["check", "SampleBatches/csv", "--profile", "export-fr", "--baseline", broken.path])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("référence illisible"), refused.stderr)
        let notABaseline = try ChildProcess.run(["baseline", "SampleBatches/csv", "-o", "SampleBatches/roster.csv"])
        XCTAssertEqual(notABaseline.status, 2, "un fichier qui n'est pas une référence n'est jamais écrasé")
        XCTAssertEqual(try ChildProcess.run(["baseline", "SampleBatches/csv"]).status, 64, "-o est requis")
    }
}
