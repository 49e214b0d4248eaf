import ArgumentParser
import AuditReport
import AuditRules
import BillingIngest
import BillingModel
import Foundation

@main
/// Every command names itself (`commandName`): left out, ArgumentParser worked each name out from
/// the type's name through reflection, some 17 M instructions at every start, a fifth of the time
/// a small audit took before reading its first file.
struct Cotaudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotaudit",
        abstract: "Audite la facturation d'un centre de santé (NGAP, CCAM, médecin traitant) et chiffre le manque à gagner.",
        subcommands: [Audit.self, Check.self, BaselineCommand.self, Nightly.self, Report.self, Worklist.self, History.self,
                      Rules.self, Generate.self])

    @Flag(name: .long, help: "Affiche la version de l'outil et du jeu de règles.")
    var version = false

    func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        print(ToolVersion.describe())
    }

    /// The contract's exit statuses: 64 for a wrong command line, with a one-line reason — in
    /// French, ArgumentParser's English rewritten by `FrenchUsage`.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let failure as CommandFailure {
            StandardError.write(failure.message)
            Foundation.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(FrenchUsage.help(fullMessage(for: error)))
                Foundation.exit(0)
            }
            if code.rawValue == 64 || error is ValidationError {
                let reason = error is ValidationError
                    ? message(for: error).split(separator: "\n").first.map(String.init) ?? "ligne de commande invalide"
                    : FrenchUsage.reason(message(for: error))
                StandardError.write("\(reason) (aide : cotaudit --help)")
                Foundation.exit(64)
            }
            StandardError.write(FrenchUsage.reason(message(for: error)))
            Foundation.exit(code.rawValue)
        }
    }
}

/// A failure the user must act on, with its exit status.
struct CommandFailure: Error {
    var message: String
    var status: Int32
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv, html
    /// `check` only: annotations for a merge request, drawn from the gate's verdict.
    case github, gitlab

    var isAnnotation: Bool { self == .github || self == .gitlab }
}

enum CSVTable: String, ExpressibleByArgument, CaseIterable {
    case findings, totals
}

enum EncodingOption: String, ExpressibleByArgument, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"

    var choice: TextEncodingChoice {
        switch self {
        case .utf8: return .utf8
        case .windows1252: return .windows1252
        }
    }
}

/// Options shared by `audit` and `check`.
struct AuditOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Fichiers ou dossiers d'exports (CSV et XML mélangés).", valueName: "chemins"))
    var paths: [String] = []

    @OptionGroup var input: InputOptions

    @OptionGroup var report: ReportFormatOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("indiquer au moins un fichier ou dossier d'exports") }
    }
}

/// How exports are read and audited: `audit`, `check` and `nightly`.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Dossier du jeu de règles (par défaut : celui livré avec l'outil).", valueName: "dossier"))
    var rules: String?

    @Option(help: ArgumentHelp("Tableau des praticiens (CSV practitioner_id;name;specialty;start_date;end_date).", valueName: "fichier"))
    var roster: String?

    @Option(help: ArgumentHelp("Profil de correspondance des colonnes d'un export aux en-têtes non standard. Profils livrés : \(Wiring.shippedProfiles().joined(separator: ", ")).",
                               valueName: "nom"))
    var profile: String?

    @Option(help: "Encodage forcé des CSV (détecté sinon).")
    var encoding: EncodingOption?

    @Option(help: "Zone tarifaire (metropole, antilles-guyane, reunion-mayotte ; par défaut celle du jeu de règles).")
    var zone: String?

    @Option(help: ArgumentHelp("Fichier de la clé de pseudonymisation (par défaut ~/.config/cotaudit/pseudonym.key ; la variable COTAUDIT_PSEUDONYM_KEY a priorité).", valueName: "fichier"))
    var keyFile: String?

    @Option(help: ArgumentHelp("Écrit dans ce fichier toutes les lignes rejetées et tous les avertissements, au fil de la lecture (les rapports en gardent 200 par genre).", valueName: "fichier"))
    var allIssues: String?

    @Option(help: ArgumentHelp("N'audite que les actes de ce mois (AAAA-MM) ; les autres sont comptés et signalés.", valueName: "AAAA-MM"))
    var month: String?

    @Option(help: ArgumentHelp("N'audite que les actes à partir de ce jour (AAAA-MM-JJ, inclus).", valueName: "AAAA-MM-JJ"))
    var from: String?

    @Option(help: ArgumentHelp("N'audite que les actes jusqu'à ce jour (AAAA-MM-JJ, inclus).", valueName: "AAAA-MM-JJ"))
    var to: String?

    @Option(help: ArgumentHelp("Fils d'exécution : 1 lit et audite à la suite ; 2 ou plus lisent les fichiers pendant que l'audit avance, même résultat (par défaut : le nombre de cœurs).", valueName: "N"))
    var jobs: Int?

    /// The act dates to audit, from `--month` or `--from`/`--to`; nil for the whole export.
    var period: ActPeriod? {
        if let month, let parsed = ActPeriod(month: month) { return parsed }
        let start = from.flatMap(CalendarDay.init(parsing:))
        let end = to.flatMap(CalendarDay.init(parsing:))
        return start == nil && end == nil ? nil : ActPeriod(from: start, to: end)
    }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs : nombre positif attendu") }
        if let month, ActPeriod(month: month) == nil { throw ValidationError("--month : mois AAAA-MM attendu (ex. 2024-12)") }
        if month != nil && (from != nil || to != nil) { throw ValidationError("--month ou --from/--to, pas les deux") }
        if let from, CalendarDay(parsing: from) == nil { throw ValidationError("--from : date AAAA-MM-JJ attendue") }
        if let to, CalendarDay(parsing: to) == nil { throw ValidationError("--to : date AAAA-MM-JJ attendue") }
        if let start = from.flatMap(CalendarDay.init(parsing:)), let end = to.flatMap(CalendarDay.init(parsing:)), end < start {
            throw ValidationError("--to avant --from : la période est vide")
        }
    }
}

/// What the report looks like: `audit`, `check` and `report`.
struct ReportFormatOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: "Format du rapport : text, json, csv, html ; avec check aussi github (annotations GitHub Actions) ou gitlab (rapport code quality GitLab).")
    var format: OutputFormat = .text

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Fichier de sortie (par défaut la sortie standard).", valueName: "fichier"))
    var output: String?

    @Option(help: ArgumentHelp("Date de référence pour le délai de refacturation (par défaut aujourd'hui).", valueName: "AAAA-MM-JJ"))
    var asOf: String?

    @Flag(help: "Montants CSV en centimes entiers plutôt qu'en euros à virgule.")
    var csvCents = false

    @Flag(help: "CSV avec les clés et valeurs machine en anglais (rule, lost_eur, under-coding, likely…), stables pour les outils, au lieu des en-têtes et valeurs en français.")
    var csvKeys = false

    @Option(help: "Table écrite par --format csv : findings (les constats) ou totals (totaux par praticien, acte, règle, mois).")
    var csvTable: CSVTable = .findings

    @Option(help: ArgumentHelp("Nom du centre, affiché en tête du rapport.", valueName: "nom"))
    var centre: String?

    func validate() throws {
        if let asOf, CalendarDay(parsing: asOf) == nil { throw ValidationError("--as-of : date AAAA-MM-JJ attendue") }
    }
}
