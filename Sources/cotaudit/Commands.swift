import ArgumentParser
import AuditReport
import AuditRules
import BillingModel
import Foundation

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audite des exports de facturation et écrit le rapport (code 0 si l'audit a tourné, 2 si aucune entrée n'a pu être lue).")

    @OptionGroup var options: AuditOptions

    func validate() throws {
        if options.report.format.isAnnotation {
            throw ValidationError("--format \(options.report.format.rawValue) : annotations du contrôle, avec cotaudit check")
        }
    }

    func run() throws {
        if let output = options.report.output { try OutputFile.refuseInput(output: output, option: "-o", inputs: options.paths) }
        let setup = try Wiring.setUp(options)
        let (outcome, readable) = setup.runner.run(paths: options.paths)
        ProgressLine.finish()
        if readable == 0 {
            // Nothing was read: yesterday's report in `-o` is worth more than an empty one.
            if options.report.output == nil {
                try Wiring.emit(outcome, options: options.report, reportOptions: setup.reportOptions, to: nil)
            }
            for issue in outcome.inputErrors { StandardError.write(issue.description) }
            throw CommandFailure(message: "aucune entrée n'a pu être lue", status: 2)
        }
        try Wiring.emit(outcome, options: options.report, reportOptions: setup.reportOptions, to: options.report.output)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Contrôle un lot avant envoi, pour un job de CI : code 0 si le lot passe, 1 sinon, 2 si une entrée est illisible.")

    @OptionGroup var options: AuditOptions

    @Option(help: "Manque à gagner maximal accepté, en euros (ex. 150 ou 150,50).")
    var maxLost: String?

    @Option(help: "Nombre maximal de lignes rejetées (0 par défaut).")
    var maxRejected: Int = 0

    @Option(help: "Échoue sur tout constat au moins aussi sûr : certain (défaut), likely, possible, ou none (les constats seuls ne font pas échouer).")
    var failOn: FailOn = .certain

    @Flag(help: "Accepte un lot sans aucune ligne d'acte (refusé sinon).")
    var allowEmpty = false

    @Option(help: "Écrit un rapport JUnit XML dans ce fichier.")
    var junit: String?

    @Option(help: "Référence des constats acceptés (écrite par cotaudit baseline) : seuls les constats absents, ou dont l'acceptation a expiré, comptent.")
    var baseline: String?

    func validate() throws {
        if let maxLost, Cents(euros: maxLost).map({ $0 >= .zero }) != true {
            throw ValidationError("--max-lost : montant en euros positif attendu")
        }
        if maxRejected < 0 { throw ValidationError("--max-rejected : nombre positif attendu") }
    }

    func run() throws {
        if let output = options.report.output { try OutputFile.refuseInput(output: output, option: "-o", inputs: options.paths) }
        if let junit { try OutputFile.refuseInput(output: junit, option: "--junit", inputs: options.paths) }
        let setup = try Wiring.setUp(options)
        let (outcome, readable) = setup.runner.run(paths: options.paths)
        ProgressLine.finish()
        let accepted = try baseline.map(Wiring.readBaseline)?.acceptances ?? [:]
        let gate = CheckGate(maxLost: maxLost.flatMap { Cents(euros: $0) }, maxRejected: maxRejected,
                             failOn: failOn.threshold, allowEmpty: allowEmpty, accepted: accepted,
                             asOf: setup.reportOptions.asOf)
        // One decision; every output below is drawn from it.
        let verdict = gate.decide(outcome)
        // As for `audit`: a report file is replaced only when some input was read. The JUnit file
        // is always written: it is how the CI job shows why the batch was refused.
        if readable > 0 || options.report.output == nil {
            try Wiring.emit(outcome, options: options.report, reportOptions: setup.reportOptions, verdict: verdict,
                            to: options.report.output)
        }
        if let junit {
            let xml = JUnitReport.render(outcome, verdict: verdict, rules: setup.ruleSet.rules.map(\.id))
            try Wiring.write(Data(xml.utf8), to: junit)
        }
        guard verdict.exitStatus == 0 else {
            throw CommandFailure(message: verdict.summaryLine, status: verdict.exitStatus)
        }
        StandardError.write(verdict.summaryLine)
    }
}

extension FailOn: ExpressibleByArgument {}

enum TariffFormat: String, ExpressibleByArgument, CaseIterable {
    case text, csv
}

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Écrit la référence des constats acceptés d'un lot (JSON cotaudit.baseline/1), pour check --baseline : code 0 si écrite, 2 si une entrée est illisible.")

    @OptionGroup var options: AuditOptions

    @Option(help: "Raison de l'acceptation, inscrite pour chaque nouveau constat.")
    var reason: String?

    @Option(help: "Dernier jour de l'acceptation (AAAA-MM-JJ) pour chaque nouveau constat ; le lendemain, il fait de nouveau échouer check.")
    var expires: String?

    func validate() throws {
        guard options.report.output != nil else { throw ValidationError("-o FICHIER : indiquer où écrire la référence") }
        if options.report.format != .text { throw ValidationError("--format : la référence est toujours un document JSON") }
        if let expires, CalendarDay(parsing: expires) == nil { throw ValidationError("--expires : date AAAA-MM-JJ attendue") }
    }

    func run() throws {
        let setup = try Wiring.setUp(options)
        let (outcome, _) = setup.runner.run(paths: options.paths)
        ProgressLine.finish()
        let unreadable = CheckGate().decide(outcome)
        guard unreadable.unreadableFiles.isEmpty && unreadable.missingPaths.isEmpty else {
            for issue in outcome.inputErrors where issue.line == 0 {
                StandardError.write("\(issue)")
            }
            throw CommandFailure(message: "référence non écrite : une entrée est illisible", status: 2)
        }
        guard let output = options.report.output else { return }
        // Entries already accepted in the file being rewritten keep their reason and expiry; a
        // file there that is not a baseline is refused, never overwritten.
        let previous = FileManager.default.fileExists(atPath: output) ? try Wiring.readBaseline(output) : nil
        let written = Baseline.accepting(outcome, created: setup.reportOptions.asOf, reason: reason,
                                         expires: expires.flatMap(CalendarDay.init(parsing:)), previous: previous)
        try Wiring.write(Data(written.json().utf8), to: output)
        FileHandle.standardError.write(Data("cotaudit : référence écrite, \(written.entries.count) constat(s) acceptés → \(output)\n".utf8))
    }
}

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Liste, valide ou explique les règles.",
        subcommands: [List.self, Validate.self, Explain.self, Tariffs.self])

    struct Tariffs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tariffs",
            abstract: "Les tarifs en vigueur un jour donné (aujourd'hui par défaut), chacun avec sa source.")

        @Option(help: "Jour (AAAA-MM-JJ ou JJ/MM/AAAA ; aujourd'hui par défaut).")
        var on: String?

        @Option(help: "text (terminal, défaut) ou csv (« ; », UTF-8 avec BOM).")
        var format: TariffFormat = .text

        @Option(help: "Zone tarifaire (par défaut celle du jeu de règles).")
        var zone: String?

        @Option(help: "Dossier du jeu de règles.")
        var rules: String?

        @Option(name: [.short, .long], help: "Fichier de sortie (par défaut la sortie standard).")
        var output: String?

        func validate() throws {
            if let on, CalendarDay(parsing: on) == nil { throw ValidationError("--on : date AAAA-MM-JJ ou JJ/MM/AAAA existante attendue") }
        }

        func run() throws {
            let ruleSet = try Wiring.loadRuleSet(rules)
            let zone = self.zone ?? ruleSet.zone
            guard ruleSet.zones.contains(zone) else {
                throw CommandFailure(message: "zone « \(zone) » inconnue ; zones : \(ruleSet.zones.joined(separator: ", "))", status: 64)
            }
            let day = on.flatMap(CalendarDay.init(parsing:)) ?? Wiring.today()
            switch format {
            case .text: try Wiring.write(Data(TariffTable.text(ruleSet, on: day, zone: zone).utf8), to: output)
            case .csv: try Wiring.write(TariffTable.csv(ruleSet, on: day, zone: zone), to: output)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Une ligne par règle : id, nature, certitude, titre.")

        @Option(help: "Dossier du jeu de règles.")
        var rules: String?

        func run() throws {
            let ruleSet = try Wiring.loadRuleSet(rules)
            print("Jeu de règles \(ruleSet.name) \(ruleSet.version) — \(ruleSet.rules.count) règles, \(ruleSet.tariffs.entries.count) codes tarifés")
            let width = ruleSet.rules.map(\.id.count).max() ?? 0
            for rule in ruleSet.rules {
                let id = rule.id.padding(toLength: width, withPad: " ", startingAt: 0)
                let kind = rule.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                let certainty = rule.certainty.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                print("\(id)  \(kind)  \(certainty)  \(rule.title)")
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Vérifie un jeu de règles : schéma, périodes tarifaires, codes, exemples de chaque règle.")

        @Argument(help: "Dossier du jeu de règles (par défaut celui livré avec l'outil).")
        var directory: String?

        func run() throws {
            let ruleSet: RuleSet
            do {
                guard let url = directory.map({ URL(fileURLWithPath: $0) }) ?? Wiring.defaultRulesDirectory() else {
                    throw CommandFailure(message: "jeu de règles introuvable", status: 1)
                }
                ruleSet = try RuleSetLoader.load(directory: url)
            } catch let error as RuleLoadError {
                print("✗ \(error)")
                throw ExitCode(1)
            }
            let gaps = RuleSetChecker.coverageGaps(ruleSet, through: Wiring.today())
            for gap in gaps { print("✗ \(gap)") }
            let failures = RuleSetChecker.runExamples(ruleSet)
            for failure in failures { print("✗ \(failure)") }
            let examples = ruleSet.rules.reduce(0) { $0 + $1.triggering.count + $1.nonTriggering.count }
            if failures.isEmpty && gaps.isEmpty {
                print("✓ \(ruleSet.name) \(ruleSet.version) : \(ruleSet.rules.count) règles, \(ruleSet.tariffs.entries.count) codes tarifés, \(examples) exemples vérifiés")
            } else {
                throw ExitCode(1)
            }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "explain", abstract: "Explique une règle : ce qu'elle dit, sa source, ses exemples.")

        @Argument(help: "Identifiant de la règle (voir cotaudit rules list).")
        var id: String

        @Option(help: "Dossier du jeu de règles.")
        var rules: String?

        func run() throws {
            let ruleSet = try Wiring.loadRuleSet(rules)
            guard let rule = ruleSet.rule(id) else {
                throw CommandFailure(message: "règle « \(id) » inconnue ; voir cotaudit rules list", status: 64)
            }
            print(RuleExplanation.render(rule, ruleSet: ruleSet))
        }
    }
}
