import AuditRules
import BillingModel

/// The thresholds of `cotaudit check`: a batch passes or fails before it is sent.
public struct CheckGate: Sendable {
    /// Fails when the lost revenue (certain + likely) is above this amount.
    public var maxLost: Cents?
    /// Fails when more rows than this were rejected (default 0: any rejected row fails).
    public var maxRejected: Int
    /// Fails on any finding at least this certain (default `certain`).
    public var failOn: Certainty

    public init(maxLost: Cents? = nil, maxRejected: Int = 0, failOn: Certainty = .certain) {
        self.maxLost = maxLost
        self.maxRejected = maxRejected
        self.failOn = failOn
    }

    /// Why the batch fails, one French sentence per reason; empty when it passes.
    public func failures(_ outcome: AuditOutcome) -> [String] {
        var reasons: [String] = []
        if outcome.rejectedLines > maxRejected {
            reasons.append("\(outcome.rejectedLines) ligne(s) rejetée(s), maximum autorisé : \(maxRejected)")
        }
        let blocking = outcome.findings.filter { $0.certainty <= failOn }
        if !blocking.isEmpty {
            reasons.append("\(blocking.count) constat(s) de certitude « \(failOn.french) » ou plus")
        }
        if let maxLost {
            let lost = CheckGate.lost(outcome)
            if lost > maxLost {
                reasons.append("manque à gagner de \(lost.euros), au-delà du seuil de \(maxLost.euros)")
            }
        }
        if !outcome.unreadableFiles.isEmpty {
            reasons.append("fichier(s) illisible(s) : \(outcome.unreadableFiles.joined(separator: ", "))")
        }
        return reasons
    }

    /// Lost revenue as the gate counts it: certain and likely findings.
    static func lost(_ outcome: AuditOutcome) -> Cents {
        outcome.findings.filter(\.certainty.countsAsLost).map(\.lostCents).sum()
    }
}

/// JUnit XML for CI servers: one test case per file (its rejected rows) and one per rule (its findings).
public enum JUnitReport {
    public static func render(_ outcome: AuditOutcome, gate: CheckGate) -> String {
        var cases: [(name: String, className: String, failures: [String])] = []
        for file in outcome.files {
            let errors = outcome.inputErrors.filter { $0.file == file }
            cases.append(("lecture \(file)", "cotaudit.input", errors.map(\.description)))
        }
        let orphanErrors = outcome.inputErrors.filter { !outcome.files.contains($0.file) }
        if !orphanErrors.isEmpty {
            cases.append(("entrées", "cotaudit.input", orphanErrors.map(\.description)))
        }
        var byRule: [String: [Finding]] = [:]
        for finding in outcome.findings { byRule[finding.rule, default: []].append(finding) }
        for rule in byRule.keys.sorted() {
            let blocking = byRule[rule]!.filter { $0.certainty <= gate.failOn }
            cases.append(("règle \(rule)", "cotaudit.rules", blocking.map { "\($0.location.file):\($0.location.line) facture \($0.invoiceID) : \($0.message)" }))
        }
        if let maxLost = gate.maxLost {
            let lost = CheckGate.lost(outcome)
            cases.append(("seuil de manque à gagner", "cotaudit.gate",
                          lost > maxLost ? ["manque à gagner de \(lost.euros), au-delà du seuil de \(maxLost.euros)"] : []))
        }
        let failures = cases.filter { !$0.failures.isEmpty }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"cotaudit\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
        xml += "  <testsuite name=\"cotaudit check\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        for testCase in cases {
            xml += "    <testcase name=\"\(escape(testCase.name))\" classname=\"\(testCase.className)\""
            if testCase.failures.isEmpty {
                xml += "/>\n"
            } else {
                let summary = "\(testCase.failures.count) problème(s)"
                xml += ">\n      <failure message=\"\(escape(summary))\">\(escape(testCase.failures.joined(separator: "\n")))</failure>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// HTML's escaping serves XML; control characters, not allowed in XML 1.0, become spaces.
    static func escape(_ text: String) -> String {
        HTML.escape(String(text.unicodeScalars.map { scalar -> Character in
            scalar.value < 0x20 && scalar != "\n" && scalar != "\t" ? " " : Character(scalar)
        }))
    }
}
