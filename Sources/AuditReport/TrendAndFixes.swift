import AuditRules
import BillingModel

/// What only the nightly store can add to the director's report: the months it holds before the
/// period, and what corrected re-exports fixed. `audit` has neither, so its outputs do not change.
public struct TrendAndFixes: Sendable, Equatable {
    /// Every month held up to the period's end, oldest first (key `YYYY-MM`), billed amounts included.
    public var months: [Breakdown]
    /// The months during which fixes are counted (the report's period), by the night the corrected
    /// re-export was audited, not by act date.
    public var fixedFrom: YearMonth
    public var fixedTo: YearMonth
    /// Practitioners with a fix in the period or in the month before it, largest period first.
    public var fixedByPractitioner: [PractitionerFixes]

    public init(months: [Breakdown], fixedFrom: YearMonth, fixedTo: YearMonth, fixedByPractitioner: [PractitionerFixes]) {
        self.months = months
        self.fixedFrom = fixedFrom
        self.fixedTo = fixedTo
        self.fixedByPractitioner = fixedByPractitioner
    }

    /// The month the fixes of the period are set against.
    public var previousMonth: YearMonth { fixedFrom.previous }

    /// One month is a figure, not a trend.
    public var showsTrend: Bool { months.count > 1 }

    /// `en juin 2026`, or `de mai 2026 à juin 2026`.
    public var fixedPeriodIn: String {
        fixedFrom == fixedTo ? "en \(fixedFrom.french)" : "de \(fixedFrom.french) à \(fixedTo.french)"
    }

    /// The trend's lines from findings and billed amounts per month (the same counting as every
    /// other breakdown of the reports).
    public static func months(findings: [Finding], billedByMonth: [YearMonth: Cents], options: ReportOptions) -> [Breakdown] {
        var lines: [YearMonth: Breakdown] = [:]
        for finding in findings {
            let month = finding.actDate.yearMonth
            lines[month, default: Breakdown(key: month.description)].count(finding, options: options)
        }
        for (month, billed) in billedByMonth {
            lines[month, default: Breakdown(key: month.description)].billedCents = billed
        }
        return lines.keys.sorted().map { lines[$0]! }
    }

    /// Fixed findings per practitioner (credited to the practitioner of the finding).
    public static func byPractitioner(period: [Finding], previousMonth: [Finding], options: ReportOptions) -> [PractitionerFixes] {
        var table: [String: PractitionerFixes] = [:]
        for finding in period {
            table[finding.practitionerID, default: PractitionerFixes(practitionerID: finding.practitionerID)].period
                .count(finding, options: options)
        }
        for finding in previousMonth {
            table[finding.practitionerID, default: PractitionerFixes(practitionerID: finding.practitionerID)].previousMonth
                .count(finding, options: options)
        }
        return table.values.sorted {
            if $0.period.lostCents != $1.period.lostCents { return $0.period.lostCents > $1.period.lostCents }
            if $0.period.findings != $1.period.findings { return $0.period.findings > $1.period.findings }
            if $0.previousMonth.lostCents != $1.previousMonth.lostCents { return $0.previousMonth.lostCents > $1.previousMonth.lostCents }
            return $0.practitionerID < $1.practitionerID
        }
    }
}

/// What corrected re-exports fixed for one practitioner: findings that went, and their money.
public struct PractitionerFixes: Sendable, Equatable {
    public var practitionerID: String
    /// During the report's period.
    public var period: Breakdown
    /// During the month before the period.
    public var previousMonth: Breakdown

    public init(practitionerID: String) {
        self.practitionerID = practitionerID
        period = Breakdown(key: practitionerID)
        previousMonth = Breakdown(key: practitionerID)
    }
}
