import ArgumentParser
import AuditReport
import AuditRules
import BillingIngest
import BillingModel
import Foundation

@main
struct Cotaudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotaudit",
        abstract: "Audite la facturation d'un centre de santé (NGAP, CCAM, médecin traitant) et chiffre le manque à gagner.",
        subcommands: [Audit.self, Check.self, BaselineCommand.self, Nightly.self, Report.self, Worklist.self, History.self, Rules.self, Generate.self])

    /// The contract's exit statuses: 64 for a wrong command line, with a one-line reason.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("cotaudit : \(failure.message)\n".utf8))
            Foundation.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if code.rawValue == 64 || error is ValidationError {
                let reason = message(for: error).split(separator: "\n").first.map(String.init) ?? "ligne de commande invalide"
                FileHandle.standardError.write(Data("cotaudit : \(reason) (cotaudit --help)\n".utf8))
                Foundation.exit(64)
            }
            FileHandle.standardError.write(Data("cotaudit : \(message(for: error))\n".utf8))
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
    @Argument(help: "Fichiers ou dossiers d'exports (CSV et XML mélangés).")
    var paths: [String] = []

    @OptionGroup var input: InputOptions

    @OptionGroup var report: ReportFormatOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("indiquer au moins un fichier ou dossier d'exports") }
    }
}

/// How exports are read and audited: `audit`, `check` and `nightly`.
struct InputOptions: ParsableArguments {
    @Option(help: "Dossier du jeu de règles (par défaut : celui livré avec l'outil).")
    var rules: String?

    @Option(help: "Tableau des praticiens (CSV practitioner_id;name;specialty;start_date;end_date).")
    var roster: String?

    @Option(help: "Profil de correspondance des colonnes (fichier Rules/profiles/NOM.yaml).")
    var profile: String?

    @Option(help: "Encodage forcé des CSV : utf-8 ou windows-1252 (détecté sinon).")
    var encoding: EncodingOption?

    @Option(help: "Zone tarifaire (metropole, antilles-guyane, reunion-mayotte ; par défaut celle du jeu de règles).")
    var zone: String?

    @Option(help: "Fichier de la clé de pseudonymisation (par défaut ~/.config/cotaudit/pseudonym.key ; la variable COTAUDIT_PSEUDONYM_KEY a priorité).")
    var keyFile: String?
}

/// What the report looks like: `audit`, `check` and `report`.
struct ReportFormatOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: "Format du rapport : text, json, csv, html ; avec check aussi github (annotations GitHub Actions) ou gitlab (rapport code quality GitLab).")
    var format: OutputFormat = .text

    @Option(name: [.short, .customLong("output")], help: "Fichier de sortie (par défaut la sortie standard).")
    var output: String?

    @Option(help: "Date de référence AAAA-MM-JJ pour le délai de refacturation (par défaut aujourd'hui).")
    var asOf: String?

    @Flag(help: "Montants CSV en centimes entiers plutôt qu'en euros à virgule.")
    var csvCents = false

    @Option(help: "Table écrite par --format csv : findings (les constats) ou totals (totaux par praticien, acte, règle, mois).")
    var csvTable: CSVTable = .findings

    @Option(help: "Nom du centre, affiché en tête du rapport.")
    var centre: String?

    func validate() throws {
        if let asOf, CalendarDay(parsing: asOf) == nil { throw ValidationError("--as-of : date AAAA-MM-JJ attendue") }
    }
}
