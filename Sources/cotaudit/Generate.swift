import ArgumentParser
import BatchGenerator
import BillingModel
import Foundation

/// `cotaudit generate`: a realistic batch of any size, with planted errors at known rates, from a seed.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Écrit un lot de facturation réaliste (CSV ou XML du contrat) avec des erreurs plantées à des taux connus, reproductible à partir d'une graine.")

    @Option(help: "Nombre de lignes d'actes (la dernière facture peut en ajouter jusqu'à 3).")
    var lines: Int = 100_000

    @Option(help: "Graine : la même graine donne le même fichier, octet pour octet.")
    var seed: UInt64 = 1

    @Option(name: .customLong("format"), help: "Format : csv ou xml.")
    var format: GenerateFormat = .csv

    @Option(name: [.short, .customLong("output")], help: "Fichier de sortie (par défaut la sortie standard).")
    var output: String?

    @Option(help: "Premier jour de la période, AAAA-MM-JJ.")
    var from: String = "2025-01-01"

    @Option(help: "Durée de la période en jours.")
    var days: Int = 365

    @Option(help: "Nombre de patients (par défaut une ligne sur 10).")
    var patients: Int?

    @Flag(help: "Aucune erreur plantée.")
    var clean = false

    @Option(help: "Écrit en JSON ce qui a été planté (par règle : occasions et erreurs).")
    var planted: String?

    @Option(help: "Dossier du jeu de règles qui donne les tarifs.")
    var rules: String?

    func validate() throws {
        if lines < 1 { throw ValidationError("--lines : nombre positif attendu") }
        if days < 1 { throw ValidationError("--days : nombre positif attendu") }
        if CalendarDay(parsing: from) == nil { throw ValidationError("--from : date AAAA-MM-JJ attendue") }
        if let patients, patients < 1 { throw ValidationError("--patients : nombre positif attendu") }
    }

    func run() throws {
        let ruleSet = try Wiring.loadRuleSet(rules)
        let options = BatchGenerator.Options(lines: lines, seed: seed, start: CalendarDay(parsing: from)!, days: days,
                                             patients: patients, rates: clean ? .none : PlantedErrorRates())
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let opened = FileHandle(forWritingAtPath: output) else {
                throw CommandFailure(message: "impossible d'écrire \(output)", status: 2)
            }
            handle = opened
        } else {
            handle = FileHandle.standardOutput
        }
        let result: PlantedErrors
        do {
            result = try BatchGenerator.generate(ruleSet: ruleSet, options: options, format: format.batchFormat) { bytes in
                try handle.write(contentsOf: bytes)
            }
            if output != nil { try handle.close() }
        } catch let error as BatchGenerator.SetupError {
            throw CommandFailure(message: error.description, status: 64)
        }
        if let planted {
            try Wiring.write(Data(Self.json(result).utf8), to: planted)
        }
        var summary = "cotaudit : \(result.lines) lignes, \(result.invoices) factures, \(result.patients) patients, "
            + "\(result.practitioners) praticiens ; plantées :"
        for rule in PlantedErrors.rules {
            let count = result.byRule[rule] ?? PlantedErrors.Count()
            summary += " \(rule) \(count.planted)/\(count.opportunities),"
        }
        summary += " lignes rejetées \(result.rejectedLines)\n"
        FileHandle.standardError.write(Data(summary.utf8))
    }

    /// What was planted, keys in a fixed order.
    static func json(_ planted: PlantedErrors) -> String {
        var text = "{\n  \"lines\": \(planted.lines),\n  \"invoices\": \(planted.invoices),\n"
            + "  \"patients\": \(planted.patients),\n  \"practitioners\": \(planted.practitioners),\n"
            + "  \"rejected_invoices\": \(planted.rejectedInvoices),\n  \"rejected_lines\": \(planted.rejectedLines),\n"
            + "  \"by_rule\": {\n"
        text += PlantedErrors.rules.map { rule in
            let count = planted.byRule[rule] ?? PlantedErrors.Count()
            return "    \"\(rule)\": { \"opportunities\": \(count.opportunities), \"planted\": \(count.planted) }"
        }.joined(separator: ",\n")
        return text + "\n  }\n}\n"
    }
}

enum GenerateFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, xml

    var batchFormat: BatchFormat { self == .csv ? .csv : .xml }
}
