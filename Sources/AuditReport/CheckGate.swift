import AuditRules
import BillingModel

/// `--fail-on`: the least certain finding that fails the batch, or `none` (findings alone never
/// fail it; only the other thresholds do).
public enum FailOn: String, Sendable, CaseIterable {
    case certain, likely, possible, none

    public var threshold: Certainty? { Certainty(rawValue: rawValue) }
}

/// The thresholds of `cotaudit check`: a batch passes or fails before it is sent.
public struct CheckGate: Sendable {
    /// Fails when the lost revenue (certain + likely findings not accepted) is above this amount.
    public var maxLost: Cents?
    /// Fails when more rows than this were rejected (default 0: any rejected row fails).
    public var maxRejected: Int
    /// Fails on any finding at least this certain (default `certain`); nil: no finding fails by itself.
    public var failOn: Certainty?
    /// An export with no act line passes only when this is set.
    public var allowEmpty: Bool
    /// Findings accepted before (the baseline), by fingerprint.
    public var accepted: [String: Acceptance]
    /// The day acceptances are checked against: one that expired before it no longer counts.
    public var asOf: CalendarDay?

    public init(maxLost: Cents? = nil, maxRejected: Int = 0, failOn: Certainty? = .certain, allowEmpty: Bool = false,
                accepted: [String: Acceptance] = [:], asOf: CalendarDay? = nil) {
        self.maxLost = maxLost
        self.maxRejected = maxRejected
        self.failOn = failOn
        self.allowEmpty = allowEmpty
        self.accepted = accepted
        self.asOf = asOf
    }

    /// The one decision every output of `check` is drawn from: exit status, last line, JUnit,
    /// annotations and JSON.
    public func decide(_ outcome: AuditOutcome) -> CheckVerdict {
        var verdict = CheckVerdict()
        verdict.maxLost = maxLost
        verdict.maxRejected = maxRejected
        verdict.failOn = failOn
        verdict.rejectedLines = outcome.rejectedLines

        // Inputs that could not be read at all: a file that broke off, a path that does not
        // exist, a folder without exports. They make the verdict an input error (exit 2).
        let fileNames = Set(outcome.files)
        verdict.unreadableFiles = outcome.unreadableFiles
        var missing: [String] = []
        for issue in outcome.inputErrors where !fileNames.contains(issue.file) && !missing.contains(issue.file) {
            missing.append(issue.file)
        }
        verdict.missingPaths = missing

        // The acceptances some finding used; the others are reported unused. Held by the baseline's
        // size, not the batch's.
        var usedFingerprints: Set<String> = []
        for finding in outcome.findings {
            var decision = FindingDecision(finding: finding, status: .tolerated)
            let fingerprint = accepted.isEmpty ? "" : finding.fingerprint
            if let acceptance = accepted[fingerprint] {
                usedFingerprints.insert(fingerprint)
                if let expires = acceptance.expires, let asOf, expires < asOf {
                    decision.expiredAcceptance = acceptance
                } else {
                    decision.status = .accepted(acceptance)
                }
            }
            if case .tolerated = decision.status, let failOn, finding.certainty <= failOn {
                decision.status = .blocking
            }
            verdict.decisions.append(decision)
        }
        verdict.lostCents = verdict.decisions.filter { !$0.isAccepted && $0.finding.certainty.countsAsLost }
            .map(\.finding.lostCents).sum()
        verdict.unusedAcceptances = accepted.keys.filter { !usedFingerprints.contains($0) }.count

        if !verdict.unreadableFiles.isEmpty || !verdict.missingPaths.isEmpty {
            let names = verdict.unreadableFiles + verdict.missingPaths
            verdict.reasons.append(.init(kind: .unreadable, text: "entrée illisible : \(names.joined(separator: ", "))"))
        }
        if outcome.acts == 0 && !allowEmpty {
            verdict.reasons.append(.init(kind: .empty, text: "aucune ligne d'acte dans le lot (--allow-empty pour l'accepter)"))
        }
        if outcome.rejectedLines > maxRejected {
            verdict.reasons.append(.init(kind: .rejectedLines,
                                         text: "\(outcome.rejectedLines) ligne(s) rejetée(s), maximum autorisé : \(maxRejected)"))
        }
        let blocking = verdict.blocking
        if let failOn, !blocking.isEmpty {
            let expired = verdict.decisions.filter { $0.isBlocking && $0.expiredAcceptance != nil }.count
            var text = "\(blocking.count) constat(s) de certitude « \(failOn.french) » ou plus"
            if !accepted.isEmpty { text += " hors référence" }
            if expired > 0 { text += " (dont \(expired) à l'acceptation expirée)" }
            verdict.reasons.append(.init(kind: .findings, text: text))
        }
        if let maxLost, verdict.lostCents > maxLost {
            verdict.reasons.append(.init(kind: .lost,
                                         text: "manque à gagner de \(verdict.lostCents.euros), au-delà du seuil de \(maxLost.euros)"))
        }
        return verdict
    }
}

/// A finding accepted in a baseline: why, and until when (the acceptance ends after that day).
public struct Acceptance: Sendable, Hashable {
    public var reason: String?
    public var expires: CalendarDay?

    public init(reason: String? = nil, expires: CalendarDay? = nil) {
        self.reason = reason
        self.expires = expires
    }
}

/// What the gate made of one finding.
public struct FindingDecision: Sendable {
    public enum Status: Sendable {
        /// Fails the batch: at least as certain as `--fail-on`, and not accepted.
        case blocking
        /// Reported, but below `--fail-on`.
        case tolerated
        /// In the baseline, acceptance still running.
        case accepted(Acceptance)
    }

    public var finding: Finding
    public var status: Status
    /// The acceptance that ran out, when the finding was in the baseline until a past day.
    public var expiredAcceptance: Acceptance?

    public var isBlocking: Bool { if case .blocking = status { return true } else { return false } }
    public var isAccepted: Bool { if case .accepted = status { return true } else { return false } }
}

/// The gate's decision. Every output of `check` reads it; none decides on its own.
public struct CheckVerdict: Sendable {
    public enum Outcome: String, Sendable {
        case pass, fail
        /// An input could not be read: the batch was not checked in full.
        case inputError = "input-error"
    }

    public struct Reason: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case unreadable, empty
            case rejectedLines = "rejected-lines"
            case findings, lost
        }

        public var kind: Kind
        /// French, for the job log.
        public var text: String
    }

    public var reasons: [Reason] = []
    public var decisions: [FindingDecision] = []
    /// Lost revenue of the findings not accepted (certain and likely).
    public var lostCents = Cents.zero
    public var rejectedLines = 0
    public var unreadableFiles: [String] = []
    /// Paths that do not exist or hold no export.
    public var missingPaths: [String] = []
    /// Baseline entries that matched no finding of this batch (fixed, or from another batch).
    public var unusedAcceptances = 0
    public var maxLost: Cents?
    public var maxRejected = 0
    public var failOn: Certainty?

    public var outcome: Outcome {
        if reasons.contains(where: { $0.kind == .unreadable }) { return .inputError }
        return reasons.isEmpty ? .pass : .fail
    }

    /// The contract's exit statuses: 0 the batch passes, 1 it does not, 2 an input was unreadable.
    public var exitStatus: Int32 {
        switch outcome {
        case .pass: return 0
        case .fail: return 1
        case .inputError: return 2
        }
    }

    public func fails(_ kind: Reason.Kind) -> Bool { reasons.contains { $0.kind == kind } }

    public var blocking: [Finding] { decisions.filter(\.isBlocking).map(\.finding) }
    public var acceptedCount: Int { decisions.filter(\.isAccepted).count }

    /// The last line `check` prints, in French.
    public var summaryLine: String {
        guard reasons.isEmpty else { return "lot refusé : " + reasons.map(\.text).joined(separator: " ; ") }
        var line = "lot accepté"
        let accepted = acceptedCount
        if accepted > 0 { line += " (\(accepted) constat(s) acceptés par la référence)" }
        return line
    }
}
