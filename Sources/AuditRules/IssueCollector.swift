import BillingModel

/// Input errors and warnings as an audit collects them: every one is counted and handed to the
/// optional sink (`--all-issues FILE` writes them as they come), but only the first `keptPerKind` of
/// each kind (severity and column) stay in memory for the reports, so a file of a million bad rows
/// cannot fill the memory. `summary.rejected_lines` is counted apart and stays exact.
struct IssueCollector {
    static let keptPerKind = 200

    var sink: ((InputIssue) -> Void)?
    private var countsByKind: [String: Int] = [:]

    init(sink: ((InputIssue) -> Void)?) { self.sink = sink }

    /// Adds `issue` to `outcome`'s list for its severity, or counts it as omitted.
    mutating func add(_ issue: InputIssue, to outcome: inout AuditOutcome) {
        sink?(issue)
        let kind = "\(issue.severity.rawValue)/\(issue.column ?? "")"
        let seen = countsByKind[kind, default: 0]
        countsByKind[kind] = seen + 1
        switch (issue.severity, seen < IssueCollector.keptPerKind) {
        case (.error, true): outcome.inputErrors.append(issue)
        case (.error, false): outcome.omittedInputErrors += 1
        case (.warning, true): outcome.warnings.append(issue)
        case (.warning, false): outcome.omittedWarnings += 1
        case (.notice, true): outcome.notices.append(issue)
        case (.notice, false): break  // for information only: the first ones say it
        }
    }
}
