@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// What a CI server reads in a JUnit file: suites, cases, and each case's failure or error.
struct JUnitDocument {
    struct Case {
        var suite: String
        var name: String
        var className: String
        var result: String?
        var type: String?
        var message: String?
        var text = ""
    }

    var suites: [(name: String, tests: Int, failures: Int, errors: Int)] = []
    var cases: [Case] = []
    var rootCounts: (tests: Int, failures: Int, errors: Int) = (0, 0, 0)

    var failures: Int { cases.filter { $0.result == "failure" }.count }
    var errors: Int { cases.filter { $0.result == "error" }.count }

    /// Parses with Foundation's XML parser; fails the test when the XML is not well formed.
    static func parse(_ xml: String, file: StaticString = #filePath, line: UInt = #line) throws -> JUnitDocument {
        let reader = Reader()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = reader
        guard parser.parse() else {
            XCTFail("JUnit mal formé : \(parser.parserError.map { "\($0)" } ?? "?")", file: file, line: line)
            throw CocoaError(.fileReadCorruptFile)
        }
        return reader.document
    }

    final class Reader: NSObject, XMLParserDelegate {
        var document = JUnitDocument()
        var suite = ""
        var inResult = false

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            func count(_ key: String) -> Int { Int(attributes[key] ?? "") ?? -1 }
            switch element {
            case "testsuites":
                document.rootCounts = (count("tests"), count("failures"), count("errors"))
            case "testsuite":
                suite = attributes["name"] ?? ""
                document.suites.append((suite, count("tests"), count("failures"), count("errors")))
            case "testcase":
                document.cases.append(Case(suite: suite, name: attributes["name"] ?? "", className: attributes["classname"] ?? ""))
            case "failure", "error":
                document.cases[document.cases.count - 1].result = element
                document.cases[document.cases.count - 1].type = attributes["type"]
                document.cases[document.cases.count - 1].message = attributes["message"]
                inResult = true
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == "failure" || element == "error" { inResult = false }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inResult { document.cases[document.cases.count - 1].text += string }
        }
    }
}

final class CheckGateTests: XCTestCase {
    static let rules = ["missing-meg", "missing-mt-declaration", "coe-9-months", "meg-over-age", "tariff-below-schedule"]

    static func finding(_ rule: String, _ certainty: Certainty, lost: Int64, atRisk: Int64 = 0, file: String = "f.csv",
                        line: Int, kind: FindingKind = .underCoding, expected: String? = "MEG",
                        message: String = "G sans MEG : facturer la MEG") -> Finding {
        Finding(rule: rule, kind: kind, certainty: certainty, location: SourceLocation(file: file, line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(year: 2025, month: 2, day: 10)!, practitionerID: "10000000009",
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: expected, lostCents: Cents(lost),
                atRiskCents: Cents(atRisk), message: message)
    }

    /// Two files, one rejected row, findings of every certainty: 5 050 lost (certain + likely).
    static func outcome() -> AuditOutcome {
        var outcome = AuditOutcome()
        outcome.files = ["f.csv", "g.xml"]
        outcome.acts = 40
        outcome.invoices = 30
        outcome.rejectedLines = 1
        outcome.inputErrors = [InputIssue(file: "f.csv", line: 9, column: "amount", message: "montant invalide")]
        outcome.findings = [
            finding("missing-meg", .certain, lost: 500, line: 2),
            finding("missing-mt-declaration", .likely, lost: 4200, file: "g.xml", line: 3, kind: .missingMT, expected: "FPMT"),
            finding("coe-9-months", .possible, lost: 3000, line: 4, expected: "COE"),
            finding("meg-over-age", .certain, lost: 0, atRisk: 500, line: 5, kind: .overCoding, expected: nil,
                    message: "MEG <à retirer> & \"vite\"\nligne 2; fin"),
            finding("tariff-below-schedule", .certain, lost: 350, line: 6, expected: "G"),
        ]
        return outcome
    }

    func junit(_ outcome: AuditOutcome, _ verdict: CheckVerdict) throws -> JUnitDocument {
        try JUnitDocument.parse(JUnitReport.render(outcome, verdict: verdict, rules: Self.rules))
    }

    /// The exit status and the JUnit file say the same: a failure or an error exactly when the
    /// batch does not pass, an error whenever an input was unreadable, and counts that add up.
    func assertAgreement(_ outcome: AuditOutcome, _ gate: CheckGate, file: StaticString = #filePath, line: UInt = #line) throws {
        let verdict = gate.decide(outcome)
        let document = try junit(outcome, verdict)
        XCTAssertEqual(verdict.exitStatus == 0, document.failures + document.errors == 0,
                       "statut \(verdict.exitStatus) / JUnit \(document.failures) échec(s), \(document.errors) erreur(s)", file: file, line: line)
        XCTAssertEqual(verdict.exitStatus == 2, verdict.outcome == .inputError, file: file, line: line)
        if verdict.exitStatus == 2 { XCTAssertGreaterThan(document.errors, 0, file: file, line: line) }
        XCTAssertEqual(document.rootCounts.tests, document.cases.count, file: file, line: line)
        XCTAssertEqual(document.rootCounts.failures, document.failures, file: file, line: line)
        XCTAssertEqual(document.rootCounts.errors, document.errors, file: file, line: line)
        for suite in document.suites {
            let cases = document.cases.filter { $0.suite == suite.name }
            XCTAssertEqual(suite.tests, cases.count, suite.name, file: file, line: line)
            XCTAssertEqual(suite.failures, cases.filter { $0.result == "failure" }.count, suite.name, file: file, line: line)
            XCTAssertEqual(suite.errors, cases.filter { $0.result == "error" }.count, suite.name, file: file, line: line)
        }
        XCTAssertEqual(verdict.summaryLine.hasPrefix("lot accepté"), verdict.exitStatus == 0, verdict.summaryLine, file: file, line: line)
    }

    func testDefaultGateFailsOnARejectedRowAndCertainFindings() throws {
        let verdict = CheckGate().decide(Self.outcome())
        XCTAssertEqual(verdict.exitStatus, 1)
        XCTAssertEqual(verdict.reasons.map(\.kind), [.rejectedLines, .findings])
        XCTAssertEqual(verdict.blocking.map(\.rule), ["missing-meg", "meg-over-age", "tariff-below-schedule"])
        XCTAssertEqual(verdict.summaryLine, "lot refusé : 1 ligne(s) rejetée(s), maximum autorisé : 0 ; 3 constat(s) de certitude « certain » ou plus")
        try assertAgreement(Self.outcome(), CheckGate())
    }

    func testMaxRejectedOneAndFailOnNonePassesAndJUnitSaysSo() throws {
        let gate = CheckGate(maxRejected: 1, failOn: nil)
        let verdict = gate.decide(Self.outcome())
        XCTAssertEqual(verdict.exitStatus, 0, verdict.summaryLine)
        XCTAssertEqual(verdict.summaryLine, "lot accepté")
        let document = try junit(Self.outcome(), verdict)
        XCTAssertEqual(document.failures + document.errors, 0, "le lot passe : aucun échec dans le JUnit")
        try assertAgreement(Self.outcome(), gate)
        // One more rejected row than allowed fails it, in both.
        let strict = CheckGate(maxRejected: 0, failOn: nil)
        XCTAssertEqual(strict.decide(Self.outcome()).reasons.map(\.kind), [.rejectedLines])
        let failing = try junit(Self.outcome(), strict.decide(Self.outcome()))
        XCTAssertEqual(failing.cases.first { $0.suite == "f.csv" && $0.name == "lecture du fichier" }?.result, "error")
        XCTAssertEqual(failing.cases.first { $0.suite == "lot" && $0.name == "seuil de lignes rejetées" }?.result, "failure")
        try assertAgreement(Self.outcome(), strict)
    }

    func testFailOnEachCertainty() throws {
        let expected: [(FailOn, [String])] = [
            (.certain, ["missing-meg", "meg-over-age", "tariff-below-schedule"]),
            (.likely, ["missing-meg", "missing-mt-declaration", "meg-over-age", "tariff-below-schedule"]),
            (.possible, ["missing-meg", "missing-mt-declaration", "coe-9-months", "meg-over-age", "tariff-below-schedule"]),
            (.none, []),
        ]
        for (failOn, rules) in expected {
            let gate = CheckGate(maxRejected: 1, failOn: failOn.threshold)
            let verdict = gate.decide(Self.outcome())
            XCTAssertEqual(verdict.blocking.map(\.rule).sorted(), rules.sorted(), failOn.rawValue)
            XCTAssertEqual(verdict.exitStatus, rules.isEmpty ? 0 : 1, failOn.rawValue)
            let document = try junit(Self.outcome(), verdict)
            XCTAssertEqual(Set(document.cases.filter { $0.result == "failure" }.map(\.name)), Set(rules), failOn.rawValue)
            try assertAgreement(Self.outcome(), gate)
        }
    }

    func testMaxLostCountsCertainAndLikelyFindings() throws {
        let over = CheckGate(maxLost: Cents(5049), maxRejected: 1, failOn: nil)
        let verdict = over.decide(Self.outcome())
        XCTAssertEqual(verdict.lostCents, Cents(500 + 4200 + 350), "le possible (30 €) et le montant à risque n'en sont pas")
        XCTAssertEqual(verdict.reasons.map(\.kind), [.lost])
        XCTAssertEqual(verdict.summaryLine, "lot refusé : manque à gagner de 50,50 €, au-delà du seuil de 50,49 €")
        let document = try junit(Self.outcome(), verdict)
        let lost = try XCTUnwrap(document.cases.first { $0.name == "seuil de manque à gagner" })
        XCTAssertEqual(lost.result, "failure")
        XCTAssertEqual(lost.message, "manque à gagner de 50,50 €, au-delà du seuil de 50,49 €")
        try assertAgreement(Self.outcome(), over)
        let atThreshold = CheckGate(maxLost: Cents(5050), maxRejected: 1, failOn: nil)
        XCTAssertEqual(atThreshold.decide(Self.outcome()).exitStatus, 0, "le seuil lui-même passe")
        try assertAgreement(Self.outcome(), atThreshold)
    }

    func testAnExportWithNoActLineFailsUnlessAllowed() throws {
        var empty = AuditOutcome()
        empty.files = ["entete-seule.csv"]
        let verdict = CheckGate().decide(empty)
        XCTAssertEqual(verdict.exitStatus, 1)
        XCTAssertEqual(verdict.reasons.map(\.kind), [.empty])
        XCTAssertEqual(try junit(empty, verdict).cases.first { $0.name == "lot non vide" }?.result, "failure")
        try assertAgreement(empty, CheckGate())
        let allowed = CheckGate(allowEmpty: true)
        XCTAssertEqual(allowed.decide(empty).exitStatus, 0)
        try assertAgreement(empty, allowed)
    }

    func testUnreadableFilesAndMissingPathsAreErrorsAndExitTwo() throws {
        var outcome = Self.outcome()
        outcome.unreadableFiles = ["g.xml"]
        outcome.inputErrors.append(InputIssue(file: "g.xml", line: 0, column: nil, message: "XML tronqué"))
        outcome.inputErrors.append(InputIssue(file: "absent/", line: 0, column: nil, message: "fichier ou dossier introuvable"))
        let gate = CheckGate(maxRejected: 5, failOn: nil)
        let verdict = gate.decide(outcome)
        XCTAssertEqual(verdict.exitStatus, 2)
        XCTAssertEqual(verdict.missingPaths, ["absent/"])
        let document = try junit(outcome, verdict)
        let unreadable = try XCTUnwrap(document.cases.first { $0.suite == "g.xml" && $0.name == "lecture du fichier" })
        XCTAssertEqual(unreadable.result, "error")
        XCTAssertEqual(unreadable.type, "unreadable")
        XCTAssertEqual(unreadable.message, "g.xml : XML tronqué")
        XCTAssertEqual(document.cases.first { $0.suite == "absent/" }?.result, "error")
        try assertAgreement(outcome, gate)
    }

    func testOneSuitePerFileOneCasePerRuleAndFailuresCarryTheFindings() throws {
        let outcome = Self.outcome()
        let document = try junit(outcome, CheckGate().decide(outcome))
        XCTAssertEqual(document.suites.map(\.name), ["f.csv", "g.xml", "lot"])
        XCTAssertEqual(document.cases.filter { $0.suite == "f.csv" }.map(\.name), ["lecture du fichier"] + Self.rules)
        let meg = try XCTUnwrap(document.cases.first { $0.suite == "f.csv" && $0.name == "missing-meg" })
        XCTAssertEqual(meg.result, "failure")
        XCTAssertEqual(meg.message, "missing-meg : 1 constat(s), manque à gagner 5,00 €")
        XCTAssertEqual(meg.text, "f.csv:2 · facture F2 · acte du 10/02/2025 · G → à facturer : MEG · manque à gagner 5,00 € — G sans MEG : facturer la MEG")
        let overCoding = try XCTUnwrap(document.cases.first { $0.name == "meg-over-age" })
        XCTAssertEqual(overCoding.message, "meg-over-age : 1 constat(s), à risque de récupération 5,00 €")
        XCTAssertTrue(overCoding.text.contains("MEG <à retirer> & \"vite\"\nligne 2; fin"), "texte échappé puis relu tel quel")
        XCTAssertEqual(document.cases.first { $0.suite == "g.xml" && $0.name == "missing-meg" }?.result, nil,
                       "une règle sans constat dans ce fichier passe")
        XCTAssertEqual(document.cases.first { $0.suite == "f.csv" && $0.name == "coe-9-months" }?.result, nil,
                       "un constat à vérifier ne fait pas échouer avec --fail-on certain")
    }

    func testAMedecinTraitantFindingAsksForTheDeclarationNotForABill() throws {
        let outcome = Self.outcome()
        let document = try junit(outcome, CheckGate(failOn: .likely).decide(outcome))
        let mt = try XCTUnwrap(document.cases.first { $0.suite == "g.xml" && $0.name == "missing-mt-declaration" })
        XCTAssertEqual(mt.message, "missing-mt-declaration : 1 constat(s), à obtenir 42,00 €")
        XCTAssertTrue(mt.text.contains("G → à obtenir : déclaration de médecin traitant (FPMT) · à obtenir 42,00 €"), mt.text)
    }

    func testAcceptedFindingsPassAndExpiredAcceptancesFailAgain() throws {
        let outcome = Self.outcome()
        let meg = Array(outcome.findings)[0]
        let asOf = CalendarDay(year: 2025, month: 3, day: 31)!
        var accepted: [String: Acceptance] = [:]
        for finding in outcome.findings { accepted[finding.fingerprint] = Acceptance(reason: "connu") }
        accepted[meg.fingerprint] = Acceptance(reason: "dossier en cours", expires: CalendarDay(year: 2025, month: 3, day: 30))
        let gate = CheckGate(maxLost: Cents(400), maxRejected: 1, accepted: accepted, asOf: asOf)
        let verdict = gate.decide(outcome)
        XCTAssertEqual(verdict.blocking, [meg], "seule l'acceptation expirée la veille fait échouer")
        XCTAssertEqual(verdict.lostCents, Cents(500), "les constats acceptés ne comptent plus dans le manque à gagner")
        XCTAssertEqual(verdict.reasons.map(\.kind), [.findings, .lost])
        XCTAssertTrue(try junit(outcome, verdict).cases.first { $0.name == "missing-meg" }?.text.contains("acceptation expirée le 30/03/2025") ?? false)
        try assertAgreement(outcome, gate)
        var lastDay = gate
        lastDay.asOf = CalendarDay(year: 2025, month: 3, day: 30)
        XCTAssertEqual(lastDay.decide(outcome).exitStatus, 0, "le jour de l'expiration, l'acceptation vaut encore")
        XCTAssertEqual(lastDay.decide(outcome).lostCents, .zero)
        XCTAssertEqual(lastDay.decide(outcome).summaryLine, "lot accepté (5 constat(s) acceptés par la référence)")
    }

    func testJSONCarriesTheSameVerdict() throws {
        let outcome = Self.outcome()
        let verdict = CheckGate(maxRejected: 1).decide(outcome)
        let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 3, day: 31)!, recoverableWindowDays: 730,
                                    recoverableWindowSource: "", centreName: nil, ruleAdvice: [:])
        let text = JSONReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options, verdict: verdict)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let gate = try XCTUnwrap(document["verdict"] as? [String: Any])
        XCTAssertEqual(gate["status"] as? String, "fail")
        XCTAssertEqual(gate["exit_code"] as? Int, 1)
        XCTAssertEqual(gate["summary"] as? String, verdict.summaryLine)
        XCTAssertEqual(gate["blocking_findings"] as? Int, 3)
        let findings = try XCTUnwrap(document["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.filter { $0["gate"] as? String == "blocking" }.count, 3)
        XCTAssertEqual(findings.first?["fingerprint"] as? String, Array(outcome.findings)[0].fingerprint)
    }
}

extension CheckGateTests {
    /// JUnit element text: escaped as HTML is; a character XML 1.0 forbids becomes a space, and text
    /// without one is escaped as it is.
    func testJUnitTextReplacesOnlyWhatXMLForbids() {
        XCTAssertEqual(JUnitReport.text("règle <G> & « MEG »\n\tligne 2"), "règle &lt;G&gt; &amp; « MEG »\n\tligne 2")
        XCTAssertEqual(JUnitReport.text("a\u{1B}[31mb\u{0}c\u{FFFE}d <"), "a [31mb c d &lt;")
        XCTAssertEqual(JUnitReport.text(""), "")
    }
}
