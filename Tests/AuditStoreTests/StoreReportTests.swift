import AuditReport
import AuditRules
import BillingIngest
import BillingModel
import Foundation
import GRDB
import XCTest
@testable import AuditStore

/// What the store gives the director, the front desk and the person who runs the nights: the
/// report's trend and fixes, the worklist and the history.
final class StoreReportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-store-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func makeRunner() throws -> AuditRunner {
        let ruleSet = try RuleSetLoader.load(directory: StoreTests.root.appendingPathComponent("Rules"))
        let roster = try RosterReader.read(url: folder.appendingPathComponent("roster.csv")).0
        return AuditRunner(ruleSet: ruleSet, roster: roster, pseudonymizer: Pseudonymizer(key: StoreTests.key))
    }

    func openStore() throws -> AuditStore {
        try AuditStore(path: folder.appendingPathComponent("store/cotaudit.sqlite").path,
                       pseudonymCheck: Pseudonymizer(key: StoreTests.key).ref(for: "check").value)
    }

    func reportOptions(_ runner: AuditRunner) -> ReportOptions {
        ReportOptions(asOf: CalendarDay(year: 2027, month: 1, day: 15)!, recoverableWindowDays: runner.ruleSet.recoverableWindowDays,
                      recoverableWindowSource: runner.ruleSet.recoverableWindowSource, centreName: nil, ruleAdvice: [:])
    }

    /// Noon, local time, on a day of 2026: the night a file is audited, for the store's clock.
    static func noon(_ month: Int, _ day: Int) -> Date {
        Calendar.current.date(from: DateComponents(year: YearGenerator.year, month: month, day: day, hour: 12))!
    }

    func month(_ number: Int) -> YearMonth { YearMonth(year: YearGenerator.year, month: number) }

    func wholeYear(_ store: AuditStore) throws -> [Finding] {
        try store.outcome(from: month(1), to: month(12), ruleSetName: "", ruleSetVersion: "", roster: nil).findings.map { $0 }
    }

    /// The findings of `before` that are not in `after`, one for one by identity: what went.
    func went(_ before: [Finding], _ after: [Finding]) -> [Finding] {
        var remaining: [String: Int] = [:]
        for finding in after { remaining[finding.fingerprint, default: 0] += 1 }
        return before.filter { finding in
            guard let left = remaining[finding.fingerprint], left > 0 else { return true }
            remaining[finding.fingerprint] = left - 1
            return false
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// RFC 4180 rows of the CSV the tool writes (`;`, BOM, CRLF).
    func csvRows(_ data: Data) -> [[String]] {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false, previousQuote = false
        for character in text {
            if quoted {
                if character == "\"" { quoted = false; previousQuote = true } else { field.append(character) }
                continue
            }
            switch character {
            case "\"": if previousQuote { field.append("\"") }; quoted = true
            case ";": row.append(field); field = ""
            case "\r\n", "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.append(character)
            }
            previousQuote = false
        }
        return rows
    }

    func testTheReportFromTheStoreShowsTheTrendOfEveryMonthHeldUpToThePeriod() throws {
        let generator = YearGenerator(patients: 40, invoicesPerMonth: 30)
        let months = try generator.write(to: folder)
        let runner = try makeRunner()
        let options = reportOptions(runner)
        let store = try openStore()

        // One month held: no trend yet, in any format that draws one.
        _ = try store.nightly(paths: [months[0].path], runner: runner)
        let alone = try store.trendAndFixes(from: month(1), to: month(1), options: options)
        XCTAssertEqual(alone.months.map(\.key), ["2026-01"])
        XCTAssertFalse(alone.showsTrend)
        let january = try store.outcome(from: month(1), to: month(1), ruleSetName: "r", ruleSetVersion: "1", roster: runner.roster)
        let aloneHTML = HTMLReport.render(january, totals: AuditTotals(january, options: options), options: options, trendAndFixes: alone)
        XCTAssertTrue(aloneHTML.contains("ne tient qu'un mois"))
        XCTAssertFalse(aloneHTML.contains("mois tenus par la base de suivi"))

        for file in months[1...3] { _ = try store.nightly(paths: [file.path], runner: runner) }

        // The March report: January to March, April held but after the period, left out.
        let trend = try store.trendAndFixes(from: month(3), to: month(3), options: options)
        XCTAssertEqual(trend.months.map(\.key), ["2026-01", "2026-02", "2026-03"])
        XCTAssertTrue(trend.showsTrend)
        // Each month as one audit of the four files counts it.
        let (single, _) = runner.run(paths: months[0...3].map(\.path))
        let expected = AuditTotals(single, options: options).byMonth.filter { $0.key <= "2026-03" }
        XCTAssertEqual(trend.months, expected)
        XCTAssertTrue(trend.months.allSatisfy { $0.lostCents > .zero && $0.billedCents > .zero }, "every month has money to show")
        XCTAssertGreaterThan(trend.months.map(\.obtainCents).sum(), .zero, "the médecin traitant forfaits are in the trend")

        let march = try store.outcome(from: month(3), to: month(3), ruleSetName: "r", ruleSetVersion: "1", roster: runner.roster)
        let totals = AuditTotals(march, options: options)

        let document = try json(JSONReport.render(march, totals: totals, options: options, trendAndFixes: trend))
        let rows = try XCTUnwrap(document["trend"] as? [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["month"] as? String }, ["2026-01", "2026-02", "2026-03"])
        XCTAssertEqual(rows.compactMap { ($0["lost_cents"] as? NSNumber)?.int64Value }, expected.map(\.lostCents.value))
        XCTAssertEqual(rows.compactMap { ($0["rebill_cents"] as? NSNumber)?.int64Value }, expected.map(\.rebillCents.value))
        XCTAssertEqual(rows.compactMap { ($0["obtain_cents"] as? NSNumber)?.int64Value }, expected.map(\.obtainCents.value))
        XCTAssertEqual(rows.compactMap { ($0["billed_cents"] as? NSNumber)?.int64Value }, expected.map(\.billedCents.value))
        // `audit`'s document is unchanged: no store keys without the store.
        let auditDocument = try json(JSONReport.render(march, totals: totals, options: options))
        XCTAssertNil(auditDocument["trend"])
        XCTAssertNil(auditDocument["fixed_by_practitioner"])

        let text = TextReport.render(march, totals: totals, options: options, colors: false, trendAndFixes: trend)
        XCTAssertTrue(text.contains("Tendance des mois tenus"))
        for line in expected {
            let label = YearMonth(parsing: line.key)!.french
            let row = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("  \(label)") }, "no trend line for \(label)")
            XCTAssertTrue(row.contains("manque à gagner \(line.lostCents.euros) sur \(line.billedCents.euros) facturés"), String(row))
        }
        XCTAssertFalse(text.contains("avril 2026"), "a month after the period is not in its trend")

        let html = HTMLReport.render(march, totals: totals, options: options, trendAndFixes: trend)
        XCTAssertTrue(html.contains("mois tenus par la base de suivi"))
        for line in expected {
            XCTAssertTrue(html.contains("<tr><td>\(YearMonth(parsing: line.key)!.french)</td><td class=\"num\">\(line.lostCents.euros)</td>"))
        }

        let csv = csvRows(CSVReport.aggregates(march, totals: totals, options: options, decimalComma: false, machineKeys: true,
                                               trendAndFixes: trend))
        let trendRows = csv.filter { $0.first == "trend" }
        XCTAssertEqual(trendRows.map { $0[1] }, ["2026-01", "2026-02", "2026-03"])
        XCTAssertEqual(trendRows.map { Int64($0[3]) }, expected.map(\.lostCents.value))
        XCTAssertEqual(trendRows.map { Int64($0[7]) }, expected.map(\.billedCents.value))
        // The same rows for a French spreadsheet, under a French section name.
        let french = csvRows(CSVReport.aggregates(march, totals: totals, options: options, decimalComma: false, trendAndFixes: trend))
        XCTAssertEqual(french.filter { $0.first == "tendance" }.map { $0[1] }, ["2026-01", "2026-02", "2026-03"])
    }

    func testFixedSinceThePreviousMonthPerPractitionerAfterCorrectedReExports() throws {
        let generator = YearGenerator(patients: 40, invoicesPerMonth: 30)
        let months = try generator.write(to: folder)
        let runner = try makeRunner()
        let options = reportOptions(runner)
        let store = try openStore()
        func night(_ date: Date, _ paths: [URL]) throws {
            store.clock = { date }
            _ = try store.nightly(paths: paths.map(\.path), runner: runner)
        }
        func corrected(_ number: Int) throws -> URL {
            let url = folder.appendingPathComponent("corrections/\(YearGenerator.year)-0\(number)-corrige.csv")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try generator.month(number, corrected: true).write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        try night(Self.noon(5, 5), Array(months[0...3]))
        // In May, the staff correct March; in June, April; in July, May (after the June report's period).
        var before = try wholeYear(store)
        try night(Self.noon(5, 20), [try corrected(3)])
        let fixedInMay = went(before, try wholeYear(store))
        try night(Self.noon(6, 5), [months[4]])
        before = try wholeYear(store)
        try night(Self.noon(6, 18), [try corrected(4)])
        let fixedInJune = went(before, try wholeYear(store))
        try night(Self.noon(7, 2), [months[5]])
        try night(Self.noon(7, 10), [try corrected(5)])
        XCTAssertFalse(fixedInMay.isEmpty)
        XCTAssertFalse(fixedInJune.isEmpty)

        struct Tally: Equatable { var findings = 0; var lost = Cents.zero; var atRisk = Cents.zero }
        func tally(_ findings: [Finding]) -> [String: Tally] {
            var table: [String: Tally] = [:]
            for finding in findings {
                table[finding.practitionerID, default: Tally()].findings += 1
                if finding.certainty.countsAsLost { table[finding.practitionerID, default: Tally()].lost += finding.lostCents }
                table[finding.practitionerID, default: Tally()].atRisk += finding.atRiskCents
            }
            return table
        }
        let june = try store.trendAndFixes(from: month(6), to: month(6), options: options)
        XCTAssertEqual(june.previousMonth, month(5))
        let inPeriod = Dictionary(uniqueKeysWithValues: june.fixedByPractitioner.map {
            ($0.practitionerID, Tally(findings: $0.period.findings, lost: $0.period.lostCents, atRisk: $0.period.atRiskCents))
        }).filter { $0.value.findings > 0 }
        let inPreviousMonth = Dictionary(uniqueKeysWithValues: june.fixedByPractitioner.map {
            ($0.practitionerID, Tally(findings: $0.previousMonth.findings, lost: $0.previousMonth.lostCents, atRisk: $0.previousMonth.atRiskCents))
        }).filter { $0.value.findings > 0 }
        XCTAssertEqual(inPeriod, tally(fixedInJune), "June: what the corrected April took away, not July's correction of May")
        XCTAssertEqual(inPreviousMonth, tally(fixedInMay), "May: what the corrected March took away")
        XCTAssertGreaterThanOrEqual(inPeriod.count, 2, "fixes are credited to several practitioners")
        XCTAssertTrue(inPeriod.values.contains { $0.lost > .zero })

        // A period of two months counts the fixes of both, against April (none).
        let mayJune = try store.trendAndFixes(from: month(5), to: month(6), options: options)
        XCTAssertEqual(mayJune.fixedByPractitioner.map(\.period.findings).reduce(0, +), fixedInMay.count + fixedInJune.count)
        XCTAssertEqual(mayJune.fixedByPractitioner.map(\.previousMonth.findings).reduce(0, +), 0)

        // In the formats: the roster's names, this month and the month before.
        let outcome = try store.outcome(from: month(6), to: month(6), ruleSetName: "r", ruleSetVersion: "1", roster: runner.roster)
        let totals = AuditTotals(outcome, options: options)
        let top = june.fixedByPractitioner[0]
        let topName = try XCTUnwrap(runner.roster?.name(of: top.practitionerID))
        // Wide enough that no line wraps: this checks what a line says, not where it breaks.
        let text = TextReport.render(outcome, totals: totals, options: options, colors: false, width: 1_000, trendAndFixes: june)
        XCTAssertTrue(text.contains("Corrigé par des exports rectifiés audités en juin 2026, par praticien (mois précédent : mai 2026)"), text)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("\(topName) (\(top.practitionerID))") && $0.contains("mois précédent") })
        XCTAssertTrue(line.contains("\(FrenchText.count(top.period.findings, "constat")), manque à gagner \(top.period.lostCents.euros)"), String(line))
        XCTAssertTrue(line.contains("mois précédent : \(FrenchText.count(top.previousMonth.findings, "constat")), manque à gagner \(top.previousMonth.lostCents.euros)"), String(line))

        let document = try json(JSONReport.render(outcome, totals: totals, options: options, trendAndFixes: june))
        let period = try XCTUnwrap(document["fixed_period"] as? [String: Any])
        XCTAssertEqual(period["from"] as? String, "2026-06")
        XCTAssertEqual(period["previous_month"] as? String, "2026-05")
        let fixedRows = try XCTUnwrap(document["fixed_by_practitioner"] as? [[String: Any]])
        XCTAssertEqual(fixedRows.count, june.fixedByPractitioner.count)
        for row in fixedRows {
            let id = try XCTUnwrap(row["practitioner_id"] as? String)
            XCTAssertEqual((row["findings"] as? NSNumber)?.intValue, tally(fixedInJune)[id]?.findings ?? 0)
            XCTAssertEqual((row["lost_cents"] as? NSNumber)?.int64Value, tally(fixedInJune)[id]?.lost.value ?? 0)
            let previous = try XCTUnwrap(row["previous_month"] as? [String: Any])
            XCTAssertEqual((previous["findings"] as? NSNumber)?.intValue, tally(fixedInMay)[id]?.findings ?? 0)
            XCTAssertEqual(row["name"] as? String, runner.roster?.name(of: id))
        }

        let html = HTMLReport.render(outcome, totals: totals, options: options, trendAndFixes: june)
        XCTAssertTrue(html.contains("Corrigé par des exports rectifiés audités en juin 2026, par rapport à mai 2026"))
        XCTAssertTrue(html.contains("<tr><td>\(topName)</td><td class=\"num\">\(top.period.findings)</td><td class=\"num\">\(top.period.lostCents.euros)</td>"))

        let csv = csvRows(CSVReport.aggregates(outcome, totals: totals, options: options, decimalComma: false, machineKeys: true,
                                               trendAndFixes: june))
        let csvTop = try XCTUnwrap(csv.first { $0.first == "fixed" && $0[1] == "\(top.practitionerID) 2026-06" })
        XCTAssertEqual(csvTop[2], topName)
        XCTAssertEqual(csvTop[6], String(top.period.findings))
        XCTAssertEqual(csvTop[3], String(top.period.lostCents.value))
        let csvPrevious = try XCTUnwrap(csv.first { $0.first == "fixed-previous-month" && $0[1] == "\(top.practitionerID) 2026-05" })
        XCTAssertEqual(csvPrevious[6], String(top.previousMonth.findings))
    }

    func testTheWorklistGivesInvoiceNumbersAndLastVisitsNeverAPatientNumberOrBirthDate() throws {
        let generator = YearGenerator(patients: 40, invoicesPerMonth: 30)
        let months = Array(try generator.write(to: folder)[0...3])
        let runner = try makeRunner()
        let store = try openStore()
        for file in months { _ = try store.nightly(paths: [file.path], runner: runner) }

        // What the exports say, by pseudonym: each patient's invoices and latest visit, ids and birth dates.
        var invoicesOf: [String: Set<String>] = [:]
        var lastVisitOf: [String: String] = [:]
        var patientIDs: Set<String> = [], birthDates: Set<String> = []
        for file in months {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst() {
                let cells = line.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                let ref = runner.pseudonymizer.ref(for: cells[4]).value
                invoicesOf[ref, default: []].insert(cells[0])
                lastVisitOf[ref] = max(lastVisitOf[ref] ?? "", cells[1])
                patientIDs.insert(cells[4])
                birthDates.insert(cells[5])
            }
        }

        let data = FrontDeskWorklist.csv(try store.worklist(from: month(1), to: month(4)), roster: runner.roster)
        let rows = csvRows(data)
        XCTAssertEqual(rows.first, ["À faire", "Patient (pseudonyme)", "Praticien (RPPS)", "Nom du praticien", "Factures", "Dernière visite",
                                    "Règles", "Montant en jeu (€)", "Détail"])
        let items = rows.dropFirst()
        XCTAssertTrue(items.contains { $0[0] == "Obtenir la déclaration de médecin traitant" })
        XCTAssertTrue(items.contains { $0[0] == "Corriger la facture" })
        for row in items {
            let invoices = row[4].components(separatedBy: ", ")
            XCTAssertFalse(invoices.isEmpty)
            XCTAssertTrue(Set(invoices).isSubset(of: invoicesOf[row[1]] ?? []), "invoices of another patient: \(row)")
            let last = try XCTUnwrap(CalendarDay(parsing: lastVisitOf[row[1]] ?? ""))
            XCTAssertEqual(row[5], last.french, "the last visit held for \(row[1])")
        }

        // The patient seen once in March and once in April: a declaration to obtain, both invoices.
        let marchApril = runner.pseudonymizer.ref(for: YearGenerator.marchAprilPatient).value
        let declaration = try XCTUnwrap(items.first { $0[1] == marchApril })
        XCTAssertEqual(declaration[0], "Obtenir la déclaration de médecin traitant")
        XCTAssertEqual(declaration[4], "F202603-1, F202604-1")
        XCTAssertEqual(declaration[6], "missing-mt-declaration")

        let text = String(decoding: data, as: UTF8.self)
        XCTAssertFalse(text.contains("PAT-"), "a patient number reached the worklist")
        for id in patientIDs { XCTAssertFalse(text.contains(id), "\(id) reached the worklist") }
        for birth in birthDates {
            XCTAssertFalse(text.contains(birth), "a birth date reached the worklist")
            if let day = CalendarDay(parsing: birth) { XCTAssertFalse(text.contains(day.french), "a birth date reached the worklist") }
        }
    }

    func testHistoryListsRunsAndFilesWithTheirTotalsInAgreeingFrench() throws {
        let generator = YearGenerator(patients: 20, invoicesPerMonth: 12)
        let months = try generator.write(to: folder)
        let runner = try makeRunner()
        let store = try openStore()
        store.clock = { Self.noon(3, 2) }
        let first = try store.nightly(paths: [months[0].path, months[1].path], runner: runner)
        store.clock = { Self.noon(3, 3) }
        _ = try store.nightly(paths: [months[0].path], runner: runner)
        // A corrected re-export of one invoice of one act: the singulars.
        let january = try String(contentsOf: months[0], encoding: .utf8).split(separator: "\n")
        let firstInvoice = try XCTUnwrap(january.first { $0.hasPrefix("F202601-1;") && $0.contains(";G;") })
        let correction = folder.appendingPathComponent("correction.csv")
        try "\(YearGenerator.header)\n\(firstInvoice.replacingOccurrences(of: ";G;26.50", with: ";G;30.00"))\n"
            .write(to: correction, atomically: true, encoding: .utf8)
        store.clock = { Self.noon(3, 4) }
        let third = try store.nightly(paths: [correction.path], runner: runner)
        // A run killed before its end: no finish, no counts.
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO run (started_at, rule_set) VALUES (?, 'r')", arguments: [StoreClock.stamp(Self.noon(3, 5))])
        }

        let text = HistoryText.render(try store.history(), storePath: store.path)
        let lines = text.split(separator: "\n").map(String.init)
        let ruleSet = "\(runner.ruleSet.name) \(runner.ruleSet.version)"
        XCTAssertEqual(lines[0], "Passage 4 du 05/03/2026 12:00 — interrompu (les fichiers enregistrés sont gardés) — r")
        XCTAssertEqual(lines[1], "Passage 3 du 04/03/2026 12:00 — terminé le 04/03/2026 12:00 — \(ruleSet)")
        XCTAssertEqual(lines[2], "  1 fichier audité, 0 identique ignoré, 0 illisible")
        guard case .recorded(let fixed) = third.files[0] else { return XCTFail("the correction was not recorded") }
        let day = String(firstInvoice.split(separator: ";")[1])
        let french = CalendarDay(parsing: day)!.french
        XCTAssertEqual(lines[3], "  • correction.csv : 1 facture, 1 acte, 30,00 € facturés, actes du \(french) au \(french), remplace 1 facture ; "
                       + "constats : \(FrenchText.count(fixed.newFindings, "nouveau", "nouveaux")), \(FrenchText.count(fixed.fixedFindings, "corrigé"))")
        XCTAssertEqual(lines[4], "Passage 2 du 03/03/2026 12:00 — terminé le 03/03/2026 12:00 — \(ruleSet)")
        XCTAssertEqual(lines[5], "  0 fichier audité, 1 identique ignoré, 0 illisible")
        XCTAssertEqual(lines[6], "Passage 1 du 02/03/2026 12:00 — terminé le 02/03/2026 12:00 — \(ruleSet)")
        XCTAssertEqual(lines[7], "  2 fichiers audités, 0 identique ignoré, 0 illisible")
        for (index, file) in first.files.enumerated() {
            guard case .recorded(let recorded) = file else { return XCTFail("\(months[index].lastPathComponent) not recorded") }
            XCTAssertTrue(lines[8 + index].hasPrefix("  • \(months[index].lastPathComponent) : 12 factures, \(recorded.acts) actes, "), lines[8 + index])
            XCTAssertTrue(lines[8 + index].hasSuffix("constats : \(FrenchText.count(recorded.newFindings, "nouveau", "nouveaux")), 0 corrigé"), lines[8 + index])
        }
        XCTAssertEqual(lines.count, 10)
        XCTAssertNil(text.range(of: #"(^|[^0-9])[01] [a-zéè]+s\b"#, options: .regularExpression), "a singular count with a plural word: \(text)")
        XCTAssertEqual(HistoryText.render([], storePath: "/tmp/x.sqlite"), "Aucun passage enregistré dans /tmp/x.sqlite.\n")
    }

    /// A rejected line of a French export: the report from the store names the column as the file
    /// does (`Montant`), as `audit` of the same file does, not as the contract does (`amount`).
    func testTheReportFromTheStoreNamesTheColumnAsTheFileDoes() throws {
        let ruleSet = try RuleSetLoader.load(directory: StoreTests.root.appendingPathComponent("Rules"))
        let profile = try MappingProfile.load(named: "export-fr", in: StoreTests.root.appendingPathComponent("Rules/profiles"))
        let runner = AuditRunner(ruleSet: ruleSet, profile: profile, pseudonymizer: Pseudonymizer(key: StoreTests.key))
        let doctor = YearGenerator.doctors[0]
        let export = folder.appendingPathComponent("fevrier.csv")
        try """
            N° facture;Date de l'acte;RPPS;Spécialité;NIR;Date de naissance;Code acte;Montant
            F1;05/02/2026;\(doctor);01;P0001;01/01/1980;G;30,00
            F2;05/02/2026;\(doctor);01;P0002;01/01/1980;G;trente

            """.write(to: export, atomically: true, encoding: .utf8)
        let store = try openStore()
        _ = try store.nightly(paths: [export.path], runner: runner)

        let february = try store.outcome(from: month(2), to: month(2), ruleSetName: "r", ruleSetVersion: "1", roster: nil)
        let issue = try XCTUnwrap(february.inputErrors.first, "the bad amount was not kept")
        XCTAssertEqual(issue.column, "amount", "the contract's column stays the machine key")
        XCTAssertEqual(issue.columnInFile, "colonne « Montant »")
        let (direct, _) = runner.run(paths: [export.path])
        XCTAssertEqual(february.inputErrors, direct.inputErrors, "the store gives back what audit said")
        let options = reportOptions(runner)
        let text = TextReport.render(february, totals: AuditTotals(february, options: options), options: options, colors: false)
        XCTAssertTrue(text.contains("fevrier.csv, ligne 3, colonne « Montant » : "), text)
        XCTAssertFalse(text.contains("« amount »"), text)
    }

    /// A store created before the file's column name was kept still opens, keeps its rows, and
    /// reports their issues with the contract's column; files recorded after it keep theirs.
    func testAStoreFromBeforeTheColumnInFileMigrationStillOpens() throws {
        let path = folder.appendingPathComponent("store/cotaudit.sqlite").path
        try AuditStore.createPrivately(path)
        do {
            let old = try DatabaseQueue(path: path)
            try AuditStore.migrator.migrate(old, upTo: "v1")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO run (id, started_at, finished_at, rule_set) VALUES (1, '2026-03-02T11:00:00Z', '2026-03-02T11:00:01Z', 'r 1');
                    INSERT INTO source_file (id, content_hash, name, run_id, recorded_at, rule_set, acts, invoices, rejected_lines)
                        VALUES (1, 'hash', 'ancien.csv', 1, '2026-03-02T11:00:00Z', 'r 1', 1, 1, 1);
                    INSERT INTO invoice (invoice_id, file_id, act_date, practitioner_id, patient_ref, acts)
                        VALUES ('F1', 1, '2026-02-05', '10000000010', 'p-x', 1);
                    INSERT INTO input_issue (file_id, file, line, column_name, message, severity)
                        VALUES (1, 'ancien.csv', 3, 'amount', 'montant invalide', 'error');
                    """)
            }
            let columns = try old.read { db in try db.columns(in: "input_issue").map(\.name) }
            XCTAssertFalse(columns.contains("column_in_file"), "the old store is made without the new column")
        }

        let store = try openStore()
        let applied = try store.pool.read { db in try AuditStore.migrator.appliedIdentifiers(db) }
        XCTAssertEqual(applied, Set(AuditStore.migrator.migrations))
        let february = try store.outcome(from: month(2), to: month(2), ruleSetName: "r", ruleSetVersion: "1", roster: nil)
        XCTAssertEqual(february.files, ["ancien.csv"])
        XCTAssertEqual(february.inputErrors.map(\.description), ["ancien.csv, ligne 3, colonne « amount » : montant invalide"])
        XCTAssertEqual(try store.history().first?.files.first?.name, "ancien.csv")
    }

    /// The commands as a night job and a director run them, through the real binary.
    func testTheCommandsReportWorklistAndHistoryFromTheStore() throws {
        let months = try YearGenerator(patients: 30, invoicesPerMonth: 20).write(to: folder)
        for file in months[3...] { try FileManager.default.removeItem(at: file) }
        let store = folder.appendingPathComponent("store/cotaudit.sqlite").path
        func cotaudit(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
            let process = CrashTests.process(arguments + ["--store", store])
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let rules = StoreTests.root.appendingPathComponent("Rules").path
        let roster = folder.appendingPathComponent("roster.csv").path
        let nightly = try cotaudit(["nightly", folder.appendingPathComponent("exports").path, "--rules", rules, "--roster", roster])
        XCTAssertEqual(nightly.status, 0)
        XCTAssertTrue(nightly.stdout.contains("• 2026-01.csv : 20 factures, "), nightly.stdout)

        let report = try cotaudit(["report", "--month", "2026-02", "--format", "json", "--rules", rules, "--roster", roster])
        XCTAssertEqual(report.status, 0)
        let document = try json(report.stdout)
        XCTAssertEqual((document["trend"] as? [[String: Any]])?.compactMap { $0["month"] as? String }, ["2026-01", "2026-02"])
        XCTAssertEqual((document["fixed_period"] as? [String: Any])?["previous_month"] as? String, "2026-01")
        XCTAssertEqual(((document["summary"] as? [String: Any])?["invoices"] as? NSNumber)?.intValue, 20)

        let text = try cotaudit(["report", "--rules", rules])
        XCTAssertTrue(text.stdout.contains("Tendance des mois tenus"), text.stdout)
        XCTAssertTrue(text.stdout.contains("  mars 2026 "), "the default period is the latest month held, its trend from January")

        let worklist = try cotaudit(["worklist"])
        XCTAssertEqual(worklist.status, 0)
        XCTAssertTrue(worklist.stdout.contains("Obtenir la déclaration de médecin traitant"))
        XCTAssertTrue(worklist.stdout.contains("F202603-1"), "the March/April patient's March invoice")
        XCTAssertFalse(worklist.stdout.contains("PAT-"))

        let history = try cotaudit(["history"])
        XCTAssertTrue(history.stdout.contains("  3 fichiers audités, 0 identique ignoré, 0 illisible"), history.stdout)
        XCTAssertTrue(history.stdout.contains("• 2026-03.csv : 20 factures"), history.stdout)
    }
}
