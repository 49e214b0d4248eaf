@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// `check --format github|gitlab`: annotations drawn from the verdict, in each CI's own syntax.
final class AnnotationsTests: XCTestCase {
    let paths = ["f.csv": "exports/2025/f.csv", "g.xml": "exports/2025/g.xml"]

    func testGitHubWorkflowCommandsFollowTheVerdict() {
        let outcome = CheckGateTests.outcome()
        let verdict = CheckGate().decide(outcome)
        let lines = Annotations.github(outcome, verdict: verdict, paths: paths).split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("::") }, "une commande par ligne : \(lines)")
        XCTAssertEqual(lines.first, "::error file=exports/2025/f.csv,line=9,title=cotaudit %3A ligne rejetée::f.csv, ligne 9, colonne « amount » : montant invalide")
        XCTAssertTrue(lines.contains("::error file=exports/2025/f.csv,line=2,title=cotaudit missing-meg (certain)::f.csv:2 · facture F2 · acte du 10/02/2025 · G → à facturer : MEG · manque à gagner 5,00 € — G sans MEG : facturer la MEG"),
                      lines.joined(separator: "\n"))
        XCTAssertEqual(lines.filter { $0.hasPrefix("::error file") }.count, 1 + 3, "la ligne rejetée et les 3 constats certains")
        XCTAssertEqual(lines.filter { $0.hasPrefix("::warning file") }.count, 2, "le probable et le possible ne bloquent pas")
        XCTAssertEqual(lines.last, "::error title=cotaudit check::" + verdict.summaryLine)
        // The message's line break is shown as the text report shows it, its percent escaped for
        // GitHub; its colons and commas are not escaped.
        let overCoding = lines.first { $0.contains("meg-over-age") } ?? ""
        XCTAssertTrue(overCoding.hasSuffix("MEG <à retirer> & \"vite\"\\x0Aligne 2; fin"), overCoding)

        let passing = CheckGate(maxRejected: 1, failOn: nil).decide(outcome)
        let passed = Annotations.github(outcome, verdict: passing, paths: paths).split(separator: "\n")
        XCTAssertFalse(passed.contains { $0.hasPrefix("::error") }, "le lot passe : aucune erreur")
        XCTAssertEqual(passed.last.map(String.init), "::notice title=cotaudit check::lot accepté")
    }

    func testGitHubEscapingOfDataAndProperties() {
        XCTAssertEqual(Annotations.githubData("50% : a,b\r\nfin"), "50%25 : a,b%0D%0Afin")
        XCTAssertEqual(Annotations.githubProperty("lot: a,b%\n"), "lot%3A a%2Cb%25%0A")
        var outcome = AuditOutcome()
        outcome.files = ["a,b:c.csv"]
        outcome.acts = 1
        outcome.findings = [CheckGateTests.finding("missing-meg", .certain, lost: 500, file: "a,b:c.csv", line: 2, message: "100%\nfait")]
        let text = Annotations.github(outcome, verdict: CheckGate().decide(outcome), paths: [:])
        XCTAssertTrue(text.contains("::error file=a%2Cb%3Ac.csv,line=2,title=cotaudit missing-meg (certain)::a,b:c.csv:2 · "), text)
        XCTAssertTrue(text.contains("100%25\\x0Afait\n"), text)
    }

    func testAcceptedFindingsAreNotAnnotated() {
        let outcome = CheckGateTests.outcome()
        var accepted: [String: Acceptance] = [:]
        for finding in outcome.findings { accepted[finding.fingerprint] = Acceptance() }
        let verdict = CheckGate(maxRejected: 1, accepted: accepted).decide(outcome)
        let annotations = Annotations.build(outcome, verdict: verdict, paths: paths)
        XCTAssertEqual(annotations.map(\.checkName), ["rejected-line"], "seule la ligne rejetée, tolérée, reste")
        XCTAssertEqual(annotations.first?.level, .warning)
    }

    func testGitLabCodeQualityReport() throws {
        var outcome = CheckGateTests.outcome()
        outcome.unreadableFiles = ["g.xml"]
        outcome.inputErrors.append(InputIssue(file: "g.xml", line: 0, column: nil, message: "XML tronqué"))
        // The same act found twice: two entries, two fingerprints.
        outcome.findings = Findings(Array(outcome.findings) + [Array(outcome.findings)[0]])
        let verdict = CheckGate(maxLost: Cents(100)).decide(outcome)
        let text = Annotations.gitlab(outcome, verdict: verdict, paths: paths)
        let issues = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        XCTAssertEqual(issues.count, 1 + 1 + 6 + 1, "le fichier illisible, la ligne rejetée, 6 constats, le seuil de manque à gagner")
        let severities: Set<String> = ["info", "minor", "major", "critical", "blocker"]
        var fingerprints: Set<String> = []
        for issue in issues {
            XCTAssertFalse((issue["description"] as? String ?? "").isEmpty)
            XCTAssertFalse((issue["check_name"] as? String ?? "").isEmpty)
            XCTAssertTrue(severities.contains(issue["severity"] as? String ?? ""), "\(issue)")
            let location = try XCTUnwrap(issue["location"] as? [String: Any])
            XCTAssertFalse((location["path"] as? String ?? "").isEmpty)
            let begin = try XCTUnwrap((location["lines"] as? [String: Any])?["begin"] as? Int)
            XCTAssertGreaterThanOrEqual(begin, 1)
            fingerprints.insert(try XCTUnwrap(issue["fingerprint"] as? String))
        }
        XCTAssertEqual(fingerprints.count, issues.count, "une empreinte par entrée")
        let unreadable = try XCTUnwrap(issues.first)
        XCTAssertEqual(unreadable["severity"] as? String, "blocker")
        XCTAssertEqual((unreadable["location"] as? [String: Any])?["path"] as? String, "exports/2025/g.xml")
        let meg = try XCTUnwrap(issues.first { $0["check_name"] as? String == "missing-meg" })
        XCTAssertEqual(meg["fingerprint"] as? String, Array(outcome.findings)[0].fingerprint, "l'identité du constat, stable d'un export à l'autre")
        XCTAssertEqual(meg["severity"] as? String, "critical")
        XCTAssertEqual(issues.first { $0["check_name"] as? String == "coe-9-months" }?["severity"] as? String, "info")
    }

    func testRelativePaths() {
        XCTAssertEqual(Annotations.relativePaths(["f.csv": "/builds/centre/exports/f.csv", "g.xml": "/elsewhere/g.xml"],
                                                 base: "/builds/centre"),
                       ["f.csv": "exports/f.csv", "g.xml": "/elsewhere/g.xml"])
    }
}
