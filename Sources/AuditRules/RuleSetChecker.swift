import BillingModel
import Foundation

/// Checks that what the rule files say holds together: every code a rule names is priced,
/// tariff periods neither overlap nor leave gaps, and every rule's examples give what they claim.
public enum RuleSetChecker {
    /// Run at load time: a rule set with a broken reference is never used.
    static func checkReferences(_ ruleSet: inout RuleSet) throws {
        for entry in ruleSet.tariffs.entries.values {
            for (previous, next) in zip(entry.periods, entry.periods.dropFirst()) {
                guard let until = previous.until else {
                    throw RuleLoadError(file: entry.file, line: next.line,
                                        message: "\(entry.code) : la période du \(previous.from.iso) n'a pas de fin mais une autre commence le \(next.from.iso)")
                }
                if next.from <= until {
                    throw RuleLoadError(file: entry.file, line: next.line,
                                        message: "\(entry.code) : périodes qui se chevauchent (\(previous.from.iso)–\(until.iso) et à partir du \(next.from.iso))")
                }
                if until.adding(days: 1) != next.from {
                    throw RuleLoadError(file: entry.file, line: next.line,
                                        message: "\(entry.code) : trou entre le \(until.iso) et le \(next.from.iso) (aucun tarif ces jours-là)")
                }
            }
            for period in entry.periods {
                if let until = period.until, until < period.from {
                    throw RuleLoadError(file: entry.file, line: period.line, message: "\(entry.code) : période qui finit avant de commencer")
                }
                for zone in period.zones.keys where !ruleSet.zones.contains(zone) {
                    throw RuleLoadError(file: entry.file, line: period.line, message: "\(entry.code) : zone « \(zone) » inconnue (zones : \(ruleSet.zones.joined(separator: ", ")))")
                }
            }
        }
        try checkForfaitGrid(ruleSet)
        for rule in ruleSet.rules {
            let named = rule.when.codes + rule.codes + (rule.expect.map { [$0] } ?? [])
            for code in named where ruleSet.tariffs[code] == nil && !ActCode.isCCAM(code) {
                throw RuleLoadError(file: rule.file, line: rule.codeLines[code],
                                    message: "code « \(code) » inconnu : absent des fichiers tariffs/")
            }
            if (rule.check == .missingCode || rule.check == .substitution) && rule.expect == nil {
                throw RuleLoadError(file: rule.file, line: nil, message: "le contrôle \(rule.check.rawValue) demande « expect » (le code à facturer)")
            }
            if (rule.check == .substitution || rule.check == .forbiddenCode) && rule.codes.isEmpty {
                throw RuleLoadError(file: rule.file, line: nil, message: "le contrôle \(rule.check.rawValue) demande « codes »")
            }
            if rule.kind == .missingMT && ruleSet.forfaits.isEmpty {
                throw RuleLoadError(file: rule.file, line: nil, message: "les règles médecin traitant demandent mt_forfait dans ruleset.yaml")
            }
        }
    }

    /// The first day the rule set must price: the recovery window of an audit run today reaches back
    /// into 2023 at most.
    public static let firstAuditedDay = CalendarDay(year: 2023, month: 1, day: 1)!

    /// Today in the local calendar: the last day the rule set must price.
    public static func today() -> CalendarDay {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// Every patient falls in exactly one médecin traitant forfait category each year from 2023 to
    /// this year, whatever the age and ALD flag, and that category has a value on 31 December.
    static func checkForfaitGrid(_ ruleSet: RuleSet, through lastYear: Int = today().year) throws {
        guard !ruleSet.forfaits.isEmpty else { return }
        for year in firstAuditedDay.year...lastYear {
            for ald in [false, true] {
                for age in 0...120 {
                    let matching = ruleSet.forfaits.filter { $0.years.contains(year) && $0.ald == ald && $0.age.contains(age) }
                    guard matching.count == 1 else {
                        throw RuleLoadError(file: "ruleset.yaml", line: nil, message: "mt_forfait : \(matching.isEmpty ? "aucune catégorie" : "plusieurs catégories (\(matching.map(\.code).joined(separator: ", ")))") pour \(age) ans\(ald ? " en ALD" : " sans ALD") en \(year)")
                    }
                    let yearEnd = CalendarDay(year: year, month: 12, day: 31)!
                    guard ruleSet.tariffs[matching[0].code]?.periods.contains(where: { $0.covers(yearEnd) }) == true else {
                        throw RuleLoadError(file: "ruleset.yaml", line: nil, message: "mt_forfait : \(matching[0].code) n'a pas de valeur au 31/12/\(year)")
                    }
                }
            }
        }
    }

    /// A priced code whose periods leave a day without a period between 2023-01-01 (or the code's
    /// documented `created:` date) and `today` (or the eve of its `retired:` date). A period without
    /// cents counts: it says, with its source, that no value was found for those days.
    public struct CoverageGap: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var code: String
        public var from: CalendarDay
        public var until: CalendarDay

        public var description: String {
            "\(file), ligne \(line) : \(code) : aucune période du \(from.french) au \(until.french) (chaque code tarifé couvre "
                + "chaque jour depuis le 01/01/2023, ou depuis sa date de création « created », jusqu'à aujourd'hui ou sa suppression « retired »)"
        }
    }

    public static func coverageGaps(_ ruleSet: RuleSet, through today: CalendarDay = today()) -> [CoverageGap] {
        var gaps: [CoverageGap] = []
        for entry in ruleSet.tariffs.entries.values.sorted(by: { ($0.file, $0.line) < ($1.file, $1.line) }) where !entry.periods.isEmpty {
            let start = max(firstAuditedDay, entry.created?.date ?? firstAuditedDay)
            let end = min(today, entry.retired.map { $0.date.adding(days: -1) } ?? today)
            guard start <= end else { continue }
            var next = start
            for period in entry.periods {
                if period.from > next {
                    gaps.append(CoverageGap(file: entry.file, line: period.line, code: entry.code, from: next,
                                            until: min(end, period.from.adding(days: -1))))
                }
                guard let until = period.until else { next = end.adding(days: 1); break }
                next = max(next, until.adding(days: 1))
                if next > end { break }
            }
            if next <= end {
                gaps.append(CoverageGap(file: entry.file, line: entry.periods.last?.line ?? entry.line, code: entry.code,
                                        from: next, until: end))
            }
        }
        return gaps.filter { $0.from <= $0.until }
    }

    /// One example that did not give what its rule file says.
    public struct ExampleFailure: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var rule: String
        public var example: String
        public var problem: String

        public var description: String { "\(file), ligne \(line) : exemple « \(example) » de \(rule) : \(problem)" }
    }

    /// Runs every rule's examples through the engine with that rule alone.
    public static func runExamples(_ ruleSet: RuleSet) -> [ExampleFailure] {
        var failures: [ExampleFailure] = []
        for rule in ruleSet.rules {
            failures += runExamples(of: rule, in: ruleSet)
        }
        return failures
    }

    public static func runExamples(of rule: Rule, in ruleSet: RuleSet) -> [ExampleFailure] {
        var failures: [ExampleFailure] = []
        var alone = ruleSet
        alone.rules = [rule]
        for (example, mustTrigger) in rule.triggering.map({ ($0, true) }) + rule.nonTriggering.map({ ($0, false) }) {
            func fail(_ problem: String) {
                failures.append(ExampleFailure(file: rule.file, line: example.line, rule: rule.id, example: example.name, problem: problem))
            }
            let findings = evaluate(example, with: alone)
            if mustTrigger {
                guard !findings.isEmpty else { fail("devait déclencher la règle, ne la déclenche pas"); continue }
                let lost = findings.map(\.lostCents).sum()
                let atRisk = findings.map(\.atRiskCents).sum()
                if let expected = example.lostCents, expected != lost {
                    fail("manque à gagner attendu \(expected.euros), obtenu \(lost.euros)")
                }
                if let expected = example.atRiskCents, expected != atRisk {
                    fail("montant à risque attendu \(expected.euros), obtenu \(atRisk.euros)")
                }
            } else if !findings.isEmpty {
                fail("ne devait pas déclencher la règle, la déclenche : \(findings[0].message)")
            }
        }
        return failures
    }

    /// Ids the examples use when they do not name one.
    public static let examplePractitionerID = "1000000000" + String(RPPS.checkDigit(for: "1000000000")!)

    static func evaluate(_ example: RuleExample, with ruleSet: RuleSet) -> [Finding] {
        let roster = example.roster.isEmpty ? nil : Roster(example.roster)
        let engine = AuditEngine(ruleSet: ruleSet, roster: roster)
        let practitioner = example.practitionerID ?? examplePractitionerID
        let patient = PatientInfo(ref: PatientRef("p-exemple"), birthDate: example.birthDate, ald: example.ald,
                                  mtStatus: example.mtStatus, mtPractitionerID: example.mtPractitionerID,
                                  coverage: example.coverage)
        for repeatIndex in 0..<max(example.repeatInvoices, 1) {
            let day = example.date.adding(days: example.intervalDays * repeatIndex)
            let lines = example.acts.enumerated().map { offset, act in
                ActLine(location: SourceLocation(file: example.name, line: repeatIndex * 10 + offset + 2),
                        invoiceID: "EX-\(repeatIndex + 1)", actDate: day, actTime: example.time, place: example.place,
                        practitionerID: practitioner, specialty: example.specialty, patient: patient,
                        code: ActCode.isCCAM(act.code) ? .ccam(act.code) : .ngap(act.code),
                        coefficient: act.coefficient, quantity: act.quantity, modifiers: act.modifiers,
                        association: act.association, amount: act.amount)
            }
            engine.audit(Invoice(lines: lines))
        }
        return Array(engine.finish())
    }
}
