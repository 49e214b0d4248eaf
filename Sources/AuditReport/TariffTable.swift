import AuditRules
import BillingModel
import Foundation

/// The tariffs in force on one day, each with its source, so billing staff can check their
/// software's tables after a revaluation (`cotaudit rules tariffs`).
public enum TariffTable {
    /// One code priced on the day.
    public struct Row: Sendable, Equatable {
        public var code: String
        public var label: String
        public var nomenclature: String
        public var category: String
        /// The value in the zone asked for (the metropolitan one when the zone has none of its own);
        /// nil for a key priced only per profession (F, IK, C, V): see `specialtyCents`.
        public var cents: Cents?
        /// Every zone's value on the day, in the rule set's zone order (empty when `cents` is nil).
        public var zoneCents: [String: Cents]
        /// Values of the same key for one specialty (F: 19,06 € for a GP, 8,50 € for a nurse).
        public var specialtyCents: [String: Cents]
        public var from: CalendarDay
        public var until: CalendarDay?
        public var source: String
    }

    /// Sections in the order a billing desk reads them.
    static let sections: [(TariffEntry.Nomenclature, String)] = [
        (.ngap, "NGAP (lettres-clés et majorations)"), (.ccam, "CCAM (actes techniques)"),
        (.modifier, "Modificateurs"), (.forfait, "Forfaits médecin traitant (par patient et par an)"),
    ]

    public static func rows(_ ruleSet: RuleSet, on day: CalendarDay, zone: String) -> [Row] {
        var rows: [Row] = []
        for (nomenclature, _) in sections {
            let entries = ruleSet.tariffs.entries.values.filter { $0.nomenclature == nomenclature }.sorted { $0.code < $1.code }
            for entry in entries {
                guard let period = entry.periods.first(where: { $0.covers(day) }) else { continue }
                let cents = period.zones[zone] ?? period.cents
                guard cents != nil || !period.specialties.isEmpty else { continue }
                var zones: [String: Cents] = [:]
                if let cents { for name in ruleSet.zones { zones[name] = period.zones[name] ?? period.cents ?? cents } }
                rows.append(Row(code: entry.code, label: entry.label, nomenclature: nomenclature.rawValue,
                                category: entry.category, cents: cents, zoneCents: zones, specialtyCents: period.specialties,
                                from: period.from, until: period.until, source: period.source))
            }
        }
        return rows
    }

    /// Codes the rule set knows but does not price on the day, for any profession.
    public static func unpriced(_ ruleSet: RuleSet, on day: CalendarDay) -> [String] {
        ruleSet.tariffs.entries.values.filter { entry in
            !entry.periods.contains { $0.covers(day) && ($0.cents != nil || !$0.specialties.isEmpty) }
        }.map(\.code).sorted()
    }

    /// A specialty as staff read it: `infirmier (24)`, or `spécialité 99` for a code without a name.
    static func profession(_ code: String) -> String {
        Specialty(code)?.french.map { "\($0) (\(code))" } ?? "spécialité \(code)"
    }

    /// The per-profession values in one CSV cell: `01 = 19,06 / 24 = 8,50`.
    static func specialtyCell(_ row: Row) -> String {
        row.specialtyCents.sorted { $0.key < $1.key }.map { "\($0.key) = \(CSVReport.amount($0.value, true))" }.joined(separator: " / ")
    }

    /// French text for a terminal: a line per code (code, amount, validity, label), its source
    /// wrapped and indented under it.
    public static func text(_ ruleSet: RuleSet, on day: CalendarDay, zone: String, width: Int = 80) -> String {
        let rows = rows(ruleSet, on: day, zone: zone)
        var lines = ["Tarifs en vigueur le \(day.french) — zone \(zone)"]
        lines += wrap("Jeu de règles \(ruleSet.name) \(ruleSet.version) : \(rows.count) codes tarifés ce jour-là, chacun avec sa source.",
                      width: width, indent: 0)
        let codeWidth = max(8, rows.map(\.code.count).max() ?? 0)
        for (nomenclature, title) in sections {
            let section = rows.filter { $0.nomenclature == nomenclature.rawValue }
            guard !section.isEmpty else { continue }
            lines.append("")
            lines.append(title)
            for row in section {
                // A key priced only per profession has no one amount: a dash, its values below.
                let euros = row.cents?.euros ?? "—"
                let amount = String(repeating: " ", count: max(0, 10 - euros.count)) + euros
                var head = "  \(row.code.padding(toLength: codeWidth, withPad: " ", startingAt: 0)) \(amount)  \(row.label)"
                if head.count > width { head = String(head.prefix(width - 1)) + "…" }
                lines.append(head)
                for (specialty, cents) in row.specialtyCents.sorted(by: { $0.key < $1.key }) {
                    lines.append("    \(profession(specialty)) : \(cents.euros)")
                }
                if row.cents == nil { lines.append("    autres spécialités : sans tarif") }
                let validity = "du \(row.from.french)" + (row.until.map { " au \($0.french)" } ?? " à ce jour")
                lines += wrap("\(validity) ; source : \(row.source)", width: width, indent: 4)
            }
        }
        let unpriced = unpriced(ruleSet, on: day)
        if !unpriced.isEmpty {
            lines.append("")
            lines += wrap("Codes connus sans tarif ce jour-là (\(unpriced.count)) : " + unpriced.joined(separator: ", "), width: width, indent: 0)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `;`-separated, UTF-8 with BOM, CRLF, amounts with a decimal comma: one row per code, one
    /// amount column per zone, the per-profession values in one column (amounts empty for a key
    /// priced only per profession).
    public static func csv(_ ruleSet: RuleSet, on day: CalendarDay, zone: String) -> Data {
        var table: [[String]] = [["code", "libelle", "nomenclature", "categorie", "montant_eur"]
            + ruleSet.zones.map { "montant_\($0)_eur" } + ["montant_par_specialite", "du", "au", "source"]]
        for row in rows(ruleSet, on: day, zone: zone) {
            let amount = { (cents: Cents?) in cents.map { CSVReport.amount($0, true) } ?? "" }
            table.append([row.code, row.label, row.nomenclature, row.category, amount(row.cents)]
                + ruleSet.zones.map { amount(row.zoneCents[$0] ?? row.cents) }
                + [specialtyCell(row), row.from.iso, row.until?.iso ?? "", row.source])
        }
        return CSVReport.encode(table)
    }

    /// Words wrapped to `width` columns, every line indented by `indent` spaces.
    static func wrap(_ text: String, width: Int, indent: Int) -> [String] {
        let margin = String(repeating: " ", count: indent)
        // A unit or a French quotation mark stays with its word (no line starting with "€" or "»").
        let text = text.replacingOccurrences(of: " €", with: "\u{00A0}€").replacingOccurrences(of: "« ", with: "«\u{00A0}")
            .replacingOccurrences(of: " »", with: "\u{00A0}»")
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && indent + current.count + 1 + word.count > width {
                lines.append(margin + current)
                current = String(word)
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        if !current.isEmpty { lines.append(margin + current) }
        return lines
    }
}
