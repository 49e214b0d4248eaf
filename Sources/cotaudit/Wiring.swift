import AuditReport
import AuditRules
import BillingIngest
import BillingModel
import Foundation

/// Everything an audit needs, resolved from the command line.
struct AuditSetup {
    var ruleSet: RuleSet
    var runner: AuditRunner
    var reportOptions: ReportOptions
}

enum Wiring {
    /// The shipped rule set: `COTAUDIT_RULES`, an installed `share/cotaudit/Rules`, or the
    /// `Rules/` folder of the checkout the binary was built in, or of the current directory.
    static func defaultRulesDirectory() -> URL? {
        let manager = FileManager.default
        func isRuleSet(_ url: URL) -> Bool { manager.fileExists(atPath: url.appendingPathComponent("ruleset.yaml").path) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["COTAUDIT_RULES"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        let installed = directory.deletingLastPathComponent().appendingPathComponent("share/cotaudit/Rules")
        if isRuleSet(installed) { return installed }
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("Rules")
            if isRuleSet(candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let here = URL(fileURLWithPath: manager.currentDirectoryPath).appendingPathComponent("Rules")
        return isRuleSet(here) ? here : nil
    }

    /// The names of the profiles shipped beside the default rule set, for `--profile`'s help.
    static func shippedProfiles() -> [String] {
        guard let rules = defaultRulesDirectory() else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: rules.appendingPathComponent("profiles").path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func loadRuleSet(_ path: String?) throws -> RuleSet {
        guard let directory = path.map({ URL(fileURLWithPath: $0) }) ?? defaultRulesDirectory() else {
            throw CommandFailure(message: "jeu de règles introuvable : indiquer --rules DOSSIER ou COTAUDIT_RULES, ou installer l'outil avec Scripts/install.sh (règles dans PREFIX/share/cotaudit/Rules)", status: 2)
        }
        do {
            return try RuleSetLoader.load(directory: directory)
        } catch let error as RuleLoadError {
            throw CommandFailure(message: "jeu de règles inutilisable, audit non lancé — \(error)", status: 2)
        }
    }

    static func setUp(_ options: AuditOptions) throws -> AuditSetup {
        var runner = try makeRunner(options.input)
        _ = ProgressLine.start  // the clock starts with the command, not at the first progress report
        runner.progress = ProgressLine.report
        return AuditSetup(ruleSet: runner.ruleSet, runner: runner, reportOptions: reportOptions(runner.ruleSet, options.report))
    }

    /// The rule set, profile, roster and pseudonym key the command line names, ready to audit.
    static func makeRunner(_ options: InputOptions) throws -> AuditRunner {
        let ruleSet = try loadRuleSet(options.rules)
        if let zone = options.zone, !ruleSet.zones.contains(zone) {
            throw CommandFailure(message: "zone « \(zone) » inconnue ; zones : \(ruleSet.zones.joined(separator: ", "))", status: 64)
        }
        var profile = MappingProfile.standard
        let profilesDirectory = URL(fileURLWithPath: ruleSet.directory).appendingPathComponent("profiles")
        if let name = options.profile {
            do {
                profile = try MappingProfile.load(named: name, in: profilesDirectory)
            } catch let error as MappingProfile.LoadError {
                throw CommandFailure(message: error.description, status: 64)
            }
        }
        let key = try loadPseudonymKey(keyFile: options.keyFile)
        var runner = AuditRunner(ruleSet: ruleSet, profile: profile, encoding: options.encoding?.choice, roster: try loadRoster(options.roster),
                                 pseudonymizer: Pseudonymizer(key: key), zone: options.zone)
        runner.period = options.period
        runner.jobs = options.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        if let path = options.allIssues {
            let file = try IssueFile(path: path)
            runner.issueSink = { file.write($0) }
        }
        if options.profile == nil {
            runner.suggestedProfiles = MappingProfile.all(in: URL(fileURLWithPath: ruleSet.directory).appendingPathComponent("profiles"))
        }
        return runner
    }

    static func loadRoster(_ path: String?) throws -> Roster? {
        guard let path else { return nil }
        do {
            let (read, issues) = try RosterReader.read(url: URL(fileURLWithPath: path))
            for issue in issues where issue.severity != .notice { StandardError.write("tableau des praticiens — \(issue)") }
            return read
        } catch let error as UnreadableFile {
            throw CommandFailure(message: "tableau des praticiens illisible — \(error.issue)", status: 2)
        } catch {
            throw CommandFailure(message: "tableau des praticiens illisible — \(FileErrorText.describe(error, path: path))", status: 2)
        }
    }

    static func reportOptions(_ ruleSet: RuleSet, _ options: ReportFormatOptions) -> ReportOptions {
        let asOf = options.asOf.flatMap(CalendarDay.init(parsing:)) ?? today()
        var advice: [String: String] = [:]
        var titles: [String: String] = [:]
        for rule in ruleSet.rules {
            advice[rule.id] = rule.advice
            titles[rule.id] = rule.title
        }
        return ReportOptions(asOf: asOf, recoverableWindowDays: ruleSet.recoverableWindowDays,
                             recoverableWindowSource: ruleSet.recoverableWindowSource,
                             centreName: options.centre, ruleAdvice: advice, ruleTitles: titles, codeLabels: ruleSet.codeLabels)
    }

    /// The width the text report wraps to: the terminal's when standard output is one (its window
    /// size, else `$COLUMNS`), else 100 columns (a file, a pipe, a mail from cron).
    static func textWidth(toTerminal: Bool) -> Int {
        let fallback = 100
        guard toTerminal else { return fallback }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return max(40, Int(size.ws_col))
        }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 {
            return max(40, columns)
        }
        return fallback
    }

    /// The pseudonym key; its creation on first use is said once on standard error, because a job
    /// run under another user (cron) would create its own key and give other pseudonyms.
    static func loadPseudonymKey(keyFile: String?) throws -> Data {
        let environment = ProcessInfo.processInfo.environment
        let file = keyFile.map { URL(fileURLWithPath: $0) } ?? Pseudonymizer.defaultKeyFile()
        let fromEnvironment = !(environment[Pseudonymizer.environmentVariable] ?? "").isEmpty
        let existed = FileManager.default.fileExists(atPath: file.path)
        let key: Data
        do {
            key = try Pseudonymizer.loadKey(keyFile: file)
        } catch let error as Pseudonymizer.KeyError {
            throw CommandFailure(message: "clé de pseudonymisation : \(error)", status: 2)
        } catch {
            throw CommandFailure(message: "clé de pseudonymisation : \(FileErrorText.describe(error, path: file.path))", status: 2)
        }
        if !fromEnvironment && !existed {
            FileHandle.standardError.write(Data("""
            cotaudit : clé de pseudonymisation créée dans \(file.path) (lisible par vous seul). \
            Les pseudonymes des patients en dépendent : un autre utilisateur (une tâche cron, par exemple) \
            obtiendrait d'autres pseudonymes, sauf s'il utilise cette même clé (--key-file \(file.path) ou \(Pseudonymizer.environmentVariable)).

            """.utf8))
        }
        return key
    }

    /// Today's calendar day where the centre is (local time of the machine).
    static func today() -> CalendarDay {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// Writes the report to `path` (standard output when nil). JSON and the CSV table of findings
    /// go out a part at a time as they are written, so a report of many findings is never held
    /// whole; the file is replaced only once complete (`OutputFile.Stream`).
    static func emit(_ outcome: AuditOutcome, options: ReportFormatOptions, reportOptions: ReportOptions,
                     verdict: CheckVerdict? = nil, trendAndFixes: TrendAndFixes? = nil, to path: String?) throws {
        let streamsFindings = options.format == .json || (options.format == .csv && options.csvTable == .findings)
        guard streamsFindings else {
            try write(render(outcome, options: options, reportOptions: reportOptions, verdict: verdict, trendAndFixes: trendAndFixes),
                      to: path)
            return
        }
        let stream = try path.map(OutputFile.Stream.init(path:))
        let write: ([UInt8]) -> Void = { part in
            if let stream { stream.write(part) } else { FileHandle.standardOutput.write(Data(part)) }
        }
        if options.format == .json {
            JSONReport.write(outcome, makingTotals: { AuditTotals(outcome, options: reportOptions) }, options: reportOptions,
                             verdict: verdict, trendAndFixes: trendAndFixes, to: write)
        } else {
            CSVReport.writeFindings(outcome, options: reportOptions, decimalComma: !options.csvCents, machineKeys: options.csvKeys,
                                    sink: { write(Array($0.utf8)) })
        }
        try stream?.finish()
    }

    /// `trendAndFixes`: only for `report`, from the store.
    static func render(_ outcome: AuditOutcome, options: ReportFormatOptions, reportOptions: ReportOptions,
                       verdict: CheckVerdict? = nil, trendAndFixes: TrendAndFixes? = nil) -> Data {
        let totals = AuditTotals(outcome, options: reportOptions)
        switch options.format {
        case .json:
            return Data(JSONReport.render(outcome, totals: totals, options: reportOptions, verdict: verdict,
                                          trendAndFixes: trendAndFixes).utf8)
        case .text:
            let toTerminal = options.output == nil && isatty(STDOUT_FILENO) == 1
            return Data(TextReport.render(outcome, totals: totals, options: reportOptions, colors: toTerminal,
                                          width: textWidth(toTerminal: toTerminal), trendAndFixes: trendAndFixes).utf8)
        case .csv:
            switch options.csvTable {
            case .findings:
                return CSVReport.findings(outcome, totals: totals, options: reportOptions, decimalComma: !options.csvCents,
                                          machineKeys: options.csvKeys)
            case .totals:
                return CSVReport.aggregates(outcome, totals: totals, options: reportOptions, decimalComma: !options.csvCents,
                                            machineKeys: options.csvKeys, trendAndFixes: trendAndFixes)
            }
        case .html:
            return Data(HTMLReport.render(outcome, totals: totals, options: reportOptions, trendAndFixes: trendAndFixes).utf8)
        case .github, .gitlab:
            // `audit` refuses these formats: only `check` has a verdict to annotate.
            guard let verdict else { return Data() }
            // CI jobs run from the repository root: annotations name files relative to it.
            let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
            let paths = Annotations.relativePaths(outcome.filePaths, base: base)
            let text = options.format == .github ? Annotations.github(outcome, verdict: verdict, paths: paths)
                : Annotations.gitlab(outcome, verdict: verdict, paths: paths)
            return Data(text.utf8)
        }
    }

    /// A baseline for `check --baseline`; one that cannot be read stops the check (exit 2).
    static func readBaseline(_ path: String) throws -> Baseline {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandFailure(message: "référence illisible (\(path)) : fichier introuvable ou non lisible", status: 2)
        }
        do {
            return try Baseline.read(data)
        } catch let error as Baseline.ReadError {
            throw CommandFailure(message: "référence illisible (\(path)) : \(error)", status: 2)
        }
    }

    static func write(_ data: Data, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(data)
            return
        }
        try OutputFile.write(data, to: path)
    }
}

/// `--all-issues FILE`: every input error and warning, one per line, written as the audit finds
/// them (buffered), so the list is complete however long it is; the reports keep a bounded number.
final class IssueFile {
    private let handle: FileHandle
    private var pending = Data()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure(message: "impossible d'écrire la liste des anomalies dans \(path)", status: 2)
        }
        self.handle = handle
    }

    func write(_ issue: InputIssue) {
        let label = switch issue.severity { case .error: "erreur"; case .warning: "avertissement"; case .notice: "information" }
        pending.append(Data("\(label) : \(issue)\n".utf8))
        if pending.count >= 64 * 1024 { flush() }
    }

    private func flush() {
        handle.write(pending)
        pending.removeAll(keepingCapacity: true)
    }

    deinit {
        flush()
        try? handle.close()
    }
}

/// A progress line on standard error for long runs, only when a person is watching.
enum ProgressLine {
    static let start = Date()

    static func report(_ lines: Int) {
        guard isatty(STDERR_FILENO) == 1, Date().timeIntervalSince(start) > 2 else { return }
        FileHandle.standardError.write(Data("\r\(lines) lignes lues…".utf8))
    }

    static func finish() {
        guard isatty(STDERR_FILENO) == 1, Date().timeIntervalSince(start) > 2 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
