import BillingIngest
import BillingModel
import Foundation

/// Runs a whole audit: files → raw records → validated act lines → invoices → findings.
public struct AuditRunner {
    public var ruleSet: RuleSet
    public var profile: MappingProfile
    public var encoding: TextEncodingChoice?
    public var roster: Roster?
    public var pseudonymizer: Pseudonymizer
    public var zone: String?
    /// Called now and then with the number of act lines read so far, for a progress line.
    public var progress: ((Int) -> Void)?
    /// For the nightly store: each invoice as it is audited.
    public var invoiceSink: ((Invoice) -> Void)?
    /// For the nightly store: the médecin traitant facts, handed over instead of settled by this run.
    public var patientYearFactSink: ((PatientYearFact) -> Void)?
    /// Only acts dated within it are audited; the others are counted in `actsOutsidePeriod`.
    public var period: ActPeriod?
    /// Profiles to suggest when a CSV header lacks required columns under `profile`.
    public var suggestedProfiles: [MappingProfile] = []
    /// Called with every input error and warning as it is found, including those the outcome only
    /// counts (`--all-issues FILE`).
    public var issueSink: ((InputIssue) -> Void)?

    public init(ruleSet: RuleSet, profile: MappingProfile = .standard, encoding: TextEncodingChoice? = nil,
                roster: Roster? = nil, pseudonymizer: Pseudonymizer, zone: String? = nil) {
        self.ruleSet = ruleSet
        self.profile = profile
        self.encoding = encoding
        self.roster = roster
        self.pseudonymizer = pseudonymizer
        self.zone = zone
    }

    /// The outcome, and how many files were read at least in part (0 means no input at all): a file
    /// counts when it was read to its end or gave at least one row, audited or rejected, before it
    /// broke off; a file refused at its header or before its first row does not.
    public func run(paths: [String]) -> (outcome: AuditOutcome, readableFiles: Int) {
        var outcome = AuditOutcome()
        outcome.ruleSetName = ruleSet.name
        outcome.ruleSetVersion = ruleSet.version
        outcome.roster = roster
        outcome.period = period
        let engine = AuditEngine(ruleSet: ruleSet, roster: roster, zone: zone)
        engine.patientYearFactSink = patientYearFactSink
        let validator = RecordValidator(pseudonymizer: pseudonymizer, profile: profile)
        let zone = self.zone ?? ruleSet.zone
        // Well-formed codes the rule set does not know or does not price on their date: their lines
        // are audited, and each code is listed once (contract §1.2), at its first line.
        // Both are capped: a hostile file of distinct made-up codes must not grow them with its rows.
        var unknownCodes: [String: SourceLocation] = [:]
        var unpricedCodes: [String: SourceLocation] = [:]
        var linesWithUncountedCodes = 0

        var collector = IssueCollector(sink: issueSink)
        let (files, issues) = ExportFiles.collect(paths: paths)
        for issue in issues { collector.add(issue, to: &outcome) }
        let names = Self.displayNames(files)
        var readable = 0
        var linesRead = 0
        // How each file names the code column, for the code warnings given after every file is read.
        var codeColumnInFile: [String: String] = [:]
        for (url, name) in zip(files, names) {
            outcome.files.append(name)
            outcome.filePaths[name] = url.standardizedFileURL.path
            var assembler = InvoiceAssembler()
            func take(_ invoice: Invoice?) {
                guard let invoice else { return }
                outcome.invoices += 1
                outcome.acts += invoice.lines.count
                for line in invoice.lines {
                    outcome.billedByPractitioner[line.practitionerID, default: .zero] += line.amount
                    outcome.billedByMonth[line.actDate.yearMonth, default: .zero] += line.amount
                    outcome.specialtyByPractitioner[line.practitionerID] = line.specialty
                    if outcome.firstActDate.map({ line.actDate < $0 }) ?? true { outcome.firstActDate = line.actDate }
                    if outcome.lastActDate.map({ line.actDate > $0 }) ?? true { outcome.lastActDate = line.actDate }
                    let code = line.code.text
                    switch ruleSet.tariffs.pricing(of: code, on: line.actDate, zone: zone, specialty: line.specialty.code) {
                    case .priced: break
                    case .unknown where unknownCodes[code] != nil, .unpriced where unpricedCodes[code] != nil: break
                    case .unknown where unknownCodes.count < Self.distinctCodesListed: unknownCodes[code] = line.location
                    case .unpriced where unpricedCodes.count < Self.distinctCodesListed: unpricedCodes[code] = line.location
                    case .unknown, .unpriced: linesWithUncountedCodes += 1
                    }
                }
                invoiceSink?(invoice)
                engine.audit(invoice)
            }
            var reader: RecordReader?
            // Messages name the column as the file does (`Montant`), not as the contract does (`amount`).
            func named(_ issue: InputIssue) -> InputIssue {
                guard issue.columnInFile == nil, let reader, let column = issue.column.flatMap(Column.init(rawValue:)) else { return issue }
                var named = issue
                named.columnInFile = reader.columnInFile(column)
                return named
            }
            func reject(_ issues: [InputIssue]) {
                outcome.rejectedLines += 1
                for issue in issues { collector.add(named(issue), to: &outcome) }
            }
            var readToEnd = false
            var gaveRows = false
            do {
                let opened = try ExportFiles.openReader(url: url, displayName: name, profile: profile, encoding: encoding,
                                                        suggestedProfiles: suggestedProfiles)
                reader = opened
                while let event = try opened.next() {
                    switch event {
                    case .record(let record):
                        gaveRows = true
                        linesRead += 1
                        if linesRead % 50_000 == 0 { progress?(linesRead) }
                        switch validator.validate(record) {
                        case .failure(let rejected): reject(rejected.issues)
                        case .success(let line):
                            if let period, !period.contains(line.actDate) {
                                outcome.actsOutsidePeriod += 1
                                continue
                            }
                            switch assembler.add(line) {
                            case .failure(let rejected): reject(rejected.issues)
                            case .success(let closed): take(closed)
                            }
                        }
                    case .rejected(let issue):
                        gaveRows = true
                        reject([issue])
                    case .warning(let issue): collector.add(named(issue), to: &outcome)
                    }
                }
                readToEnd = true
            } catch let unreadable as UnreadableFile {
                outcome.unreadableFiles.append(name)
                collector.add(unreadable.issue, to: &outcome)
            } catch {
                outcome.unreadableFiles.append(name)
                collector.add(InputIssue(file: name, line: 0, column: nil, message: FileErrorText.describe(error, path: name)), to: &outcome)
            }
            if let code = reader?.columnInFile(.code) { codeColumnInFile[name] = code }
            if readToEnd || gaveRows { readable += 1 }
            // What was read before a file broke off is still audited: nothing read is dropped.
            take(assembler.flush())
        }
        outcome.findings = engine.finish()
        // Said before the per-code warnings, so it is among those a report keeps.
        if linesWithUncountedCodes > 0 {
            collector.add(InputIssue(file: outcome.files.first ?? "", line: 0, column: "code",
                                     message: "plus de \(Self.distinctCodesListed) codes distincts inconnus ou sans tarif : \(linesWithUncountedCodes) autre(s) ligne(s) portent des codes non listés ; elles restent auditées",
                                     severity: .warning), to: &outcome)
        }
        for var warning in Self.codeWarnings(unknown: unknownCodes, unpriced: unpricedCodes) {
            warning.columnInFile = codeColumnInFile[warning.file]
            collector.add(warning, to: &outcome)
        }
        outcome.inputErrors.sort(by: InputIssue.fileOrder)
        return (outcome, readable)
    }

    /// How many distinct unknown (and, apart, unpriced) codes are listed; lines with further codes are counted.
    static let distinctCodesListed = 1_000

    /// One warning per code, in code order: unknown codes, and known codes billed on a day they have
    /// no tariff (a code both unknown and unpriced cannot be: unknown wins).
    static func codeWarnings(unknown: [String: SourceLocation], unpriced: [String: SourceLocation]) -> [InputIssue] {
        let keep = "sa ligne reste dans sa facture et est contrôlée par toutes les règles qui n'ont pas besoin de son tarif"
        var warnings: [(code: String, issue: InputIssue)] = []
        for (code, location) in unknown {
            warnings.append((code, InputIssue(file: location.file, line: location.line, column: "code",
                                              message: "code \(code) inconnu du jeu de règles (premier vu ici) : \(keep)",
                                              severity: .warning)))
        }
        for (code, location) in unpriced where unknown[code] == nil {
            warnings.append((code, InputIssue(file: location.file, line: location.line, column: "code",
                                              message: "code \(code) sans tarif dans le jeu de règles à la date de l'acte (premier vu ici) : \(keep)",
                                              severity: .warning)))
        }
        return warnings.sorted { $0.code < $1.code }.map(\.issue)
    }

    /// File names as reports show them: the bare name, or the path when two files share a name.
    static func displayNames(_ files: [URL]) -> [String] {
        var counts: [String: Int] = [:]
        for file in files { counts[file.lastPathComponent, default: 0] += 1 }
        return files.map { counts[$0.lastPathComponent]! > 1 ? $0.relativePath : $0.lastPathComponent }
    }
}
