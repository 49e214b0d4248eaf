import BillingIngest
import BillingModel
import Foundation
import GRDB

/// The nightly audit's memory: an SQLite file holding, per export file audited, its invoices (as
/// billed amounts per practitioner and day), the médecin traitant facts of each patient-year, the
/// open findings and every change to them. Patients appear only as keyed pseudonyms; of the birth
/// date only the ages the rules need are kept (see README, « The nightly audit with memory »).
public final class AuditStore {
    public let path: String
    let pool: DatabasePool
    /// When things happen, for the timestamps of runs, files and finding changes. Tests set it to
    /// record corrected re-exports in given months; the command line keeps the system clock.
    public var clock: @Sendable () -> Date = { Date() }

    /// Why the store cannot be used, in French, for the person running the command.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where the store lives when `--store` is not given: `$XDG_DATA_HOME/cotaudit/cotaudit.sqlite`,
    /// else `~/.local/share/cotaudit/cotaudit.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: URL
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg)
        } else {
            base = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".local/share")
        }
        return base.appendingPathComponent("cotaudit").appendingPathComponent("cotaudit.sqlite").path
    }

    /// Opens the store, creating it (folder 0700, file 0600) and bringing its schema up to date.
    /// `pseudonymCheck` is the pseudonym of a fixed text under the current key: a store filled with
    /// another key would mix two sets of pseudonyms, so it is refused (nil: only reading, no check).
    /// `busySeconds` bounds the wait for a write held by another process.
    public init(path: String, pseudonymCheck: String?, busySeconds: Double = 10) throws {
        self.path = path
        try Self.createPrivately(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busySeconds)
        configuration.foreignKeysEnabled = true
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            if let pseudonymCheck { try checkKey(pseudonymCheck) }
        } catch let failure as Failure {
            throw failure
        } catch let error as DatabaseError where error.isBusy {
            throw Failure(description: Self.busyMessage(path))
        } catch let error as DatabaseError {
            throw Failure(description: "base de suivi \(path) inutilisable : \(error.message ?? "erreur SQLite \(error.resultCode.rawValue)")")
        }
    }

    private func checkKey(_ pseudonymCheck: String) throws {
        try pool.write { db in
            if let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'pseudonym_check'") {
                guard stored == pseudonymCheck else {
                    throw Failure(description: "la base de suivi \(path) a été remplie avec une autre clé de pseudonymisation : utilisez la même clé (COTAUDIT_PSEUDONYM_KEY ou --key-file) ou une autre base (--store)")
                }
            } else {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('pseudonym_check', ?)", arguments: [pseudonymCheck])
            }
        }
    }

    static func busyMessage(_ path: String) -> String {
        "la base de suivi \(path) est occupée par un autre passage de cotaudit : réessayez quand il sera terminé"
    }

    /// A read or a write of the store, with SQLite's "busy" turned into the French message.
    func busyInFrench<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as DatabaseError where error.isBusy {
            throw Failure(description: Self.busyMessage(path))
        }
    }

    /// The folder 0700 and an empty file 0600 before SQLite opens it (SQLite gives its journal
    /// files the permissions of the database file).
    static func createPrivately(_ path: String) throws {
        let manager = FileManager.default
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !manager.fileExists(atPath: folder) {
            do {
                try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure(description: "impossible de créer le dossier de la base de suivi \(folder) : \(error.localizedDescription)")
            }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "impossible d'ouvrir la base de suivi \(path) : \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    /// The schema, one migration per version; a migration that ran is never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    rule_set TEXT NOT NULL,
                    files_audited INTEGER NOT NULL DEFAULT 0,
                    files_skipped INTEGER NOT NULL DEFAULT 0,
                    files_unreadable INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE source_file (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    content_hash TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    run_id INTEGER NOT NULL REFERENCES run(id),
                    recorded_at TEXT NOT NULL,
                    rule_set TEXT NOT NULL,
                    acts INTEGER NOT NULL DEFAULT 0,
                    invoices INTEGER NOT NULL DEFAULT 0,
                    rejected_lines INTEGER NOT NULL DEFAULT 0,
                    billed_cents INTEGER NOT NULL DEFAULT 0,
                    replaced_invoices INTEGER NOT NULL DEFAULT 0,
                    new_findings INTEGER NOT NULL DEFAULT 0,
                    fixed_findings INTEGER NOT NULL DEFAULT 0,
                    first_act_date TEXT,
                    last_act_date TEXT
                );
                CREATE TABLE input_issue (
                    file_id INTEGER NOT NULL REFERENCES source_file(id),
                    file TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    column_name TEXT,
                    message TEXT NOT NULL,
                    severity TEXT NOT NULL
                );
                CREATE INDEX input_issue_by_file ON input_issue(file_id);
                CREATE TABLE invoice (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    invoice_id TEXT NOT NULL,
                    file_id INTEGER NOT NULL REFERENCES source_file(id),
                    act_date TEXT NOT NULL,
                    practitioner_id TEXT NOT NULL,
                    patient_ref TEXT NOT NULL,
                    acts INTEGER NOT NULL
                );
                CREATE INDEX invoice_by_invoice_id ON invoice(invoice_id);
                CREATE INDEX invoice_by_date ON invoice(act_date);
                CREATE INDEX invoice_by_file ON invoice(file_id);
                CREATE INDEX invoice_by_patient ON invoice(patient_ref, act_date);
                CREATE TABLE billing (
                    invoice_row INTEGER NOT NULL REFERENCES invoice(id) ON DELETE CASCADE,
                    practitioner_id TEXT NOT NULL,
                    act_date TEXT NOT NULL,
                    specialty TEXT NOT NULL,
                    acts INTEGER NOT NULL,
                    billed_cents INTEGER NOT NULL
                );
                CREATE INDEX billing_by_invoice ON billing(invoice_row);
                CREATE INDEX billing_by_date ON billing(act_date);
                CREATE TABLE patient_year_fact (
                    invoice_row INTEGER NOT NULL REFERENCES invoice(id) ON DELETE CASCADE,
                    rule TEXT NOT NULL,
                    patient_ref TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    invoice_id TEXT NOT NULL,
                    act_date TEXT NOT NULL,
                    practitioner_id TEXT NOT NULL,
                    file TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    ald INTEGER NOT NULL,
                    coverage TEXT,
                    age_at_year_end INTEGER NOT NULL,
                    age_on_date INTEGER NOT NULL,
                    departed_practitioner_id TEXT,
                    departed_name TEXT,
                    departed_end_date TEXT
                );
                CREATE INDEX fact_by_patient_year ON patient_year_fact(patient_ref, year);
                CREATE INDEX fact_by_invoice ON patient_year_fact(invoice_row);
                CREATE TABLE finding (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    -- A finding about one invoice goes with it; a médecin traitant finding belongs to
                    -- its patient-year (invoice_row NULL) and is settled again when that year changes.
                    invoice_row INTEGER REFERENCES invoice(id) ON DELETE CASCADE,
                    year INTEGER NOT NULL,
                    fingerprint TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    certainty TEXT NOT NULL,
                    file TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    invoice_id TEXT NOT NULL,
                    act_date TEXT NOT NULL,
                    practitioner_id TEXT NOT NULL,
                    patient_ref TEXT NOT NULL,
                    code TEXT NOT NULL,
                    expected_code TEXT,
                    lost_cents INTEGER NOT NULL,
                    at_risk_cents INTEGER NOT NULL,
                    message TEXT NOT NULL,
                    first_run_id INTEGER NOT NULL REFERENCES run(id)
                );
                CREATE INDEX finding_by_invoice ON finding(invoice_row);
                CREATE INDEX finding_by_patient_year ON finding(patient_ref, year);
                CREATE INDEX finding_by_date ON finding(act_date);
                CREATE TABLE finding_change (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES run(id),
                    file_id INTEGER NOT NULL REFERENCES source_file(id),
                    recorded_at TEXT NOT NULL,
                    change TEXT NOT NULL CHECK (change IN ('new', 'fixed')),
                    fingerprint TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    certainty TEXT NOT NULL,
                    file TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    invoice_id TEXT NOT NULL,
                    act_date TEXT NOT NULL,
                    practitioner_id TEXT NOT NULL,
                    patient_ref TEXT NOT NULL,
                    code TEXT NOT NULL,
                    expected_code TEXT,
                    lost_cents INTEGER NOT NULL,
                    at_risk_cents INTEGER NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX finding_change_by_run ON finding_change(run_id);
                """)
        }
        // How the file names the column of an input issue (`colonne « Montant »`), so that a
        // report from the store says it as `audit` does. NULL for rows recorded before: they
        // still read, naming the contract's column.
        migrator.registerMigration("v2-input-issue-column-in-file") { db in
            try db.execute(sql: "ALTER TABLE input_issue ADD COLUMN column_in_file TEXT")
        }
        return migrator
    }
}

extension DatabaseError {
    /// Another connection holds the lock the statement needs, past the busy timeout.
    var isBusy: Bool { resultCode == .SQLITE_BUSY || resultCode == .SQLITE_LOCKED }
}

/// The store's timestamps: UTC, ISO 8601 to the second, so that text order is time order.
public enum StoreClock {
    public static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The instant the month starts where the centre is (the machine's time zone), as a stored
    /// timestamp: stored timestamps are UTC, a month of the director's calendar is local.
    public static func start(of month: YearMonth, calendar: Calendar = .current) -> String {
        let date = calendar.date(from: DateComponents(year: month.year, month: month.month, day: 1)) ?? Date.distantPast
        return stamp(date)
    }

    /// The local calendar day of a stored timestamp, for French output.
    public static func frenchDay(_ stamp: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: stamp) else { return stamp }
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.day))/\(two(parts.month))/\(parts.year ?? 0) \(two(parts.hour)):\(two(parts.minute))"
    }
}
