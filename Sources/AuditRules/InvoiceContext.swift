import BillingModel

/// An act code packed into one integer, so that the rules compare codes as numbers: the Strings
/// compared for every condition of every rule were the largest cost of the audit proper. Every
/// well-formed billed code fits (an NGAP key has at most 6 characters, a CCAM code 7). The packing
/// keeps every byte (none is zero) in order, so two codes share a key only when they are equal.
enum CodeKey {
    /// What a rule's code that no billed code can equal packs to (longer than 8 bytes, or not
    /// ASCII): no byte of a packed code is 0xFF.
    static let unmatchable = UInt64.max

    static func of(_ text: String) -> UInt64 {
        var key: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            guard count < 8, byte != 0, byte < 0x80 else { return unmatchable }
            key = key << 8 | UInt64(byte)
            count += 1
        }
        return key
    }
}

/// A rule's conditions with their code lists packed (`CodeKey`), made once per rule. The other
/// conditions are read in place from `base`, held by a class: a `Conditions` handed over by value
/// retained and released each of its lists, for every rule of every invoice.
final class CompiledConditions {
    let base: Conditions
    let codesAny: [UInt64]?
    let codesAll: [UInt64]?
    let codesNone: [UInt64]?
    let codesOnly: [UInt64]?
    let anyOf: [CompiledConditions]?
    let noneOf: [CompiledConditions]?

    init(_ conditions: Conditions) {
        base = conditions
        codesAny = conditions.codesAny?.map(CodeKey.of)
        codesAll = conditions.codesAll?.map(CodeKey.of)
        codesNone = conditions.codesNone?.map(CodeKey.of)
        codesOnly = conditions.codesOnly?.map(CodeKey.of)
        anyOf = conditions.anyOf?.map(CompiledConditions.init)
        noneOf = conditions.noneOf?.map(CompiledConditions.init)
    }
}

/// What the conditions ask of an invoice, worked out once per invoice.
struct InvoiceContext {
    let invoice: Invoice
    /// Each line's code, packed (`CodeKey`), in line order.
    let lineCodes: [UInt64]
    /// The invoice's distinct codes, packed. An invoice has a few: comparing a few integers costs
    /// less than hashing each one, which a `Set` did for every condition of every rule.
    let codes: [UInt64]
    /// Each line's tariff entry (nil for a code no tariff file lists), found once per invoice for
    /// every rule that prices or ranks its lines.
    let lineTariffs: [TariffSchedule.Box?]
    let ageYears: Int
    let ageMonths: Int
    let ageDays: Int
    let isPublicHoliday: Bool
    /// Set by the engine from the rule set's tariffs: CCAM technical acts on the invoice, a
    /// consultation billed with one that has no III-3 A derogation, the codes' categories.
    var ccamActs = 0
    var consultationWithTechnicalActWithoutCumul = false
    var categories: [String] = []

    init(invoice: Invoice, isPublicHoliday: Bool, tariffs: TariffSchedule) {
        self.invoice = invoice
        let lineCodes = invoice.lines.map { CodeKey.of($0.code.text) }
        self.lineCodes = lineCodes
        codes = InvoiceContext.distinct(lineCodes)
        lineTariffs = invoice.lines.indices.map { tariffs.box(key: lineCodes[$0], code: invoice.lines[$0].code.text) }
        let birth = invoice.patient.birthDate
        ageYears = birth.completedYears(on: invoice.date)
        ageMonths = birth.completedMonths(on: invoice.date)
        ageDays = birth.days(until: invoice.date)
        self.isPublicHoliday = isPublicHoliday
    }

    static func distinct<Value: Equatable>(_ values: [Value]) -> [Value] {
        var result: [Value] = []
        result.reserveCapacity(values.count)
        for value in values where !result.contains(value) { result.append(value) }
        return result
    }

    /// Whether the invoice bills this code (packed).
    func bills(_ code: UInt64) -> Bool { codes.contains(code) }

    /// The line a finding points at: the first whose code is in `anchorCodes` (packed), or the first line.
    func anchor(_ anchorCodes: [UInt64]) -> ActLine? {
        if anchorCodes.isEmpty { return invoice.lines.first }
        return lineCodes.firstIndex(where: anchorCodes.contains).map { invoice.lines[$0] }
    }

    func matches(_ when: CompiledConditions) -> Bool {
        if let any = when.codesAny, !any.contains(where: codes.contains) { return false }
        if let all = when.codesAll, !all.allSatisfy(codes.contains) { return false }
        if let none = when.codesNone, none.contains(where: codes.contains) { return false }
        if let only = when.codesOnly, !codes.allSatisfy(only.contains) { return false }
        if let count = when.base.lineCount {
            let counted = lineCodes.filter { when.codesAny?.contains($0) ?? true }.count
            if !count.contains(counted) { return false }
        }
        if let limit = when.base.maxCoefficientThousandths {
            for index in invoice.lines.indices where when.codesAny?.contains(lineCodes[index]) ?? true {
                if invoice.lines[index].coefficient.thousandths > limit { return false }
            }
        }
        if let specialties = when.base.specialty, !specialties.contains(invoice.specialty.code) { return false }
        if let places = when.base.place, !places.contains(invoice.place) { return false }
        if let age = when.base.age, !age.contains(ageYears) { return false }
        if let months = when.base.ageMonths, !months.contains(ageMonths) { return false }
        if let days = when.base.ageDays, !days.contains(ageDays) { return false }
        if let ald = when.base.ald, ald != invoice.patient.ald { return false }
        if let statuses = when.base.mtStatus, !statuses.contains(invoice.patient.mtStatus?.rawValue ?? "unknown") { return false }
        if let covers = when.base.coverage, !covers.contains(invoice.patient.coverage?.rawValue ?? Conditions.ordinaryCoverage) { return false }
        if let count = when.base.ccamActs, !count.contains(ccamActs) { return false }
        if let flag = when.base.technicalActWithoutCumul, flag != consultationWithTechnicalActWithoutCumul { return false }
        if let none = when.base.categoriesNone, none.contains(where: categories.contains) { return false }
        if let weekdays = when.base.weekday, !weekdays.contains(invoice.date.isoWeekday) { return false }
        if let band = when.base.time {
            guard let time = invoice.time, band.contains(time) else { return false }
        }
        if let holiday = when.base.publicHoliday, holiday != isPublicHoliday { return false }
        if let night = when.base.outOfHours {
            let atNight = invoice.time.map(night.contains) ?? false
            guard atNight || invoice.date.isoWeekday == 7 || isPublicHoliday else { return false }
        }
        if let from = when.base.dateFrom, invoice.date < from { return false }
        if let until = when.base.dateUntil, invoice.date > until { return false }
        if let any = when.anyOf, !any.contains(where: matches) { return false }
        if let none = when.noneOf, none.contains(where: matches) { return false }
        return true
    }
}

/// Which rules can concern an invoice, by the codes it bills, worked out once per rule set. Every
/// check needs the rule's conditions to hold, so a rule with `codes_any` passes by an invoice that
/// bills none of them; and a rule that judges only the lines of its own `codes` (the line checks,
/// and a missing code anchored on one of them) passes by an invoice that bills none of those. The
/// others run on every invoice. A bit per rule, in rule set order, in words of 64.
struct RuleGates {
    let wordCount: Int
    /// The rules that run on every invoice.
    let ungated: [UInt64]
    /// Code (packed) → the rules it lets through.
    let byCode: [UInt64: [UInt64]]

    init(_ rules: [AuditEngine.EngineRule]) {
        wordCount = (rules.count + 63) / 64
        var ungated = [UInt64](repeating: 0, count: wordCount)
        var byCode: [UInt64: [UInt64]] = [:]
        for (index, rule) in rules.enumerated() {
            let bit = UInt64(1) << UInt64(index % 64)
            guard let codes = RuleGates.gateCodes(rule) else {
                ungated[index / 64] |= bit
                continue
            }
            for code in codes {
                byCode[code, default: [UInt64](repeating: 0, count: wordCount)][index / 64] |= bit
            }
        }
        self.ungated = ungated
        self.byCode = byCode
    }

    /// The codes of which an invoice must bill one for the rule to find anything; nil when none is needed.
    static func gateCodes(_ rule: AuditEngine.EngineRule) -> [UInt64]? {
        if let any = rule.when.codesAny { return any }
        switch rule.check {
        case .lineTariff, .missingCode, .substitution, .forbiddenCode, .lineAboveTariff, .repeatedCode:
            return rule.codeKeys.isEmpty ? nil : rule.codeKeys
        case .ccamAssociation, .duplicateAct, .mtDeclaration, .mtDeparted, .rosterDates:
            // These look at every line, or at the invoice as a whole, or keep state from it.
            return nil
        }
    }
}
