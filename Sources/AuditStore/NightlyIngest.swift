import AuditRules
import BillingIngest
import BillingModel
import Crypto
import Foundation
import GRDB

/// What became of one file in a nightly run.
public enum FileOutcome: Sendable {
    /// Audited and recorded. `replacedInvoices` counts invoices of earlier files it replaced.
    case recorded(RecordedFile)
    /// The same content was already audited (an identical re-export).
    case skipped(name: String, recordedAt: String)
    /// Nothing could be read: not recorded, so that a complete copy is audited on a later night.
    case unreadable(name: String, issues: [InputIssue])
}

public struct RecordedFile: Sendable {
    public var name: String
    public var invoices: Int
    public var acts: Int
    public var rejectedLines: Int
    public var replacedInvoices: Int
    public var newFindings: Int
    public var fixedFindings: Int
}

/// One nightly run: the files given, each audited and recorded in its own transaction.
public struct NightlyRun: Sendable {
    public var runID: Int64
    /// The last run that finished before this one: "new since" is counted from there, so that a
    /// run killed half-way and its rerun are reported together.
    public var sinceRunID: Int64
    public var files: [FileOutcome] = []
    /// Paths that did not exist or folders without exports.
    public var pathIssues: [InputIssue] = []

    /// Exit status as `audit`: 2 when no input at all could be read (an identical re-export counts
    /// as read).
    public var nothingRead: Bool {
        !files.contains {
            if case .unreadable = $0 { return false }
            return true
        }
    }
}

extension AuditStore {
    /// Runs the nightly audit of `paths`. `runner` carries the rule set, profile, roster and key;
    /// its sinks are set here.
    public func nightly(paths: [String], runner: AuditRunner, onFile: (FileOutcome) -> Void = { _ in }) throws -> NightlyRun {
        let ruleSet = "\(runner.ruleSet.name) \(runner.ruleSet.version)"
        let (runID, sinceRunID) = try storeWrite { db -> (Int64, Int64) in
            let since = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run WHERE finished_at IS NOT NULL") ?? 0
            try db.execute(sql: "INSERT INTO run (started_at, rule_set) VALUES (?, ?)", arguments: [StoreClock.stamp(clock()), ruleSet])
            return (db.lastInsertedRowID, since)
        }
        var run = NightlyRun(runID: runID, sinceRunID: sinceRunID)
        let (files, issues) = ExportFiles.collect(paths: paths)
        run.pathIssues = issues
        for url in files {
            let outcome = try ingest(url, runID: runID, runner: runner)
            onFile(outcome)
            run.files.append(outcome)
        }
        try storeWrite { db in
            var audited = 0, skipped = 0, unreadable = 0
            for file in run.files {
                switch file {
                case .recorded: audited += 1
                case .skipped: skipped += 1
                case .unreadable: unreadable += 1
                }
            }
            try db.execute(sql: """
                UPDATE run SET finished_at = ?, files_audited = ?, files_skipped = ?, files_unreadable = ? WHERE id = ?
                """, arguments: [StoreClock.stamp(clock()), audited, skipped, unreadable, runID])
        }
        return run
    }

    /// A write transaction, with SQLite's "busy" turned into the French message.
    func storeWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try busyInFrench { try pool.write(body) }
    }

    /// SHA-256 of the file's bytes, read in blocks.
    static func contentHash(_ url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            hasher.update(data: block)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Audits one file and records it in one transaction: its invoices replace any stored invoice
    /// with the same number (a corrected re-export), the médecin traitant years it touches are
    /// settled again over everything held, and every finding that appeared or went is logged.
    func ingest(_ url: URL, runID: Int64, runner template: AuditRunner) throws -> FileOutcome {
        let name = url.lastPathComponent
        let hash: String
        do {
            hash = try Self.contentHash(url)
        } catch {
            return .unreadable(name: name, issues: [InputIssue(file: name, line: 0, column: nil,
                                                               message: "fichier illisible : \(error.localizedDescription)")])
        }
        struct NothingReadable: Error { var issues: [InputIssue] }
        do {
            return try storeWrite { db -> FileOutcome in
                if let recordedAt = try String.fetchOne(db, sql: "SELECT recorded_at FROM source_file WHERE content_hash = ?",
                                                       arguments: [hash]) {
                    return .skipped(name: name, recordedAt: recordedAt)
                }
                let now = StoreClock.stamp(clock())
                try db.execute(sql: "INSERT INTO source_file (content_hash, name, run_id, recorded_at, rule_set) VALUES (?, ?, ?, ?, ?)",
                               arguments: [hash, name, runID, now, "\(template.ruleSet.name) \(template.ruleSet.version)"])
                let fileID = db.lastInsertedRowID
                var recorder = FileRecorder(db: db, fileID: fileID, runID: runID, now: now)
                var runner = template
                var failure: Error?
                runner.invoiceSink = { invoice in
                    guard failure == nil else { return }
                    do { try recorder.record(invoice) } catch { failure = error }
                }
                runner.patientYearFactSink = { fact in
                    guard failure == nil else { return }
                    do { try recorder.record(fact) } catch { failure = error }
                }
                let (outcome, readable) = runner.run(paths: [url.path])
                if let failure { throw failure }
                guard readable > 0 else { throw NothingReadable(issues: outcome.inputErrors) }
                try recorder.finish(outcome, template: template)
                return .recorded(recorder.summary(name: name, outcome: outcome))
            }
        } catch let nothing as NothingReadable {
            return .unreadable(name: name, issues: nothing.issues)
        }
    }
}

/// Writes one file's invoices, facts and findings inside its transaction.
struct FileRecorder {
    let db: Database
    let fileID: Int64
    let runID: Int64
    let now: String
    /// Rows of this file by invoice number, for attaching its findings.
    var rowsByInvoice: [String: Int64] = [:]
    var currentRow: Int64 = 0
    /// Findings of replaced invoices and of re-settled patient-years, as they were.
    var before: [StoredFinding] = []
    /// Patient-years whose médecin traitant findings must be settled again.
    var touchedYears: Set<PatientYearKey> = []
    var replacedInvoices = 0
    var newFindings = 0
    var fixedFindings = 0

    struct PatientYearKey: Hashable {
        var patient: String
        var year: Int
    }

    init(db: Database, fileID: Int64, runID: Int64, now: String) {
        self.db = db
        self.fileID = fileID
        self.runID = runID
        self.now = now
    }

    mutating func record(_ invoice: Invoice) throws {
        // A corrected re-export: the stored invoice with this number, from an earlier file, goes
        // with its findings and facts (ON DELETE CASCADE); its patient-year is settled again.
        let replaced = try Int64.fetchAll(db, sql: "SELECT id FROM invoice WHERE invoice_id = ? AND file_id <> ?",
                                          arguments: [invoice.id, fileID])
        for row in replaced {
            before += try StoredFinding.fetch(db, where: "invoice_row = ?", [row])
            for fact in try Row.fetchAll(db, sql: "SELECT patient_ref, year FROM patient_year_fact WHERE invoice_row = ?", arguments: [row]) {
                touchedYears.insert(PatientYearKey(patient: fact["patient_ref"], year: fact["year"]))
            }
            try db.execute(sql: "DELETE FROM invoice WHERE id = ?", arguments: [row])
            replacedInvoices += 1
        }
        try db.execute(sql: """
            INSERT INTO invoice (invoice_id, file_id, act_date, practitioner_id, patient_ref, acts) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [invoice.id, fileID, invoice.date.iso, invoice.practitionerID, invoice.patient.ref.value, invoice.lines.count])
        currentRow = db.lastInsertedRowID
        if rowsByInvoice[invoice.id] == nil { rowsByInvoice[invoice.id] = currentRow }
        struct BillingKey: Hashable { var practitioner: String; var day: CalendarDay; var specialty: String }
        var billing: [BillingKey: (acts: Int, cents: Cents)] = [:]
        for line in invoice.lines {
            let key = BillingKey(practitioner: line.practitionerID, day: line.actDate, specialty: line.specialty.code)
            let sum = billing[key] ?? (0, .zero)
            billing[key] = (sum.acts + 1, sum.cents + line.amount)
        }
        for (key, sum) in billing {
            try db.execute(sql: """
                INSERT INTO billing (invoice_row, practitioner_id, act_date, specialty, acts, billed_cents) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [currentRow, key.practitioner, key.day.iso, key.specialty, sum.acts, sum.cents.value])
        }
    }

    mutating func record(_ fact: PatientYearFact) throws {
        try db.execute(sql: """
            INSERT INTO patient_year_fact (invoice_row, rule, patient_ref, year, invoice_id, act_date, practitioner_id, file, line,
                code, ald, coverage, age_at_year_end, age_on_date, departed_practitioner_id, departed_name, departed_end_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [currentRow, fact.rule, fact.patient.value, fact.year, fact.invoiceID, fact.date.iso, fact.practitionerID,
                             fact.location.file, fact.location.line, fact.code, fact.ald, fact.coverage?.rawValue, fact.ageAtYearEnd, fact.ageOnDate,
                             fact.departure?.practitionerID, fact.departure?.name, fact.departure?.endDate.iso])
        touchedYears.insert(PatientYearKey(patient: fact.patient.value, year: fact.year))
    }

    /// The file's own findings, the médecin traitant years settled again, the changes logged.
    mutating func finish(_ outcome: AuditOutcome, template: AuditRunner) throws {
        var after: [(finding: Finding, invoiceRow: Int64?)] = outcome.findings.map { ($0, rowsByInvoice[$0.invoiceID]) }
        let engine = AuditEngine(ruleSet: template.ruleSet, roster: template.roster, zone: template.zone)
        for key in touchedYears.sorted(by: { ($0.patient, $0.year) < ($1.patient, $1.year) }) {
            before += try StoredFinding.fetch(db, where: "invoice_row IS NULL AND patient_ref = ? AND year = ?", [key.patient, key.year])
            try db.execute(sql: "DELETE FROM finding WHERE invoice_row IS NULL AND patient_ref = ? AND year = ?",
                           arguments: [key.patient, key.year])
            for row in try Row.fetchAll(db, sql: "SELECT * FROM patient_year_fact WHERE patient_ref = ? AND year = ?",
                                        arguments: [key.patient, key.year]) {
                engine.record(try Self.fact(row))
            }
        }
        after += engine.finish().map { ($0, nil) }

        // What was there before, by identity: kept findings keep the run they were first seen in.
        var firstSeen: [String: [Int64]] = [:]
        for old in before { firstSeen[old.finding.fingerprint, default: []].append(old.firstRunID) }
        for (finding, invoiceRow) in after {
            let firstRun: Int64
            if var runs = firstSeen[finding.fingerprint], let run = runs.popLast() {
                firstRun = run
                firstSeen[finding.fingerprint] = runs.isEmpty ? nil : runs
            } else {
                firstRun = runID
                newFindings += 1
                try StoredFinding.insertChange(db, change: "new", finding: finding, runID: runID, fileID: fileID, at: now)
            }
            try StoredFinding.insert(db, finding, invoiceRow: invoiceRow, firstRunID: firstRun)
        }
        // Identities left over went away with data that covers them: fixed.
        var leftOver = firstSeen.mapValues(\.count)
        for old in before where (leftOver[old.finding.fingerprint] ?? 0) > 0 {
            leftOver[old.finding.fingerprint]! -= 1
            fixedFindings += 1
            try StoredFinding.insertChange(db, change: "fixed", finding: old.finding, runID: runID, fileID: fileID, at: now)
        }

        for issue in outcome.inputErrors + outcome.warnings {
            try db.execute(sql: """
                INSERT INTO input_issue (file_id, file, line, column_name, column_in_file, message, severity) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [fileID, issue.file, issue.line, issue.column, issue.columnInFile, issue.message, issue.severity.rawValue])
        }
        try db.execute(sql: """
            UPDATE source_file SET acts = ?, invoices = ?, rejected_lines = ?, billed_cents = ?, replaced_invoices = ?,
                new_findings = ?, fixed_findings = ?, first_act_date = ?, last_act_date = ? WHERE id = ?
            """, arguments: [outcome.acts, outcome.invoices, outcome.rejectedLines, outcome.billed.value, replacedInvoices,
                             newFindings, fixedFindings, outcome.firstActDate?.iso, outcome.lastActDate?.iso, fileID])
    }

    func summary(name: String, outcome: AuditOutcome) -> RecordedFile {
        RecordedFile(name: name, invoices: outcome.invoices, acts: outcome.acts, rejectedLines: outcome.rejectedLines,
                     replacedInvoices: replacedInvoices, newFindings: newFindings, fixedFindings: fixedFindings)
    }

    static func fact(_ row: Row) throws -> PatientYearFact {
        var departure: Departure?
        if let practitioner: String = row["departed_practitioner_id"] {
            departure = Departure(practitionerID: practitioner, name: row["departed_name"] ?? "",
                                  endDate: try StoredFinding.day(row["departed_end_date"]))
        }
        return PatientYearFact(rule: row["rule"], patient: PatientRef(row["patient_ref"]), year: row["year"],
                               invoiceID: row["invoice_id"], date: try StoredFinding.day(row["act_date"]),
                               practitionerID: row["practitioner_id"],
                               location: SourceLocation(file: row["file"], line: row["line"]), code: row["code"],
                               ald: row["ald"], coverage: (row["coverage"] as String?).flatMap(Coverage.init(rawValue:)),
                               ageAtYearEnd: row["age_at_year_end"], ageOnDate: row["age_on_date"],
                               departure: departure)
    }
}

/// A finding as the store holds it.
struct StoredFinding {
    var finding: Finding
    var firstRunID: Int64

    static let columns = """
        fingerprint, rule, kind, certainty, file, line, invoice_id, act_date, practitioner_id, patient_ref, code,
        expected_code, lost_cents, at_risk_cents, message
        """

    static func arguments(_ finding: Finding) -> StatementArguments {
        [finding.fingerprint, finding.rule, finding.kind.rawValue, finding.certainty.rawValue, finding.location.file,
         finding.location.line, finding.invoiceID, finding.actDate.iso, finding.practitionerID, finding.patientRef.value,
         finding.code, finding.expectedCode, finding.lostCents.value, finding.atRiskCents.value, finding.message]
    }

    static func insert(_ db: Database, _ finding: Finding, invoiceRow: Int64?, firstRunID: Int64) throws {
        try db.execute(sql: "INSERT INTO finding (invoice_row, year, first_run_id, \(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [invoiceRow, finding.actDate.year, firstRunID] + arguments(finding))
    }

    static func insertChange(_ db: Database, change: String, finding: Finding, runID: Int64, fileID: Int64, at now: String) throws {
        try db.execute(sql: "INSERT INTO finding_change (run_id, file_id, recorded_at, change, \(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [runID, fileID, now, change] + arguments(finding))
    }

    static func fetch(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [StoredFinding] {
        try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE \(condition)", arguments: arguments).map {
            StoredFinding(finding: try finding($0), firstRunID: $0["first_run_id"])
        }
    }

    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    static func day(_ text: String?) throws -> CalendarDay {
        guard let text, let day = CalendarDay(parsing: text) else {
            throw Corrupt(description: "date illisible dans la base de suivi")
        }
        return day
    }

    /// A `finding` or `finding_change` row back as a finding.
    static func finding(_ row: Row) throws -> Finding {
        guard let kind = FindingKind(rawValue: row["kind"]), let certainty = Certainty(rawValue: row["certainty"]) else {
            throw Corrupt(description: "constat illisible dans la base de suivi")
        }
        return Finding(rule: row["rule"], kind: kind, certainty: certainty,
                       location: SourceLocation(file: row["file"], line: row["line"]), invoiceID: row["invoice_id"],
                       actDate: try day(row["act_date"]), practitionerID: row["practitioner_id"],
                       patientRef: PatientRef(row["patient_ref"]), code: row["code"], expectedCode: row["expected_code"],
                       lostCents: Cents(row["lost_cents"] as Int64), atRiskCents: Cents(row["at_risk_cents"] as Int64),
                       message: row["message"])
    }
}
