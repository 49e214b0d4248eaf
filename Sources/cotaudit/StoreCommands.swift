import ArgumentParser
import AuditReport
import AuditRules
import AuditStore
import BillingIngest
import BillingModel
import Foundation

/// Where the nightly store is: `--store`, else the user's data folder.
struct StoreOptions: ParsableArguments {
    @Option(help: "Base de suivi SQLite (par défaut $XDG_DATA_HOME/cotaudit/cotaudit.sqlite, sinon ~/.local/share/cotaudit/cotaudit.sqlite).")
    var store: String?

    var path: String { store ?? AuditStore.defaultPath() }

    /// The store for reading: it must exist already (a report never creates an empty one).
    func openExisting() throws -> AuditStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "pas de base de suivi \(path) : lancez d'abord cotaudit nightly (ou indiquez --store)", status: 2)
        }
        return try open(pseudonymCheck: nil)
    }

    func open(pseudonymCheck: String?) throws -> AuditStore {
        do {
            return try AuditStore(path: path, pseudonymCheck: pseudonymCheck)
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
    }
}

extension Pseudonymizer {
    /// The pseudonym of a fixed text: tells whether a store was filled with the same key.
    var storeCheck: String { ref(for: "cotaudit-store-key-check").value }
}

struct Nightly: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "Audit de nuit avec mémoire : audite les exports nouveaux, remplace les factures ré-exportées, dit ce qui est nouveau et ce qui a été corrigé (code 0 si l'audit a tourné, 2 si aucune entrée n'a pu être lue).")

    @Argument(help: "Dossiers (ou fichiers) où arrivent les exports.")
    var paths: [String] = []

    @OptionGroup var input: InputOptions

    @OptionGroup var store: StoreOptions

    @Option(help: "Attente maximale, en secondes, quand un autre audit de nuit tient la base.")
    var wait: Double = 30

    func validate() throws {
        if paths.isEmpty { throw ValidationError("indiquer au moins un dossier d'exports") }
        if wait < 0 { throw ValidationError("--wait : nombre de secondes positif attendu") }
    }

    func run() throws {
        let runner = try Wiring.makeRunner(input)
        let lock: RunLock
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: store.path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            lock = try RunLock(storePath: store.path, waitSeconds: wait)
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
        let database = try store.open(pseudonymCheck: runner.pseudonymizer.storeCheck)
        let run: NightlyRun
        do {
            run = try database.nightly(paths: paths, runner: runner) { file in
                print(NightlyText.line(file))
            }
            let summary = try NightlyText.summary(run, store: database, ruleSet: runner.ruleSet, roster: runner.roster)
            print(summary, terminator: "")
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
        withExtendedLifetime(lock) {}
        for issue in run.pathIssues { StandardError.write("\(issue)") }
        if run.nothingRead {
            throw CommandFailure(message: "aucune entrée n'a pu être lue", status: 2)
        }
    }
}

/// The nightly run's French output: one line per file, then what changed and where the month stands.
enum NightlyText {
    static let listed = 30

    static func line(_ file: FileOutcome) -> String {
        switch file {
        case .recorded(let recorded):
            var text = "• \(recorded.name) : \(FrenchText.count(recorded.invoices, "facture")), \(FrenchText.count(recorded.acts, "acte audité"))"
            if recorded.rejectedLines > 0 { text += ", \(FrenchText.count(recorded.rejectedLines, "ligne rejetée"))" }
            if recorded.replacedInvoices > 0 {
                text += " ; export corrigé : remplace \(FrenchText.count(recorded.replacedInvoices, "facture déjà enregistrée", "factures déjà enregistrées"))"
            }
            text += " — \(FrenchText.count(recorded.newFindings, "constat nouveau", "constats nouveaux")), \(FrenchText.count(recorded.fixedFindings, "corrigé"))"
            return text
        case .skipped(let name, let recordedAt):
            return "• \(name) : export identique déjà audité le \(StoreClock.frenchDay(recordedAt)), ignoré"
        case .unreadable(let name, let issues):
            let reason = issues.first.map { $0.message } ?? "fichier illisible"
            return "• \(name) : illisible, non enregistré (il sera repris la nuit prochaine) — \(reason)"
        }
    }

    static func summary(_ run: NightlyRun, store: AuditStore, ruleSet: RuleSet, roster: Roster?) throws -> String {
        let changes = try store.changes(afterRun: run.sinceRunID)
        let new = changes.filter { $0.change == .new }.map(\.finding)
        let fixed = changes.filter { $0.change == .fixed }.map(\.finding)
        var text = "\n"
        text += section("Nouveau depuis le dernier passage", new)
        text += section("Disparu (corrigé par un export)", fixed)
        if let month = try store.monthsHeld().last {
            let outcome = try store.outcome(from: month, to: month, ruleSetName: ruleSet.name, ruleSetVersion: ruleSet.version, roster: roster)
            let options = ReportOptions(asOf: Wiring.today(), recoverableWindowDays: ruleSet.recoverableWindowDays,
                                        recoverableWindowSource: ruleSet.recoverableWindowSource, centreName: nil, ruleAdvice: [:])
            let totals = AuditTotals(outcome, options: options)
            let counted = outcome.findings.count { $0.certainty.countsAsLost }
            text += "\n\(month.french.capitalized) à ce jour : manque à gagner \(totals.lostCents.euros) (\(FrenchText.count(counted, "constat"))), "
            text += "à vérifier \(totals.possibleCents.euros), à risque \(totals.atRiskCents.euros), "
            text += "sur \(totals.billedCents.euros) facturés (\(FrenchText.count(outcome.invoices, "facture")))\n"
        }
        return text
    }

    static func section(_ title: String, _ findings: [Finding]) -> String {
        let lost = findings.filter { $0.certainty.countsAsLost }.map(\.lostCents).sum()
        let atRisk = findings.map(\.atRiskCents).sum()
        var text = "\(title) : \(FrenchText.count(findings.count, "constat"))"
        if !findings.isEmpty { text += " (manque à gagner \(lost.euros), à risque \(atRisk.euros))" }
        text += "\n"
        for finding in findings.prefix(listed) {
            text += "  - [\(finding.certainty.french)] \(finding.rule) · facture \(finding.invoiceID) du \(finding.actDate.french) · \(finding.patientRef) — \(finding.message)\n"
        }
        if findings.count > listed {
            text += "  … et \(FrenchText.count(findings.count - listed, "autre")) (voir cotaudit worklist et cotaudit report)\n"
        }
        return text
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Les passages de l'audit de nuit et les fichiers enregistrés, avec leurs totaux.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Nombre de passages affichés (les plus récents).")
    var last: Int = 30

    func run() throws {
        let database = try store.openExisting()
        let runs: [RunRecord]
        do {
            runs = try database.history(limit: last)
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
        print(HistoryText.render(runs, storePath: database.path), terminator: "")
    }
}

/// A period of months from `--month` or `--from/--to`, the latest month held by default.
struct PeriodOptions: ParsableArguments {
    @Option(help: "Mois du rapport, AAAA-MM (par défaut le dernier mois tenu par la base).")
    var month: String?

    @Option(help: "Premier mois de la période, AAAA-MM.")
    var from: String?

    @Option(help: "Dernier mois de la période, AAAA-MM.")
    var to: String?

    static func parse(_ text: String, _ flag: String) throws -> YearMonth {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else {
            throw ValidationError("\(flag) : mois AAAA-MM attendu")
        }
        return YearMonth(year: year, month: month)
    }

    func validate() throws {
        if month != nil && (from != nil || to != nil) { throw ValidationError("--month ou --from/--to, pas les deux") }
        if let month { _ = try Self.parse(month, "--month") }
        if let from { _ = try Self.parse(from, "--from") }
        if let to { _ = try Self.parse(to, "--to") }
        if let from, let to, try Self.parse(from, "--from") > Self.parse(to, "--to") {
            throw ValidationError("--from après --to")
        }
    }

    /// The months asked for; a missing end is the latest (or earliest) month held.
    func resolve(held: [YearMonth]) throws -> (from: YearMonth, to: YearMonth) {
        guard let first = held.first, let last = held.last else {
            throw CommandFailure(message: "la base de suivi ne tient encore aucune facture : lancez d'abord cotaudit nightly", status: 2)
        }
        if let month { let one = try Self.parse(month, "--month"); return (one, one) }
        if from == nil && to == nil { return (last, last) }
        return (try from.map { try Self.parse($0, "--from") } ?? first, try to.map { try Self.parse($0, "--to") } ?? last)
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Le rapport du directeur tiré de la base de suivi : un mois (ou une période), dans tous les formats d'audit, avec la tendance des mois tenus et ce qui a été corrigé.")

    @OptionGroup var store: StoreOptions

    @OptionGroup var period: PeriodOptions

    @Option(help: "Dossier du jeu de règles (pour le nom des règles et les conseils ; par défaut celui livré avec l'outil).")
    var rules: String?

    @Option(help: "Tableau des praticiens, pour leurs noms.")
    var roster: String?

    @OptionGroup var report: ReportFormatOptions

    func validate() throws {
        if report.format.isAnnotation {
            throw ValidationError("--format \(report.format.rawValue) : annotations du contrôle, avec cotaudit check")
        }
    }

    func run() throws {
        let ruleSet = try Wiring.loadRuleSet(rules)
        let roster = try Wiring.loadRoster(roster)
        let database = try store.openExisting()
        let options = Wiring.reportOptions(ruleSet, report)
        let outcome: AuditOutcome
        let trendAndFixes: TrendAndFixes
        do {
            let (from, to) = try period.resolve(held: database.monthsHeld())
            outcome = try database.outcome(from: from, to: to, ruleSetName: ruleSet.name, ruleSetVersion: ruleSet.version, roster: roster)
            trendAndFixes = try database.trendAndFixes(from: from, to: to, options: options)
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
        try Wiring.emit(outcome, options: report, reportOptions: options, trendAndFixes: trendAndFixes, to: report.output)
    }
}

struct Worklist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "Liste de travail de l'accueil (CSV « ; ») : déclarations de médecin traitant à obtenir et factures à corriger, par pseudonyme, numéros de facture et date de dernière visite.")

    @OptionGroup var store: StoreOptions

    @OptionGroup var period: PeriodOptions

    @Option(name: [.short, .customLong("output")], help: "Fichier de sortie (par défaut la sortie standard).")
    var output: String?

    @Option(help: "Tableau des praticiens, pour leurs noms.")
    var roster: String?

    func run() throws {
        let roster = try Wiring.loadRoster(roster)
        let database = try store.openExisting()
        let data: Data
        do {
            let held = try database.monthsHeld()
            let (from, to) = period.month == nil && period.from == nil && period.to == nil
                ? (held.first ?? YearMonth(year: 1, month: 1), held.last ?? YearMonth(year: 1, month: 1))
                : try period.resolve(held: held)
            data = try FrontDeskWorklist.csv(database.worklist(from: from, to: to), roster: roster)
        } catch let failure as AuditStore.Failure {
            throw CommandFailure(message: failure.description, status: 2)
        }
        try Wiring.write(data, to: output)
    }
}
