import AuditRules
import Foundation

/// `cotaudit --version`: the tool's version and the rule set it would audit with, so that a
/// report can be traced to both.
enum ToolVersion {
    /// Raised with each release (see CHANGELOG.md).
    static let tool = "0.1.0"

    static func describe(rulesDirectory: URL? = Wiring.defaultRulesDirectory()) -> String {
        var text = "cotaudit \(tool)"
        guard let rulesDirectory else {
            return text + "\njeu de règles : introuvable (indiquer --rules DOSSIER ou COTAUDIT_RULES ; voir Scripts/install.sh)"
        }
        do {
            let ruleSet = try RuleSetLoader.load(directory: rulesDirectory)
            text += "\njeu de règles : \(ruleSet.name) \(ruleSet.version) (\(ruleSet.rules.count) règles) — \(rulesDirectory.path)"
        } catch {
            text += "\njeu de règles : inutilisable dans \(rulesDirectory.path) — \(error)"
        }
        return text
    }
}
