import AuditReport
import AuditRules
import BillingModel
import Foundation
import GRDB

/// A finding that appeared or went, and when.
public struct FindingChange: Sendable {
    public enum Change: String, Sendable { case new, fixed }
    public var change: Change
    public var finding: Finding
    public var runID: Int64
    /// UTC, ISO 8601.
    public var recordedAt: String
}

/// One run as `cotaudit history` lists it.
public struct RunRecord: Sendable {
    public var id: Int64
    public var startedAt: String
    /// Nil for a run that was stopped before its end (its recorded files are kept).
    public var finishedAt: String?
    public var ruleSet: String
    public var filesAudited: Int
    public var filesSkipped: Int
    public var filesUnreadable: Int
    public var files: [FileRecord]
}

public struct FileRecord: Sendable {
    public var name: String
    public var recordedAt: String
    public var invoices: Int
    public var acts: Int
    public var rejectedLines: Int
    public var billed: Cents
    public var replacedInvoices: Int
    public var newFindings: Int
    public var fixedFindings: Int
    public var firstActDate: CalendarDay?
    public var lastActDate: CalendarDay?
}

extension AuditStore {
    /// A read, with SQLite's "busy" turned into the French message.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try busyInFrench { try pool.read(body) }
    }

    /// The months of act dates the store holds invoices for, ascending.
    public func monthsHeld() throws -> [YearMonth] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT substr(act_date, 1, 7) FROM billing ORDER BY 1").compactMap(YearMonth.init(parsing:))
        }
    }


    /// What an `audit` of the held invoices with act dates from `from` to `to` (inclusive months)
    /// would have produced: findings, amounts billed, files and their input issues. A médecin
    /// traitant finding belongs to the month of the act it points at.
    public func outcome(from: YearMonth, to: YearMonth, ruleSetName: String, ruleSetVersion: String,
                        roster: Roster?) throws -> AuditOutcome {
        let first = "\(from.description)-01"
        let last = "\(to.description)-31"
        return try read { db in
            var outcome = AuditOutcome()
            outcome.ruleSetName = ruleSetName
            outcome.ruleSetVersion = ruleSetVersion
            outcome.roster = roster
            outcome.findings = Findings(try StoredFinding.fetch(db, where: "act_date BETWEEN ? AND ?", [first, last])
                .map(\.finding).sorted(by: Finding.fileOrder))
            let invoiceRow = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS invoices, COALESCE(SUM(acts), 0) AS acts FROM invoice WHERE act_date BETWEEN ? AND ?",
                                              arguments: [first, last])
            outcome.invoices = invoiceRow?["invoices"] ?? 0
            outcome.acts = invoiceRow?["acts"] ?? 0
            var latestSpecialty: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT practitioner_id, act_date, specialty, billed_cents FROM billing WHERE act_date BETWEEN ? AND ? ORDER BY act_date
                """, arguments: [first, last]) {
                let practitioner: String = row["practitioner_id"]
                let day = try StoredFinding.day(row["act_date"])
                let cents = Cents(row["billed_cents"] as Int64)
                outcome.billedByPractitioner[practitioner, default: .zero] += cents
                outcome.billedByMonth[day.yearMonth, default: .zero] += cents
                latestSpecialty[practitioner] = row["specialty"]
                if outcome.firstActDate.map({ day < $0 }) ?? true { outcome.firstActDate = day }
                if outcome.lastActDate.map({ day > $0 }) ?? true { outcome.lastActDate = day }
            }
            outcome.specialtyByPractitioner = latestSpecialty.compactMapValues(Specialty.init)
            // The files that hold invoices of the period, in the order they were recorded.
            let files = try Row.fetchAll(db, sql: """
                SELECT id, name, rejected_lines FROM source_file
                WHERE id IN (SELECT DISTINCT file_id FROM invoice WHERE act_date BETWEEN ? AND ?) ORDER BY id
                """, arguments: [first, last])
            for file in files {
                outcome.files.append(file["name"])
                outcome.rejectedLines += file["rejected_lines"] as Int
                for issue in try Row.fetchAll(db, sql: "SELECT * FROM input_issue WHERE file_id = ?", arguments: [file["id"] as Int64]) {
                    let severity = InputIssue.Severity(rawValue: issue["severity"]) ?? .error
                    let stored = InputIssue(file: issue["file"], line: issue["line"], column: issue["column_name"],
                                            message: issue["message"], severity: severity, columnInFile: issue["column_in_file"])
                    if severity == .error { outcome.inputErrors.append(stored) } else { outcome.warnings.append(stored) }
                }
            }
            outcome.inputErrors.sort(by: InputIssue.fileOrder)
            return outcome
        }
    }

    /// Findings that appeared or went in runs after `sinceRunID`, in the order they were recorded.
    public func changes(afterRun sinceRunID: Int64) throws -> [FindingChange] {
        try recordedChanges(where: "run_id > ?", [sinceRunID])
    }

    /// Findings that went (fixed by a corrected export) in runs recorded between two instants.
    public func fixes(recordedFrom start: String, before end: String) throws -> [FindingChange] {
        try recordedChanges(where: "change = 'fixed' AND recorded_at >= ? AND recorded_at < ?", [start, end])
    }

    /// The logged changes that meet `condition`, in the order they were recorded.
    func recordedChanges(where condition: String, _ arguments: StatementArguments) throws -> [FindingChange] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM finding_change WHERE \(condition) ORDER BY id", arguments: arguments).map(Self.change)
        }
    }

    /// What the director's report of `from`…`to` adds from the store: lost revenue month by month
    /// for every month held up to `to`, and per practitioner the findings corrected re-exports made
    /// disappear during the period (by the night they were audited, in local months) against the
    /// month before it.
    public func trendAndFixes(from: YearMonth, to: YearMonth, options: ReportOptions) throws -> TrendAndFixes {
        let last = "\(to.description)-31"
        let (findings, billedByMonth) = try read { db -> ([Finding], [YearMonth: Cents]) in
            let findings = try StoredFinding.fetch(db, where: "act_date <= ?", [last]).map(\.finding)
            var billed: [YearMonth: Cents] = [:]
            // Summed here in saturating cents, as the report's own totals, rather than by SQLite's SUM.
            for row in try Row.fetchAll(db, sql: "SELECT act_date, billed_cents FROM billing WHERE act_date <= ?", arguments: [last]) {
                billed[try StoredFinding.day(row["act_date"]).yearMonth, default: .zero] += Cents(row["billed_cents"] as Int64)
            }
            return (findings, billed)
        }
        let period = try fixes(recordedFrom: StoreClock.start(of: from), before: StoreClock.start(of: to.next)).map(\.finding)
        let previous = try fixes(recordedFrom: StoreClock.start(of: from.previous), before: StoreClock.start(of: from)).map(\.finding)
        return TrendAndFixes(months: TrendAndFixes.months(findings: findings, billedByMonth: billedByMonth, options: options),
                             fixedFrom: from, fixedTo: to,
                             fixedByPractitioner: TrendAndFixes.byPractitioner(period: period, previousMonth: previous, options: options))
    }

    static func change(_ row: Row) throws -> FindingChange {
        FindingChange(change: FindingChange.Change(rawValue: row["change"]) ?? .new, finding: try StoredFinding.finding(row),
                      runID: row["run_id"], recordedAt: row["recorded_at"])
    }

    /// Every run, latest first, with the files it recorded.
    public func history(limit: Int? = nil) throws -> [RunRecord] {
        try read { db in
            var sql = "SELECT * FROM run ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(limit, 0))" }
            return try Row.fetchAll(db, sql: sql).map { run in
                let files = try Row.fetchAll(db, sql: "SELECT * FROM source_file WHERE run_id = ? ORDER BY id", arguments: [run["id"] as Int64]).map { file in
                    FileRecord(name: file["name"], recordedAt: file["recorded_at"], invoices: file["invoices"], acts: file["acts"],
                               rejectedLines: file["rejected_lines"], billed: Cents(file["billed_cents"] as Int64),
                               replacedInvoices: file["replaced_invoices"], newFindings: file["new_findings"],
                               fixedFindings: file["fixed_findings"],
                               firstActDate: (file["first_act_date"] as String?).flatMap(CalendarDay.init(parsing:)),
                               lastActDate: (file["last_act_date"] as String?).flatMap(CalendarDay.init(parsing:)))
                }
                return RunRecord(id: run["id"], startedAt: run["started_at"], finishedAt: run["finished_at"], ruleSet: run["rule_set"],
                                 filesAudited: run["files_audited"], filesSkipped: run["files_skipped"],
                                 filesUnreadable: run["files_unreadable"], files: files)
            }
        }
    }

    /// The latest invoice date held per patient, for the front desk's worklist.
    public func lastVisits(patients: Set<PatientRef>) throws -> [PatientRef: (day: CalendarDay, invoiceID: String)] {
        try read { db in
            var result: [PatientRef: (CalendarDay, String)] = [:]
            for patient in patients {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT act_date, invoice_id FROM invoice WHERE patient_ref = ? ORDER BY act_date DESC, invoice_id DESC LIMIT 1
                    """, arguments: [patient.value]) else { continue }
                result[patient] = (try StoredFinding.day(row["act_date"]), row["invoice_id"])
            }
            return result
        }
    }

    /// The invoice numbers held for a patient in a year, in date order (for a médecin traitant row).
    public func invoices(of patient: PatientRef, year: Int) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT invoice_id FROM invoice WHERE patient_ref = ? AND act_date BETWEEN ? AND ? ORDER BY act_date, invoice_id
                """, arguments: [patient.value, "\(year)-01-01", "\(year)-12-31"])
        }
    }
}
