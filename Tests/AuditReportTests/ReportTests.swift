@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// Reports built from a hand-made outcome: every format shows the same figures.
final class ReportTests: XCTestCase {
    let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 3, day: 31)!, recoverableWindowDays: 730,
                                recoverableWindowSource: "CSS art. L332-1", centreName: "Centre de santé Test",
                                ruleAdvice: ["missing-meg": "Ajouter la MEG."])

    func finding(_ rule: String, _ certainty: Certainty, lost: Int64, atRisk: Int64 = 0, practitioner: String = "10000000009",
                 date: String = "2025-02-10", line: Int = 2, kind: FindingKind = .underCoding, expected: String? = "MEG",
                 message: String = "message") -> Finding {
        Finding(rule: rule, kind: kind, certainty: certainty, location: SourceLocation(file: "f.csv", line: line),
                invoiceID: "F\(line)", actDate: CalendarDay(parsing: date)!, practitionerID: practitioner,
                patientRef: PatientRef("p-\(line)"), code: "G", expectedCode: expected, lostCents: Cents(lost),
                atRiskCents: Cents(atRisk), message: message)
    }

    func outcome() -> AuditOutcome {
        var outcome = AuditOutcome()
        outcome.files = ["f.csv"]
        outcome.acts = 40
        outcome.invoices = 30
        outcome.rejectedLines = 1
        outcome.inputErrors = [InputIssue(file: "f.csv", line: 9, column: "amount", message: "montant invalide")]
        outcome.findings = [
            finding("missing-meg", .certain, lost: 500, line: 2),
            finding("missing-mt-declaration", .likely, lost: 4200, practitioner: "10000000017", date: "2025-01-05", line: 3,
                    kind: .missingMT, expected: "FPMT"),
            finding("coe-9-months", .possible, lost: 3000, line: 4, expected: "COE"),
            finding("meg-over-age", .certain, lost: 0, atRisk: 500, line: 5, kind: .overCoding, expected: nil,
                    message: "MEG <à retirer> & \"vite\"\nligne 2; fin"),
            finding("tariff-below-schedule", .certain, lost: 350, date: "2022-12-01", line: 6, expected: "G"),
        ]
        outcome.billedByPractitioner = ["10000000009": Cents(100_000), "10000000017": Cents(50_000)]
        outcome.billedByMonth = [YearMonth(year: 2025, month: 1): Cents(60_000), YearMonth(year: 2025, month: 2): Cents(90_000)]
        outcome.firstActDate = CalendarDay(year: 2022, month: 12, day: 1)
        outcome.lastActDate = CalendarDay(year: 2025, month: 2, day: 10)
        outcome.roster = Roster([RosterEntry(practitionerID: "10000000009", name: "Dr Test", specialty: nil, startDate: nil, endDate: nil)])
        return outcome
    }

    func testTotalsCountCertainAndLikelyAsLostAndPossibleApart() {
        let totals = AuditTotals(outcome(), options: options)
        XCTAssertEqual(totals.lostCents, Cents(500 + 4200 + 350))
        XCTAssertEqual(totals.possibleCents, Cents(3000))
        XCTAssertEqual(totals.atRiskCents, Cents(500))
        XCTAssertEqual(totals.rebillCents, Cents(500 + 350))
        XCTAssertEqual(totals.obtainCents, Cents(4200))
        XCTAssertEqual(totals.recoverableLostCents, Cents(500),
                       "l'acte de 2022 est hors du délai de 730 jours, et un forfait médecin traitant s'obtient, il ne se refacture pas")
        XCTAssertEqual(totals.byPractitioner.first?.key, "10000000017")
        XCTAssertEqual(totals.byAct.map(\.key).first, "FPMT")
        XCTAssertEqual(totals.mtWorklist.count, 1)
        XCTAssertEqual(totals.byPractitioner.first { $0.key == "10000000009" }?.lostShareBasisPoints, 85, "850 / 100 000 = 0,85 %")
    }

    func testRecoverableWindowBoundary() {
        let inside = finding("x", .certain, lost: 1, date: "2023-04-01")
        let outside = finding("x", .certain, lost: 1, date: "2023-03-31")
        XCTAssertTrue(options.isRecoverable(inside), "730 jours pile")
        XCTAssertFalse(options.isRecoverable(outside), "731 jours")
        XCTAssertTrue(options.isRecoverable(finding("x", .certain, lost: 1, date: "2025-04-02")), "acte postérieur à la date du rapport")
        // The boundary as the totals see it: the 730-day act counts, the 731-day one does not.
        var outcome = AuditOutcome()
        outcome.findings = [inside, outside]
        XCTAssertEqual(AuditTotals(outcome, options: options).recoverableLostCents, Cents(1))
    }

    func testPossibleFindingsAreNotLostButReportedApart() throws {
        var outcome = AuditOutcome()
        outcome.findings = [finding("coe-9-months", .possible, lost: 3000, expected: "COE")]
        let totals = AuditTotals(outcome, options: options)
        XCTAssertEqual(totals.lostCents, .zero)
        XCTAssertEqual(totals.recoverableLostCents, .zero, "une piste possible n'est pas un manque à gagner récupérable")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(JSONReport.render(outcome, totals: totals, options: options).utf8)) as? [String: Any])
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        XCTAssertEqual(summary["lost_cents"] as? Int, 0)
        XCTAssertEqual(summary["possible_cents"] as? Int, 3000)
    }

    func testJSONHasTheContractKeysAndTheTotals() throws {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let text = JSONReport.render(outcome, totals: totals, options: options)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "cotaudit.audit/1")
        let summary = try XCTUnwrap(document["summary"] as? [String: Any])
        for key in ["files", "acts", "invoices", "rejected_lines", "findings", "lost_cents", "at_risk_cents"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["lost_cents"] as? Int, 5050)
        XCTAssertEqual(summary["at_risk_cents"] as? Int, 500)
        let findings = try XCTUnwrap(document["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.count, 5)
        for key in ["rule", "kind", "certainty", "file", "line", "invoice_id", "practitioner_id", "patient_ref", "code",
                    "expected_code", "lost_cents", "at_risk_cents", "message"] {
            XCTAssertTrue(findings[0].keys.contains(key), key)
        }
        XCTAssertEqual(findings[3]["message"] as? String, "MEG <à retirer> & \"vite\"\nligne 2; fin", "échappement JSON")
        XCTAssertTrue(findings[3]["expected_code"] is NSNull)
        let errors = try XCTUnwrap(document["input_errors"] as? [[String: Any]])
        XCTAssertEqual(errors.first?["column"] as? String, "amount")
        for key in ["by_practitioner", "by_act", "by_rule"] { XCTAssertNotNil(document[key] as? [[String: Any]], key) }
    }

    /// The keys of one JSON object, in the order written: lines at `indent` spaces from `start`
    /// (the line that opens the object) up to the line that closes it.
    func keys(in text: String, openingLine start: String, indent: Int) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let first = lines.firstIndex(of: start) else { return [] }
        let prefix = String(repeating: " ", count: indent) + "\""
        let closing = String(repeating: " ", count: indent - 2) + "}"
        var keys: [String] = []
        for line in lines[(first + 1)...] {
            if line.hasPrefix(closing) { break }
            if line.hasPrefix(prefix), let end = line.dropFirst(prefix.count).firstIndex(of: "\"") {
                keys.append(String(line[line.index(line.startIndex, offsetBy: prefix.count)..<end]))
            }
        }
        return keys
    }

    func testJSONWritesTheRequiredKeysInTheContractOrderBeforeAnyAddition() {
        let outcome = outcome()
        let text = JSONReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        func assertStarts(_ keys: [String], with required: [String], _ what: String) {
            XCTAssertEqual(Array(keys.prefix(required.count)), required, what)
        }
        assertStarts(keys(in: text, openingLine: "{", indent: 2),
                     with: ["schema", "summary", "by_practitioner", "by_act", "by_rule", "findings", "input_errors"], "racine")
        assertStarts(keys(in: text, openingLine: "  \"summary\": {", indent: 4),
                     with: ["files", "acts", "invoices", "rejected_lines", "findings", "lost_cents", "at_risk_cents"], "summary")
        assertStarts(keys(in: text, openingLine: "  \"by_practitioner\": [", indent: 6),
                     with: ["practitioner_id", "lost_cents", "findings"], "by_practitioner")
        assertStarts(keys(in: text, openingLine: "  \"by_act\": [", indent: 6), with: ["code", "lost_cents", "findings"], "by_act")
        assertStarts(keys(in: text, openingLine: "  \"by_rule\": [", indent: 6), with: ["rule", "lost_cents", "findings"], "by_rule")
        assertStarts(keys(in: text, openingLine: "  \"findings\": [", indent: 6),
                     with: ["rule", "kind", "certainty", "file", "line", "invoice_id", "practitioner_id", "patient_ref",
                            "code", "expected_code", "lost_cents", "at_risk_cents", "message"], "findings")
        assertStarts(keys(in: text, openingLine: "  \"input_errors\": [", indent: 6),
                     with: ["file", "line", "column", "message"], "input_errors")
    }

    func testJSONDocumentOfASmallOutcomeIsExactlyThis() {
        var outcome = AuditOutcome()
        outcome.files = ["déc.csv"]
        outcome.acts = 3
        outcome.invoices = 2
        outcome.rejectedLines = 1
        outcome.inputErrors = [InputIssue(file: "déc.csv", line: 0, column: nil, message: "fin \u{1}")]
        outcome.findings = [finding("missing-meg", .certain, lost: 500, date: "2025-02-10", line: 2, message: "Ajouter la « MEG »\t\\")]
        outcome.billedByPractitioner = ["10000000009": Cents(2500)]
        outcome.billedByMonth = [YearMonth(year: 2025, month: 2): Cents(2500)]
        outcome.firstActDate = CalendarDay(year: 2025, month: 2, day: 10)
        outcome.lastActDate = CalendarDay(year: 2025, month: 2, day: 10)
        outcome.ruleSetName = "cotaudit-core"
        outcome.ruleSetVersion = "2025.1"
        let text = JSONReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        let expected = #"""
        {
          "schema": "cotaudit.audit/1",
          "summary": {
            "files": 1,
            "acts": 3,
            "invoices": 2,
            "rejected_lines": 1,
            "findings": 1,
            "lost_cents": 500,
            "at_risk_cents": 0,
            "possible_cents": 0,
            "recoverable_lost_cents": 500,
            "rebill_cents": 500,
            "obtain_cents": 0,
            "recoverable_cents": 500,
            "billed_cents": 2500,
            "first_act_date": "2025-02-10",
            "last_act_date": "2025-02-10",
            "rule_set": "cotaudit-core 2025.1",
            "input_errors_omitted": 0,
            "warnings_omitted": 0
          },
          "by_practitioner": [
            {
              "practitioner_id": "10000000009",
              "lost_cents": 500,
              "findings": 1,
              "billed_cents": 2500,
              "possible_cents": 0,
              "at_risk_cents": 0,
              "rebill_cents": 500,
              "obtain_cents": 0,
              "recoverable_cents": 500
            }
          ],
          "by_act": [
            {
              "code": "MEG",
              "lost_cents": 500,
              "findings": 1,
              "possible_cents": 0,
              "at_risk_cents": 0,
              "rebill_cents": 500,
              "obtain_cents": 0,
              "recoverable_cents": 500
            }
          ],
          "by_rule": [
            {
              "rule": "missing-meg",
              "lost_cents": 500,
              "findings": 1,
              "possible_cents": 0,
              "at_risk_cents": 0,
              "rebill_cents": 500,
              "obtain_cents": 0,
              "recoverable_cents": 500
            }
          ],
          "findings": [
            {
              "rule": "missing-meg",
              "kind": "under-coding",
              "certainty": "certain",
              "file": "f.csv",
              "line": 2,
              "invoice_id": "F2",
              "practitioner_id": "10000000009",
              "patient_ref": "p-2",
              "code": "G",
              "expected_code": "MEG",
              "lost_cents": 500,
              "at_risk_cents": 0,
              "message": "Ajouter la « MEG »\t\\",
              "act_date": "2025-02-10",
              "recoverable": true,
              "rebill_cents": 500,
              "obtain_cents": 0
            }
          ],
          "input_errors": [
            {
              "file": "déc.csv",
              "line": 0,
              "column": null,
              "message": "fin \u0001"
            }
          ],
          "warnings": [],
          "by_month": [
            {
              "month": "2025-02",
              "lost_cents": 500,
              "findings": 1,
              "billed_cents": 2500
            }
          ]
        }

        """#
        XCTAssertEqual(text, expected)
    }

    func testMTWorklistHasOneRowPerPatientAndRuleAcrossYears() {
        var outcome = AuditOutcome()
        let mt = { (date: String, practitioner: String, lost: Int64) -> Finding in
            var item = self.finding("missing-mt-declaration", .likely, lost: lost, practitioner: practitioner, date: date,
                                    line: 3, kind: .missingMT, expected: "FPMT")
            item.patientRef = PatientRef("p-regulier")
            return item
        }
        outcome.findings = [mt("2025-01-05", "10000000009", 500), mt("2024-11-20", "10000000017", 600),
                            finding("missing-meg", .certain, lost: 500)]
        outcome.roster = Roster([RosterEntry(practitionerID: "10000000009", name: "Dr Test", specialty: nil, startDate: nil, endDate: nil)])
        let worklist = AuditTotals(outcome, options: options).mtWorklist
        XCTAssertEqual(worklist.count, 1)
        XCTAssertEqual(worklist.first?.forfaitCents, Cents(1100))
        XCTAssertEqual(worklist.first?.years, [2024, 2025])
        XCTAssertEqual(worklist.first?.year, 2025)
        XCTAssertEqual(worklist.first?.lastSeen, CalendarDay(year: 2025, month: 1, day: 5))
        XCTAssertEqual(worklist.first?.practitionerName, "Dr Test", "le médecin de l'année la plus récente")
        let html = HTMLReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        XCTAssertTrue(html.contains("<code>p-regulier</code>"))
        XCTAssertTrue(html.contains("2024, 2025"))
        XCTAssertTrue(html.contains("<td class=\"num\">—</td>"), "aucun montant facturé : pas de part perdue")
    }

    func testTheSameTotalsAppearInTextCSVAndHTML() {
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let lost = totals.lostCents.euros
        let text = TextReport.render(outcome, totals: totals, options: options, colors: false)
        XCTAssertTrue(text.contains(lost), text)
        XCTAssertFalse(text.contains("\u{1B}["), "pas de couleurs hors terminal")
        XCTAssertTrue(TextReport.render(outcome, totals: totals, options: options, colors: true).contains("\u{1B}["))
        let html = HTMLReport.render(outcome, totals: totals, options: options)
        XCTAssertTrue(html.contains(lost))
        XCTAssertTrue(html.contains(totals.possibleCents.euros))
        let csv = String(decoding: CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false, machineKeys: true),
                         as: UTF8.self)
        let rows = csv.split(separator: "\r\n").dropFirst()
        let lostColumn = 12
        let certaintyColumn = 2
        var sum: Int64 = 0
        for row in rows {
            let fields = row.split(separator: ";", omittingEmptySubsequences: false)
            if fields.count > lostColumn, fields[certaintyColumn] != "possible" { sum += Int64(fields[lostColumn]) ?? 0 }
        }
        XCTAssertEqual(sum, totals.lostCents.value)
        // The same sum from the euro export, read back as a spreadsheet would.
        let euroCSV = String(decoding: CSVReport.findings(outcome, totals: totals, options: options), as: UTF8.self)
        var euroSum = Cents.zero
        for row in euroCSV.split(separator: "\r\n").dropFirst() {
            let fields = row.split(separator: ";", omittingEmptySubsequences: false)
            if fields.count > lostColumn, fields[certaintyColumn] != "à vérifier" { euroSum += Cents(euros: String(fields[lostColumn])) ?? .zero }
        }
        XCTAssertEqual(euroSum, totals.lostCents)
        XCTAssertTrue(text.contains("à facturer : MEG"), text)
        XCTAssertTrue(text.contains("à obtenir : déclaration de médecin traitant (forfait FPMT)"), text)
        XCTAssertTrue(text.contains(totals.recoverableLostCents.euros))
        let json = JSONReport.render(outcome, totals: totals, options: options)
        XCTAssertTrue(json.contains("\"lost_cents\": \(totals.lostCents.value),"))
        let aggregates = String(decoding: CSVReport.aggregates(outcome, totals: totals, options: options, decimalComma: true), as: UTF8.self)
        XCTAssertTrue(aggregates.contains("total;;;50,50;30,00;5,00;5;1500,00"), aggregates)
    }

    func testHTMLIsSelfContainedWithChartsAndEscapedText() {
        let outcome = outcome()
        let html = HTMLReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<svg").count - 1, 3)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("http://"), "aucune ressource externe")
        XCTAssertFalse(html.contains("https://"), "aucune ressource externe")
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertTrue(html.contains("@page"))
        XCTAssertTrue(html.contains("MEG &lt;à retirer&gt; &amp; &quot;vite&quot;"), "le message est échappé, pas retiré")
        XCTAssertTrue(html.contains("3,4 %"), "5 050 / 150 000 = 3,37 %, arrondi à 3,4 %")
        XCTAssertTrue(html.contains(totals(outcome).recoverableLostCents.euros))
        XCTAssertTrue(html.contains("CSS art. L332-1"), "la source du délai figure dans la méthode")
        XCTAssertTrue(html.contains("<td class=\"num\">0,85 %</td>"), "850 / 100 000 facturés")
        XCTAssertTrue(html.contains("@media print"))
        XCTAssertTrue(html.contains("Dr Test"))
        XCTAssertTrue(html.contains("Ajouter la MEG."))
        XCTAssertFalse(html.contains("<à retirer>"))
    }

    func totals(_ outcome: AuditOutcome) -> AuditTotals { AuditTotals(outcome, options: options) }

    func testHTMLNamesRulesByTitleAndLabelsCodes() {
        var options = options
        options.ruleTitles = ["missing-meg": "MEG oubliée pour un enfant de moins de 6 ans",
                              "missing-mt-declaration": "Patient régulier sans médecin traitant déclaré"]
        options.codeLabels = ["MEG": "Majoration enfant du médecin généraliste", "FPMT": "Forfait patientèle médecin traitant"]
        let outcome = outcome()
        let html = HTMLReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options)
        XCTAssertTrue(html.contains("<tr><td>MEG oubliée pour un enfant de moins de 6 ans</td>"), html)
        XCTAssertTrue(html.contains("<tr><td>Patient régulier sans médecin traitant déclaré</td>"), html)
        XCTAssertFalse(html.contains(">missing-meg<"), "l'identifiant anglais n'est pas montré")
        XCTAssertTrue(html.contains("<tr><td><code>FPMT</code></td><td>Forfait patientèle médecin traitant</td>"), html)
        XCTAssertTrue(html.contains("<tr><td><code>MEG</code></td><td>Majoration enfant du médecin généraliste</td>"), html)
        XCTAssertTrue(html.contains("<tr><td><code>COE</code></td><td></td>"), "un code sans libellé reste nu, sans libellé inventé")
        XCTAssertTrue(html.contains("1 ligne n'a pas pu être auditée"), html)
    }

    /// One month is not a trend: `audit`'s page draws no month chart for it and says why.
    func testMonthChartOnlyWithSeveralMonths() {
        var outcome = AuditOutcome()
        outcome.findings = [finding("missing-meg", .certain, lost: 500)]
        outcome.billedByMonth = [YearMonth(year: 2025, month: 2): Cents(90_000)]
        var html = HTMLReport.render(outcome, totals: totals(outcome), options: options)
        XCTAssertFalse(html.contains("Manque à gagner par mois d&#39;acte"), "un seul mois : pas de graphique mois par mois")
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2, "praticiens et actes seulement")
        XCTAssertTrue(html.contains("tiennent dans un seul mois : la tendance apparaît quand ils en couvrent plusieurs"), html)

        // A month with acts but no finding still counts: it is part of the trend, at 0 €.
        outcome.billedByMonth[YearMonth(year: 2025, month: 1)] = Cents(60_000)
        html = HTMLReport.render(outcome, totals: totals(outcome), options: options)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3)
        XCTAssertTrue(html.contains("Manque à gagner par mois d&#39;acte"))
        XCTAssertTrue(html.contains(">janvier 2025</text>"), html)
        XCTAssertTrue(html.contains(">février 2025</text>"), html)
        XCTAssertFalse(html.contains("un seul mois"))
    }

    /// The print layout's fixed points: A4 with set margins, no forced break per section, the
    /// rules table's advice column given its width.
    func testHTMLLaysOutForA4() {
        let outcome = outcome()
        let html = HTMLReport.render(outcome, totals: totals(outcome), options: options)
        XCTAssertTrue(html.contains("@page { size: A4; margin: \(HTMLReport.pageMarginMillimetres)mm; }"))
        XCTAssertFalse(html.contains("page-break-before: always"), "un saut forcé par section laissait des demi-pages vides")
        XCTAssertTrue(html.contains("<table class=\"rules\">"))
        XCTAssertTrue(html.contains("<th class=\"advice\">Ce qu'il faut changer</th>"))
        XCTAssertTrue(html.contains("break-inside: avoid"))
    }

    func testTextListsTwentyFindingsThenSaysHowManyMore() {
        var outcome = AuditOutcome()
        outcome.findings = Findings((1...23).map { finding("missing-meg", .certain, lost: Int64($0), line: $0) })
        let text = TextReport.render(outcome, totals: totals(outcome), options: options, colors: false)
        // The HTML page has no list of findings: the text points to the outputs that have one.
        XCTAssertTrue(text.contains("… et 3 autres constats ; liste complète : --format csv (tableur) ou --format json"), text)
        XCTAssertTrue(text.contains("f.csv:23 "), "le plus gros montant est listé")
        XCTAssertFalse(text.contains("f.csv:3 "), "les plus petits ne le sont pas")
    }

    func testTextNamesRulesByTheirFrenchTitleWithTheIdInBrackets() {
        var options = options
        options.ruleTitles = ["missing-meg": "MEG oubliée pour un enfant de moins de 6 ans"]
        var outcome = AuditOutcome()
        outcome.findings = [finding("missing-meg", .certain, lost: 500), finding("coe-9-months", .possible, lost: 300, line: 3)]
        let text = TextReport.render(outcome, totals: AuditTotals(outcome, options: options), options: options, colors: false)
        XCTAssertTrue(text.contains("\n    MEG oubliée pour un enfant de moins de 6 ans [missing-meg]\n"), text)
        XCTAssertTrue(text.contains("\n    coe-9-months\n"), "sans titre dans le jeu de règles, l'identifiant seul : \(text)")
        XCTAssertFalse(text.contains("(missing-meg)"), text)
        XCTAssertTrue(text.contains("3,00 € (à vérifier)"), text)
    }

    func testTextWrapsAtWordBoundariesToTheWidthWithIndentedContinuations() {
        var outcome = outcome()
        let long = "Patient vu 3 fois en 2024 sans médecin traitant déclaré : proposer la déclaration (FPMT patient de moins de 80 ans en ALD, forfait de 46,00 € par an, à obtenir)."
        outcome.findings = [finding("missing-meg", .certain, lost: 500, message: long)]
        outcome.inputErrors = [InputIssue(file: "f.csv", line: 9, column: "amount", message: "montant invalide « 26,5O » : nombre en euros attendu, avec au plus deux décimales (26,50 ou 26.50)")]
        for width in [40, 60, 100] {
            for colors in [false, true] {
                let text = TextReport.render(outcome, totals: totals(outcome), options: options, colors: colors, width: width)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                for line in lines {
                    XCTAssertLessThanOrEqual(TextReport.visibleWidth(line), width, "ligne trop large (\(width)) : \(line)")
                }
                // Every word of the message is whole on some line: no word is cut in two.
                let words = Set(lines.flatMap { TextReport.stripped($0).split(separator: " ").map(String.init) })
                for word in long.split(separator: " ") where word != "€" && word != ":" {
                    XCTAssertTrue(words.contains { $0.contains(word) }, "mot coupé à \(width) colonnes : \(word)")
                }
                let start = lines.firstIndex { $0.hasPrefix("    Patient vu 3 fois") }
                XCTAssertNotNil(start, text)
                if let start { XCTAssertTrue(lines[start + 1].hasPrefix("      "), "la suite est décalée : \(lines[start + 1])") }
                XCTAssertFalse(lines.contains { TextReport.stripped($0).hasPrefix("      € ") || TextReport.stripped($0).hasSuffix(" 46,00") },
                               "le symbole € reste avec son montant")
            }
        }
        XCTAssertEqual(TextReport.wrap("  " + String(repeating: "x", count: 50) + " fin", width: 20),
                       ["  " + String(repeating: "x", count: 50), "    fin"], "un mot plus long que la ligne n'est pas coupé")
    }

    func testTextCapsRejectedLinesAndWarningsAndSaysWhereTheFullListIs() {
        var outcome = AuditOutcome()
        outcome.rejectedLines = 900
        outcome.inputErrors = (1...200).map { InputIssue(file: "f.csv", line: $0 + 1, column: "amount", message: "montant invalide") }
        outcome.omittedInputErrors = 700
        outcome.warnings = (1...25).map { InputIssue(file: "f.csv", line: $0 + 1, column: nil, message: "avertissement", severity: .warning) }
        let text = TextReport.render(outcome, totals: totals(outcome), options: options, colors: false)
        XCTAssertEqual(text.components(separatedBy: ": montant invalide").count - 1, TextReport.listLimit, text)
        XCTAssertTrue(text.contains("Lignes rejetées et fichiers illisibles (900)"), text)
        XCTAssertTrue(text.contains("… et 880 autres ; liste complète : relancer avec --all-issues FICHIER"), text)
        XCTAssertEqual(text.components(separatedBy: ": avertissement").count - 1, TextReport.listLimit)
        XCTAssertTrue(text.contains("… et 5 autres ; liste complète : relancer avec --all-issues FICHIER"), text)
        XCTAssertLessThan(text.split(separator: "\n").count, 70, "900 lignes rejetées ne font pas 900 lignes de rapport")
    }

    func csvRows(_ data: Data) -> [[String]] {
        String(decoding: data, as: UTF8.self).dropFirst().split(separator: "\r\n")
            .map { $0.split(separator: ";", omittingEmptySubsequences: false).map(String.init) }
    }

    func testCSVIsFrenchByDefault() {
        var options = options
        options.ruleTitles = ["missing-meg": "MEG oubliée pour un enfant de moins de 6 ans"]
        options.codeLabels = ["MEG": "Majoration enfant du médecin généraliste"]
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let rows = csvRows(CSVReport.findings(outcome, totals: totals, options: options))
        XCTAssertEqual(rows.first, ["Règle", "Type", "Certitude", "Fichier", "Ligne", "N° facture", "Date de l'acte", "RPPS praticien",
                                    "Praticien", "Patient (pseudonyme)", "Code facturé", "Code à facturer", "Manque à gagner (€)",
                                    "À risque (€)", "À refacturer (€)", "À obtenir (€)", "Encore facturable", "Message",
                                    "Identifiant de la règle"])
        let meg = rows.first { $0.last == "missing-meg" }
        XCTAssertEqual(meg?[0], "MEG oubliée pour un enfant de moins de 6 ans")
        XCTAssertEqual(meg?[1], "sous-cotation")
        XCTAssertEqual(meg?[2], "certain")
        XCTAssertEqual(meg?[6], "10/02/2025", "une date qu'un tableur français lit")
        XCTAssertEqual(meg?[12], "5,00")
        // Every kind and certainty is said in French.
        let values = Set(rows.dropFirst().flatMap { [$0[1], $0[2]] })
        XCTAssertEqual(values, ["sous-cotation", "sur-cotation", "médecin traitant non déclaré", "certain", "probable", "à vérifier"])
        for kind in FindingKind.allCases { XCTAssertNotEqual(kind.french, kind.rawValue) }
        XCTAssertEqual(Certainty.likely.french, "probable")
        XCTAssertEqual(csvRows(CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false)).first?[12],
                       "Manque à gagner (centimes)")

        let table = csvRows(CSVReport.aggregates(outcome, totals: totals, options: options))
        XCTAssertEqual(table.first, ["Section", "Clé", "Nom", "Manque à gagner (€)", "À vérifier (€)", "À risque (€)", "Constats",
                                     "Facturé (€)", "À refacturer (€)", "À obtenir (€)", "Encore facturable (€)"])
        XCTAssertEqual(Set(table.dropFirst().map { $0[0] }), ["total", "praticien", "acte", "règle", "mois", "praticien-mois"])
        XCTAssertEqual(table.first { $0[0] == "règle" && $0[1] == "missing-meg" }?[2], "MEG oubliée pour un enfant de moins de 6 ans")
        XCTAssertEqual(table.first { $0[0] == "acte" && $0[1] == "MEG" }?[2], "Majoration enfant du médecin généraliste")
    }

    func testCSVKeysKeepTheMachineKeysAndValues() {
        var options = options
        options.ruleTitles = ["missing-meg": "MEG oubliée pour un enfant de moins de 6 ans"]
        options.codeLabels = ["MEG": "Majoration enfant du médecin généraliste"]
        let outcome = outcome()
        let totals = AuditTotals(outcome, options: options)
        let rows = csvRows(CSVReport.findings(outcome, totals: totals, options: options, machineKeys: true))
        XCTAssertEqual(rows.first, ["rule", "kind", "certainty", "file", "line", "invoice_id", "act_date", "practitioner_id",
                                    "practitioner_name", "patient_ref", "code", "expected_code", "lost_eur", "at_risk_eur",
                                    "rebill_eur", "obtain_eur", "recoverable", "message"])
        XCTAssertEqual(rows.first { $0[0] == "missing-meg" }?[1...2], ["under-coding", "certain"])
        XCTAssertEqual(rows.first { $0[0] == "missing-meg" }?[6], "2025-02-10")
        XCTAssertEqual(Set(rows.dropFirst().flatMap { [$0[1], $0[2]] }),
                       ["under-coding", "over-coding", "missing-mt", "certain", "likely", "possible"])
        XCTAssertEqual(csvRows(CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false, machineKeys: true))
            .first?[12...15], ["lost_cents", "at_risk_cents", "rebill_cents", "obtain_cents"])
        let table = csvRows(CSVReport.aggregates(outcome, totals: totals, options: options, machineKeys: true))
        XCTAssertEqual(table.first, ["section", "key", "name", "lost_eur", "possible_eur", "at_risk_eur", "findings", "billed_eur",
                                     "rebill_eur", "obtain_eur", "recoverable_eur"])
        XCTAssertEqual(Set(table.dropFirst().map { $0[0] }), ["total", "practitioner", "act", "rule", "month", "practitioner-month"])
        XCTAssertEqual(table.first { $0[0] == "rule" }?[2], "", "les noms de règle et d'acte restent vides, comme avant")
        XCTAssertEqual(table.first { $0[0] == "act" }?[2], "")
    }

    func testCSVHasABOMAndQuotesFieldsWithDelimiters() {
        let outcome = outcome()
        let data = CSVReport.findings(outcome, totals: AuditTotals(outcome, options: options), options: options, decimalComma: true)
        XCTAssertEqual(Array(data.prefix(3)), [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"MEG <à retirer> & \"\"vite\"\"\nligne 2; fin\""))
        XCTAssertTrue(text.contains(";5,00;"))
        XCTAssertTrue(text.hasSuffix("\r\n"))
        XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }
}

final class CSVInjectionTests: XCTestCase {
    func testFieldsThatASpreadsheetWouldRunAsFormulasAreNeutralized() {
        var outcome = AuditOutcome()
        outcome.files = ["=HYPERLINK(\"x\").csv"]
        outcome.findings = [Finding(rule: "missing-meg", kind: .underCoding, certainty: .certain,
                                    location: SourceLocation(file: "=HYPERLINK(\"x\").csv", line: 2), invoiceID: "+F1",
                                    actDate: CalendarDay(year: 2025, month: 1, day: 2)!, practitionerID: "10000000009",
                                    patientRef: PatientRef("p-1"), code: "G", expectedCode: "MEG", lostCents: Cents(500),
                                    atRiskCents: .zero, message: "@cmd")]
        let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 1, day: 3)!, recoverableWindowDays: 730,
                                    recoverableWindowSource: "", centreName: nil, ruleAdvice: [:])
        let text = String(decoding: CSVReport.findings(outcome, totals: AuditTotals(outcome, options: options), options: options,
                                                       decimalComma: true), as: UTF8.self)
        XCTAssertTrue(text.contains(";\"'=HYPERLINK(\"\"x\"\").csv\";"), text)
        XCTAssertTrue(text.contains(";'+F1;"), text)
        XCTAssertTrue(text.contains(";'@cmd"), text)
        XCTAssertEqual(CSVReport.neutralized("-3,50"), "-3,50", "un montant négatif reste un nombre")
        XCTAssertEqual(CSVReport.neutralized("-cmd"), "'-cmd")
    }
}
