@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// Outputs built from outcomes no validated export can produce (amounts at the edge of Int64,
/// text full of control bytes and formula starters): every format must render, and render safely.
final class HostileOutputTests: XCTestCase {
    let options = ReportOptions(asOf: CalendarDay(year: 2025, month: 3, day: 31)!, recoverableWindowDays: 730,
                                recoverableWindowSource: "test", centreName: "Centre", ruleAdvice: [:])

    func finding(_ rule: String, _ certainty: Certainty = .certain, lost: Int64, atRisk: Int64 = 0, practitioner: String = "10000000009",
                 date: String = "2025-02-10", line: Int, code: String = "G", invoice: String? = nil, message: String = "message") -> Finding {
        Finding(rule: rule, kind: .underCoding, certainty: certainty, location: SourceLocation(file: "f.csv", line: line),
                invoiceID: invoice ?? "F\(line)", actDate: CalendarDay(parsing: date)!, practitionerID: practitioner,
                patientRef: PatientRef("p-\(line)"), code: code, expectedCode: "MEG", lostCents: Cents(lost),
                atRiskCents: Cents(atRisk), message: message)
    }

    /// Every output format the tool writes, for one outcome.
    func renderEverything(_ outcome: AuditOutcome) -> [String: String] {
        let totals = AuditTotals(outcome, options: options)
        return [
            "json": JSONReport.render(outcome, totals: totals, options: options),
            "text": TextReport.render(outcome, totals: totals, options: options, colors: true),
            "csv": String(decoding: CSVReport.findings(outcome, totals: totals, options: options), as: UTF8.self),
            "csv-cents": String(decoding: CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false), as: UTF8.self),
            "csv-totals": String(decoding: CSVReport.aggregates(outcome, totals: totals, options: options), as: UTF8.self),
            "html": HTMLReport.render(outcome, totals: totals, options: options),
            "junit": JUnitReport.render(outcome, verdict: CheckGate(maxLost: Cents(100)).decide(outcome), rules: ["missing-meg"]),
            "json-check": JSONReport.render(outcome, totals: totals, options: options, verdict: CheckGate(maxLost: Cents(100)).decide(outcome)),
        ]
    }

    func testAmountsAtTheEdgeOfInt64RenderInEveryFormatWithSaturatedTotals() throws {
        let huge = Int64.max - 7
        var outcome = AuditOutcome()
        outcome.files = ["f.csv"]
        // Lost, possible and at-risk amounts whose sums overflow many times over, in several months,
        // practitioners and rules; one line of a practitioner who billed almost nothing, so that the
        // share of revenue lost (lost × 10 000 / billed) overflows too.
        var findings = (0..<93).map { index in
            finding(index % 2 == 0 ? "missing-meg" : "tariff-below-schedule", index % 3 == 0 ? .possible : .certain,
                    lost: index == 5 ? -huge : huge, atRisk: huge, practitioner: index % 2 == 0 ? "10000000009" : "10000000017",
                    date: index % 2 == 0 ? "2025-01-10" : "2025-02-10", line: index + 2)
        }
        findings.append(finding("missing-mt-declaration", lost: huge, line: 200))
        findings[findings.count - 1].kind = .missingMT
        findings.append(finding("missing-mt-declaration", lost: huge, date: "2024-01-10", line: 201))
        findings[findings.count - 1].kind = .missingMT
        findings[findings.count - 1].patientRef = PatientRef("p-200")
        outcome.findings = Findings(findings)
        outcome.billedByPractitioner = ["10000000009": Cents(huge), "10000000017": Cents(huge), "10000000025": Cents(1)]
        outcome.billedByMonth = [YearMonth(year: 2025, month: 1): Cents(huge), YearMonth(year: 2025, month: 2): Cents(huge)]
        outcome.acts = 93
        outcome.invoices = 93
        outcome.firstActDate = CalendarDay(year: 2024, month: 1, day: 10)
        outcome.lastActDate = CalendarDay(year: 2025, month: 2, day: 10)

        let totals = AuditTotals(outcome, options: options)
        XCTAssertEqual(totals.lostCents, .max)
        XCTAssertEqual(totals.atRiskCents, .max)
        XCTAssertEqual(totals.billedCents, .max)
        XCTAssertEqual(totals.mtWorklist.first?.forfaitCents, .max, "le forfait de deux années sature aussi")
        XCTAssertEqual(totals.byPractitioner.first { $0.key == "10000000009" }?.lostShareBasisPoints, 10_000,
                       "part perdue : perdu × 10 000 passe par 128 bits")
        XCTAssertEqual(CheckGate(maxLost: Cents(100)).decide(outcome).lostCents, .max)

        let outputs = renderEverything(outcome)
        XCTAssertEqual(outputs.count, 8)
        XCTAssertTrue(outputs["json"]!.contains("\"lost_cents\": \(Int64.max)"), "le JSON écrit la borne, en entier")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(outputs["json"]!.utf8)))
        XCTAssertTrue(outputs["text"]!.contains(Cents.max.euros))
        XCTAssertTrue(outputs["html"]!.contains("<svg"), "les graphiques sont dessinés")
        XCTAssertFalse(["=\"nan\"", "=\"inf\"", "=\"-inf\""].contains { outputs["html"]!.contains($0) }, "pas de coordonnée non finie dans le SVG")
        XCTAssertTrue(outputs["csv-totals"]!.contains(Cents.max.plainEuros.replacingOccurrences(of: ".", with: ",")))
        XCTAssertTrue(outputs["junit"]!.contains("au-delà du seuil"))
    }

    func testChartAxisForAmountsBeyondTheLastRoundNumber() {
        XCTAssertEqual(SVGChart.niceMaximum(.max), .max, "pas de nombre rond au-dessus : l'axe va jusqu'à la valeur")
        XCTAssertEqual(SVGChart.niceMaximum(Cents(Int64.max / 3)), Cents(5_000_000_000_000_000_000))
        XCTAssertEqual(SVGChart.niceMaximum(Cents(1_234)), Cents(2_000))
        XCTAssertEqual(SVGChart.f(.infinity), "0")
        XCTAssertEqual(SVGChart.f(12.345), "12.3")
        let chart = SVGChart.columns([SVGChart.Bar(label: "a", value: .max), SVGChart.Bar(label: "b", value: .min)], title: "t")
        XCTAssertTrue(chart.hasPrefix("<svg"))
    }

    func testEveryCSVCellThatASpreadsheetWouldRunIsNeutralizedButAmountsStayNumbers() {
        var outcome = AuditOutcome()
        outcome.files = ["f.csv"]
        let hostile = ["-2+3+cmd|' /C calc'!A0", "=1+1", "+33 6 12", "@SUM(A1)", "\tcmd", "\rcmd", " =1", "-1,5;x", "\u{FF1D}1+1", "-"]
        outcome.findings = Findings(hostile.enumerated().map { index, text in
            finding("missing-meg", lost: -350, atRisk: 0, line: index + 2, code: text, invoice: text, message: text)
        })
        outcome.billedByPractitioner = ["-2+3": Cents(-100)]
        let totals = AuditTotals(outcome, options: options)
        for table in [CSVReport.findings(outcome, totals: totals, options: options),
                      CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false),
                      CSVReport.aggregates(outcome, totals: totals, options: options)] {
            let text = String(decoding: table, as: UTF8.self)
            for cell in cells(text) {
                guard let first = cell.unicodeScalars.first(where: { $0 != " " }) else { continue }
                if CSVReport.formulaStarters.contains(first) {
                    XCTAssertTrue(CSVReport.isPlainNumber(cell), "cellule qui serait exécutée : \(cell)")
                }
            }
        }
        XCTAssertTrue(String(decoding: CSVReport.aggregates(outcome, totals: totals, options: options), as: UTF8.self).contains(";'-2+3;"))
        let findings = String(decoding: CSVReport.findings(outcome, totals: totals, options: options), as: UTF8.self)
        XCTAssertTrue(findings.contains("'-2+3+cmd|' /C calc'!A0"), findings)
        XCTAssertTrue(findings.contains(";-3,50;0,00;"), "les montants écrits par l'outil restent des nombres : \(findings)")
        let cents = String(decoding: CSVReport.findings(outcome, totals: totals, options: options, decimalComma: false), as: UTF8.self)
        XCTAssertTrue(cents.contains(";-350;0;"), cents)
        XCTAssertEqual(CSVReport.neutralized("-3,50"), "-3,50")
        XCTAssertEqual(CSVReport.neutralized("-2+3"), "'-2+3")
        XCTAssertEqual(CSVReport.neutralized("-1,5,5"), "'-1,5,5")
        XCTAssertEqual(CSVReport.neutralized("-"), "'-")
        XCTAssertEqual(CSVReport.neutralized("F-2"), "F-2")
    }

    /// The cells of a `;` CSV with RFC 4180 quoting, unquoted.
    func cells(_ text: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" { cell.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                } else {
                    cell.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" && cell.isEmpty {
                quoted = true
            } else if scalar == ";" || scalar == "\n" {
                cells.append(cell)
                cell = ""
            } else if scalar != "\r" && scalar != "\u{FEFF}" {
                cell.unicodeScalars.append(scalar)
            }
        }
        return cells
    }

    func testControlCharactersFromAnExportAreEscapedInTheTextReport() {
        var outcome = AuditOutcome()
        outcome.files = ["f\u{1B}[2J.csv"]
        let code = "G\u{1B}]0;pwned\u{07}\u{1B}[31m"
        var overCoding = finding("missing-meg", lost: 500, line: 2, code: code, invoice: "F\r1\u{9B}2J", message: "code \(code) \u{202E}cba")
        overCoding.kind = .overCoding
        outcome.findings = [overCoding]
        outcome.inputErrors = [InputIssue(file: "f.csv", line: 3, column: "code", message: "code inconnu « A\u{7F}\u{1B}[1A\nfaux »")]
        outcome.warnings = [InputIssue(file: "f.csv", line: 4, column: nil, message: "colonne \u{1B}c ignorée", severity: .warning)]
        let totals = AuditTotals(outcome, options: options)
        for colors in [false, true] {
            let text = TextReport.render(outcome, totals: totals, options: options, colors: colors)
            // With colours on, the report's own SGR sequences (ESC [ digits m) are the only ESC left.
            let stripped = text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            let controls = stripped.unicodeScalars.filter { $0 != "\n" && TerminalText.isControl($0) }
            XCTAssertTrue(controls.isEmpty, "octets de contrôle bruts : \(controls.map(\.value))")
            XCTAssertEqual(stripped.split(separator: "\n").filter { $0.contains("faux") }.count, 1, "pas de fausse ligne")
            XCTAssertTrue(text.contains("G\\x1B]0;pwned\\x07\\x1B[31m"), text)
            XCTAssertTrue(text.contains("F\\x0D1\\u009B2J"), text)
            XCTAssertTrue(text.contains("\\u202Ecba"), text)
            XCTAssertTrue(text.contains("A\\x7F\\x1B[1A\\x0Afaux"), text)
            if !colors { XCTAssertFalse(text.unicodeScalars.contains("\u{1B}")) }
        }
        XCTAssertEqual(TerminalText.escaped("Dr Müller — 26,50 €"), "Dr Müller — 26,50 €", "le texte ordinaire ne change pas")
    }
}
