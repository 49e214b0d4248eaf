import AuditRules
import BillingModel

/// The report for billing staff at a terminal: short, French, what to fix tomorrow morning.
public enum TextReport {
    /// Lists longer than this are cut, with the count of what is left and where the whole list is.
    public static let listLimit = 20

    /// The `limit` findings of largest amount (lost and at risk), largest first; ties in file order,
    /// so the list is the same run to run. Only `limit` of them are held, whatever the count.
    static func largest(_ findings: Findings, limit: Int) -> [Finding] {
        func amount(_ finding: Finding) -> Cents { finding.lostCents + finding.atRiskCents }
        var kept: [Finding] = []
        kept.reserveCapacity(limit + 1)
        for finding in findings {
            // Past the limit, a finding enters only if it beats the smallest kept; an equal amount
            // comes later in the file, so it stays behind.
            if kept.count == limit, let last = kept.last, amount(finding) <= amount(last) { continue }
            let position = kept.firstIndex { amount(finding) > amount($0) } ?? kept.count
            kept.insert(finding, at: position)
            if kept.count > limit { kept.removeLast() }
        }
        return kept
    }

    /// - Parameters:
    ///   - width: the terminal's width in columns; lines are wrapped at word boundaries to it.
    ///   - trendAndFixes: from `cotaudit report`, the months held by the store and what corrected
    ///     re-exports fixed; `audit` has none.
    public static func render(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions, colors: Bool,
                              width: Int = 100, trendAndFixes: TrendAndFixes? = nil) -> String {
        let style = Style(enabled: colors)
        // Every value from outside the tool goes through `t` before it is styled: the only control
        // bytes the report writes are its own colours.
        let t = TerminalText.escaped
        var lines: [String] = []
        let period: String
        if let first = outcome.firstActDate, let last = outcome.lastActDate {
            period = "du \(first.french) au \(last.french)"
        } else {
            period = "aucun acte lu"
        }
        lines.append(style.bold("Audit de facturation\(options.centreName.map { " — \(t($0))" } ?? "")"))
        lines.append("Période : \(period)")
        lines.append(FrenchText.counts(files: outcome.files.count, acts: outcome.acts, invoices: outcome.invoices,
                                       rejected: outcome.rejectedLines, findings: outcome.findings.count))
        if let period = outcome.period {
            lines.append("Actes audités : \(period.french) ; \(FrenchText.count(outcome.actsOutsidePeriod, "acte hors période non audité", "actes hors période non audités"))")
        }
        for notice in outcome.notices { lines.append("\(notice.file) : \(notice.message)") }
        lines.append("")
        // Two kinds of money, never added into "encore facturable": a bill recovers the first, only a
        // médecin traitant declaration earns the second.
        let headline: [(String, String)] = [
            ("Manque à gagner (certain et probable)", style.red(totals.lostCents.euros)),
            ("  dont à refacturer (erreurs de facturation)", totals.rebillCents.euros),
            ("    dont encore facturable (\(options.recoverableWindowDays) jours)", totals.recoverableLostCents.euros),
            ("  dont à obtenir (déclarations de médecin traitant)", totals.obtainCents.euros),
            ("À vérifier (possible)", totals.possibleCents.euros),
            ("Montants à risque (sur-cotation)", totals.atRiskCents.euros),
        ]
        let labelWidth = headline.map(\.0.count).max() ?? 0
        for (label, amount) in headline { lines.append("  \(pad(label, labelWidth)) : \(amount)") }
        if !totals.byPractitioner.isEmpty {
            lines.append("")
            lines.append(columnsHeader("Par praticien", style))
            for line in totals.byPractitioner.prefix(5) {
                let name = t(outcome.roster?.name(of: line.key).map { "\($0) (\(line.key))" } ?? line.key)
                lines.append("  \(pad(name, 37)) \(pad(line.rebillCents.euros, 14, right: true)) \(pad(line.obtainCents.euros, 12, right: true))  \(line.findings) constat(s)")
            }
            lines.append("")
            lines.append(columnsHeader("Par acte", style))
            for line in totals.byAct.prefix(5) {
                lines.append("  \(pad(t(line.key), 37)) \(pad(line.rebillCents.euros, 14, right: true)) \(pad(line.obtainCents.euros, 12, right: true))  \(line.findings) constat(s)")
            }
        }
        if let trendAndFixes { lines += storeLines(trendAndFixes, roster: outcome.roster, style: style) }
        if !outcome.findings.isEmpty {
            lines.append("")
            lines.append(style.bold("À corriger"))
            for finding in Self.largest(outcome.findings.inFileOrder(), limit: listLimit) {
                let money = finding.atRiskCents > .zero ? "à risque \(finding.atRiskCents.euros)" : finding.lostCents.euros
                let certainty = finding.certainty == .certain ? "" : " (\(finding.certainty.french))"
                lines.append("  \(t(finding.location.file)):\(finding.location.line)  facture \(t(finding.invoiceID))  \(style.yellow(money))\(certainty)")
                // The id stays, in brackets, for `cotaudit rules explain`.
                let title = options.title(ofRule: finding.rule)
                lines.append("    " + style.bold(t(title)) + (title == finding.rule ? "" : " [\(t(finding.rule))]"))
                lines.append("    \(t(finding.message))")
                if let todo = whatToDo(finding) { lines.append("    \(t(todo))") }
            }
            if outcome.findings.count > listLimit {
                // The HTML page has totals, not the list: the CSV and the JSON hold every finding.
                lines.append("  … et \(FrenchText.count(outcome.findings.count - listLimit, "autre constat")) ; liste complète : --format csv (tableur) ou --format json")
            }
            lines.append("  Détail d'une règle : cotaudit rules explain ID (l'identifiant entre crochets)")
        }
        if !outcome.inputErrors.isEmpty {
            lines.append("")
            let total = outcome.inputErrors.count + outcome.omittedInputErrors
            lines.append(style.bold("Lignes rejetées et fichiers illisibles (\(total))"))
            for issue in outcome.inputErrors.prefix(listLimit) { lines.append("  " + style.red(t(issue.description))) }
            let left = total - min(outcome.inputErrors.count, listLimit)
            if left > 0 {
                lines.append("  … et \(FrenchText.count(left, "autre")) ; liste complète : relancer avec --all-issues FICHIER")
            }
        }
        if !outcome.warnings.isEmpty {
            lines.append("")
            let total = outcome.warnings.count + outcome.omittedWarnings
            lines.append(style.bold("Avertissements (\(total))"))
            for issue in outcome.warnings.prefix(listLimit) { lines.append("  \(t(issue.description))") }
            let left = total - min(outcome.warnings.count, listLimit)
            if left > 0 {
                lines.append("  … et \(FrenchText.count(left, "autre")) ; liste complète : relancer avec --all-issues FICHIER")
            }
        }
        return lines.flatMap { wrap($0, width: width) }.joined(separator: "\n") + "\n"
    }

    /// The store report's trend (from two months held) and, per practitioner, what corrected
    /// re-exports fixed during the period against the month before.
    static func storeLines(_ store: TrendAndFixes, roster: Roster?, style: Style) -> [String] {
        let t = TerminalText.escaped
        var lines: [String] = []
        if store.showsTrend {
            lines.append("")
            lines.append(columnsHeader("Tendance des mois tenus", style))
            for line in store.months {
                let label = YearMonth(parsing: line.key)?.french ?? line.key
                lines.append("  \(pad(label, 37)) \(pad(line.rebillCents.euros, 14, right: true)) \(pad(line.obtainCents.euros, 12, right: true))  manque à gagner \(line.lostCents.euros) sur \(line.billedCents.euros) facturés")
            }
        }
        lines.append("")
        // Counted by the night the corrected export was audited, not by act date: said in the title.
        lines.append(style.bold("Corrigé par des exports rectifiés audités \(store.fixedPeriodIn), par praticien (mois précédent : \(store.previousMonth.french))"))
        if store.fixedByPractitioner.isEmpty {
            lines.append("  Aucun constat corrigé par un export rectifié sur ces mois.")
        }
        func fixed(_ line: Breakdown) -> String {
            var text = "\(FrenchText.count(line.findings, "constat")), manque à gagner \(line.lostCents.euros)"
            if line.atRiskCents > .zero { text += ", à risque \(line.atRiskCents.euros)" }
            return text
        }
        for fixes in store.fixedByPractitioner {
            let name = t(roster?.name(of: fixes.practitionerID).map { "\($0) (\(fixes.practitionerID))" } ?? fixes.practitionerID)
            lines.append("  \(pad(name, 37)) \(fixed(fixes.period)) ; mois précédent : \(fixed(fixes.previousMonth))")
        }
        return lines
    }

    /// One line cut at spaces so that none is wider than `width` columns (colour codes take no
    /// room); a word is never cut, however long. Continuation lines are indented two more spaces
    /// than the line they continue. A line that fits is left as it is.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard visibleWidth(line) > width else { return [line] }
        let indent = line.prefix { $0 == " " }.count
        let continuation = String(repeating: " ", count: indent + 2)
        // Each word with the spaces before it, so the spacing inside a line is kept.
        var words: [(spaces: Int, word: String)] = []
        var spaces = 0
        var word = ""
        for character in line.dropFirst(indent) {
            if character == " " {
                // Padding that aligns columns means nothing once the line is cut: one space is kept.
                if !word.isEmpty { words.append((spaces > 2 ? 1 : spaces, word)); word = ""; spaces = 0 }
                spaces += 1
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { words.append((spaces > 2 ? 1 : spaces, word)) }
        // French puts a space before « € : ; ? ! » » and after « « »: those never start or end a line.
        var glued: [(spaces: Int, word: String)] = []
        for item in words {
            let startsWithMark = stripped(item.word).first.map { "€:;?!»".contains($0) } ?? false
            if let last = glued.last, startsWithMark || stripped(last.word).last == "«" {
                glued[glued.count - 1].word += String(repeating: " ", count: item.spaces) + item.word
            } else {
                glued.append(item)
            }
        }
        words = glued
        var result: [String] = []
        var current = String(repeating: " ", count: indent)
        var currentWidth = indent
        var currentHasWord = false
        for (spaces, word) in words {
            let wordWidth = visibleWidth(word)
            if currentHasWord && currentWidth + spaces + wordWidth > width {
                result.append(current)
                current = continuation + word
                currentWidth = continuation.count + wordWidth
            } else {
                current += String(repeating: " ", count: currentHasWord ? spaces : 0) + word
                currentWidth += (currentHasWord ? spaces : 0) + wordWidth
            }
            currentHasWord = true
        }
        result.append(current)
        return result
    }

    /// The text without the colour codes the report writes.
    static func stripped(_ text: String) -> String {
        var result = ""
        var inEscape = false
        for character in text {
            if inEscape {
                if character == "m" { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Columns a line takes on screen: its characters, less the colour codes the report writes.
    static func visibleWidth(_ text: String) -> Int { stripped(text).count }

    /// The action in a few words: what to add to the bill, or what to take off it.
    static func whatToDo(_ finding: Finding) -> String? {
        switch finding.kind {
        case .overCoding:
            return "à retirer ou justifier : \(finding.code)"
        case .underCoding:
            return finding.expectedCode.map { "à facturer : \($0)" }
        case .missingMT:
            // The forfait is not billed on an act: it is paid once the declaration is made.
            return "à obtenir : déclaration de médecin traitant (forfait \(finding.expectedCode ?? "FPMT"))"
        case .dataQuality:
            return nil
        }
    }

    /// A section title over the name column, then the two money columns' titles, aligned with
    /// the rows (2 spaces, a 37-wide name, then 14 and 12 wide amounts).
    static func columnsHeader(_ title: String, _ style: Style) -> String {
        style.bold(title) + pad("", 40 - title.count) + pad("à refacturer", 14, right: true) + " " + pad("à obtenir", 12, right: true)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    struct Style {
        var enabled: Bool
        func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        func bold(_ text: String) -> String { wrap("1", text) }
        func red(_ text: String) -> String { wrap("31", text) }
        func yellow(_ text: String) -> String { wrap("33", text) }
    }
}
