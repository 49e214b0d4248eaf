import Foundation

/// ArgumentParser speaks English: its usage errors and help headings are rewritten here in French,
/// with what to do. Its messages are not an API, so each pattern is checked by a test
/// (CommandLineTests) against the library version the package resolves.
enum FrenchUsage {
    /// The one-line French reason for a command-line error (the first line of ArgumentParser's message).
    static func reason(_ english: String) -> String {
        let line = english.split(separator: "\n").first.map(String.init) ?? english
        if let m = line.firstMatch(of: #/^The value '(.*)' is invalid for '([^' ]+)[^']*'(.*)$/#) {
            let option = String(m.2)
            var text = "valeur « \(m.1) » refusée pour \(option)"
            let tail = String(m.3)
            if let list = tail.firstMatch(of: #/Please provide one of (.*)\.$/#) {
                text += " ; valeurs possibles : " + choices(String(list.1))
            } else if tail.hasPrefix(": ") {
                text += " : " + tail.dropFirst(2)
            } else if english.contains("Please provide one of the following:") {
                let values = english.split(separator: "\n").dropFirst().compactMap { row -> String? in
                    let trimmed = row.trimmingCharacters(in: .whitespaces)
                    return trimmed.hasPrefix("- ") ? String(trimmed.dropFirst(2)) : nil
                }
                text += " ; valeurs possibles : " + values.joined(separator: ", ")
            }
            return text
        }
        if let m = line.firstMatch(of: #/^Unknown option '([^']+)'\. Did you mean '([^']+)'\?$/#) {
            return "option inconnue \(m.1) ; vouliez-vous dire \(m.2) ?"
        }
        if let m = line.firstMatch(of: #/^Unknown option '([^']+)'$/#) {
            return "option inconnue \(m.1) ; voir la liste des options"
        }
        if let m = line.firstMatch(of: #/^Missing value for '([^' ]+)[^']*'$/#) {
            return "valeur manquante après \(m.1)"
        }
        if let m = line.firstMatch(of: #/^Missing expected argument '<?([^'>]+)>?[^']*'$/#) {
            return m.1 == "chemins" ? "indiquer au moins un fichier ou dossier d'exports" : "argument manquant : \(m.1)"
        }
        if let m = line.firstMatch(of: #/^Missing one of: (.*)$/#) {
            return "argument manquant, l'un de : \(m.1)"
        }
        if let m = line.firstMatch(of: #/^Unexpected argument '(.*)'$/#) {
            return "argument inattendu « \(m.1) » (une option mal écrite, ou un chemin avec des espaces sans guillemets ?)"
        }
        if let m = line.firstMatch(of: #/^(\d+) unexpected arguments: (.*)$/#) {
            return "\(m.1) arguments inattendus : \(m.2)"
        }
        if let m = line.firstMatch(of: #/^The option '([^']+)' does not take any value, but '(.*)' was specified\.$/#) {
            return "l'option \(m.1) ne prend pas de valeur (« \(m.2) » donné)"
        }
        if line.hasPrefix("Value to be set with") {
            return "option donnée deux fois"
        }
        if let m = line.firstMatch(of: #/^Unknown subcommand '?([^']*)'?/#) {
            return "commande inconnue « \(m.1) » ; commandes : audit, check, rules"
        }
        if line.hasPrefix("Error: ") { return reason(String(line.dropFirst(7))) }
        return line
    }

    /// `'a', 'b' or 'c'` → `a, b ou c`.
    static func choices(_ list: String) -> String {
        list.replacingOccurrences(of: "'", with: "")
            .replacingOccurrences(of: " or ", with: " ou ")
            .replacingOccurrences(of: " and ", with: " ou ")
    }

    /// Help text with French headings and the library's own lines translated.
    static func help(_ english: String) -> String {
        var text = english
        let replacements: [(String, String)] = [
            ("OVERVIEW:", "RÉSUMÉ :"),
            ("USAGE:", "UTILISATION :"),
            ("ARGUMENTS:", "ARGUMENTS :"),
            ("OPTIONS:", "OPTIONS :"),
            ("SUBCOMMANDS:", "COMMANDES :"),
            ("Show help information.", "Affiche cette aide."),
            ("Show the version.", "Affiche la version de l'outil et du jeu de règles."),
            ("Show subcommand help information.", "Affiche l'aide d'une commande."),
            ("<subcommand>' for detailed help.", "<commande>' pour l'aide détaillée d'une commande."),
            ("  See '", "  Voir '"),
            ("<subcommand>", "<commande>"),
            ("<options>", "<options>"),
            // The library wraps lines anywhere, even inside "(values: …; default: …)": match the words alone.
            ("(values:", "(valeurs :"),
            ("; default as flag:", " ; par défaut en drapeau :"),
            (";\n", " ;\n"),
            ("; default:", " ; par défaut :"),
            ("(default:", "(par défaut :"),
            (" default:", " par défaut :"),
        ]
        for (english, french) in replacements {
            text = text.replacingOccurrences(of: english, with: french)
        }
        return text
    }
}
