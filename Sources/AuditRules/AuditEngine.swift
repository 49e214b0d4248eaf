import BillingIngest
import BillingModel
import CPrefetch
import Dispatch

/// Applies a rule set to invoices in one streaming pass: per line and per invoice as they come,
/// per patient and year in state that grows with the number of patients only, settled by `finish`.
public final class AuditEngine {
    public let ruleSet: RuleSet
    public let roster: Roster?
    public let zone: String

    // The engine's state is changed by one thread, from one call at a time: unchecked, each access
    // was checked for exclusivity at run time, a few times per invoice.
    @exclusivity(unchecked) private var findings = FindingList()
    /// Per rule (`EngineRule.stateSlot`), the state of each patient-year: keyed by the rule's id,
    /// that String was hashed for each fact.
    @exclusivity(unchecked) private var regularPatients: [[PatientYear: RegularPatientState]]
    @exclusivity(unchecked) private var departedDeclarations: [[PatientYear: PatientYearFact]]
    /// The duplicate rule's memory: per patient, the acts around the day seen last (see
    /// `DuplicateMemory`): it holds the patients seen lately or on days still open, not every
    /// patient of the run.
    @exclusivity(unchecked) private var duplicates = DuplicateMemory()
    /// For the tests: a short sweep interval shows the sweeps without a hundred thousand invoices.
    var duplicateSweepInterval: Int {
        get { duplicates.sweepInterval }
        set { duplicates.sweepInterval = newValue }
    }

    /// Days held by the duplicate rule across all patients (for the test that it stays bounded).
    var duplicateDaysKept: Int { duplicates.dayCount }
    /// Patients held by the duplicate rule (for the test that closed days are dropped).
    var duplicatePatientsKept: Int { duplicates.patientCount }

    /// When set, the facts of the rules settled per patient and year (médecin traitant) go here
    /// instead of into this run's state, and `finish` settles none of them: the nightly store keeps
    /// them and settles each patient-year over everything it holds, with `record` then `finish` on
    /// a fresh engine.
    public var patientYearFactSink: ((PatientYearFact) -> Void)?

    /// The rules as the checks read them, made once: handing a `Rule` to a check copied it (some
    /// twenty fields, its conditions and examples) for every rule of every invoice, even from a box
    /// or a buffer pointer; a class is handed over by reference.
    private let rules: [EngineRule]
    /// The same rules, unretained: `rules` holds them for the engine's life, and a rule handed to
    /// its check through `_withUnsafeGuaranteedRef` is not retained and released around each use,
    /// which a rule read from the array was, a few times per check, for every invoice.
    private let unretainedRules: [Unmanaged<EngineRule>]

    final class EngineRule {
        let id: String
        let kind: FindingKind
        let certainty: Certainty
        let check: RuleCheck
        let message: String
        let when: CompiledConditions
        let expect: String?
        /// `expect` packed (`CodeKey`).
        let expectCode: UInt64?
        /// The rule's codes packed (`CodeKey`), compared with each line's packed code.
        let codeKeys: [UInt64]
        let minInvoices: Int
        /// Where the rule's per-patient-year state is (`regularPatients`, `departedDeclarations`):
        /// the place of the first rule of its id, as the state was keyed by id.
        fileprivate(set) var stateSlot = 0

        init(_ rule: Rule) {
            id = rule.id
            kind = rule.kind
            certainty = rule.certainty
            check = rule.check
            message = rule.message
            when = CompiledConditions(rule.when)
            expect = rule.expect
            expectCode = rule.expect.map(CodeKey.of)
            codeKeys = rule.codes.map(CodeKey.of)
            minInvoices = rule.minInvoices
        }
    }

    /// Which rules an invoice can concern, by the codes it bills (`RuleGates`).
    private let gates: RuleGates
    /// The rules by id, for the facts `record` folds: the rule set's own search copied each rule it
    /// passed (a `Rule` is some twenty fields).
    private let rulesByID: [String: EngineRule]

    public init(ruleSet: RuleSet, roster: Roster? = nil, zone: String? = nil) {
        self.ruleSet = ruleSet
        rules = ruleSet.rules.map(EngineRule.init)
        unretainedRules = rules.map(Unmanaged.passUnretained)
        gates = RuleGates(rules)
        // The first rule of an id, as `RuleSet.rule(_:)` finds it.
        rulesByID = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var firstSlots: [String: Int] = [:]
        for (slot, rule) in rules.enumerated() {
            rule.stateSlot = firstSlots[rule.id, default: slot]
            firstSlots[rule.id] = rule.stateSlot
        }
        regularPatients = Array(repeating: [:], count: rules.count)
        departedDeclarations = Array(repeating: [:], count: rules.count)
        self.roster = roster
        self.zone = zone ?? ruleSet.zone
    }

    // MARK: Streaming pass

    public func audit(_ invoice: Invoice) {
        fillContext(with: invoice)
        auditContext()
    }

    /// What the rules read of the invoice being audited, worked out once per invoice: one object,
    /// refilled for each (`fillContext(with:)`), what it said of the previous invoice gone. A
    /// constant, so that reading it retains nothing.
    let context = InvoiceContext()

    /// Makes `context` that of `invoice`, for `auditContext()` and for the runner's totals.
    func fillContext(with invoice: Invoice) {
        context.refill(invoice: invoice, tariffs: ruleSet.tariffs, zone: zone)
        context.isPublicHoliday = isPublicHoliday(context.date, dayNumber: context.dayNumber)
    }

    /// `audit(_:)` for the invoice of `context` (`fillContext(with:)`), which it completes with the
    /// invoice's CCAM session and association rates.
    func auditContext() {
        let context = self.context
        let session = ccamSession(context.lines, context.lineTariffs)
        associationRates(context, session: session)
        context.ccamActs = session.technical.count
        context.consultationWithTechnicalActWithoutCumul = session.consultationWithoutCumul
        // Only the rules the invoice's codes let through, in rule set order (findings keep the order
        // they always had): most rules ask for a code most invoices do not bill.
        // The rules are read through a pointer, each handed over as guaranteed alive (`rules`
        // holds them): taken from the array, each was retained and released, atomically, for every
        // rule of every invoice, and again around its conditions.
        let gates = self.gates
        gates.masks.withUnsafeBufferPointer { masks in unretainedRules.withUnsafeBufferPointer { rules in
            for word in 0..<gates.wordCount {
                var bits = gates.ungated[word]
                for code in context.codes {
                    if let offset = gates.byCode.value(for: code) { bits |= masks[offset &+ word] }
                }
                while bits != 0 {
                    let index = word << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    rules[index]._withUnsafeGuaranteedRef { check($0, context) }
                }
            }
        } }
    }

    private func check(_ rule: EngineRule, _ context: InvoiceContext) {
        switch rule.check {
        case .lineTariff: checkLineTariff(rule, context)
        case .missingCode: checkMissingCode(rule, context)
        case .substitution: checkSubstitution(rule, context)
        case .forbiddenCode: checkForbiddenCode(rule, context)
        case .lineAboveTariff: checkLineAboveTariff(rule, context)
        case .repeatedCode: checkRepeatedCode(rule, context)
        case .ccamAssociation: checkAssociation(rule, context)
        case .duplicateAct: checkDuplicate(rule, context)
        case .mtDeclaration: if let fact = regularPatientFact(rule, context) { hand(fact, rule) }
        case .mtDeparted: if let fact = departedDeclarationFact(rule, context) { hand(fact, rule) }
        case .rosterDates: checkRosterDates(rule, context)
        }
    }

    /// The public holidays of the year last asked about: an export runs through a year's days in
    /// order, and working out Easter and its holidays for every invoice cost a tenth of the rules.
    @exclusivity(unchecked) private var holidayYear = Int.min
    @exclusivity(unchecked) private var holidayDayNumbers: [Int] = []
    /// The day asked about last, and its answer: consecutive invoices mostly share their day.
    @exclusivity(unchecked) private var lastDayAsked = (dayNumber: Int.min, isHoliday: false)

    private func isPublicHoliday(_ day: CalendarDay, dayNumber: Int) -> Bool {
        if day.year != holidayYear {
            holidayYear = day.year
            holidayDayNumbers = ruleSet.holidays.dayNumbers(in: day.year)
        }
        if lastDayAsked.dayNumber != dayNumber { lastDayAsked = (dayNumber, holidayDayNumbers.contains(dayNumber)) }
        return lastDayAsked.isHoliday
    }

    /// Findings held in memory before a sorted run of them goes to a temporary file (`FindingList`).
    var findingsRunLength: Int {
        get { findings.runLength }
        set { findings.runLength = max(1, newValue) }
    }

    /// Settles the per-patient rules and returns every finding in file order.
    public func finish() -> Findings {
        // No invoice comes after this: the duplicate rule's acts are freed before the findings grow.
        duplicates = DuplicateMemory()
        FreedMemory.release()
        // The per-patient findings are settled on another thread, into a list of their own, while
        // the pass's findings are merged from their sorted runs (`FindingList.finish`); the two
        // lists, each in file order, are then read as one (`Findings(merging:_:)`). One after the
        // other, the two took some 35 ms of a 1M-line audit once its reading had ended.
        let (runLength, folder) = (findings.runLength, findings.folder)
        let settled = SettledFindings()
        let settling = DispatchGroup()
        DispatchQueue.global().async(group: settling) { [self] in
            // Reads the per-patient state and the rule set only; the other thread changes `findings` alone.
            var list = FindingList(runLength: runLength, folder: folder)
            for rule in rules {
                switch rule.check {
                case .mtDeclaration: settleRegularPatients(rule, into: &list)
                case .mtDeparted: settleDepartedDeclarations(rule, into: &list)
                default: break
                }
            }
            settled.findings = list.finish()
        }
        let passFindings = findings.finish()
        settling.wait()
        regularPatients = Array(repeating: [:], count: rules.count)
        departedDeclarations = Array(repeating: [:], count: rules.count)
        FreedMemory.release()
        return Findings(merging: passFindings, settled.findings)
    }

    /// What the settling thread of `finish` hands back, read once that thread is done.
    private final class SettledFindings: @unchecked Sendable {
        var findings = Findings()
    }

    // MARK: Prices

    /// A code's value on a day, or nil when the rule set has none: the rule needing it passes by
    /// (the runner lists such codes once as warnings, contract §1.2).
    private func tariff(_ code: String, on day: CalendarDay, specialty: Specialty? = nil) -> Cents? {
        // Some keys are priced by profession (F: 19,06 € for a GP, 8,50 € for a nurse).
        ruleSet.tariffs.value(of: code, on: day, zone: zone, specialty: specialty?.code)
    }

    /// The scheduled amount of line `index` of the context's invoice at its association rate, or nil
    /// when its code has no tariff that day (`InvoiceContext.lineValues`) or its rate cannot be
    /// worked out. The line is read in place, by index: a copy of it retained and released a dozen
    /// references.
    func scheduledAmount(_ context: InvoiceContext, _ index: Int, rate: Int64?) -> Cents? {
        let lines = context.lines
        guard let rate, let unit = context.lineValues[index] else { return nil }
        let perUnit = lines[index].code.isCCAM ? unit : lines[index].coefficient.apply(to: unit)
        return Rounding.percent(rate, of: perUnit * Int64(lines[index].quantity))
    }

    /// How the CCAM acts of an invoice sit beside its consultation (CCAM general provisions,
    /// art. III-3 A): which technical acts cumulate with it, at what rate, and whether one does not.
    struct CCAMSession {
        /// Lines of CCAM technical acts (supplements and complementary acts apart).
        var technical: [Int] = []
        /// Line → rate of an act billed beside a consultation under a listed derogation.
        var cumulRates: [Int: Int64] = [:]
        /// A consultation or visit billed with a technical act that has no derogation that day.
        var consultationWithoutCumul = false
    }

    /// `lineTariffs`: each line's entry (`InvoiceContext.lineTariffs`).
    func ccamSession(_ lines: UnsafeBufferPointer<ActLine>, _ lineTariffs: UnsafeBufferPointer<TariffSchedule.LineTariff?>) -> CCAMSession {
        var session = CCAMSession()
        // Most invoices bill no CCAM act: nothing to rank or cumulate.
        guard lines.contains(where: { $0.code.isCCAM }) else { return session }
        var consultations: [String] = []
        for index in lines.indices {
            if let category = lineTariffs[index]?.category, category == "consultation" || category == "visit" {
                consultations.append(lines[index].code.text)
            }
        }
        for index in lines.indices where lines[index].code.isCCAM {
            if lineTariffs[index]?.isComplementaryOrSupplement == true { continue }
            session.technical.append(index)
        }
        guard !consultations.isEmpty else { return session }
        for index in session.technical {
            let actDate = lines[index].actDate
            let cumul = lineTariffs[index]?.consultationCumuls.first { cumul in
                cumul.covers(actDate) && (!cumul.soleTechnicalAct || session.technical.count == 1)
                    && (cumul.with.isEmpty || consultations.contains(where: cumul.with.contains))
            }
            if let cumul {
                session.cumulRates[index] = cumul.rate
            } else {
                session.consultationWithoutCumul = true
            }
        }
        return session
    }

    /// The rate an export's CCAM association code states (SESAM-Vitale, rule RG_IP654): 1 the
    /// principal act at 100 %, 2 at 50 %, 3 at 75 % (derogation III-3 B 2 a), 4 and 5 at 100 %
    /// (acts of one session all at full rate; acts at separate times of the same day). Code 1 is
    /// checked against the ranking, so it returns nil here; an unknown code too.
    static func statedAssociationRate(_ code: String?) -> Int64? {
        switch code {
        case "2": return 50
        case "3": return 75
        case "4", "5": return 100
        default: return nil
        }
    }

    /// Association rate, in percent, of each line of the invoice.
    /// CCAM (general provisions, art. III-3): an act that cumulates with the consultation under a
    /// listed derogation (ECG as the only technical act, the cervical smear, the listed biopsies at
    /// 50 %, data in tariffs/ccam.yaml) takes its derogation's rate; an association code 2 to 5 in the
    /// export is honoured; the others are ranked: the highest-priced at 100 %, the second at 50 %,
    /// further ones unpaid; `complementary`/`supplement` acts are not ranked.
    /// NGAP (general provisions, art. 11B), for the nurse acts: the act with the highest coefficient
    /// at 100 %, the second at 50 %.
    /// Nil for the ranked CCAM lines of an invoice holding a ranked CCAM act without a tariff on its
    /// date: the ranking, and so those rates, is unknown, and no rule judges those lines by it.
    func associationRates(_ invoice: Invoice) -> [Int64?] {
        fillContext(with: invoice)
        associationRates(context, session: ccamSession(context.lines, context.lineTariffs))
        return Array(context.rates)
    }

    /// Gives each line of `context` its rate (`InvoiceContext.rates`).
    func associationRates(_ context: InvoiceContext, session: CCAMSession) {
        context.setRates(100)
        let lines = context.lines
        let lineTariffs = context.lineTariffs
        if !session.technical.isEmpty { rankTechnicalActs(context, session: session) }
        // The nurse acts, found in one pass: the principal is the highest coefficient, the first of equals.
        var nurseActs = 0
        var principal = 0
        for index in lines.indices where lineTariffs[index]?.category == "nurse-act" {
            if nurseActs == 0 || lines[index].coefficient > lines[principal].coefficient { principal = index }
            nurseActs += 1
        }
        if nurseActs > 1 {
            for index in lines.indices where index != principal && lineTariffs[index]?.category == "nurse-act" { context.setRate(50, at: index) }
        }
    }

    /// The rates of the CCAM technical acts (`associationRates`).
    private func rankTechnicalActs(_ context: InvoiceContext, session: CCAMSession) {
        let lines = context.lines
        let lineTariffs = context.lineTariffs
        var ranked: [(index: Int, price: Cents)] = []
        var unranked: [Int] = []
        for index in session.technical {
            if let rate = session.cumulRates[index] {
                context.setRate(rate, at: index)
            } else if let stated = Self.statedAssociationRate(lines[index].association) {
                context.setRate(stated, at: index)
            } else if let price = lineTariffs[index]?.value(on: lines[index].actDate, zone: zone) {
                ranked.append((index, price))
            } else {
                unranked.append(index)
            }
        }
        if !unranked.isEmpty {
            for index in unranked + ranked.map(\.index) { context.setRate(nil, at: index) }
            ranked = []
        }
        ranked.sort { $0.price != $1.price ? $0.price > $1.price : $0.index < $1.index }
        for (rank, item) in ranked.enumerated() {
            context.setRate(rank == 0 ? 100 : rank == 1 ? 50 : 0, at: item.index)
        }
    }

    // MARK: Checks

    private func checkLineTariff(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        let rates = context.rates
        // By index, the line read only once it is to be priced: binding every line of every
        // invoice for every rule copied each (a dozen references to retain and release).
        let lines = context.lines
        for index in lines.indices where rule.codeKeys.isEmpty || rule.codeKeys.contains(context.lineCodes[index]) {
            let entry = context.lineTariffs[index]
            guard let nomenclature = entry?.nomenclature, nomenclature == .ngap || nomenclature == .ccam,
                  let rate = rates[index] else { continue }
            guard let expected = scheduledAmount(context, index, rate: rate), lines[index].amount < expected else { continue }
            let line = lines[index]
            let lost = expected - line.amount
            add(rule, context, line: line, code: line.code.text, expected: line.code.text, lost: lost, atRisk: .zero, values: [
                "billed": line.amount.euros, "expected_amount": expected.euros, "lost": lost.euros,
                "rate": rate == 100 ? "" : " (taux d'association \(rate) %)",
            ])
        }
    }

    private func checkMissingCode(_ rule: EngineRule, _ context: InvoiceContext) {
        // The packed code and the conditions first: the rule passes by most invoices.
        guard let expectCode = rule.expectCode, !context.bills(expectCode), context.matches(rule.when),
              let expect = rule.expect, let anchor = context.anchor(rule.codeKeys),
              let value = tariff(expect, on: context.date, specialty: anchor.specialty) else { return }
        add(rule, context, line: anchor, code: anchor.code.text, expected: expect, lost: value, atRisk: .zero, values: [
            "expected_amount": value.euros, "lost": value.euros,
        ])
    }

    private func checkSubstitution(_ rule: EngineRule, _ context: InvoiceContext) {
        guard let expectCode = rule.expectCode, !context.bills(expectCode), context.matches(rule.when), let expect = rule.expect else { return }
        let lines = context.lines
        for index in lines.indices where rule.codeKeys.contains(context.lineCodes[index]) {
            guard let value = tariff(expect, on: lines[index].actDate, specialty: lines[index].specialty), value > lines[index].amount else { continue }
            let line = lines[index]
            let lost = value - line.amount
            add(rule, context, line: line, code: line.code.text, expected: expect, lost: lost, atRisk: .zero, values: [
                "billed": line.amount.euros, "expected_amount": value.euros, "lost": lost.euros,
            ])
        }
    }

    private func checkForbiddenCode(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        for index in context.lines.indices where rule.codeKeys.contains(context.lineCodes[index]) {
            let line = context.lines[index]
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: line.amount, values: [
                "billed": line.amount.euros, "at_risk": line.amount.euros,
            ])
        }
    }

    private func checkLineAboveTariff(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        let rates = context.rates
        let lines = context.lines
        for index in lines.indices where rule.codeKeys.contains(context.lineCodes[index]) {
            guard let rate = rates[index], let expected = scheduledAmount(context, index, rate: rate),
                  lines[index].amount > expected else { continue }
            let line = lines[index]
            let excess = line.amount - expected
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: excess, values: [
                "billed": line.amount.euros, "expected_amount": expected.euros, "at_risk": excess.euros,
            ])
        }
    }

    private func checkRepeatedCode(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        let lineCodes = context.lineCodes
        for index in lineCodes.indices where rule.codeKeys.contains(lineCodes[index]) {
            // Every line of a code after its first is a finding (the earlier lines are searched:
            // an invoice has a few, and a list of the codes seen was an array made per invoice).
            guard lineCodes[..<index].contains(lineCodes[index]) else { continue }
            let line = context.lines[index]
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: line.amount, values: [
                "billed": line.amount.euros, "at_risk": line.amount.euros,
            ])
        }
    }

    private func checkAssociation(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        let rates = context.rates
        let lines = context.lines
        for index in lines.indices where lines[index].code.isCCAM && lines[index].modifiers.isEmpty {
            guard let rate = rates[index], let expected = scheduledAmount(context, index, rate: rate),
                  lines[index].amount > expected else { continue }
            let line = lines[index]
            let excess = line.amount - expected
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: excess, values: [
                "billed": line.amount.euros, "expected_amount": expected.euros, "at_risk": excess.euros,
                "rate": "\(rate) %",
            ])
        }
    }

    private func checkDuplicate(_ rule: EngineRule, _ context: InvoiceContext) {
        guard context.matches(rule.when) else { return }
        // What the closure reads, taken from the context once.
        let lines = context.lines
        let lineCodes = context.lineCodes
        let codeKeys = rule.codeKeys
        let invoiceID = lines[0].invoiceID
        let day = Int32(clamping: context.dayNumber)
        // The patient's state is changed where it is held; the duplicates found are reported after.
        // A line is compared by its fields in place: an act is made only for a line kept.
        var repeats: [(index: Int, first: DuplicateActs.Act)] = []
        duplicates.visit(lines[0].patient.ref, day: day) { visit in
            for index in lines.indices where codeKeys.isEmpty || codeKeys.contains(lineCodes[index]) {
                if let first = visit.first(practitionerID: lines[index].practitionerID, code: lines[index].code.text,
                                           coefficient: lines[index].coefficient) {
                    if first.invoiceID != invoiceID { repeats.append((index, first)) }
                } else {
                    visit.keep(practitionerID: lines[index].practitionerID, code: lines[index].code.text,
                               coefficient: lines[index].coefficient, invoiceID: invoiceID, location: lines[index].location)
                }
            }
        }
        for (index, first) in repeats {
            let line = lines[index]
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: line.amount, values: [
                "billed": line.amount.euros, "at_risk": line.amount.euros,
                "first_invoice": first.invoiceID, "first_location": "\(first.location.file) ligne \(first.location.line)",
            ])
        }
    }

    private func checkRosterDates(_ rule: EngineRule, _ context: InvoiceContext) {
        guard let roster, !roster.isEmpty, context.matches(rule.when) else { return }
        let line = context.lines[0]
        if let entry = roster[line.practitionerID] {
            guard !entry.isActive(on: context.date) else { return }
            let period = "du \(entry.startDate?.french ?? "…") au \(entry.endDate?.french ?? "…")"
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: .zero, values: [
                "reason": "\(entry.name) n'est au tableau des praticiens que \(period)",
            ])
        } else {
            add(rule, context, line: line, code: line.code.text, expected: nil, lost: .zero, atRisk: .zero, values: [
                "reason": "le praticien \(line.practitionerID) n'est pas dans le tableau des praticiens",
            ])
        }
    }

    // MARK: Per patient and year

    private func hand(_ fact: PatientYearFact, _ rule: EngineRule) {
        if let patientYearFactSink { patientYearFactSink(fact) } else { record(fact, rule) }
    }

    /// What an invoice tells a per-patient-year rule, with ages instead of the birth date.
    private func fact(_ rule: EngineRule, _ context: InvoiceContext, departure: Departure? = nil) -> PatientYearFact {
        // The first line read in place (`Invoice`'s getters copied it, its strings retained).
        let lines = context.lines
        let date = context.date
        let yearEnd = CalendarDay(year: date.year, month: 12, day: 31)!
        return PatientYearFact(rule: rule.id, patient: lines[0].patient.ref, year: date.year, invoiceID: lines[0].invoiceID,
                               date: date, practitionerID: lines[0].practitionerID, location: lines[0].location,
                               code: lines[0].code.text, ald: lines[0].patient.ald, coverage: lines[0].patient.coverage,
                               ageAtYearEnd: lines[0].patient.birthDate.completedYears(on: yearEnd),
                               ageOnDate: context.ageYears, departure: departure)
    }

    private func regularPatientFact(_ rule: EngineRule, _ context: InvoiceContext) -> PatientYearFact? {
        guard context.matches(rule.when) else { return nil }
        return fact(rule, context)
    }

    private func departedDeclarationFact(_ rule: EngineRule, _ context: InvoiceContext) -> PatientYearFact? {
        // The roster first: most runs have none, and the rule runs on every invoice. The patient's
        // fields are read in place (`Invoice.patient` copied them, its strings retained).
        guard let roster, context.lines[0].patient.mtStatus == .centre,
              let declared = context.lines[0].patient.mtPractitionerID,
              let entry = roster[declared], let end = entry.endDate, end < context.date, context.matches(rule.when) else { return nil }
        return fact(rule, context, departure: Departure(practitionerID: declared, name: entry.name, endDate: end))
    }

    /// Folds one fact into the state of its patient-year. The result does not depend on the order
    /// facts come in (ties between equal dates go by file and line), so that a year settled from
    /// the nightly store equals the same year audited in one run.
    public func record(_ fact: PatientYearFact) {
        guard let rule = rulesByID[fact.rule] else { return }
        record(fact, rule)
    }

    /// `record` for a fact of this run, whose rule is at hand: its id, a heap String, was hashed
    /// for each fact to find it again.
    private func record(_ fact: PatientYearFact, _ rule: EngineRule) {
        let key = PatientYear(patient: fact.patient, year: fact.year)
        switch rule.check {
        case .mtDeclaration:
            let anchor = FactAnchor(fact)
            regularPatients[rule.stateSlot][key, default: RegularPatientState(first: fact, anchor: anchor)].fold(fact, anchor)
        case .mtDeparted:
            // The first encounter after the departure is the one the finding points at.
            if let first = departedDeclarations[rule.stateSlot][key], !fact.isBefore(first) { return }
            departedDeclarations[rule.stateSlot][key] = fact
        default:
            return
        }
    }

    private func settleRegularPatients(_ rule: EngineRule, into list: inout FindingList) {
        for (key, state) in regularPatients[rule.stateSlot] where state.invoices >= rule.minInvoices {
            // The doctor who saw the patient most that year; ties go to the most recent.
            let seen = state.others.reduce(state.first) { best, candidate in
                if best.count != candidate.count { return best.count < candidate.count ? candidate : best }
                if best.latest.date != candidate.latest.date { return best.latest.date < candidate.latest.date ? candidate : best }
                return best.practitionerID > candidate.practitionerID ? candidate : best
            }
            addForfaitFinding(rule, patient: key, ageAtYearEnd: state.ageAtYearEnd, ald: state.ald, coverage: state.coverage,
                              practitionerID: seen.practitionerID, anchor: seen.latest, extra: ["invoices": String(state.invoices)],
                              into: &list)
        }
    }

    private func settleDepartedDeclarations(_ rule: EngineRule, into list: inout FindingList) {
        for (key, declaration) in departedDeclarations[rule.stateSlot] {
            guard let departure = declaration.departure else { continue }
            addForfaitFinding(rule, patient: key, ageAtYearEnd: declaration.ageAtYearEnd, ald: declaration.ald,
                              coverage: declaration.coverage, practitionerID: departure.practitionerID, anchor: FactAnchor(declaration),
                              extra: ["departed": departure.name.isEmpty ? departure.practitionerID : departure.name,
                                      "end_date": departure.endDate.french],
                              into: &list)
        }
    }

    /// The forfait of the patient's category for the year (valued on 31 December, the day the
    /// patientèle is counted), plus the supplements of the patient's cover (C2S from 2026).
    private func addForfaitFinding(_ rule: EngineRule, patient key: PatientYear, ageAtYearEnd: Int, ald: Bool, coverage: Coverage?,
                                   practitionerID: String, anchor: FactAnchor, extra: [String: String], into list: inout FindingList) {
        guard let category = ruleSet.forfait(ageAtYearEnd: ageAtYearEnd, ald: ald, year: key.year) else { return }
        let yearEnd = CalendarDay(year: key.year, month: 12, day: 31)!
        guard var value = tariff(category.code, on: yearEnd) else { return }
        var label = "\(category.scheme) \(category.label)"
        for supplement in ruleSet.forfaitSupplements(coverage: coverage, year: key.year) {
            guard let extra = tariff(supplement.code, on: yearEnd) else { continue }
            value += extra
            label += " + \(supplement.label) (\(extra.euros))"
        }
        var values = extra
        values["forfait"] = label
        values["year"] = String(key.year)
        values["lost"] = value.euros
        values["expected_amount"] = value.euros
        list.append(makeFinding(rule, location: anchor.location, invoiceID: anchor.invoiceID, actDate: anchor.date,
                                    practitionerID: practitionerID, patient: key.patient,
                                    code: anchor.code, expected: category.scheme, lost: value, atRisk: .zero,
                                    age: anchor.ageOnDate, values: values))
    }

    // MARK: Findings

    private func add(_ rule: EngineRule, _ context: InvoiceContext, line: ActLine, code: String, expected: String?,
                     lost: Cents, atRisk: Cents, values: [String: String]) {
        findings.append(makeFinding(rule, location: line.location, invoiceID: line.invoiceID, actDate: line.actDate,
                                    practitionerID: line.practitionerID, patient: line.patient.ref, code: code, expected: expected, lost: lost, atRisk: atRisk,
                                    age: context.ageYears, values: values))
    }

    private func makeFinding(_ rule: EngineRule, location: SourceLocation, invoiceID: String, actDate: CalendarDay,
                             practitionerID: String, patient: PatientRef, code: String,
                             expected: String?, lost: Cents, atRisk: Cents, age: Int, values: [String: String]) -> Finding {
        var all = values
        all["code"] = code
        all["expected"] = expected ?? ""
        all["age"] = String(age)
        all["date"] = actDate.french
        all["invoice"] = invoiceID
        let message = MessageTemplate.fill(rule.message, all)
        return Finding(rule: rule.id, kind: rule.kind, certainty: rule.certainty, location: location,
                       invoiceID: invoiceID, actDate: actDate, practitionerID: practitionerID,
                       patientRef: patient, code: code, expectedCode: expected, lostCents: lost, atRiskCents: atRisk,
                       message: message)
    }
}

struct PatientYear: Hashable {
    var patient: PatientRef
    var year: Int
}

/// One invoice's part in a rule settled per patient and year (the médecin traitant rules). A run
/// folds these in memory; the nightly store keeps them, so that the rule sees the whole year held
/// across runs. Ages stand in for the birth date, which is never kept.
public struct PatientYearFact: Sendable, Hashable {
    public var rule: String
    public var patient: PatientRef
    public var year: Int
    public var invoiceID: String
    public var date: CalendarDay
    public var practitionerID: String
    /// The invoice's first line: where a finding resting on this invoice points.
    public var location: SourceLocation
    public var code: String
    public var ald: Bool
    public var coverage: Coverage?
    /// Completed years on 31 December of `year` (the forfait category) and on `date` (the message).
    public var ageAtYearEnd: Int
    public var ageOnDate: Int
    /// For `mt-practitioner-departed`: the declared doctor who had left, and when.
    public var departure: Departure?

    public init(rule: String, patient: PatientRef, year: Int, invoiceID: String, date: CalendarDay, practitionerID: String,
                location: SourceLocation, code: String, ald: Bool, coverage: Coverage?, ageAtYearEnd: Int, ageOnDate: Int,
                departure: Departure?) {
        self.rule = rule
        self.patient = patient
        self.year = year
        self.invoiceID = invoiceID
        self.date = date
        self.practitionerID = practitionerID
        self.location = location
        self.code = code
        self.ald = ald
        self.coverage = coverage
        self.ageAtYearEnd = ageAtYearEnd
        self.ageOnDate = ageOnDate
        self.departure = departure
    }

    /// Earlier date, or the same date earlier in the files.
    func isBefore(_ other: PatientYearFact) -> Bool { (date, location) < (other.date, other.location) }
}

public struct Departure: Sendable, Hashable {
    public var practitionerID: String
    public var name: String
    public var endDate: CalendarDay

    public init(practitionerID: String, name: String, endDate: CalendarDay) {
        self.practitionerID = practitionerID
        self.name = name
        self.endDate = endDate
    }
}

/// What of an invoice a forfait finding points at, without the rest of its fact.
struct FactAnchor {
    var invoiceID: String
    var date: CalendarDay
    var location: SourceLocation
    var code: String
    var ageOnDate: Int

    init(_ fact: PatientYearFact) {
        invoiceID = fact.invoiceID
        date = fact.date
        location = fact.location
        code = fact.code
        ageOnDate = fact.ageOnDate
    }

    /// Earlier date, or the same date earlier in the files (as `PatientYearFact.isBefore`).
    func isBefore(_ other: FactAnchor) -> Bool { (date, location) < (other.date, other.location) }
}

struct PractitionerSeen {
    var practitionerID: String
    var count: Int
    /// The practitioner's latest invoice that year.
    var latest: FactAnchor

    mutating func see(_ anchor: FactAnchor) {
        count += 1
        if !anchor.isBefore(latest) { latest = anchor }
    }
}

/// One patient-year of the médecin traitant rule, held compact: a patient sees one or two doctors a
/// year, so the first is held in place and any other in a small array (a dictionary per
/// patient-year, each entry a whole fact, took some 650 bytes per patient-year).
struct RegularPatientState {
    var ageAtYearEnd: Int
    var invoices = 0
    var ald: Bool
    var coverage: Coverage?
    /// The latest encounter: its ALD flag, cover and age decide the forfait category.
    var latest: FactAnchor
    var first: PractitionerSeen
    var others: [PractitionerSeen] = []

    init(first fact: PatientYearFact, anchor: FactAnchor) {
        ageAtYearEnd = fact.ageAtYearEnd
        ald = fact.ald
        coverage = fact.coverage
        latest = anchor
        first = PractitionerSeen(practitionerID: fact.practitionerID, count: 0, latest: anchor)
    }

    /// Folds one more invoice in; the result does not depend on the order invoices come in.
    mutating func fold(_ fact: PatientYearFact, _ anchor: FactAnchor) {
        invoices += 1
        if first.practitionerID == fact.practitionerID {
            first.see(anchor)
        } else if let index = others.firstIndex(where: { $0.practitionerID == fact.practitionerID }) {
            others[index].see(anchor)
        } else {
            var seen = PractitionerSeen(practitionerID: fact.practitionerID, count: 0, latest: anchor)
            seen.see(anchor)
            others.append(seen)
        }
        if !anchor.isBefore(latest) {
            latest = anchor
            ald = fact.ald
            coverage = fact.coverage
            ageAtYearEnd = fact.ageAtYearEnd
        }
    }
}

/// The duplicate rule's acts of every patient still in play. Per patient, a `DuplicateState`, in
/// one table; every `sweepInterval` invoices, a patient not seen since the last sweep is dropped
/// - when all their days are closed: more than `windowDays` before the latest day of the run. In an
///   export sorted by date, that is a day closing: no later invoice can fall on it.
/// - whatever their days, when not seen for `idleSweepsKept` sweeps (262 144 invoices): in an
///   export sorted by patient or practitioner, the patient's block ended long ago.
/// So the state follows the patients seen lately, not all the patients of a run (a 5M-line file's
/// 500 000 patients held 100 MB to its end). What is lost: two copies of an act more than that far
/// apart in a file not sorted by date, with no invoice of the patient between them.
///
/// Each patient's state holds the number of the sweep interval it was last seen in. A sweep reads
/// that number and the state's last day, and removes the patients to drop from the table in place.
///
/// The acts themselves are in one pool (`DuplicateActs`), chained per patient, and the table holds
/// plain values: with an array of acts per patient, allocated for each patient coming back and
/// freed at the sweep, retained and released as the table moved its entries, the rule took a
/// quarter of the audit's thread on 1M CSV lines.
struct DuplicateMemory {
    /// 8 192 invoices: a few days of a large centre. Every sweep keeps the patients seen since the
    /// last one, so the interval sets how many the table holds in an export sorted by date: at
    /// 65 536 invoices it held most of the 100 000 patients of 1M generated lines, megabytes read at
    /// random, and the rule took a quarter of the audit's thread in cache misses.
    var sweepInterval = 8_192
    /// 32 intervals: an idle patient is kept for 262 144 invoices, as before with 4 of 65 536.
    static let idleSweepsKept: UInt32 = 32

    /// The patients by their pseudonym's bits; those whose reference is text (none, from an
    /// export: every identifier is pseudonymised) in a dictionary.
    private var patients = BitsKeyedTable<DuplicateState>()
    private var textPatients: [PatientRef: DuplicateState] = [:]
    private var acts = DuplicateActs()
    private var invoicesSinceSweep = 0
    /// Sweeps done so far: the number of the interval the invoices are in.
    private var sweeps: UInt32 = 0
    private var latestDay = Int32.min

    var dayCount: Int { (patients.allValues + textPatients.values).map { acts.dayCount(from: $0.head) }.reduce(0, +) }
    var patientCount: Int { patients.count + textPatients.count }

    /// An invoice of `patient` on `day`: the patient's acts of days more than `windowDays` away are
    /// forgotten, then `body` looks up and keeps the invoice's acts (`DuplicateVisit`).
    mutating func visit(_ patient: PatientRef, day: Int32, _ body: (inout DuplicateVisit) -> Void) {
        let interval = sweeps
        var visit = DuplicateVisit(day: day)
        // The pool moves into the visit and back: no copy, and the table is not touched meanwhile.
        swap(&visit.acts, &acts)
        if let bits = patient.bits {
            let (slot, found) = patients.find(bits)
            if found { visit.state = patients.value(at: slot) }
            visit.run(body)
            visit.state.seenInInterval = interval
            if found {
                // A patient none of whose acts the rule keeps needs no entry.
                if visit.state.isEmpty { patients.remove(at: slot) } else { patients.replace(at: slot, with: visit.state) }
            } else if !visit.state.isEmpty {
                patients.insert(bits, visit.state, at: slot)
            }
        } else {
            let index = textPatients.index(forKey: patient)
            if let index { visit.state = textPatients.values[index] }
            visit.run(body)
            visit.state.seenInInterval = interval
            if let index {
                if visit.state.isEmpty { textPatients.remove(at: index) } else { textPatients.values[index] = visit.state }
            } else if !visit.state.isEmpty {
                textPatients[patient] = visit.state
            }
        }
        swap(&visit.acts, &acts)
        latestDay = max(latestDay, day)
        invoicesSinceSweep += 1
        if invoicesSinceSweep >= sweepInterval { sweep() }
    }

    private mutating func sweep() {
        invoicesSinceSweep = 0
        let closedBefore = latestDay &- DuplicateState.windowDays
        let interval = sweeps
        // A patient seen in the interval ending now stays; another stays while a day is open and it
        // has been idle for fewer than `idleSweepsKept` sweeps, this one counted.
        func isDropped(_ state: DuplicateState) -> Bool {
            guard state.seenInInterval != interval else { return false }
            return state.lastDay < closedBefore || interval &- state.seenInInterval >= DuplicateMemory.idleSweepsKept
        }
        var pool = DuplicateActs()
        swap(&pool, &acts)
        patients.removeAll { state in
            guard isDropped(state) else { return false }
            pool.free(chain: state.head)
            return true
        }
        if !textPatients.isEmpty {
            textPatients = textPatients.filter { entry in
                guard isDropped(entry.value) else { return true }
                pool.free(chain: entry.value.head)
                return false
            }
        }
        swap(&pool, &acts)
        sweeps &+= 1
    }
}

/// One patient's acts around the day seen last, as the table holds them: where their chain starts
/// in the pool, and the first and last days of the acts, which most invoices read without walking
/// the chain. The acts of a day are forgotten once the patient is seen on a day more than
/// `windowDays` away. Whatever the export's order (by date, invoice or practitioner), the invoices
/// of one patient, practitioner and day arrive close together, so the state holds a day or two per
/// patient, not the patient's year.
struct DuplicateState {
    static let windowDays: Int32 = 7

    /// The first act of the chain in `DuplicateActs`; -1 when none.
    var head: Int32 = -1
    /// The earliest and latest days of the acts kept (`.max` and `.min` when none), kept as they
    /// change: a sweep reads the last day of every patient held.
    var firstDay = Int32.max
    var lastDay = Int32.min
    /// The sweep interval the patient was last seen in (`DuplicateMemory`).
    var seenInInterval: UInt32 = 0

    var isEmpty: Bool { head < 0 }
}

/// The acts of every patient held by the duplicate rule, in one array, each patient's chained by
/// `next`. A freed act keeps its place for the next act kept: the array grows to the most acts held
/// at once, not with the rows.
struct DuplicateActs {
    /// What identifies an act (day, practitioner, code, coefficient) and where it was first billed.
    struct Act {
        var day: Int32
        /// The patient's next act, -1 at the chain's end.
        var next: Int32
        var coefficient: Coefficient
        var practitionerID: String
        var code: String
        var invoiceID: String
        var location: SourceLocation
    }

    private(set) var acts: [Act] = []
    /// Freed acts, chained: single acts forgotten, then whole chains of dropped patients, taken
    /// one after the other.
    private var freeHead: Int32 = -1
    private var freeChains: [Int32] = []

    /// Keeps `act`, its `next` already set to the rest of its chain; its index in the pool.
    mutating func keep(_ act: Act) -> Int32 {
        if freeHead < 0, let chain = freeChains.popLast() { freeHead = chain }
        if freeHead >= 0 {
            let index = freeHead
            freeHead = acts[Int(index)].next
            acts[Int(index)] = act
            prefetchNextFree()
            return index
        }
        precondition(acts.count < Int(Int32.max), "acts held by the duplicate rule")
        acts.append(act)
        return Int32(acts.count - 1)
    }

    /// The next act to be kept goes where the free list points, an act freed long ago and out of
    /// the cache: reading its link when the act is kept stalled the audit's thread (a sixth of it on
    /// 1M CSV lines). Asked for now, it has come in by the next invoice.
    private func prefetchNextFree() {
        let next = freeHead >= 0 ? freeHead : (freeChains.last ?? -1)
        guard next >= 0 else { return }
        acts.withUnsafeBufferPointer { cotaudit_prefetch($0.baseAddress! + Int(next)) }
    }

    func day(_ index: Int32) -> Int32 { acts[Int(index)].day }
    func next(_ index: Int32) -> Int32 { acts[Int(index)].next }
    mutating func setNext(of index: Int32, to next: Int32) { acts[Int(index)].next = next }

    /// The act of the chain from `head` that is the same as this one, compared in place (a copy of
    /// each act retained and released its texts).
    func first(from head: Int32, day: Int32, practitionerID: String, code: String, coefficient: Coefficient) -> Act? {
        var index = head
        while index >= 0 {
            let at = Int(index)
            if acts[at].day == day && acts[at].code == code && acts[at].coefficient == coefficient
                && acts[at].practitionerID == practitionerID {
                return acts[at]
            }
            index = acts[at].next
        }
        return nil
    }

    /// Frees one act, already unchained from its patient's.
    mutating func free(_ index: Int32) {
        acts[Int(index)].next = freeHead
        freeHead = index
    }

    /// Frees a patient's whole chain, without walking it.
    mutating func free(chain head: Int32) {
        if head >= 0 { freeChains.append(head) }
    }

    /// The distinct days of a chain (for the tests).
    func dayCount(from head: Int32) -> Int {
        var days: Set<Int32> = []
        var index = head
        while index >= 0 {
            days.insert(acts[Int(index)].day)
            index = acts[Int(index)].next
        }
        return days.count
    }
}

/// A patient's acts while one of their invoices is checked (`DuplicateMemory.visit`).
struct DuplicateVisit {
    let day: Int32
    var state = DuplicateState()
    var acts = DuplicateActs()

    init(day: Int32) { self.day = day }

    mutating func run(_ body: (inout DuplicateVisit) -> Void) {
        forgetAwayDays()
        body(&self)
    }

    /// Drops the acts of days more than `windowDays` before or after `day`.
    private mutating func forgetAwayDays() {
        guard !state.isEmpty else { return }
        let window = DuplicateState.windowDays
        // Most invoices: every act within the window, or none (the patient's last visit was weeks
        // ago); told from the first and last days, without walking the chain.
        if state.firstDay >= day &- window && state.lastDay <= day &+ window { return }
        if state.lastDay < day &- window || state.firstDay > day &+ window {
            acts.free(chain: state.head)
            state = DuplicateState(seenInInterval: state.seenInInterval)
            return
        }
        var previous: Int32 = -1
        var index = state.head
        var firstDay = Int32.max
        var lastDay = Int32.min
        while index >= 0 {
            let (actDay, next) = (acts.day(index), acts.next(index))
            if abs(actDay - day) > window {
                if previous < 0 { state.head = next } else { acts.setNext(of: previous, to: next) }
                acts.free(index)
            } else {
                previous = index
                firstDay = min(firstDay, actDay)
                lastDay = max(lastDay, actDay)
            }
            index = next
        }
        state.firstDay = firstDay
        state.lastDay = lastDay
    }

    /// The act kept on this day that is the same as this one (practitioner, code, coefficient).
    /// An act is kept once per day: there is at most one.
    func first(practitionerID: String, code: String, coefficient: Coefficient) -> DuplicateActs.Act? {
        guard state.firstDay <= day && day <= state.lastDay else { return nil }
        return acts.first(from: state.head, day: day, practitionerID: practitionerID, code: code, coefficient: coefficient)
    }

    mutating func keep(practitionerID: String, code: String, coefficient: Coefficient, invoiceID: String, location: SourceLocation) {
        state.head = acts.keep(DuplicateActs.Act(day: day, next: state.head, coefficient: coefficient, practitionerID: practitionerID,
                                                 code: code, invoiceID: invoiceID, location: location))
        state.firstDay = min(state.firstDay, day)
        state.lastDay = max(state.lastDay, day)
    }
}

extension Array {
    /// Sorts in place through a sorted permutation of indices: the standard sort's buffer of half
    /// the elements (13 MB for 150 000 findings) becomes one of 32-bit indices. Stable, as `sort`.
    mutating func sortInPlaceByPermutation(by areInIncreasingOrder: (Element, Element) -> Bool) {
        guard count > 1, count <= Int(Int32.max) else {
            sort(by: areInIncreasingOrder)
            return
        }
        // order[i]: the index of the element that belongs at position i.
        var order = (0..<Int32(count)).map { $0 }
        // The elements are compared where they are: `self[i]` copied each, retaining and releasing
        // its references (a finding's eight texts) at every comparison.
        withUnsafeBufferPointer { elements in
            order.sort { lhs, rhs in
                if areInIncreasingOrder(elements[Int(lhs)], elements[Int(rhs)]) { return true }
                if areInIncreasingOrder(elements[Int(rhs)], elements[Int(lhs)]) { return false }
                return lhs < rhs
            }
        }
        // Each cycle of the permutation is walked once; a placed position is marked by order[i] == i.
        for start in indices where Int(order[start]) != start {
            let saved = self[start]
            var position = start
            while true {
                let source = Int(order[position])
                order[position] = Int32(position)
                if source == start {
                    self[position] = saved
                    break
                }
                self[position] = self[source]
                position = source
            }
        }
    }
}

/// `{name}` placeholders in a rule's message, filled from the finding.
public enum MessageTemplate {
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        // On the template's UTF-8 bytes, the text between placeholders copied a run at a time: as
        // Characters, each accented letter of a French message cost a grapheme break (40 000
        // instructions a finding); through the String's UTF-8 view and its slices, 13 000. A brace is
        // ASCII, never part of a longer sequence, so the runs cut no character.
        var template = template
        return template.withUTF8 { bytes in
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count + 64)
            var runStart = 0
            var index = 0
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: "{") else {
                    index += 1
                    continue
                }
                var close = index + 1
                while close < bytes.count && bytes[close] != UInt8(ascii: "}") { close += 1 }
                // A brace never closed: the rest is text.
                guard close < bytes.count else { break }
                result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                let name = UnsafeBufferPointer(rebasing: bytes[(index + 1)..<close])
                if var value = values[String(decoding: name, as: UTF8.self)] {
                    value.withUTF8 { result.append(contentsOf: $0) }
                } else {
                    // An unknown placeholder stays as written.
                    result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index...close]))
                }
                index = close + 1
                runStart = index
            }
            result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            return String(decoding: result, as: UTF8.self)
        }
    }
}
