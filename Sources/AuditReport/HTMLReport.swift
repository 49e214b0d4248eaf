import AuditRules
import BillingModel

/// The director's monthly page: one self-contained French HTML file (inline CSS and SVG, no
/// script, no network) that prints on A4: the sections follow one another, and a chart with its
/// table, a card or a table row is never cut by a page break (a forced break per section left
/// half-empty pages).
public enum HTMLReport {
    /// `trendAndFixes`: from `cotaudit report`, the months held by the store (the month-by-month
    /// chart then shows them all up to the period's end) and what corrected re-exports fixed.
    public static func render(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions,
                              trendAndFixes: TrendAndFixes? = nil) -> String {
        let e = HTML.escape
        func practitionerName(_ id: String) -> String {
            outcome.roster?.name(of: id) ?? "Praticien \(id)"
        }
        let period: String
        if let first = outcome.firstActDate, let last = outcome.lastActDate {
            period = first.yearMonth == last.yearMonth ? first.yearMonth.french : "du \(first.french) au \(last.french)"
        } else {
            period = "aucun acte lu"
        }
        let share = totals.billedCents.value > 0 ? Rounding.scale(totals.lostCents.value, by: 1000, dividedBy: totals.billedCents.value) : 0
        var html = """
        <!DOCTYPE html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <title>Audit de facturation — \(e(period))</title>
        <style>\(style)</style>
        </head>
        <body>
        <header>
        <h1>Audit de facturation\(options.centreName.map { " — " + e($0) } ?? "")</h1>
        <p class="period">Période : \(e(period)) · rapport du \(e(options.asOf.french))</p>
        </header>
        <section class="headline">
        <div class="figure main"><span class="amount">\(e(totals.lostCents.euros))</span><span class="caption">manque à gagner (certain et probable)</span></div>
        <div class="figure"><span class="amount">\(e(totals.rebillCents.euros))</span><span class="caption">à refacturer (erreurs de facturation)</span></div>
        <div class="figure"><span class="amount">\(e(totals.recoverableLostCents.euros))</span><span class="caption">dont encore facturable (délai de \(options.recoverableWindowDays) jours)</span></div>
        <div class="figure"><span class="amount">\(e(totals.obtainCents.euros))</span><span class="caption">à obtenir (déclarations de médecin traitant, forfait de l'année)</span></div>
        <div class="figure"><span class="amount">\(e(totals.possibleCents.euros))</span><span class="caption">à vérifier (pistes possibles)</span></div>
        <div class="figure"><span class="amount">\(e(totals.atRiskCents.euros))</span><span class="caption">montants à risque (sur-cotation)</span></div>
        <div class="figure"><span class="amount">\(share / 10),\(share % 10) %</span><span class="caption">part du chiffre d'affaires perdue (facturé : \(e(totals.billedCents.euros)))</span></div>
        </section>
        <p class="facts">\(e(FrenchText.counts(files: outcome.files.count, acts: outcome.acts, invoices: outcome.invoices, rejected: outcome.rejectedLines, findings: outcome.findings.count))).\(outcome.period.map { " Actes audités : " + e($0.french) + " (" + e(FrenchText.count(outcome.actsOutsidePeriod, "acte hors période non audité", "actes hors période non audités")) + ")." } ?? "")</p>

        """
        html += "<section class=\"keep\"><h2>Manque à gagner par praticien</h2>\n"
        html += SVGChart.horizontalBars(totals.byPractitioner.filter { $0.lostCents > .zero }.map {
            SVGChart.Bar(label: practitionerName($0.key), value: $0.lostCents)
        }, title: "Manque à gagner par praticien")
        html += "\n<table><thead><tr><th>Praticien</th><th class=\"num\">Manque à gagner</th><th class=\"num\">dont à refacturer</th><th class=\"num\">dont à obtenir</th><th class=\"num\">Facturé</th><th class=\"num\">Part perdue</th><th class=\"num\">À vérifier</th><th class=\"num\">Constats</th></tr></thead><tbody>\n"
        for line in totals.byPractitioner {
            // A practitioner who billed nothing (one who left, credited a forfait) has no share: "—", not "0 %".
            let basisPoints = line.lostShareBasisPoints
            let share = line.billedCents > .zero
                ? "\(basisPoints / 100),\(basisPoints % 100 < 10 ? "0" : "")\(basisPoints % 100) %" : "—"
            html += "<tr><td>\(e(practitionerName(line.key)))</td><td class=\"num\">\(e(line.lostCents.euros))</td><td class=\"num\">\(e(line.rebillCents.euros))</td><td class=\"num\">\(e(line.obtainCents.euros))</td><td class=\"num\">\(e(line.billedCents.euros))</td><td class=\"num\">\(share)</td><td class=\"num\">\(e(line.possibleCents.euros))</td><td class=\"num\">\(line.findings)</td></tr>\n"
        }
        html += "</tbody></table></section>\n"

        html += "<section class=\"keep\"><h2>Manque à gagner par acte</h2>\n"
        html += SVGChart.horizontalBars(totals.byAct.filter { $0.lostCents > .zero }.map {
            SVGChart.Bar(label: $0.key, value: $0.lostCents)
        }, title: "Manque à gagner par acte")
        // The chart names acts by their code; the table says what each code is.
        html += "\n<table class=\"acts\"><thead><tr><th>Acte</th><th>Libellé</th><th class=\"num\">Manque à gagner</th><th class=\"num\">À vérifier</th><th class=\"num\">À risque</th><th class=\"num\">Constats</th></tr></thead><tbody>\n"
        for line in totals.byAct {
            html += "<tr><td><code>\(e(line.key))</code></td><td>\(e(options.codeLabels[line.key] ?? ""))</td><td class=\"num\">\(e(line.lostCents.euros))</td><td class=\"num\">\(e(line.possibleCents.euros))</td><td class=\"num\">\(e(line.atRiskCents.euros))</td><td class=\"num\">\(line.findings)</td></tr>\n"
        }
        html += "</tbody></table></section>\n"
        html += "<section class=\"keep\"><h2>Évolution mois par mois</h2>\n"
        if let store = trendAndFixes {
            html += trend(store)
        } else if totals.byMonth.count > 1 {
            html += SVGChart.columns(totals.byMonth.map { line in
                let parts = line.key.split(separator: "-").compactMap { Int($0) }
                let label = parts.count == 2 ? YearMonth(year: parts[0], month: parts[1]).french : line.key
                return SVGChart.Bar(label: label, value: line.lostCents)
            }, title: "Manque à gagner par mois d'acte")
        } else {
            // One column is not a trend: say where the trend comes from instead of drawing it.
            html += "<p class=\"empty\">Les actes audités tiennent dans un seul mois : la tendance apparaît quand ils en couvrent plusieurs (ou avec « cotaudit report » sur la base de suivi).</p>\n"
        }
        html += "</section>\n"
        if let store = trendAndFixes { html += fixes(store, name: practitionerName) }

        html += "<section><h2>Les règles qui coûtent le plus, et ce qu'il faut changer</h2>\n"
        // Set widths: left to itself the table gave the advice column one word per line on A4.
        html += "<table class=\"rules\"><thead><tr><th class=\"rule\">Règle</th><th class=\"num\">À refacturer</th><th class=\"num\">À obtenir</th><th class=\"num\">À vérifier</th><th class=\"num\">À risque</th><th class=\"num\">Constats</th><th class=\"advice\">Ce qu'il faut changer</th></tr></thead><tbody>\n"
        // The rule set's advice; without one, the message of the rule's first finding in file order.
        var firstMessage: [String: String] = [:]
        for finding in outcome.findings.inFileOrder() where firstMessage[finding.rule] == nil {
            firstMessage[finding.rule] = finding.message
        }
        for line in totals.byRule {
            let advice = options.ruleAdvice[line.key].flatMap { $0.isEmpty ? nil : $0 } ?? firstMessage[line.key] ?? ""
            // The French title the director reads, not the id.
            html += "<tr><td>\(e(options.title(ofRule: line.key)))</td><td class=\"num\">\(e(line.rebillCents.euros))</td><td class=\"num\">\(e(line.obtainCents.euros))</td><td class=\"num\">\(e(line.possibleCents.euros))</td><td class=\"num\">\(e(line.atRiskCents.euros))</td><td class=\"num\">\(line.findings)</td><td>\(e(advice))</td></tr>\n"
        }
        html += "</tbody></table></section>\n"

        html += "<section><h2>Patients à qui proposer une déclaration de médecin traitant</h2>\n"
        if totals.mtWorklist.isEmpty {
            html += "<p class=\"empty\">Aucun patient à relancer sur la période.</p>\n"
        } else {
            html += "<p>Liste pour l'accueil : à la prochaine venue de ces patients, proposer la déclaration (ou la refaire avec un médecin présent). Les patients sont désignés par leur pseudonyme ; le logiciel du centre permet de les retrouver.</p>\n"
            html += "<table><thead><tr><th>Patient (pseudonyme)</th><th>Médecin habituel</th><th>Motif</th><th class=\"num\">Forfait en jeu</th><th>Année(s)</th><th>Dernier passage</th></tr></thead><tbody>\n"
            for item in totals.mtWorklist {
                let reason = item.rule == "mt-practitioner-departed" ? "médecin traitant parti" : "sans médecin traitant"
                html += "<tr><td><code>\(e(item.patientRef.value))</code></td><td>\(e(item.practitionerName ?? item.practitionerID))</td><td>\(reason)</td><td class=\"num\">\(e(item.forfaitCents.euros))</td><td>\(item.years.map(String.init).joined(separator: ", "))</td><td>\(e(item.lastSeen.french))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "</section>\n"

        html += "<section><h2>Lignes rejetées</h2>\n"
        if outcome.inputErrors.isEmpty {
            html += "<p class=\"empty\">Toutes les lignes ont pu être lues.</p>\n"
        } else {
            let lines = outcome.rejectedLines < 2 ? "\(outcome.rejectedLines) ligne n'a pas pu être auditée" : "\(outcome.rejectedLines) lignes n'ont pas pu être auditées"
            html += "<p>\(lines) : à corriger dans le logiciel de facturation.</p><ul class=\"errors\">\n"
            for issue in outcome.inputErrors.prefix(200) { html += "<li>\(e(issue.description))</li>\n" }
            let notShown = outcome.inputErrors.count - min(outcome.inputErrors.count, 200) + outcome.omittedInputErrors
            if notShown > 0 { html += "<li>… et \(e(FrenchText.count(notShown, "autre"))) ; liste complète : relancer avec --all-issues FICHIER</li>\n" }
            html += "</ul>\n"
        }
        html += "</section>\n"

        // Only the store's report says how its trend and fixes are counted; `audit`'s page is unchanged.
        let storeMethod = trendAndFixes.map { store in
            "\n<li>Tendance : les mois d'acte tenus par la base de suivi jusqu'à la fin de la période (\(store.months.count) mois). "
                + "Corrigé : les constats qu'un export rectifié a fait disparaître, comptés à la nuit où cet export a été audité.</li>"
        } ?? ""
        html += """
        <section class="method keep"><h2>Méthode</h2>
        <ul>
        <li>Période des actes : \(e(period)).</li>
        <li>Fichiers : \(e(outcome.files.joined(separator: ", "))).</li>
        <li>Jeu de règles : \(e(outcome.ruleSetName)) version \(e(outcome.ruleSetVersion)).</li>
        <li>Manque à gagner : constats certains et probables ; les pistes « à vérifier » sont comptées à part, comme les montants à risque de récupération.</li>
        <li>Deux sortes d'argent, jamais additionnées dans « encore facturable » : « à refacturer », les erreurs de facturation qu'une facture rectificative ou oubliée récupère ; « à obtenir », le forfait médecin traitant que seule une déclaration de médecin traitant rapporte (forfait de l'année, jamais refacturé).</li>
        <li>Encore facturable : la part « à refacturer » des constats certains et probables dont l'acte a au plus \(options.recoverableWindowDays) jours au \(e(options.asOf.french)) (\(e(options.recoverableWindowSource))).</li>
        <li>Les patients ne sont désignés que par un pseudonyme : aucun NIR, nom ou date de naissance dans ce rapport.</li>\(storeMethod)
        </ul>
        </section>
        </body>
        </html>

        """
        return html
    }

    /// The months held by the store up to the period's end: a chart and its table from two months.
    static func trend(_ store: TrendAndFixes) -> String {
        let e = HTML.escape
        guard store.showsTrend else {
            return "<p class=\"empty\">La base de suivi ne tient qu'un mois : la tendance viendra avec les mois suivants.</p>\n"
        }
        func label(_ line: Breakdown) -> String { YearMonth(parsing: line.key)?.french ?? line.key }
        var html = SVGChart.columns(store.months.map { SVGChart.Bar(label: label($0), value: $0.lostCents) },
                                    title: "Manque à gagner par mois d'acte (mois tenus par la base de suivi)")
        html += "\n<table><thead><tr><th>Mois</th><th class=\"num\">Manque à gagner</th><th class=\"num\">dont à refacturer</th><th class=\"num\">dont à obtenir</th><th class=\"num\">Facturé</th><th class=\"num\">Constats</th></tr></thead><tbody>\n"
        for line in store.months {
            html += "<tr><td>\(e(label(line)))</td><td class=\"num\">\(e(line.lostCents.euros))</td><td class=\"num\">\(e(line.rebillCents.euros))</td><td class=\"num\">\(e(line.obtainCents.euros))</td><td class=\"num\">\(e(line.billedCents.euros))</td><td class=\"num\">\(line.findings)</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    /// Per practitioner, what corrected re-exports fixed during the period against the month before.
    static func fixes(_ store: TrendAndFixes, name: (String) -> String) -> String {
        let e = HTML.escape
        var html = "<section class=\"keep\"><h2>Corrigé par des exports rectifiés audités \(e(store.fixedPeriodIn)), par rapport à \(e(store.previousMonth.french))</h2>\n"
        html += "<p>Constats qu'un export corrigé a fait disparaître, comptés à la nuit où l'export a été audité.</p>\n"
        if store.fixedByPractitioner.isEmpty {
            return html + "<p class=\"empty\">Aucun constat corrigé par un export rectifié sur ces mois.</p></section>\n"
        }
        html += "<table><thead><tr><th>Praticien</th><th class=\"num\">Constats corrigés</th><th class=\"num\">Manque à gagner corrigé</th><th class=\"num\">À risque corrigé</th><th class=\"num\">Mois précédent : constats</th><th class=\"num\">Mois précédent : manque à gagner</th></tr></thead><tbody>\n"
        for fixes in store.fixedByPractitioner {
            html += "<tr><td>\(e(name(fixes.practitionerID)))</td><td class=\"num\">\(fixes.period.findings)</td><td class=\"num\">\(e(fixes.period.lostCents.euros))</td><td class=\"num\">\(e(fixes.period.atRiskCents.euros))</td><td class=\"num\">\(fixes.previousMonth.findings)</td><td class=\"num\">\(e(fixes.previousMonth.lostCents.euros))</td></tr>\n"
        }
        return html + "</tbody></table></section>\n"
    }

    /// The A4 page's margin. The printable width, 210 mm less two margins, is what the tests lay
    /// the page out at to find what would overflow on paper.
    public static let pageMarginMillimetres = 12

    static let style = """
    @page { size: A4; margin: \(pageMarginMillimetres)mm; }
    body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1d2a33; max-width: 1000px; margin: 24px auto; padding: 0 16px; font-size: 14px; }
    h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 2px solid #2b6f8e; padding-bottom: 4px; }
    .period, .facts { color: #51606b; }
    /* Seven cards, the main one two wide: two full rows of four, on screen and on paper. */
    .headline { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 16px 0; }
    .figure { border: 1px solid #c9d6de; border-radius: 6px; padding: 10px 12px; } .figure.main { grid-column: span 2; }
    @media screen and (max-width: 600px) { .headline { grid-template-columns: repeat(2, 1fr); } }
    .figure.main { background: #fdf1ed; border-color: #d9795a; }
    .amount { display: block; font-size: 22px; font-weight: bold; white-space: nowrap; } .caption { color: #51606b; font-size: 12px; }
    table { border-collapse: collapse; width: 100%; margin: 12px 0; } th, td { border-bottom: 1px solid #dde5ea; padding: 5px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
    th { background: #eef3f6; } td.num { text-align: right; white-space: nowrap; overflow-wrap: normal; } th.num { text-align: right; overflow-wrap: normal; }
    table.rules th.rule { width: 27%; } table.rules th.advice { width: 38%; }
    td code { white-space: nowrap; }
    svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
    .chart-title { font-size: 14px; font-weight: bold; fill: #1d2a33; } .bar { fill: #2b6f8e; } .grid { stroke: #e3e9ed; } .axis { stroke: #51606b; }
    .label, .tick, .value { font-size: 12px; fill: #1d2a33; } .tick { fill: #51606b; }
    .empty { color: #51606b; font-style: italic; } ul.errors { font-size: 12px; }
    /* Paper: a heading stays with what follows it; a card, a chart with its table, a row are never cut. */
    thead { display: table-header-group; } h2 { break-after: avoid; page-break-after: avoid; }
    .headline, .figure, svg.chart, section.keep, tr { break-inside: avoid; page-break-inside: avoid; }
    @media print {
      body { margin: 0; padding: 0; max-width: none; font-size: 10.5px; }
      h1 { font-size: 18px; } h2 { font-size: 14px; margin: 14px 0 6px; }
      .headline { gap: 6px; margin: 10px 0; }
      .figure { padding: 5px 8px; } .amount { font-size: 16px; } .caption { font-size: 9px; }
      table { margin: 6px 0; } th, td { padding: 3px 4px; }
      svg.chart { max-height: 62mm; width: auto; margin: 4px 0; }
      ul.errors { font-size: 9.5px; padding-left: 16px; }
      .figure.main { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }
    """
}
