import AuditRules
import BillingModel

/// One thing to show on a merge request, drawn from the gate's verdict: where, how serious, what.
public struct Annotation: Sendable, Equatable {
    public enum Level: String, Sendable {
        /// Fails the batch.
        case error
        /// Reported, does not fail the batch.
        case warning
        /// The verdict when the batch passes.
        case notice
    }

    public var level: Level
    /// Repository-relative path, nil for the batch as a whole.
    public var path: String?
    /// 1-based line, nil when the annotation is about a whole file or the batch.
    public var line: Int?
    /// The rule id, or what kind of input problem.
    public var checkName: String
    public var title: String
    public var message: String
    /// A stable identity: the finding's fingerprint, or one built from the input problem.
    public var fingerprint: String
    /// GitLab's five severities (info, minor, major, critical, blocker).
    public var gitlabSeverity: String
}

/// The annotations of `check --format github|gitlab`. Everything comes from the verdict: an
/// annotation is an error exactly when what it shows fails the batch.
public enum Annotations {
    /// `paths`: display name of each input file → its path relative to the repository root
    /// (see `relativePaths`); a name missing from it is used as is.
    public static func build(_ outcome: AuditOutcome, verdict: CheckVerdict, paths: [String: String]) -> [Annotation] {
        func path(_ name: String) -> String { paths[name] ?? name }
        var annotations: [Annotation] = []
        for name in verdict.unreadableFiles + verdict.missingPaths {
            let issue = outcome.inputErrors.first { $0.file == name && $0.line == 0 }
            let message = issue?.message ?? "fichier illisible"
            annotations.append(Annotation(level: .error, path: path(name), line: nil, checkName: "input-unreadable",
                                          title: "cotaudit : entrée illisible", message: "\(name) : \(message)",
                                          fingerprint: stableHash(["input-unreadable", path(name), message]),
                                          gitlabSeverity: "blocker"))
        }
        let rejectedFails = verdict.fails(.rejectedLines)
        for issue in outcome.inputErrors where issue.line > 0 {
            annotations.append(Annotation(level: rejectedFails ? .error : .warning, path: path(issue.file), line: issue.line,
                                          checkName: "rejected-line", title: "cotaudit : ligne rejetée",
                                          message: issue.description,
                                          fingerprint: stableHash(["rejected-line", path(issue.file), String(issue.line),
                                                                   issue.column ?? "", issue.message]),
                                          gitlabSeverity: rejectedFails ? "critical" : "minor"))
        }
        var seen: [String: Int] = [:]
        for decision in verdict.decisions.sorted(by: { Finding.fileOrder($0.finding, $1.finding) }) {
            let finding = decision.finding
            let level: Annotation.Level
            let severity: String
            switch decision.status {
            case .accepted: continue
            case .blocking: (level, severity) = (.error, "critical")
            case .tolerated: (level, severity) = (.warning, finding.certainty == .possible ? "info" : "minor")
            }
            // Two findings may share an identity (the same act billed twice); GitLab needs each
            // fingerprint once, so a repeat gets its rank appended.
            let occurrence = seen[finding.fingerprint, default: 0]
            seen[finding.fingerprint] = occurrence + 1
            var message = JUnitReport.line(finding)
            if let expired = decision.expiredAcceptance?.expires {
                message += " (acceptation expirée le \(expired.french))"
            }
            annotations.append(Annotation(level: level, path: path(finding.location.file), line: finding.location.line,
                                          checkName: finding.rule,
                                          title: "cotaudit \(finding.rule) (\(finding.certainty.french))",
                                          message: message,
                                          fingerprint: occurrence == 0 ? finding.fingerprint
                                              : stableHash([finding.fingerprint, String(occurrence)]),
                                          gitlabSeverity: severity))
        }
        for reason in verdict.reasons where reason.kind == .empty || reason.kind == .lost {
            annotations.append(Annotation(level: .error, path: outcome.files.first.map(path), line: nil,
                                          checkName: "batch-\(reason.kind.rawValue)", title: "cotaudit : lot refusé",
                                          message: reason.text, fingerprint: stableHash(["batch", reason.kind.rawValue]),
                                          gitlabSeverity: "critical"))
        }
        return annotations
    }

    // MARK: GitHub Actions

    /// GitHub Actions workflow commands, one per line (`::error file=…,line=…,title=…::…`), then the
    /// verdict itself. Escaped as GitHub's runner reads them (actions/toolkit, core/src/command.ts):
    /// in the message %, CR and LF; in a property also `:` and `,`. Before that, control characters
    /// (C0, DEL, C1, bidirectional overrides) become visible escapes as in the text report: the
    /// runner decodes %0A and friends back, and an invoice number or a file name from the data must
    /// not reach its log or annotations as an ESC sequence or a reordering of the line.
    public static func github(_ outcome: AuditOutcome, verdict: CheckVerdict, paths: [String: String]) -> String {
        let t = TerminalText.escaped
        var lines: [String] = []
        for annotation in build(outcome, verdict: verdict, paths: paths) {
            var properties: [String] = []
            if let path = annotation.path { properties.append("file=" + githubProperty(t(path))) }
            if let line = annotation.line { properties.append("line=\(line)") }
            properties.append("title=" + githubProperty(t(annotation.title)))
            lines.append("::\(annotation.level.rawValue) \(properties.joined(separator: ","))::\(githubData(t(annotation.message)))")
        }
        let level = verdict.exitStatus == 0 ? "notice" : "error"
        lines.append("::\(level) title=\(githubProperty("cotaudit check"))::\(githubData(t(verdict.summaryLine)))")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func githubData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    public static func githubProperty(_ text: String) -> String {
        githubData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    // MARK: GitLab

    /// GitLab's code quality report (`artifacts:reports:codequality`): a JSON array of objects with
    /// description, check_name, fingerprint, severity, location.path and location.lines.begin.
    public static func gitlab(_ outcome: AuditOutcome, verdict: CheckVerdict, paths: [String: String]) -> String {
        let json = JSONWriter()
        json.array(build(outcome, verdict: verdict, paths: paths)) { annotation in
            json.object {
                json.field("description", annotation.message)
                json.field("check_name", annotation.checkName)
                json.field("fingerprint", annotation.fingerprint)
                json.field("severity", annotation.gitlabSeverity)
                json.field("location") {
                    json.object {
                        json.field("path", annotation.path ?? ".")
                        json.field("lines") {
                            json.object { json.field("begin", annotation.line ?? 1) }
                        }
                    }
                }
            }
        }
        return json.text + "\n"
    }

    // MARK: Paths

    /// Display name → path relative to `base` (the repository root a CI job runs in); a file
    /// outside `base` keeps its absolute path.
    public static func relativePaths(_ absolute: [String: String], base: String) -> [String: String] {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return absolute.mapValues { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
    }

    /// FNV-1a, 64 bits, over the parts joined by a unit separator: a stable identity for input
    /// problems, which have no fingerprint of their own. Not a security hash; only a stable name.
    static func stableHash(_ parts: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
