import AuditRules
import BillingModel

/// What the renderers need beyond the outcome: the day the report is made and the window in
/// which a forgotten or corrected bill can still be sent.
public struct ReportOptions: Sendable {
    public var asOf: CalendarDay
    public var recoverableWindowDays: Int
    public var recoverableWindowSource: String
    public var centreName: String?
    /// Rule id → what to change in practice (French).
    public var ruleAdvice: [String: String]
    /// Rule id → the rule's French title, which staff read instead of the id.
    public var ruleTitles: [String: String]
    /// Code → its French label from the rule set (`DEQP003` → « Électrocardiographie… »).
    public var codeLabels: [String: String]

    public init(asOf: CalendarDay, recoverableWindowDays: Int, recoverableWindowSource: String,
                centreName: String?, ruleAdvice: [String: String], ruleTitles: [String: String] = [:],
                codeLabels: [String: String] = [:]) {
        self.asOf = asOf
        self.recoverableWindowDays = recoverableWindowDays
        self.recoverableWindowSource = recoverableWindowSource
        self.centreName = centreName
        self.ruleAdvice = ruleAdvice
        self.ruleTitles = ruleTitles
        self.codeLabels = codeLabels
    }

    /// The rule's French title, or its id when the rule set gave none.
    public func title(ofRule id: String) -> String {
        ruleTitles[id].flatMap { $0.isEmpty ? nil : $0 } ?? id
    }

    /// `DEQP003 (Électrocardiographie…)`, or the bare code when the rule set has no label for it.
    public func labelled(code: String) -> String {
        guard let label = codeLabels[code], !label.isEmpty, label != code else { return code }
        return "\(code) (\(label))"
    }

    /// A finding can still be billed when it is a billing error (not a médecin traitant forfait,
    /// which is obtained by a declaration, never billed) and its act is at most
    /// `recoverableWindowDays` old on `asOf` (the last day of the window included). An act dated
    /// after `asOf` is not yet old, so it is recoverable too.
    public func isRecoverable(_ finding: Finding) -> Bool {
        !finding.isObtainedByDeclaration && finding.actDate.days(until: asOf) <= recoverableWindowDays
    }
}

/// One line of a breakdown: a key (practitioner, code, rule, month) and its money.
public struct Breakdown: Sendable, Equatable {
    public var key: String
    /// Certain and likely: `rebillCents` + `obtainCents`.
    public var lostCents: Cents = .zero
    /// Lost by billing errors, recovered by a corrected or forgotten bill ("à refacturer").
    public var rebillCents: Cents = .zero
    /// Lost médecin traitant forfaits, earned by obtaining a declaration ("à obtenir").
    public var obtainCents: Cents = .zero
    /// The part of `rebillCents` still within the billing window ("encore facturable").
    public var recoverableCents: Cents = .zero
    public var possibleCents: Cents = .zero
    public var atRiskCents: Cents = .zero
    public var findings = 0
    public var billedCents: Cents = .zero

    public init(key: String) { self.key = key }

    /// Adds one finding's money to the line: certain and likely to the lost kinds, possible apart.
    public mutating func count(_ finding: Finding, options: ReportOptions) {
        findings += 1
        if finding.certainty.countsAsLost {
            lostCents += finding.lostCents
            if finding.isObtainedByDeclaration {
                obtainCents += finding.lostCents
            } else {
                rebillCents += finding.lostCents
                if options.isRecoverable(finding) { recoverableCents += finding.lostCents }
            }
        } else {
            possibleCents += finding.lostCents
        }
        atRiskCents += finding.atRiskCents
    }

    /// Share of the billed revenue that was lost, in basis points (1/100 of a percent).
    public var lostShareBasisPoints: Int64 {
        billedCents.value > 0 ? Rounding.scale(lostCents.value, by: 10_000, dividedBy: billedCents.value) : 0
    }
}

/// Every total the reports show, computed once so that every format shows the same figures.
public struct AuditTotals: Sendable {
    /// Certain and likely findings: `rebillCents` + `obtainCents`.
    public var lostCents = Cents.zero
    /// "À refacturer": billing errors a corrected or forgotten bill recovers.
    public var rebillCents = Cents.zero
    /// "À obtenir": médecin traitant forfaits a declaration earns; never billed.
    public var obtainCents = Cents.zero
    public var possibleCents = Cents.zero
    public var atRiskCents = Cents.zero
    /// "Encore facturable": the part of `rebillCents` whose act is still within the billing window.
    public var recoverableLostCents = Cents.zero
    public var billedCents = Cents.zero
    public var byPractitioner: [Breakdown] = []
    public var byAct: [Breakdown] = []
    public var byRule: [Breakdown] = []
    public var byMonth: [Breakdown] = []
    /// Practitioner → month → breakdown.
    public var byPractitionerMonth: [String: [Breakdown]] = [:]
    public var mtWorklist: [MTWorkItem] = []

    public init(_ outcome: AuditOutcome, options: ReportOptions) {
        var practitioners: [String: Breakdown] = [:]
        var acts: [String: Breakdown] = [:]
        var rules: [String: Breakdown] = [:]
        // Months by their value, named once each: a name made and hashed twice per finding was a
        // fifth of this walk, which a run's end waits for.
        var months: [YearMonth: Breakdown] = [:]
        var practitionerMonths: [String: [YearMonth: Breakdown]] = [:]
        func add(_ finding: Finding, to table: inout [String: Breakdown], key: String) {
            table[key, default: Breakdown(key: key)].count(finding, options: options)
        }
        func add(_ finding: Finding, to table: inout [YearMonth: Breakdown], month: YearMonth) {
            table[month, default: Breakdown(key: month.description)].count(finding, options: options)
        }
        // One walk for the sums and the worklist, in file order (which the worklist needs): a
        // second walk of a large run's findings decoded each of them again.
        var worklist = MTWorkItem.Rows(roster: outcome.roster)
        for finding in outcome.findings.inFileOrder() {
            if finding.kind == .missingMT { worklist.add(finding) }
            if finding.certainty.countsAsLost {
                lostCents += finding.lostCents
                if finding.isObtainedByDeclaration {
                    obtainCents += finding.lostCents
                } else {
                    rebillCents += finding.lostCents
                    if options.isRecoverable(finding) { recoverableLostCents += finding.lostCents }
                }
            } else {
                possibleCents += finding.lostCents
            }
            atRiskCents += finding.atRiskCents
            add(finding, to: &practitioners, key: finding.practitionerID)
            add(finding, to: &acts, key: finding.lostCode)
            add(finding, to: &rules, key: finding.rule)
            let month = finding.actDate.yearMonth
            add(finding, to: &months, month: month)
            add(finding, to: &practitionerMonths[finding.practitionerID, default: [:]], month: month)
        }
        for (practitioner, billed) in outcome.billedByPractitioner {
            practitioners[practitioner, default: Breakdown(key: practitioner)].billedCents = billed
        }
        for (month, billed) in outcome.billedByMonth {
            months[month, default: Breakdown(key: month.description)].billedCents = billed
        }
        billedCents = outcome.billed
        func ranked(_ table: [String: Breakdown]) -> [Breakdown] {
            table.values.sorted {
                if $0.lostCents != $1.lostCents { return $0.lostCents > $1.lostCents }
                if $0.atRiskCents != $1.atRiskCents { return $0.atRiskCents > $1.atRiskCents }
                return $0.key < $1.key
            }
        }
        byPractitioner = ranked(practitioners)
        byAct = ranked(acts)
        byRule = ranked(rules)
        byMonth = months.values.sorted { $0.key < $1.key }
        byPractitionerMonth = practitionerMonths.mapValues { $0.values.sorted { $0.key < $1.key } }
        mtWorklist = worklist.sorted()
    }
}

/// A patient to ask for a médecin traitant declaration: the front desk's worklist. One row per
/// patient and rule, even when the patient was missed in several years: the desk asks once.
public struct MTWorkItem: Sendable, Equatable {
    public var patientRef: PatientRef
    public var rule: String
    /// The practitioner credited in the most recent year (the one to name on the declaration).
    public var practitionerID: String
    public var practitionerName: String?
    /// The forfaits at stake, all years added.
    public var forfaitCents: Cents
    /// The most recent year a forfait was missed.
    public var year: Int
    /// Every year a forfait was missed, ascending.
    public var years: [Int]
    /// The act date the finding points at in the most recent year.
    public var lastSeen: CalendarDay

    /// The worklist's rows as the missing-declaration findings come, in file order; `sorted` gives
    /// them by forfait at stake (largest first), then practitioner and pseudonym.
    struct Rows {
        let roster: Roster?
        private var rows: [String: MTWorkItem] = [:]

        init(roster: Roster?) { self.roster = roster }

        mutating func add(_ finding: Finding) {
            // "\u{1F}" cannot occur in a pseudonym or a rule id: the key is unambiguous.
            let key = finding.patientRef.value + "\u{1F}" + finding.rule
            guard var row = rows[key] else {
                rows[key] = MTWorkItem(patientRef: finding.patientRef, rule: finding.rule,
                                       practitionerID: finding.practitionerID,
                                       practitionerName: roster?.name(of: finding.practitionerID),
                                       forfaitCents: finding.lostCents, year: finding.actDate.year,
                                       years: [finding.actDate.year], lastSeen: finding.actDate)
                return
            }
            row.forfaitCents += finding.lostCents
            if !row.years.contains(finding.actDate.year) { row.years = (row.years + [finding.actDate.year]).sorted() }
            if finding.actDate > row.lastSeen {
                row.lastSeen = finding.actDate
                row.year = finding.actDate.year
                row.practitionerID = finding.practitionerID
                row.practitionerName = roster?.name(of: finding.practitionerID)
            }
            rows[key] = row
        }

        func sorted() -> [MTWorkItem] {
            rows.values.sorted {
                if $0.forfaitCents != $1.forfaitCents { return $0.forfaitCents > $1.forfaitCents }
                return ($0.practitionerID, $0.patientRef, $0.rule) < ($1.practitionerID, $1.patientRef, $1.rule)
            }
        }
    }
}
