import AuditRules
import BillingModel

/// JUnit XML for CI servers (Jenkins, GitLab, GitHub test reporters), drawn from the gate's
/// verdict: one test suite per input file, one test case per rule in it, and a suite for the
/// batch-wide thresholds. A blocking finding is a `<failure>`; an unreadable input and rejected
/// rows over the threshold are `<error>`s. The file has a failure or an error exactly when the
/// verdict fails. Valid against the JUnit schema the Jenkins xUnit plugin publishes (junit-10.xsd).
public enum JUnitReport {
    struct Result {
        enum Kind: String { case failure, error }
        var kind: Kind
        var type: String
        var message: String
        var text: String
    }

    struct Case {
        var name: String
        var className: String
        var result: Result?
        var systemOut: [String] = []
    }

    struct Suite {
        var name: String
        var cases: [Case]
    }

    /// `rules`: the ids of the rule set, so that a rule that found nothing shows as a passed case.
    public static func render(_ outcome: AuditOutcome, verdict: CheckVerdict, rules: [String]) -> String {
        var suites: [Suite] = []
        let rejectedFails = verdict.fails(.rejectedLines)
        var ruleIDs = rules
        for decision in verdict.decisions where !ruleIDs.contains(decision.finding.rule) {
            ruleIDs.append(decision.finding.rule)
        }
        var decisionsByFile: [String: [FindingDecision]] = [:]
        for decision in verdict.decisions { decisionsByFile[decision.finding.location.file, default: []].append(decision) }

        for file in outcome.files {
            let className = "cotaudit." + file.replacingOccurrences(of: ".", with: "_")
            var reading = Case(name: "lecture du fichier", className: className)
            let issues = outcome.inputErrors.filter { $0.file == file }
            let unreadable = verdict.unreadableFiles.contains(file)
            let rejected = issues.filter { $0.line > 0 }
            if unreadable {
                let cause = issues.first { $0.line == 0 }.map(\.message) ?? "fichier illisible"
                reading.result = Result(kind: .error, type: "unreadable", message: "\(file) : \(cause)",
                                        text: issues.map(\.description).joined(separator: "\n"))
            } else if rejectedFails && !rejected.isEmpty {
                reading.result = Result(kind: .error, type: "rejected-lines",
                                        message: "\(file) : \(rejected.count) ligne(s) rejetée(s) ; le lot en compte \(verdict.rejectedLines), maximum autorisé \(verdict.maxRejected)",
                                        text: rejected.map(\.description).joined(separator: "\n"))
            } else if !rejected.isEmpty {
                reading.systemOut = ["Lignes rejetées (dans la limite autorisée) :"] + rejected.map(\.description)
            }
            var cases = [reading]
            let decisions = (decisionsByFile[file] ?? []).sorted { Finding.fileOrder($0.finding, $1.finding) }
            for rule in ruleIDs {
                cases.append(ruleCase(rule: rule, className: className, decisions: decisions.filter { $0.finding.rule == rule }))
            }
            suites.append(Suite(name: file, cases: cases))
        }
        for path in verdict.missingPaths {
            let issues = outcome.inputErrors.filter { $0.file == path }
            let reading = Case(name: "lecture", className: "cotaudit." + path.replacingOccurrences(of: ".", with: "_"),
                               result: Result(kind: .error, type: "unreadable", message: issues.first.map(\.description) ?? path,
                                              text: issues.map(\.description).joined(separator: "\n")))
            suites.append(Suite(name: path, cases: [reading]))
        }
        suites.append(Suite(name: "lot", cases: batchCases(outcome, verdict: verdict)))
        return xml(suites)
    }

    static func ruleCase(rule: String, className: String, decisions: [FindingDecision]) -> Case {
        var testCase = Case(name: rule, className: className)
        let blocking = decisions.filter(\.isBlocking).map(\.finding)
        if !blocking.isEmpty {
            let kind = blocking.first!.kind.rawValue
            testCase.result = Result(kind: .failure, type: kind,
                                     message: "\(rule) : \(blocking.count) constat(s), \(amounts(blocking))",
                                     text: blocking.map { line($0) + expiredNote(decisions, $0) }.joined(separator: "\n"))
        }
        for decision in decisions where !decision.isBlocking {
            switch decision.status {
            case .accepted(let acceptance):
                var note = "accepté par la référence"
                if let reason = acceptance.reason { note += " (\(reason))" }
                if let expires = acceptance.expires { note += " jusqu'au \(expires.french)" }
                testCase.systemOut.append("\(note) : \(line(decision.finding))")
            default:
                testCase.systemOut.append("non bloquant (certitude « \(decision.finding.certainty.french) ») : \(line(decision.finding))")
            }
        }
        return testCase
    }

    static func expiredNote(_ decisions: [FindingDecision], _ finding: Finding) -> String {
        guard let expired = decisions.first(where: { $0.finding == finding })?.expiredAcceptance,
              let day = expired.expires else { return "" }
        return " (acceptation expirée le \(day.french))"
    }

    static func batchCases(_ outcome: AuditOutcome, verdict: CheckVerdict) -> [Case] {
        var cases: [Case] = []
        var content = Case(name: "lot non vide", className: "cotaudit.lot")
        if verdict.fails(.empty) {
            content.result = Result(kind: .failure, type: "empty", message: "aucune ligne d'acte dans le lot",
                                    text: "fichiers lus : \(outcome.files.joined(separator: ", "))")
        }
        cases.append(content)
        var rejected = Case(name: "seuil de lignes rejetées", className: "cotaudit.lot")
        if verdict.fails(.rejectedLines) {
            rejected.result = Result(kind: .failure, type: "rejected-lines",
                                     message: "\(verdict.rejectedLines) ligne(s) rejetée(s), maximum autorisé : \(verdict.maxRejected)",
                                     text: outcome.inputErrors.filter { $0.line > 0 }.map(\.description).joined(separator: "\n"))
        }
        cases.append(rejected)
        if let maxLost = verdict.maxLost {
            var lost = Case(name: "seuil de manque à gagner", className: "cotaudit.lot")
            if verdict.fails(.lost) {
                lost.result = Result(kind: .failure, type: "lost",
                                     message: "manque à gagner de \(verdict.lostCents.euros), au-delà du seuil de \(maxLost.euros)",
                                     text: "constats comptés : certains et probables, hors référence")
            }
            cases.append(lost)
        }
        return cases
    }

    /// The money of a rule's failing findings, said the way the reports say it.
    static func amounts(_ findings: [Finding]) -> String {
        let lost = findings.filter(\.certainty.countsAsLost).map(\.lostCents).sum()
        let possible = findings.filter { !$0.certainty.countsAsLost }.map(\.lostCents).sum()
        let atRisk = findings.map(\.atRiskCents).sum()
        var parts: [String] = []
        // A médecin traitant forfait is "à obtenir" (a declaration), the rest "manque à gagner".
        let label = !findings.isEmpty && findings.allSatisfy(\.isObtainedByDeclaration) ? "à obtenir" : "manque à gagner"
        if lost > .zero || (possible == .zero && atRisk == .zero) { parts.append("\(label) \(lost.euros)") }
        if possible > .zero { parts.append("à vérifier \(possible.euros)") }
        if atRisk > .zero { parts.append("à risque de récupération \(atRisk.euros)") }
        return parts.joined(separator: ", ")
    }

    /// One finding on one line: where, which invoice, what to bill, how much, and the rule's words.
    public static func line(_ finding: Finding) -> String {
        var text = "\(finding.location.file):\(finding.location.line) · facture \(finding.invoiceID) · acte du \(finding.actDate.french) · \(finding.code)"
        // A médecin traitant forfait is earned by obtaining the declaration, never by a bill.
        if finding.isObtainedByDeclaration {
            text += " → à obtenir : déclaration de médecin traitant" + (finding.expectedCode.map { " (\($0))" } ?? "")
        } else if let expected = finding.expectedCode {
            text += " → à facturer : \(expected)"
        }
        text += " · \(amounts([finding])) — \(finding.message)"
        return text
    }

    static func xml(_ suites: [Suite]) -> String {
        func count(_ cases: [Case], _ kind: Result.Kind) -> Int { cases.filter { $0.result?.kind == kind }.count }
        let all = suites.flatMap(\.cases)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"cotaudit check\" tests=\"\(all.count)\" failures=\"\(count(all, .failure))\" errors=\"\(count(all, .error))\">\n"
        for suite in suites {
            xml += "  <testsuite name=\"\(attribute(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(count(suite.cases, .failure))\" errors=\"\(count(suite.cases, .error))\" skipped=\"0\">\n"
            for testCase in suite.cases {
                xml += "    <testcase name=\"\(attribute(testCase.name))\" classname=\"\(attribute(testCase.className))\""
                if testCase.result == nil && testCase.systemOut.isEmpty {
                    xml += "/>\n"
                    continue
                }
                xml += ">\n"
                if let result = testCase.result {
                    xml += "      <\(result.kind.rawValue) type=\"\(attribute(result.type))\" message=\"\(attribute(result.message))\">"
                    xml += text(result.text) + "</\(result.kind.rawValue)>\n"
                }
                if !testCase.systemOut.isEmpty {
                    xml += "      <system-out>\(text(testCase.systemOut.joined(separator: "\n")))</system-out>\n"
                }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    /// Element text: HTML's escaping serves XML; characters XML 1.0 forbids become spaces.
    static func text(_ value: String) -> String {
        // Nearly always every character is allowed: the text is then escaped as it is, without a
        // copy of it as an array of scalars (4 bytes each; 22 MB for the failures of 1M lines).
        guard !value.unicodeScalars.allSatisfy(isAllowedInXML) else { return HTML.escape(value) }
        return HTML.escape(String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            isAllowedInXML(scalar) ? scalar : " "
        })))
    }

    /// Attribute text: as element text, and line breaks and tabs as character references, which
    /// a parser would otherwise turn into spaces.
    static func attribute(_ value: String) -> String {
        text(value).replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\r", with: "&#13;")
            .replacingOccurrences(of: "\t", with: "&#9;")
    }

    static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
