import BillingModel
import Crypto

public enum FindingKind: String, Sendable, Hashable, CaseIterable, Codable {
    case underCoding = "under-coding"
    case missingMT = "missing-mt"
    case overCoding = "over-coding"
    case dataQuality = "data-quality"

    /// The kind as staff read it (spreadsheets, reports); `rawValue` stays the machine key.
    public var french: String {
        switch self {
        case .underCoding: return "sous-cotation"
        case .missingMT: return "médecin traitant non déclaré"
        case .overCoding: return "sur-cotation"
        case .dataQuality: return "qualité des données"
        }
    }
}

/// How sure the rule is. `certain` and `likely` count in lost revenue; `possible` is an
/// opportunity a person confirms, reported apart.
public enum Certainty: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case certain, likely, possible

    /// Rank for thresholds: `--fail-on likely` fails on certain and likely findings.
    public var rank: Int {
        switch self {
        case .certain: return 0
        case .likely: return 1
        case .possible: return 2
        }
    }

    public static func < (lhs: Certainty, rhs: Certainty) -> Bool { lhs.rank < rhs.rank }

    public var countsAsLost: Bool { self != .possible }

    public var french: String {
        switch self {
        case .certain: return "certain"
        case .likely: return "probable"
        case .possible: return "à vérifier"
        }
    }
}

/// One thing the audit found: where it is, what rule, what should have been billed, and the money.
public struct Finding: Sendable, Hashable {
    public var rule: String
    public var kind: FindingKind
    public var certainty: Certainty
    public var location: SourceLocation
    public var invoiceID: String
    public var actDate: CalendarDay
    /// The practitioner the finding is credited to.
    public var practitionerID: String
    public var patientRef: PatientRef
    /// The code billed (or the code the finding is about).
    public var code: String
    /// What to bill instead or in addition (`MEG`, `G`, `FPMT`), when there is one.
    public var expectedCode: String?
    public var lostCents: Cents
    public var atRiskCents: Cents
    /// Plain French, for billing staff: what is wrong and what to bill.
    public var message: String

    public init(rule: String, kind: FindingKind, certainty: Certainty, location: SourceLocation, invoiceID: String,
                actDate: CalendarDay, practitionerID: String, patientRef: PatientRef, code: String,
                expectedCode: String?, lostCents: Cents, atRiskCents: Cents, message: String) {
        self.rule = rule
        self.kind = kind
        self.certainty = certainty
        self.location = location
        self.invoiceID = invoiceID
        self.actDate = actDate
        self.practitionerID = practitionerID
        self.patientRef = patientRef
        self.code = code
        self.expectedCode = expectedCode
        self.lostCents = lostCents
        self.atRiskCents = atRiskCents
        self.message = message
    }

    /// A stable identity that survives a re-export: the nightly store and the CI baseline match
    /// findings by it. Built from what the finding is about (rule, invoice, code, act date, patient
    /// pseudonym), never from the file name, the line number or the export order. A médecin traitant
    /// finding is about a patient and a year, whichever invoice it points at, so it is keyed by those.
    public var fingerprint: String {
        let parts: [String]
        switch kind {
        case .missingMT:
            parts = [rule, patientRef.value, String(actDate.year)]
        case .underCoding, .overCoding, .dataQuality:
            parts = [rule, invoiceID, code, actDate.iso, patientRef.value]
        }
        // Unit separators keep "A|B" + "C" apart from "A" + "B|C".
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8))
        return digest.prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Two kinds of money, never mixed: a billing error is recovered by a corrected or forgotten
    /// bill ("à refacturer"); a médecin traitant forfait is earned by obtaining the declaration
    /// ("à obtenir"), never by a bill.
    public var isObtainedByDeclaration: Bool { kind == .missingMT }

    /// The code whose value was lost, for per-act totals (`MEG` for a missing MEG, `G` for an
    /// under-billed G, `FPMT` for the médecin traitant forfait).
    public var lostCode: String { expectedCode ?? code }

    /// Findings are listed in file order, then by rule, so outputs are stable run to run.
    public static func fileOrder(_ lhs: Finding, _ rhs: Finding) -> Bool { isInFileOrder(lhs, rhs) }
}

/// What places a finding in file order: a finding, or the same fields read from its record
/// (`FindingOrderKey`, for the merge of spilled runs).
protocol FileOrderPlaced {
    var location: SourceLocation { get }
    var rule: String { get }
    var invoiceID: String { get }
    var patientRef: PatientRef { get }
}

extension Finding: FileOrderPlaced {}

/// File order as two places alone decide it, nil when they do not: two lines of one file are told
/// apart without reading the file names or any text, as the comparison of the whole would.
func placesInFileOrder(_ lhs: SourceLocation, _ rhs: SourceLocation) -> Bool? {
    guard lhs.fileNumber == rhs.fileNumber && lhs.line != rhs.line else { return nil }
    return lhs.line < rhs.line
}

/// File order: location (file, then line), rule, invoice, patient.
func isInFileOrder<Placed: FileOrderPlaced>(_ lhs: Placed, _ rhs: Placed) -> Bool {
    if let decided = placesInFileOrder(lhs.location, rhs.location) { return decided }
    return (lhs.location, lhs.rule, lhs.invoiceID, lhs.patientRef) < (rhs.location, rhs.rule, rhs.invoiceID, rhs.patientRef)
}

/// Everything an audit run produced, for the renderers and the gate.
public struct AuditOutcome: Sendable {
    /// Display names of the files read (as given, relative when given relative).
    public var files: [String] = []
    /// Display name → the file's absolute path, for outputs that must point at the file in a
    /// repository (CI annotations).
    public var filePaths: [String: String] = [:]
    /// Files that could not be read at all, or only in part.
    public var unreadableFiles: [String] = []
    public var acts = 0
    public var invoices = 0
    public var rejectedLines = 0
    public var findings = Findings()
    /// Rejected rows and unreadable files (severity error), warnings apart.
    /// At most `IssueCollector.keptPerKind` of each kind; the others are counted in `omitted…`.
    public var inputErrors: [InputIssue] = []
    public var warnings: [InputIssue] = []
    /// Said for information only (an encoding detected as expected).
    public var notices: [InputIssue] = []
    /// The act dates audited (`--month`, `--from`/`--to`), nil for all; acts outside are counted here.
    public var period: ActPeriod?
    public var actsOutsidePeriod = 0
    /// Input errors and warnings not kept in the lists above (all of them go to `--all-issues`).
    public var omittedInputErrors = 0
    public var omittedWarnings = 0
    /// Amount billed per practitioner, for the share of revenue lost.
    public var billedByPractitioner: [String: Cents] = [:]
    /// Amount billed per month of act date.
    public var billedByMonth: [YearMonth: Cents] = [:]
    /// First and last act dates audited.
    public var firstActDate: CalendarDay?
    public var lastActDate: CalendarDay?
    /// `name` and `version` of the rule set used.
    public var ruleSetName = ""
    public var ruleSetVersion = ""
    public var roster: Roster?
    /// Specialty seen per practitioner (the last one billed), for reports without a roster.
    public var specialtyByPractitioner: [String: Specialty] = [:]

    public init() {}

    public var billed: Cents { billedByPractitioner.values.sum() }
}
