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
    /// Threads: 1 reads, validates and audits in turn; 2 or more read and validate the files on one
    /// thread while the audit runs on this one, through a bounded queue that keeps the file order,
    /// so the outcome is the same.
    public var jobs = 1
    /// Findings held in memory before a sorted run of them goes to a temporary file; the default
    /// suits every run, tests set a small one to see the files at work.
    var findingsRunLength = FindingList.defaultRunLength
    /// With two threads, where raw records are validated: nil, as the queue tells
    /// (`FileAuditReader.auditIsBehind`); true or false, always there (for the tests).
    var validatesRawRecordsOnTheReadingThread: Bool?
    /// Whether plain CSV rows are split and validated in one go (`CSVRecordReader.nextPlainLine`);
    /// off, every row is read the general way (for the tests, which compare the two).
    var readsPlainRows = true

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
        let validator = RecordValidator(pseudonymizer: pseudonymizer, profile: profile)
        // What the events change, held by one object: as variables captured by the nested functions
        // below, each was boxed and checked for exclusive access at run time, three checks an event.
        let state = RunState(recordStage: RecordStage(validator: validator, period: period))
        state.outcome.ruleSetName = ruleSet.name
        state.outcome.ruleSetVersion = ruleSet.version
        state.outcome.roster = roster
        state.outcome.period = period
        let engine = AuditEngine(ruleSet: ruleSet, roster: roster, zone: zone)
        engine.patientYearFactSink = patientYearFactSink
        engine.findingsRunLength = findingsRunLength
        // Well-formed codes the rule set does not know or does not price on their date: their lines
        // are audited, and each code is listed once (contract §1.2), at its first line.
        // Both lists are capped: a hostile file of distinct made-up codes must not grow them with its rows.

        var collector = IssueCollector(sink: issueSink)
        let (files, issues) = ExportFiles.collect(paths: paths)
        for issue in issues { collector.add(issue, to: &state.outcome) }
        let names = Self.displayNames(files)
        // How each file names the code column, for the code warnings given after every file is read.
        var codeColumnInFile: [String: String] = [:]
        func take(_ invoice: consuming Invoice) {
            // Through inout parameters: the outcome and the code tallies, captured by this closure,
            // were checked for exclusive access at run time on every one of a line's dozen uses.
            // The context the rules read holds each line's tariff entry, which the totals read too.
            engine.fillContext(with: invoice)
            Self.tally(invoice, lineTariffs: engine.context.lineTariffs, lineValues: engine.context.lineValues, into: &state.outcome, billed: &state.billedTally, codes: &state.codeTally)
            invoiceSink?(invoice)
            engine.auditContext()
            // This reference let go, the context's is the invoice's last: its array goes back to
            // the lines' assembler (on this thread when it hands lines over, else unused).
            _ = consume invoice
            if let audited = engine.context.giveUpInvoice() { state.recordStage.recycle(audited) }
        }
        // Records the reading thread left to validate here (see `FileAuditReader`), and their invoices.
        // How the file being read names its columns, as of the last record or line handed over.
        var columnNamesInFile: [String?] = []
        // An event from the reading: records waiting for their values (`RecordStage.takeLater`)
        // are validated before any other, so the events keep their order. (What their validation
        // hands over goes straight to `handle`, behind none of them.)
        func handleRead(_ event: consuming FileEvent) {
            if !event.isRecord {
                while let waiting = state.recordStage.waitingRecord() {
                    state.recordStage.take(waiting, naming: { FileAuditReader.named($0, columnNamesInFile) }, emit: handle)
                }
            }
            handle(event)
        }
        // Everything that touches the outcome and the engine, in the order the files give it.
        // The event is taken, so that a line moves into its invoice instead of being copied.
        func handle(_ event: consuming FileEvent) {
            switch consume event {
            case .invoice(let invoice): take(invoice)
            case .columnNames(let names): columnNamesInFile = names
            case .record(let record):
                if let earlier = state.recordStage.takeLater(record) {
                    state.recordStage.take(earlier, naming: { FileAuditReader.named($0, columnNamesInFile) }, emit: handle)
                }
            case .line(let line):
                state.recordStage.assemble(consume line, naming: { FileAuditReader.named($0, columnNamesInFile) }, emit: handle)
            case .rejected(let issues):
                state.outcome.rejectedLines += 1
                for issue in issues { collector.add(issue, to: &state.outcome) }
            case .issue(let issue): collector.add(issue, to: &state.outcome)
            case .outsidePeriod: state.outcome.actsOutsidePeriod += 1
            case .progress(let lines): progress?(lines)
            case .fileStart(let url, let name):
                state.outcome.files.append(name)
                state.outcome.filePaths[name] = url.standardizedFileURL.path
            case .fileEnd(let name, let readable, let unreadable, let codeColumn):
                if let unreadable {
                    state.outcome.unreadableFiles.append(name)
                    collector.add(unreadable, to: &state.outcome)
                }
                if let codeColumn { codeColumnInFile[name] = codeColumn }
                if readable { readableCount += 1 }
                // After the file's end, as the reading thread hands over the last invoice it holds.
                if let last = state.recordStage.flush() { take(last) }
            }
        }
        var readableCount = 0
        let reader = FileAuditReader(profile: profile, encoding: encoding, suggestedProfiles: suggestedProfiles,
                                     validator: validator, period: period)
        reader.sharesWorkWithTheAudit = jobs > 1
        reader.auditIsBehind = validatesRawRecordsOnTheReadingThread ?? false
        reader.readsPlainRows = readsPlainRows
        let inputs = Array(zip(files, names))
        if jobs > 1 {
            FreedMemory.oneArenaPerThread()
            let queue = BoundedQueue<[FileEvent]>(capacity: Self.queuedBatches)
            let thread = Thread {
                var batch: [FileEvent] = []
                batch.reserveCapacity(Self.batchSize)
                reader.read(inputs) { (event: consuming FileEvent) in
                    batch.append(event)
                    if batch.count == Self.batchSize {
                        let waiting = queue.push(batch)
                        // Unless the tests forced the place (set above, once).
                        if validatesRawRecordsOnTheReadingThread == nil {
                            if waiting >= Self.queuedBatches / 2 {
                                reader.auditIsBehind = true
                            } else if waiting <= 1 {
                                reader.auditIsBehind = false
                            }
                        }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { queue.push(batch) }
                queue.close()
            }
            thread.stackSize = 8 << 20
            thread.start()
            while var batch = queue.pop() {
                // Each event moved out of the batch, its slot left holding an event with nothing to
                // release: iterated, each was copied, its references retained, and released again
                // with the batch.
                batch.withUnsafeMutableBufferPointer { events in
                    guard let base = events.baseAddress else { return }
                    for index in events.indices {
                        let event = (base + index).move()
                        (base + index).initialize(to: .outsidePeriod)
                        handleRead(event)
                    }
                }
                // The batch let go first: its events still held the records' arrays.
                batch = []
                state.recordStage.giveBackStorage()
            }
        } else {
            reader.read(inputs, emit: handleRead)
        }
        // Every file ends with `.fileEnd`, which takes the record waiting; none is left.
        precondition(state.recordStage.waitingRecord() == nil, "enregistrement non validé en fin de lecture")
        let readable = readableCount
        state.billedTally.add(to: &state.outcome)
        state.outcome.findings = engine.finish()
        // Said before the per-code warnings, so it is among those a report keeps.
        if state.codeTally.linesWithUncountedCodes > 0 {
            collector.add(InputIssue(file: state.outcome.files.first ?? "", line: 0, column: "code",
                                     message: "plus de \(Self.distinctCodesListed) codes distincts inconnus ou sans tarif : \(state.codeTally.linesWithUncountedCodes) autre(s) ligne(s) portent des codes non listés ; elles restent auditées",
                                     severity: .warning), to: &state.outcome)
        }
        for var warning in Self.codeWarnings(unknown: state.codeTally.unknownCodes, unpriced: state.codeTally.unpricedCodes) {
            warning.columnInFile = codeColumnInFile[warning.file]
            collector.add(warning, to: &state.outcome)
        }
        state.outcome.inputErrors.sort(by: InputIssue.fileOrder)
        return (state.outcome, readable)
    }

    /// Well-formed codes the rule set does not know or does not price on their date, as the lines go by.
    struct CodeTally {
        var unknownCodes: [String: SourceLocation] = [:]
        var unpricedCodes: [String: SourceLocation] = [:]
        var linesWithUncountedCodes = 0
    }

    /// What the invoices billed, per practitioner and per month, added to the outcome at the end
    /// of the run. The practitioner and the month of the last run of lines are kept at hand: an
    /// export's invoices come in runs of one month, often of one practitioner, and hashing the
    /// practitioner's number into two tables for every invoice was most of the totals' cost.
    struct BilledTally {
        private var slots: [String: Int] = [:]
        private var practitioners: [(id: String, billed: Cents, specialty: Specialty)] = []
        private var lastSlot = -1
        private var months: [YearMonth: Cents] = [:]
        private var month: YearMonth?
        private var monthBilled = Cents.zero

        /// The slots of the practitioners billed lately, by their identifier's bytes: an export
        /// sorted by date changes practitioner on nearly every invoice, and `slots` hashed the
        /// identifier with SipHash each time.
        private var recentSlots = [(key: ShortBytesKey, slot: Int)?](repeating: nil, count: 1 << BilledTally.recentBits)
        private static let recentBits = 8

        mutating func add(_ billed: Cents, practitionerID: String, specialty: Specialty, month: YearMonth) {
            if lastSlot < 0 || practitioners[lastSlot].id != practitionerID {
                var id = practitionerID
                if let key = id.withUTF8({ ShortBytesKey($0) }) {
                    let recent = key.slot(bits: BilledTally.recentBits)
                    if let entry = recentSlots[recent], entry.key == key {
                        lastSlot = entry.slot
                    } else {
                        lastSlot = slot(of: practitionerID, specialty)
                        recentSlots[recent] = (key, lastSlot)
                    }
                } else {
                    lastSlot = slot(of: practitionerID, specialty)
                }
            }
            practitioners[lastSlot].billed += billed
            // The specialty of the practitioner's last line, as the outcome has always kept it.
            practitioners[lastSlot].specialty = specialty
            if month != self.month {
                flushMonth()
                self.month = month
            }
            monthBilled += billed
        }

        /// The practitioner's place in `practitioners`, made for one not billed yet.
        private mutating func slot(of practitionerID: String, _ specialty: Specialty) -> Int {
            if let slot = slots[practitionerID] { return slot }
            slots[practitionerID] = practitioners.count
            practitioners.append((practitionerID, .zero, specialty))
            return practitioners.count - 1
        }

        private mutating func flushMonth() {
            if let month { months[month, default: .zero] += monthBilled }
            monthBilled = .zero
        }

        mutating func add(to outcome: inout AuditOutcome) {
            flushMonth()
            month = nil
            for item in practitioners {
                outcome.billedByPractitioner[item.id, default: .zero] += item.billed
                outcome.specialtyByPractitioner[item.id] = item.specialty
            }
            for (month, billed) in months { outcome.billedByMonth[month, default: .zero] += billed }
            self = BilledTally()
        }
    }

    /// What an invoice adds to the outcome's counts and totals, and to the code tallies.
    /// `lineTariffs` and `lineValues`: each line's tariff entry and value on its day
    /// (`InvoiceContext.lineTariffs`, `InvoiceContext.lineValues`).
    static func tally(_ invoice: Invoice, lineTariffs: UnsafeBufferPointer<TariffSchedule.LineTariff?>,
                      lineValues: UnsafeBufferPointer<Cents?>, into outcome: inout AuditOutcome,
                      billed: inout BilledTally, codes: inout CodeTally) {
        outcome.invoices += 1
        if outcome.invoices % FreedMemory.invoiceInterval == 0 { FreedMemory.release() }
        outcome.acts += invoice.lines.count
        // The lines are read in place, by index, and the totals keyed by practitioner and month
        // take each run of lines sharing both at once (an invoice's lines do: one encounter):
        // per line, these tables hashed the practitioner's number three times.
        let lines = invoice.lines
        var summed = Cents.zero
        for index in lines.indices {
            let actDate = lines[index].actDate
            summed += lines[index].amount
            if index + 1 == lines.count || lines[index + 1].practitionerID != lines[index].practitionerID
                || lines[index + 1].actDate.yearMonth != actDate.yearMonth {
                billed.add(summed, practitionerID: lines[index].practitionerID, specialty: lines[index].specialty,
                           month: actDate.yearMonth)
                summed = .zero
            }
            if outcome.firstActDate.map({ actDate < $0 }) ?? true { outcome.firstActDate = actDate }
            if outcome.lastActDate.map({ actDate > $0 }) ?? true { outcome.lastActDate = actDate }
            let pricing = TariffSchedule.pricing(lineTariffs[index], value: lineValues[index])
            if case .priced = pricing { continue }
            let code = lines[index].code.text
            switch pricing {
            case .priced: break
            case .unknown where codes.unknownCodes[code] != nil, .unpriced where codes.unpricedCodes[code] != nil: break
            case .unknown where codes.unknownCodes.count < distinctCodesListed: codes.unknownCodes[code] = lines[index].location
            case .unpriced where codes.unpricedCodes.count < distinctCodesListed: codes.unpricedCodes[code] = lines[index].location
            case .unknown, .unpriced: codes.linesWithUncountedCodes += 1
            }
        }
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

extension AuditRunner {
    /// The state `run` changes for each event (see there).
    final class RunState {
        @exclusivity(unchecked) var outcome = AuditOutcome()
        @exclusivity(unchecked) var billedTally = BilledTally()
        @exclusivity(unchecked) var codeTally = CodeTally()
        @exclusivity(unchecked) var recordStage: RecordStage

        init(recordStage: RecordStage) { self.recordStage = recordStage }
    }

    /// Events per batch handed between the threads, and batches the queue holds: the reading thread
    /// stays at most this far ahead, so memory stays flat whatever the size of the files (some 4 MB
    /// of lines). 32 batches, some 10 ms of reading: with 8, each thread waited for the other a
    /// tenth of the time, the reading one while the audit swept its duplicate table, the audit
    /// while the reading worked out the pseudonyms of a file's first patients.
    static let batchSize = 512
    static let queuedBatches = 32
}

/// What reading the files hands to the audit, in file order.
enum FileEvent: Sendable {
    case fileStart(URL, String)
    case invoice(Invoice)
    /// How the file names its columns (by `Column.ordinal`), for the messages of the records and
    /// lines that follow: sent when the names change, not with each record, as the array's count
    /// of references, changed by both threads for every record, kept their processors waiting.
    case columnNames([String?])
    /// A record left to validate on the audit's thread.
    case record(RawRecord)
    /// A line validated on the reading thread, left to group into its invoice on the audit's thread.
    case line(ActLine)
    /// A row that was rejected, with every problem found in it (named as the file names its columns).
    case rejected([InputIssue])
    case issue(InputIssue)
    case outsidePeriod
    case progress(Int)
    /// `unreadable`: why the file broke off; `codeColumn`: how the file names the code column.
    case fileEnd(name: String, readable: Bool, unreadable: InputIssue?, codeColumn: String?)

    var isRecord: Bool {
        if case .record = self { return true }
        return false
    }
}

/// Validates raw records and groups their act lines into invoices, handing over in order the
/// invoices closed, the rows rejected and the acts outside the period; one file at a time.
struct RecordStage {
    let validator: RecordValidator
    let period: ActPeriod?
    private var assembler = InvoiceAssembler()
    /// A stage runs on one thread: its memo is that thread's.
    private let memo: ValidationMemo

    init(validator: RecordValidator, period: ActPeriod?, memo: ValidationMemo = ValidationMemo()) {
        self.validator = validator
        self.period = period
        self.memo = memo
    }

    /// `naming` names a rejected row's columns as its file does. The record's arrays go back to the
    /// reader that fills them (`RecordStoragePool`), a batch at a time.
    mutating func take(_ record: consuming RawRecord, naming: (InputIssue) -> InputIssue, emit: (consuming FileEvent) -> Void) {
        if let line = validateGivingBack(record, naming: naming, emit: emit) { assemble(line, naming: naming, emit: emit) }
    }

    /// Keeps the record for later and gives back the one kept two records before, to validate now
    /// (`take`). With two threads the audit's thread validates each XML act two records late:
    /// meanwhile the processor is asked for the record's values, which the reading thread wrote
    /// (in the other processor's cache), then, once they are here, for its patient's slot in the
    /// memo (megabytes wide, not in the caches either). Waiting for both was some tenth of the
    /// audit's thread's samples (`perf`). The caller takes the records waiting (`waitingRecord`)
    /// before any other event, so the events keep their order.
    mutating func takeLater(_ record: consuming RawRecord) -> RawRecord? {
        record.prefetchValues()
        waiting.newer?.prefetchPatient(in: memo)
        let earlier = waiting.older.take()
        waiting.older = waiting.newer.take()
        waiting.newer = consume record
        return earlier
    }

    /// The records `takeLater` keeps, oldest first, taken one by one.
    mutating func waitingRecord() -> RawRecord? { waiting.older.take() ?? waiting.newer.take() }

    private var waiting: (older: RawRecord?, newer: RawRecord?) = (nil, nil)

    /// `validate`, the record's arrays then kept to go back to their reader (`giveBackStorage`).
    mutating func validateGivingBack(_ record: consuming RawRecord, naming: (InputIssue) -> InputIssue,
                                     emit: (consuming FileEvent) -> Void) -> ActLine? {
        var record = record
        let line = validate(record, naming: naming, emit: emit)
        if let storage = record.takeStorageToGiveBack() {
            storageToGiveBack.append(storage)
            // Bounded; with two threads, given back after each batch (`giveBackStorage`).
            if storageToGiveBack.count >= 1_024 { giveBackStorage() }
        }
        return line
    }

    /// Gives the arrays of the records validated so far back to their reader. Called once the
    /// records are gone (with two threads, once their batch is released): an array still held by
    /// a record would be copied by the reader instead of reused.
    mutating func giveBackStorage() {
        if !storageToGiveBack.isEmpty { RecordStoragePool.shared.giveBack(&storageToGiveBack) }
    }

    /// Arrays of validated records not yet given back.
    private var storageToGiveBack: [RecordStoragePool.Storage] = []

    /// The record's line when it is valid and within the period; otherwise says why not and gives nil.
    func validate(_ record: RawRecord, naming: (InputIssue) -> InputIssue, emit: (consuming FileEvent) -> Void) -> ActLine? {
        // An XML act through the plain lane first (`validateAct`); a CSV row that reaches a record
        // was left by its own plain lane, so it goes the general way at once.
        switch record.isXMLAct ? validator.validateAct(record, memo: memo) : validator.validate(record, memo: memo) {
        case .failure(let rejected):
            emit(.rejected(rejected.issues.map(naming)))
            return nil
        case .success(let line):
            if let period, !period.contains(line.actDate) {
                emit(.outsidePeriod)
                return nil
            }
            return line
        }
    }

    enum PlainRead {
        /// The next row is not plain, or has a value to be read as text: `next()` reads it.
        case notPlain
        case line(ActLine)
        case outsidePeriod
    }

    /// The next row of a CSV file, when it is plain (`CSVRecordReader.nextPlainLine`): its line, as
    /// `validate` would have given it from the record `next()` would have made.
    func readPlainRow(from reader: CSVRecordReader) throws -> PlainRead {
        guard let line = try reader.nextPlainLine(validator, memo: memo) else { return .notPlain }
        if let period, !period.contains(line.actDate) { return .outsidePeriod }
        return .line(line)
    }

    /// Groups a valid line into its invoice, handing over the invoice it closes.
    mutating func assemble(_ line: consuming ActLine, naming: (InputIssue) -> InputIssue, emit: (consuming FileEvent) -> Void) {
        switch assembler.add(line) {
        case .failure(let rejected): emit(.rejected(rejected.issues.map(naming)))
        case .success(let closed): if let closed { emit(.invoice(closed)) }
        }
    }

    /// The file's last invoice, at its end.
    mutating func flush() -> Invoice? { assembler.flush() }

    /// An invoice audited, whose array the next invoice can use (`InvoiceAssembler.recycle`).
    mutating func recycle(_ invoice: consuming Invoice) { assembler.recycle(invoice) }
}

/// Reads, validates and groups into invoices the rows of the files, one file after the other, and
/// hands over what it finds in file order. It touches nothing of the audit, so it may run on its
/// own thread (the pseudonym cache it shares is locked).
final class FileAuditReader: @unchecked Sendable {
    let profile: MappingProfile
    let encoding: TextEncodingChoice?
    let suggestedProfiles: [MappingProfile]
    let validator: RecordValidator
    let period: ActPeriod?
    private(set) var linesRead = 0
    /// When the audit runs on another thread, the work of a record is shared so that both threads
    /// are busy: a file whose reading costs much more than validating its records (XML) hands its
    /// records over raw, as `.record`, and the audit's thread validates them; another (CSV) hands
    /// over its valid lines, as `.line`, and the audit's thread groups them into invoices (measured
    /// with callgrind on a generated batch, the CSV reading thread spent 14 500 instructions a line
    /// and the audit's 11 700; with the grouping moved over, 13 600 and 13 400; handing over one
    /// record in five raw as well made it 12 900 and 15 100). The outcome is the same: the events
    /// keep their order.
    var sharesWorkWithTheAudit = false
    /// Set from the queue to the audit's thread as batches go in: the audit is behind when batches
    /// pile up (half the queue), and caught up when at most one waits. While it is behind, the
    /// records a file hands over raw are validated here instead: with libxml2 fed many tags at a
    /// time, the XML reading thread waited for the audit's some third of the run, and the
    /// validation is the share of the work either thread can do.
    var auditIsBehind = false
    /// `AuditRunner.readsPlainRows`.
    var readsPlainRows = true

    init(profile: MappingProfile, encoding: TextEncodingChoice?, suggestedProfiles: [MappingProfile],
         validator: RecordValidator, period: ActPeriod?) {
        self.profile = profile
        self.encoding = encoding
        self.suggestedProfiles = suggestedProfiles
        self.validator = validator
        self.period = period
    }

    /// `emit` takes each event: put into a batch, an event it only borrowed was copied, its line's
    /// references retained, and the original released (the reading thread on 50 000 CSV lines:
    /// 569 → 541 M instructions).
    func read(_ inputs: [(URL, String)], emit: (consuming FileEvent) -> Void) {
        for (url, name) in inputs {
            emit(.fileStart(url, name))
            var stage = RecordStage(validator: validator, period: period)
            var reader: RecordReader?
            // Messages name the column as the file does (`Montant`), not as the contract does (`amount`).
            func named(_ issue: InputIssue) -> InputIssue {
                guard let reader else { return issue }
                return FileAuditReader.named(issue) { reader.columnInFile($0) }
            }
            var readToEnd = false
            var gaveRows = false
            var unreadable: InputIssue?
            do {
                let opened = try ExportFiles.openReader(url: url, displayName: name, profile: profile, encoding: encoding,
                                                        suggestedProfiles: suggestedProfiles)
                reader = opened
                let handsOverRecords = sharesWorkWithTheAudit && opened.isCostlierThanValidation
                let handsOverLines = sharesWorkWithTheAudit && !handsOverRecords
                // The audit's thread validates most records and holds every patient in its memo; this
                // thread's, for the records it validates while the audit is behind, holds fewer (8 MB
                // at most): two full memos took the 5M XML lines' peak from 113 to 155 MB.
                if handsOverRecords { stage = RecordStage(validator: validator, period: period, memo: ValidationMemo(patientBits: 18)) }
                // The version of the column names last sent (`.columnNames`): sent again only when they change.
                var columnNamesVersion = -1
                func recordRead() {
                    gaveRows = true
                    linesRead += 1
                    if linesRead % 50_000 == 0 { emit(.progress(linesRead)) }
                    if handsOverRecords || handsOverLines {
                        if opened.columnNamesVersion != columnNamesVersion {
                            emit(.columnNames(opened.columnNamesInFile()))
                            columnNamesVersion = opened.columnNamesVersion
                        }
                    }
                }
                // Plain CSV rows (nearly all) are split and validated in one go, without a record;
                // any other row is read the general way. The events are the same.
                let plainReader = handsOverRecords || !readsPlainRows ? nil : opened as? CSVRecordReader
                while true {
                    if let plainReader {
                        let plainRead = try stage.readPlainRow(from: plainReader)
                        // Consumed, as the events below: the line moves on, not copied.
                        switch consume plainRead {
                        case .notPlain:
                            break
                        case .outsidePeriod:
                            recordRead()
                            emit(.outsidePeriod)
                            continue
                        case .line(let line):
                            recordRead()
                            if handsOverLines { emit(.line(line)) } else { stage.assemble(line, naming: named, emit: emit) }
                            continue
                        }
                    }
                    guard let event = try opened.next() else { break }
                    // Consumed: a record bound from the event was a copy, its arrays retained
                    // and released once more per row.
                    switch consume event {
                    case .record(let record):
                        recordRead()
                        if handsOverRecords && !auditIsBehind {
                            emit(.record(record))
                        } else if handsOverRecords {
                            // Validated here; its arrays go back to the reader once it is gone.
                            if let line = stage.validateGivingBack(record, naming: named, emit: emit) { emit(.line(line)) }
                        } else if handsOverLines {
                            if let line = stage.validate(record, naming: named, emit: emit) { emit(.line(line)) }
                        } else {
                            stage.take(record, naming: named, emit: emit)
                        }
                    case .rejected(let issue):
                        gaveRows = true
                        emit(.rejected([named(issue)]))
                    case .warning(let issue): emit(.issue(named(issue)))
                    }
                }
                readToEnd = true
            } catch let failure as UnreadableFile {
                unreadable = failure.issue
            } catch {
                unreadable = InputIssue(file: name, line: 0, column: nil, message: FileErrorText.describe(error, path: name))
            }
            // What was read before a file broke off is still audited: nothing read is dropped.
            let last = stage.flush()
            // The file's records are gone: the arrays of those validated here go back to the pool.
            stage.giveBackStorage()
            emit(.fileEnd(name: name, readable: readToEnd || gaveRows, unreadable: unreadable,
                          codeColumn: reader?.columnInFile(.code)))
            if let last { emit(.invoice(last)) }
        }
    }
}

extension FileAuditReader {
    /// The issue with its column named as the file names it (`columnInFile`), unless already named.
    static func named(_ issue: InputIssue, _ columnInFile: (Column) -> String?) -> InputIssue {
        guard issue.columnInFile == nil, let column = issue.column.flatMap(Column.init(rawValue:)) else { return issue }
        var named = issue
        named.columnInFile = columnInFile(column)
        return named
    }

    /// The same, from column names by `Column.ordinal`.
    static func named(_ issue: InputIssue, _ columnNames: [String?]) -> InputIssue {
        named(issue) { columnNames[$0.ordinal] }
    }
}

