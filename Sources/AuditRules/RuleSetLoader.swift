import BillingModel
import Foundation
import Yams

/// A rule set that cannot be fully loaded: the audit never runs on it.
public struct RuleLoadError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file)\(line.map { ", ligne \($0)" } ?? "") : \(message)" }
}

/// Reads `Rules/`: ruleset.yaml, tariffs/*.yaml, rules/*.yaml.
public enum RuleSetLoader {
    public static func load(directory: URL) throws -> RuleSet {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuleLoadError(file: directory.path, line: nil, message: "dossier de règles introuvable")
        }
        // Every file is parsed and read at once, on both cores (the YAML took some 20 ms, most of
        // a small audit's start); the results are then taken in the order the files were read
        // one by one before, so the first error reported is the same.
        let tariffURLs = Result { try yamlFiles(in: directory.appendingPathComponent("tariffs")) }
        let ruleURLs = Result { try yamlFiles(in: directory.appendingPathComponent("rules")) }
        let (headerFile, tariffLoads, ruleLoads) = loadInParallel(
            header: directory.appendingPathComponent("ruleset.yaml"),
            tariffs: (try? tariffURLs.get()) ?? [], rules: (try? ruleURLs.get()) ?? [])
        let header = try headerFile.get()
        let root = try header.mapping(header.root, "ruleset.yaml")

        var entries: [TariffEntry] = []
        _ = try tariffURLs.get()
        for loaded in tariffLoads {
            entries += try loaded.get()
        }
        var seen: [String: String] = [:]
        for entry in entries {
            if let other = seen[entry.code] {
                throw RuleLoadError(file: entry.file, line: entry.line, message: "le code \(entry.code) est déjà tarifé dans \(other)")
            }
            seen[entry.code] = entry.file
        }
        let tariffs = TariffSchedule(entries)

        var rules: [Rule] = []
        _ = try ruleURLs.get()
        for loaded in ruleLoads {
            let rule = try loaded.get()
            if let twin = rules.first(where: { $0.id == rule.id }) {
                throw RuleLoadError(file: rule.file, line: 1, message: "identifiant « \(rule.id) » déjà utilisé par \(twin.file)")
            }
            rules.append(rule)
        }
        rules.sort { $0.id < $1.id }

        let zones = try header.strings(root["zones"], "zones") ?? ["metropole"]
        let zone = root["zone"]?.string ?? "metropole"
        guard zones.contains(zone) else {
            throw RuleLoadError(file: header.name, line: header.line(root["zone"]), message: "zone « \(zone) » absente de la liste zones")
        }
        let holidaysNode = try header.mapping(root["public_holidays"], "public_holidays")
        var fixed: [(month: Int, day: Int)] = []
        for text in try header.strings(holidaysNode["fixed"], "public_holidays.fixed") ?? [] {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, CalendarDay(year: 2024, month: parts[0], day: parts[1]) != nil else {
                throw RuleLoadError(file: header.name, line: header.line(holidaysNode["fixed"]), message: "jour férié « \(text) » : MM-JJ attendu")
            }
            fixed.append((parts[0], parts[1]))
        }
        let offsets = try header.ints(holidaysNode["easter_offsets"], "public_holidays.easter_offsets") ?? []

        var forfaits: [ForfaitCategory] = []
        for node in try header.sequence(root["mt_forfait"], "mt_forfait") {
            let item = try header.mapping(node, "mt_forfait")
            let code = try header.string(item["code"], "mt_forfait.code")
            guard tariffs[code] != nil else {
                throw RuleLoadError(file: header.name, line: header.line(node), message: "forfait \(code) sans tarif dans tariffs/")
            }
            forfaits.append(ForfaitCategory(scheme: try header.string(item["scheme"], "mt_forfait.scheme"),
                                            years: try header.range(item["years"], "years") ?? IntRange(),
                                            code: code, age: try header.range(item["age"], "age") ?? IntRange(),
                                            ald: item["ald"]?.bool ?? false, label: item["label"]?.string ?? code))
        }
        var supplements: [ForfaitSupplement] = []
        for node in try header.sequence(root["mt_forfait_supplements"], "mt_forfait_supplements") {
            let item = try header.mapping(node, "mt_forfait_supplements")
            let code = try header.string(item["code"], "mt_forfait_supplements.code")
            guard tariffs[code] != nil else {
                throw RuleLoadError(file: header.name, line: header.line(node), message: "forfait \(code) sans tarif dans tariffs/")
            }
            let coverText = try header.string(item["coverage"], "mt_forfait_supplements.coverage")
            guard let coverage = Coverage(rawValue: coverText) else {
                throw RuleLoadError(file: header.name, line: header.line(item["coverage"]), message: "couverture « \(coverText) » : c2s ou ame")
            }
            supplements.append(ForfaitSupplement(years: try header.range(item["years"], "years") ?? IntRange(), code: code,
                                                 coverage: coverage, label: item["label"]?.string ?? code))
        }

        var schemeLabels: [String: String] = [:]
        if let node = root["mt_forfait_schemes"] {
            for (key, value) in try header.mapping(node, "mt_forfait_schemes") {
                let scheme = try header.string(key, "mt_forfait_schemes")
                guard forfaits.contains(where: { $0.scheme == scheme }) else {
                    throw RuleLoadError(file: header.name, line: header.line(key),
                                        message: "mt_forfait_schemes : dispositif « \(scheme) » absent de mt_forfait")
                }
                schemeLabels[scheme] = try header.string(value, "mt_forfait_schemes.\(scheme)")
            }
        }

        var ruleSet = RuleSet(
            name: root["name"]?.string ?? "cotaudit",
            version: try header.string(root["version"], "version"),
            zone: zone, zones: zones,
            recoverableWindowDays: try header.int(root["recoverable_window_days"], "recoverable_window_days"),
            recoverableWindowSource: root["recoverable_window_source"]?.string ?? "",
            holidays: PublicHolidays(fixed: fixed, easterOffsets: offsets),
            forfaits: forfaits, forfaitSupplements: supplements, forfaitSchemeLabels: schemeLabels, tariffs: tariffs, rules: rules,
            directory: directory.path)
        try RuleSetChecker.checkReferences(&ruleSet)
        return ruleSet
    }

    /// The header parsed, each tariff file's entries and each rule file's rule, or what stopped
    /// each, worked out concurrently: the files are independent until they are put together.
    private static func loadInParallel(header: URL, tariffs: [URL], rules: [URL])
        -> (Result<YAMLFile, Error>, [Result<[TariffEntry], Error>], [Result<Rule, Error>]) {
        final class Slots: @unchecked Sendable {
            // Each index written by one iteration only; read after all have ended.
            var header: Result<YAMLFile, Error> = .failure(CancellationError())
            var tariffs: [Result<[TariffEntry], Error>]
            var rules: [Result<Rule, Error>]
            init(tariffs: Int, rules: Int) {
                self.tariffs = Array(repeating: .failure(CancellationError()), count: tariffs)
                self.rules = Array(repeating: .failure(CancellationError()), count: rules)
            }
        }
        let slots = Slots(tariffs: tariffs.count, rules: rules.count)
        // Written through their buffers: an array written from several threads at once must not
        // be made unique (copied) by any of them.
        slots.tariffs.withUnsafeMutableBufferPointer { tariffSlots in
            slots.rules.withUnsafeMutableBufferPointer { ruleSlots in
                nonisolated(unsafe) let (tariffSlots, ruleSlots) = (tariffSlots, ruleSlots)
                DispatchQueue.concurrentPerform(iterations: 1 + tariffs.count + rules.count) { index in
                    if index == 0 {
                        slots.header = Result { try YAMLFile(url: header) }
                    } else if index <= tariffs.count {
                        tariffSlots[index - 1] = Result { try loadTariffs(YAMLFile(url: tariffs[index - 1])) }
                    } else {
                        let ruleIndex = index - 1 - tariffs.count
                        ruleSlots[ruleIndex] = Result { try loadRule(YAMLFile(url: rules[ruleIndex])) }
                    }
                }
            }
        }
        return (slots.header, slots.tariffs, slots.rules)
    }

    static func yamlFiles(in directory: URL) throws -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw RuleLoadError(file: directory.path, line: nil, message: "dossier introuvable")
        }
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    static func loadTariffs(_ file: YAMLFile) throws -> [TariffEntry] {
        let root = try file.mapping(file.root, "racine")
        var entries: [TariffEntry] = []
        for node in try file.sequence(root["codes"], "codes") {
            let item = try file.mapping(node, "codes")
            let code = try file.string(item["code"], "code")
            let nomenclatureText = try file.string(item["nomenclature"], "nomenclature")
            guard let nomenclature = TariffEntry.Nomenclature(rawValue: nomenclatureText) else {
                throw RuleLoadError(file: file.name, line: file.line(item["nomenclature"]),
                                    message: "nomenclature « \(nomenclatureText) » inconnue : ngap, ccam, modifier ou forfait")
            }
            if nomenclature == .ccam && !ActCode.isCCAM(code) {
                throw RuleLoadError(file: file.name, line: file.line(item["code"]), message: "« \(code) » n'est pas un code CCAM (4 lettres et 3 chiffres)")
            }
            var periods: [TariffEntry.Period] = []
            for periodNode in try file.sequence(item["periods"], "periods") {
                let period = try file.mapping(periodNode, "periods")
                var zones: [String: Cents] = [:]
                if let zoneNode = period["zones"] {
                    for (key, value) in try file.mapping(zoneNode, "zones") {
                        zones[try file.string(key, "zone")] = Cents(Int64(try file.int(value, "zones")))
                    }
                }
                var specialties: [String: Cents] = [:]
                if let specialtyNode = period["specialties"] {
                    for (key, value) in try file.mapping(specialtyNode, "specialties") {
                        let text = try file.string(key, "specialties")
                        guard let specialty = Specialty(text) else {
                            throw RuleLoadError(file: file.name, line: file.line(key), message: "spécialité « \(text) » invalide (code à 2 chiffres)")
                        }
                        specialties[specialty.code] = Cents(Int64(try file.int(value, "specialties")))
                    }
                }
                let source = try file.string(period["source"], "source")
                // A period without cents: days on which the code is known but no source gives its value.
                let cents = try period["cents"].map { Cents(Int64(try file.int($0, "cents"))) }
                if cents == nil && !zones.isEmpty {
                    throw RuleLoadError(file: file.name, line: file.line(period["zones"]),
                                        message: "\(code) : valeurs de zone sans valeur métropolitaine (cents)")
                }
                periods.append(TariffEntry.Period(
                    from: try file.day(period["from"], "from"),
                    until: try period["until"].map { try file.day($0, "until") },
                    cents: cents, zones: zones, specialties: specialties, source: source, line: file.line(periodNode) ?? 0))
            }
            // A code without periods is known but unpriced: its lines are audited by every rule
            // that does not need its tariff, and rules may name it.
            func milestone(_ key: String) throws -> TariffEntry.Milestone? {
                guard let node = item[key] else { return nil }
                let map = try file.mapping(node, key)
                return TariffEntry.Milestone(date: try file.day(map["date"], "\(key).date"),
                                             source: try file.string(map["source"], "\(key).source"))
            }
            // Known without any period: the entry says why it is known and what was searched.
            var cumuls: [TariffEntry.ConsultationCumul] = []
            for cumulNode in try file.sequence(item["consultation_cumul"], "consultation_cumul") {
                let cumul = try file.mapping(cumulNode, "consultation_cumul")
                let rate = try file.int(cumul["rate"], "consultation_cumul.rate")
                guard [50, 100].contains(rate) else {
                    throw RuleLoadError(file: file.name, line: file.line(cumul["rate"]), message: "consultation_cumul.rate : 50 ou 100")
                }
                cumuls.append(TariffEntry.ConsultationCumul(
                    from: try file.day(cumul["from"], "consultation_cumul.from"),
                    until: try cumul["until"].map { try file.day($0, "consultation_cumul.until") },
                    rate: Int64(rate), soleTechnicalAct: cumul["sole_technical_act"]?.bool ?? false,
                    with: try file.strings(cumul["with"], "consultation_cumul.with") ?? [],
                    source: try file.string(cumul["source"], "consultation_cumul.source")))
            }
            let entrySource = item["source"]?.string
            guard !periods.isEmpty || !(entrySource ?? "").isEmpty else {
                throw RuleLoadError(file: file.name, line: file.line(node),
                                    message: "\(code) : code connu sans période tarifaire ; indiquer sa source (clé source)")
            }
            entries.append(TariffEntry(
                code: code, nomenclature: nomenclature, label: item["label"]?.string ?? code,
                category: item["category"]?.string ?? "", ccamFlags: Set(try file.strings(item["ccam_flags"], "ccam_flags") ?? []),
                periods: periods.sorted { $0.from < $1.from }, source: entrySource, consultationCumuls: cumuls,
                created: try milestone("created"), retired: try milestone("retired"),
                file: file.name, line: file.line(node) ?? 0))
        }
        return entries
    }

    static func loadRule(_ file: YAMLFile) throws -> Rule {
        let root = try file.mapping(file.root, "racine")
        let known: Set<String> = ["id", "kind", "certainty", "check", "title", "explanation", "advice", "message", "source",
                                  "when", "expect", "codes", "min_invoices", "examples"]
        for (key, _) in root {
            if let name = key.string, !known.contains(name) {
                throw RuleLoadError(file: file.name, line: file.line(key), message: "clé inconnue « \(name) » ; clés possibles : \(known.sorted().joined(separator: ", "))")
            }
        }
        func enumValue<T: RawRepresentable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
            let text = try file.string(root[key], key)
            guard let value = T(rawValue: text) else {
                throw RuleLoadError(file: file.name, line: file.line(root[key]), message: "\(key) « \(text) » inconnu")
            }
            return value
        }
        let id = try file.string(root["id"], "id")
        let expectedName = URL(fileURLWithPath: file.name).deletingPathExtension().lastPathComponent
        guard id == expectedName else {
            throw RuleLoadError(file: file.name, line: file.line(root["id"]), message: "l'identifiant « \(id) » doit être le nom du fichier (\(expectedName))")
        }
        let examples = try file.mapping(root["examples"], "examples")
        var rule = Rule(
            id: id, kind: try enumValue("kind", FindingKind.self), certainty: try enumValue("certainty", Certainty.self),
            check: try enumValue("check", RuleCheck.self),
            title: try file.string(root["title"], "title"),
            explanation: try file.string(root["explanation"], "explanation"),
            advice: try file.string(root["advice"], "advice"),
            message: try file.string(root["message"], "message"),
            source: try file.string(root["source"], "source"),
            when: try root["when"].map { try loadConditions(file, $0) } ?? Conditions(),
            expect: root["expect"]?.string,
            codes: try file.strings(root["codes"], "codes") ?? [],
            minInvoices: try root["min_invoices"].map { try file.int($0, "min_invoices") } ?? 2,
            triggering: try file.sequence(examples["trigger"], "examples.trigger").map { try loadExample(file, $0) },
            nonTriggering: try file.sequence(examples["no_trigger"], "examples.no_trigger").map { try loadExample(file, $0) },
            file: file.name)
        // Where each named code stands, so an unknown one is reported at its line.
        var codeNodes: [Node] = [root["expect"], root["codes"]].compactMap { $0 }
        func conditionCodeNodes(_ when: Node.Mapping) -> [Node] {
            var nodes = ["codes_any", "codes_all", "codes_none", "codes_only"].compactMap { when[$0] }
            for key in ["any_of", "none_of"] {
                for nested in when[key]?.sequence.map(Array.init) ?? [] {
                    if let mapping = nested.mapping { nodes += conditionCodeNodes(mapping) }
                }
            }
            return nodes
        }
        if let when = root["when"]?.mapping { codeNodes += conditionCodeNodes(when) }
        for node in codeNodes {
            for item in node.sequence.map(Array.init) ?? [node] {
                if let code = item.string, let line = file.line(item) { rule.codeLines[code] = rule.codeLines[code] ?? line }
            }
        }
        if rule.triggering.isEmpty || rule.nonTriggering.isEmpty {
            throw RuleLoadError(file: file.name, line: file.line(root["examples"]),
                                message: "une règle a au moins un exemple qui la déclenche (trigger) et un qui ne la déclenche pas (no_trigger)")
        }
        return rule
    }

    static func loadConditions(_ file: YAMLFile, _ node: Node) throws -> Conditions {
        let map = try file.mapping(node, "when")
        let known: Set<String> = ["codes_any", "codes_all", "codes_none", "codes_only", "line_count", "max_coefficient",
                                  "specialty", "place", "age", "age_months", "age_days", "ald", "mt_status", "coverage", "weekday",
                                  "time", "public_holiday", "out_of_hours", "date", "any_of", "none_of",
                                  "ccam_acts", "technical_act_without_cumul", "categories_none"]
        for (key, _) in map {
            if let name = key.string, !known.contains(name) {
                throw RuleLoadError(file: file.name, line: file.line(key), message: "condition inconnue « \(name) » ; conditions possibles : \(known.sorted().joined(separator: ", "))")
            }
        }
        var conditions = Conditions()
        conditions.codesAny = try file.strings(map["codes_any"], "codes_any")
        conditions.codesAll = try file.strings(map["codes_all"], "codes_all")
        conditions.codesNone = try file.strings(map["codes_none"], "codes_none")
        conditions.codesOnly = try file.strings(map["codes_only"], "codes_only")
        conditions.lineCount = try file.range(map["line_count"], "line_count")
        if let node = map["max_coefficient"] {
            guard let text = node.string, let coefficient = Coefficient(text) else {
                throw RuleLoadError(file: file.name, line: file.line(node), message: "max_coefficient : nombre attendu")
            }
            conditions.maxCoefficientThousandths = coefficient.thousandths
        }
        conditions.specialty = try file.strings(map["specialty"], "specialty")?.map { Specialty($0)?.code ?? $0 }
        if let places = try file.strings(map["place"], "place") {
            conditions.place = try places.map { text in
                guard let place = Place(rawValue: text) else {
                    throw RuleLoadError(file: file.name, line: file.line(map["place"]), message: "lieu « \(text) » inconnu : cabinet, domicile, ehpad, tele")
                }
                return place
            }
        }
        conditions.age = try file.range(map["age"], "age")
        conditions.ageMonths = try file.range(map["age_months"], "age_months")
        conditions.ageDays = try file.range(map["age_days"], "age_days")
        conditions.ald = map["ald"].flatMap(\.bool)
        conditions.mtStatus = try file.strings(map["mt_status"], "mt_status")
        if let covers = try file.strings(map["coverage"], "coverage") {
            let allowed = Coverage.allCases.map(\.rawValue) + [Conditions.ordinaryCoverage]
            for cover in covers where !allowed.contains(cover) {
                throw RuleLoadError(file: file.name, line: file.line(map["coverage"]),
                                    message: "couverture « \(cover) » inconnue : \(allowed.joined(separator: ", "))")
            }
            conditions.coverage = covers
        }
        conditions.ccamActs = try file.range(map["ccam_acts"], "ccam_acts")
        conditions.technicalActWithoutCumul = map["technical_act_without_cumul"].flatMap(\.bool)
        conditions.categoriesNone = try file.strings(map["categories_none"], "categories_none")
        conditions.weekday = try file.ints(map["weekday"], "weekday")
        conditions.time = try map["time"].map { try file.timeBand($0, "time") }
        conditions.publicHoliday = map["public_holiday"].flatMap(\.bool)
        conditions.outOfHours = try map["out_of_hours"].map { try file.timeBand($0, "out_of_hours") }
        if let dateNode = map["date"] {
            let dates = try file.mapping(dateNode, "date")
            conditions.dateFrom = try dates["from"].map { try file.day($0, "date.from") }
            conditions.dateUntil = try dates["until"].map { try file.day($0, "date.until") }
        }
        conditions.anyOf = try map["any_of"].map { try file.sequence($0, "any_of").map { try loadConditions(file, $0) } }
        conditions.noneOf = try map["none_of"].map { try file.sequence($0, "none_of").map { try loadConditions(file, $0) } }
        return conditions
    }

    static func loadExample(_ file: YAMLFile, _ node: Node) throws -> RuleExample {
        let map = try file.mapping(node, "exemple")
        var acts: [RuleExample.Act] = []
        for actNode in try file.sequence(map["acts"], "acts") {
            let act = try file.mapping(actNode, "acts")
            let amountText = try file.string(act["amount"], "amount")
            guard let amount = Cents(euros: amountText) else {
                throw RuleLoadError(file: file.name, line: file.line(act["amount"]), message: "montant « \(amountText) » invalide")
            }
            var coefficient = Coefficient.one
            if let text = act["coefficient"]?.string {
                guard let parsed = Coefficient(text) else {
                    throw RuleLoadError(file: file.name, line: file.line(act["coefficient"]), message: "coefficient « \(text) » invalide")
                }
                coefficient = parsed
            }
            acts.append(RuleExample.Act(code: try file.string(act["code"], "code"), amount: amount, coefficient: coefficient,
                                        quantity: try act["quantity"].map { try file.int($0, "quantity") } ?? 1,
                                        modifiers: act["modifiers"]?.string ?? "", association: act["association"]?.string))
        }
        guard !acts.isEmpty else {
            throw RuleLoadError(file: file.name, line: file.line(node), message: "exemple sans acte")
        }
        var roster: [RosterEntry] = []
        for rosterNode in try file.sequence(map["roster"], "roster") {
            let entry = try file.mapping(rosterNode, "roster")
            roster.append(RosterEntry(practitionerID: try file.string(entry["practitioner_id"], "practitioner_id"),
                                      name: entry["name"]?.string ?? "",
                                      specialty: entry["specialty"]?.string.flatMap(Specialty.init),
                                      startDate: try entry["start_date"].map { try file.day($0, "start_date") },
                                      endDate: try entry["end_date"].map { try file.day($0, "end_date") }))
        }
        func cents(_ key: String) throws -> Cents? {
            try map[key].map { Cents(Int64(try file.int($0, key))) }
        }
        let specialtyText = map["specialty"]?.string ?? "01"
        guard let specialty = Specialty(specialtyText) else {
            throw RuleLoadError(file: file.name, line: file.line(map["specialty"]), message: "spécialité « \(specialtyText) » invalide")
        }
        var mtStatus: MTStatus?
        if let text = map["mt_status"]?.string {
            guard let status = MTStatus(rawValue: text) else {
                throw RuleLoadError(file: file.name, line: file.line(map["mt_status"]), message: "mt_status « \(text) » : centre, elsewhere ou none")
            }
            mtStatus = status
        }
        var coverage: Coverage?
        if let text = map["coverage"]?.string {
            guard let parsed = Coverage(rawValue: text) else {
                throw RuleLoadError(file: file.name, line: file.line(map["coverage"]), message: "coverage « \(text) » : c2s ou ame")
            }
            coverage = parsed
        }
        var place = Place.cabinet
        if let text = map["place"]?.string {
            guard let parsed = Place(rawValue: text) else {
                throw RuleLoadError(file: file.name, line: file.line(map["place"]), message: "lieu « \(text) » inconnu")
            }
            place = parsed
        }
        return RuleExample(
            name: try file.string(map["name"], "name"),
            date: try file.day(map["date"], "date"),
            time: try map["time"].map { try file.time($0, "time") },
            place: place, specialty: specialty,
            practitionerID: map["practitioner_id"]?.string,
            birthDate: try file.day(map["birth_date"], "birth_date"),
            ald: map["ald"]?.bool ?? false, mtStatus: mtStatus,
            mtPractitionerID: map["mt_practitioner_id"]?.string,
            coverage: coverage,
            acts: acts,
            repeatInvoices: try map["invoices"].map { try file.int($0, "invoices") } ?? 1,
            intervalDays: try map["interval_days"].map { try file.int($0, "interval_days") } ?? 7,
            roster: roster,
            lostCents: try cents("lost_cents"), atRiskCents: try cents("at_risk_cents"),
            line: file.line(node) ?? 0)
    }
}

/// A parsed YAML file with helpers that fail with the file, the line and what was expected.
struct YAMLFile {
    let name: String
    let root: Node

    init(url: URL) throws {
        name = url.lastPathComponent
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw RuleLoadError(file: url.path, line: nil, message: "fichier illisible (absent ou pas en UTF-8)")
        }
        do {
            guard let node = try Yams.compose(yaml: text, YAMLFile.resolver) else {
                throw RuleLoadError(file: name, line: nil, message: "fichier vide")
            }
            root = node
        } catch let error as YamlError {
            throw RuleLoadError(file: name, line: YAMLFile.line(of: error), message: "YAML invalide : \(error)")
        }
    }

    /// Plain scalars are told apart as booleans (`Node.bool` reads no other) or text, which every
    /// other reading parses for itself: Yams' default resolver tried five regular expressions on
    /// every scalar and on every key looked up, a third of the time a small audit took.
    static let resolver = Resolver.basic.appending(.bool)

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    func line(_ node: Node?) -> Int? { node?.mark.map { $0.line } }

    func fail(_ node: Node?, _ what: String) -> RuleLoadError {
        RuleLoadError(file: name, line: line(node), message: what)
    }

    func mapping(_ node: Node?, _ key: String) throws -> Node.Mapping {
        guard let mapping = node?.mapping else { throw fail(node, "« \(key) » : dictionnaire attendu\(node == nil ? " (clé absente)" : "")") }
        return mapping
    }

    func sequence(_ node: Node?, _ key: String) throws -> [Node] {
        guard let node else { return [] }
        guard let sequence = node.sequence else { throw fail(node, "« \(key) » : liste attendue") }
        return Array(sequence)
    }

    func string(_ node: Node?, _ key: String) throws -> String {
        guard let text = node?.scalar?.string, !text.isEmpty else { throw fail(node, "« \(key) » : texte attendu\(node == nil ? " (clé absente)" : "")") }
        return text
    }

    func strings(_ node: Node?, _ key: String) throws -> [String]? {
        guard let node else { return nil }
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else { throw fail(node, "« \(key) » : liste attendue") }
        return try sequence.map { try string($0, key) }
    }

    func int(_ node: Node?, _ key: String) throws -> Int {
        guard let text = node?.scalar?.string, let value = Int(text) else { throw fail(node, "« \(key) » : nombre entier attendu") }
        return value
    }

    func ints(_ node: Node?, _ key: String) throws -> [Int]? {
        try strings(node, key)?.map { text in
            guard let value = Int(text) else { throw fail(node, "« \(key) » : nombres entiers attendus") }
            return value
        }
    }

    func day(_ node: Node?, _ key: String) throws -> CalendarDay {
        let text = try string(node, key)
        guard let day = CalendarDay(parsing: text) else { throw fail(node, "« \(key) » : date AAAA-MM-JJ existante attendue, pas « \(text) »") }
        return day
    }

    func time(_ node: Node?, _ key: String) throws -> TimeOfDay {
        let text = try string(node, key)
        guard let time = TimeOfDay(parsing: text) else { throw fail(node, "« \(key) » : heure HH:MM attendue, pas « \(text) »") }
        return time
    }

    func timeBand(_ node: Node, _ key: String) throws -> TimeBand {
        let map = try mapping(node, key)
        return TimeBand(from: try time(map["from"], "\(key).from"), until: try time(map["until"], "\(key).until"))
    }

    func range(_ node: Node?, _ key: String) throws -> IntRange? {
        guard let node else { return nil }
        let map = try mapping(node, key)
        for (name, _) in map where name.string != "from" && name.string != "under" {
            throw fail(name, "« \(key) » : seules les bornes from et under sont possibles")
        }
        return IntRange(from: try map["from"].map { try int($0, "\(key).from") },
                        under: try map["under"].map { try int($0, "\(key).under") })
    }
}
