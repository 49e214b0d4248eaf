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
        // Through the bytes' pointer (a code is a small String, held inline): walking the UTF-8
        // view cost some 130 instructions a code, for every line of every invoice.
        if let key = text.utf8.withContiguousStorageIfAvailable(of) { return key }
        return of(Array(text.utf8))
    }

    static func of<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
        guard bytes.count <= 8 else { return unmatchable }
        var key: UInt64 = 0
        for byte in bytes {
            guard byte != 0, byte < 0x80 else { return unmatchable }
            key = key << 8 | UInt64(byte)
        }
        return key
    }
}

/// A rule's conditions made once per rule into what an invoice's context compares directly: code
/// lists packed (`CodeKey`), specialties packed, and the short closed lists (places, médecin
/// traitant statuses, covers, weekdays) as bit masks. Held by a class: a `Conditions` handed over
/// by value retained and released each of its lists, for every rule of every invoice; and the
/// lists of Strings compared with the invoice's first line, read again for each condition, were
/// most of the cost of matching.
final class CompiledConditions {
    let codesAny: [UInt64]?
    let codesAll: [UInt64]?
    let codesNone: [UInt64]?
    let codesOnly: [UInt64]?
    let lineCount: IntRange?
    let maxCoefficientThousandths: Int64?
    /// Specialty codes packed (`CodeKey`), compared with the invoice's, packed the same way.
    let specialties: [UInt64]?
    /// Bit `InvoiceContext.placeBit` of each place listed.
    let places: UInt8?
    let age: IntRange?
    let ageMonths: IntRange?
    let ageDays: IntRange?
    let ald: Bool?
    /// Bit `InvoiceContext.mtStatusBit` of each status listed (`unknown` for an empty one); a
    /// listed value no invoice can have sets no bit, as it matched no invoice.
    let mtStatuses: UInt8?
    /// Bit `InvoiceContext.coverageBit` of each cover listed (`ordinary` for an empty one).
    let covers: UInt8?
    let ccamActs: IntRange?
    let technicalActWithoutCumul: Bool?
    let categoriesNone: [String]?
    /// Bit n for ISO weekday n (1 Monday … 7 Sunday).
    let weekdays: UInt8?
    let time: TimeBand?
    let publicHoliday: Bool?
    let outOfHours: TimeBand?
    let dateFrom: CalendarDay?
    let dateUntil: CalendarDay?
    let anyOf: [CompiledConditions]?
    let noneOf: [CompiledConditions]?
    /// The conditions set, a bit each (`Condition`): `InvoiceContext.matches` visits those alone.
    /// Asking each of the two dozen fields whether it was set took some 170 instructions a rule,
    /// for the eight rules an invoice passes on average, when most rules set three or four.
    let present: UInt32

    /// A condition's bit in `present`. Every condition must hold, so the order they are tested in
    /// changes nothing but the time: the comparisons of one value first, the lists last.
    enum Condition: Int, CaseIterable {
        case places, ald, mtStatuses, covers, weekdays, publicHoliday, age, ageMonths, ageDays, specialties
        case dateFrom, dateUntil, time, outOfHours, ccamActs, technicalActWithoutCumul
        case codesAny, codesNone, codesAll, codesOnly, lineCount, maxCoefficient, categoriesNone, anyOf, noneOf
    }

    init(_ conditions: Conditions) {
        codesAny = conditions.codesAny?.map(CodeKey.of)
        codesAll = conditions.codesAll?.map(CodeKey.of)
        codesNone = conditions.codesNone?.map(CodeKey.of)
        codesOnly = conditions.codesOnly?.map(CodeKey.of)
        lineCount = conditions.lineCount
        maxCoefficientThousandths = conditions.maxCoefficientThousandths
        specialties = conditions.specialty?.map(CodeKey.of)
        places = conditions.place.map { $0.reduce(0) { $0 | InvoiceContext.placeBit($1) } }
        age = conditions.age
        ageMonths = conditions.ageMonths
        ageDays = conditions.ageDays
        ald = conditions.ald
        mtStatuses = conditions.mtStatus.map { $0.reduce(0) { $0 | InvoiceContext.mtStatusBit(named: $1) } }
        covers = conditions.coverage.map { $0.reduce(0) { $0 | InvoiceContext.coverageBit(named: $1) } }
        ccamActs = conditions.ccamActs
        technicalActWithoutCumul = conditions.technicalActWithoutCumul
        categoriesNone = conditions.categoriesNone
        weekdays = conditions.weekday.map { $0.reduce(0) { (1...7).contains($1) ? $0 | UInt8(1) << UInt8($1) : $0 } }
        time = conditions.time
        publicHoliday = conditions.publicHoliday
        outOfHours = conditions.outOfHours
        dateFrom = conditions.dateFrom
        dateUntil = conditions.dateUntil
        anyOf = conditions.anyOf?.map(CompiledConditions.init)
        noneOf = conditions.noneOf?.map(CompiledConditions.init)
        var present: UInt32 = 0
        for condition in Condition.allCases {
            let isSet: Bool
            switch condition {
            case .places: isSet = places != nil
            case .ald: isSet = ald != nil
            case .mtStatuses: isSet = mtStatuses != nil
            case .covers: isSet = covers != nil
            case .weekdays: isSet = weekdays != nil
            case .publicHoliday: isSet = publicHoliday != nil
            case .age: isSet = age != nil
            case .ageMonths: isSet = ageMonths != nil
            case .ageDays: isSet = ageDays != nil
            case .specialties: isSet = specialties != nil
            case .dateFrom: isSet = dateFrom != nil
            case .dateUntil: isSet = dateUntil != nil
            case .time: isSet = time != nil
            case .outOfHours: isSet = outOfHours != nil
            case .ccamActs: isSet = ccamActs != nil
            case .technicalActWithoutCumul: isSet = technicalActWithoutCumul != nil
            case .codesAny: isSet = codesAny != nil
            case .codesNone: isSet = codesNone != nil
            case .codesAll: isSet = codesAll != nil
            case .codesOnly: isSet = codesOnly != nil
            case .lineCount: isSet = lineCount != nil
            case .maxCoefficient: isSet = maxCoefficientThousandths != nil
            case .categoriesNone: isSet = categoriesNone != nil
            case .anyOf: isSet = anyOf != nil
            case .noneOf: isSet = noneOf != nil
            }
            if isSet { present |= 1 << UInt32(condition.rawValue) }
        }
        self.present = present
    }
}

/// What the conditions ask of an invoice, worked out once per invoice. One object, refilled for
/// each invoice (`AuditEngine.fillContext(with:)`): made anew per invoice, its arrays were
/// allocated and freed for every invoice; handed by value, it was copied whole where a closure
/// captured it.
/// Its lists are read through buffer pointers (`ScratchArray`): as arrays held by a class, each
/// was retained and released, atomically, wherever a rule read it, for every rule of every invoice.
final class InvoiceContext {
    /// Holds the invoice's lines (and their storage, which `lines` points into) until the next refill.
    @exclusivity(unchecked) private var invoice: Invoice?
    /// The invoice's lines, in `invoice`'s own storage: kept alive by `invoice`, never changed
    /// through it, and let go only with it (`refill` sets both again, `giveUpInvoice` empties both).
    @exclusivity(unchecked) private(set) var lines = UnsafeBufferPointer<ActLine>(start: nil, count: 0)
    @exclusivity(unchecked) private var lineCodeList = ScratchArray<UInt64>()
    @exclusivity(unchecked) private var codeList = ScratchArray<UInt64>()
    @exclusivity(unchecked) private var lineTariffList = ScratchArray<TariffSchedule.LineTariff?>()
    @exclusivity(unchecked) private var rateList = ScratchArray<Int64?>()
    @exclusivity(unchecked) private var lineValueList = ScratchArray<Cents?>()
    /// Each line's code, packed (`CodeKey`), in line order.
    var lineCodes: UnsafeBufferPointer<UInt64> { lineCodeList.elements }
    /// The invoice's distinct codes, packed. An invoice has a few: comparing a few integers costs
    /// less than hashing each one, which a `Set` did for every condition of every rule.
    var codes: UnsafeBufferPointer<UInt64> { codeList.elements }
    /// Each line's tariff entry (nil for a code no tariff file lists), found once per invoice for
    /// every rule that prices or ranks its lines.
    var lineTariffs: UnsafeBufferPointer<TariffSchedule.LineTariff?> { lineTariffList.elements }
    /// Each line's unit value on its day, in the run's zone, for its practitioner's specialty (nil
    /// for a code without a tariff that day), found once per invoice for the totals and the rules
    /// that price a line, which each looked it up again.
    var lineValues: UnsafeBufferPointer<Cents?> { lineValueList.elements }
    /// Each line's association rate, in percent (`AuditEngine.associationRates`); nil where unknown.
    var rates: UnsafeBufferPointer<Int64?> { rateList.elements }
    @exclusivity(unchecked) private(set) var ageYears = 0
    @exclusivity(unchecked) private(set) var ageMonths = 0
    @exclusivity(unchecked) private(set) var ageDays = 0
    /// Set by the engine, which keeps the year's holidays.
    @exclusivity(unchecked) var isPublicHoliday = false
    /// The invoice's facts the conditions read, taken once from its first line: through `Invoice`'s
    /// getters each condition copied that line's patient or specialty.
    @exclusivity(unchecked) private(set) var date = CalendarDay(dayNumber: 0)
    /// `date.dayNumber`, worked out once: the ages, the weekday, the holidays and the duplicate
    /// rule each worked it out again.
    @exclusivity(unchecked) private(set) var dayNumber = 0
    @exclusivity(unchecked) private(set) var time: TimeOfDay?
    @exclusivity(unchecked) private(set) var weekday = 1
    @exclusivity(unchecked) private(set) var specialtyKey: UInt64 = 0
    @exclusivity(unchecked) private(set) var placeBit: UInt8 = 0
    @exclusivity(unchecked) private(set) var ald = false
    @exclusivity(unchecked) private(set) var mtStatusBit: UInt8 = 0
    @exclusivity(unchecked) private(set) var coverageBit: UInt8 = 0
    /// Set by the engine from the rule set's tariffs: CCAM technical acts on the invoice, and a
    /// consultation billed with one that has no III-3 A derogation.
    @exclusivity(unchecked) var ccamActs = 0
    @exclusivity(unchecked) var consultationWithTechnicalActWithoutCumul = false

    /// Makes this the context of `invoice`, in the storage of the previous one.
    func refill(invoice: Invoice, tariffs: TariffSchedule, zone: String) {
        self.invoice = invoice
        // The pointer outlives the closure: the storage it points into is the array `invoice` holds
        // and nothing changes until `invoice` is replaced or given up, with `lines` beside it.
        lines = self.invoice!.lines.withUnsafeBufferPointer { $0 }
        lineCodeList.removeAll()
        lineTariffList.removeAll()
        codeList.removeAll()
        lineValueList.removeAll()
        for index in lines.indices {
            let code = lines[index].code.text
            let key = CodeKey.of(code)
            lineCodeList.append(key)
            if !codeList.elements.contains(key) { codeList.append(key) }
            let entry = tariffs.box(key: key, code: code)
            lineTariffList.append(entry)
            lineValueList.append(entry?.value(on: lines[index].actDate, zone: zone, specialty: lines[index].specialty.code))
        }
        date = lines[0].actDate
        dayNumber = date.dayNumber
        time = lines[0].actTime
        weekday = CalendarDay.isoWeekday(dayNumber: dayNumber)
        specialtyKey = CodeKey.of(lines[0].specialty.code)
        placeBit = InvoiceContext.placeBit(lines[0].place)
        ald = lines[0].patient.ald
        mtStatusBit = InvoiceContext.mtStatusBit(lines[0].patient.mtStatus)
        coverageBit = InvoiceContext.coverageBit(lines[0].patient.coverage)
        let birth = lines[0].patient.birthDate
        ageYears = birth.completedYears(on: date)
        ageMonths = birth.completedMonths(on: date)
        ageDays = dayNumber - birth.dayNumber
        ccamActs = 0
        consultationWithTechnicalActWithoutCumul = false
        rateList.removeAll()
    }

    /// The invoice, no longer held (`lines` emptied): its array can be used again.
    func giveUpInvoice() -> Invoice? {
        lines = UnsafeBufferPointer(start: nil, count: 0)
        return invoice.take()
    }

    /// Gives every line the rate `rate`, for `AuditEngine.associationRates` to change some.
    func setRates(_ rate: Int64?) {
        rateList.removeAll()
        for _ in lines.indices { rateList.append(rate) }
    }

    func setRate(_ rate: Int64?, at index: Int) { rateList.set(rate, at: index) }

    static func placeBit(_ place: Place) -> UInt8 {
        switch place {
        case .cabinet: return 1
        case .domicile: return 2
        case .ehpad: return 4
        case .tele: return 8
        }
    }

    /// The bit of a status as the export gives it; nil (an empty status) is `unknown` in the rules.
    static func mtStatusBit(_ status: MTStatus?) -> UInt8 {
        switch status {
        case .centre: return 1
        case .elsewhere: return 2
        case .some(.none): return 4
        case nil: return 8
        }
    }

    /// The bit of a status a rule names, 0 for a name no invoice's status has.
    static func mtStatusBit(named name: String) -> UInt8 {
        if name == "unknown" { return mtStatusBit(nil) }
        return MTStatus(rawValue: name).map { mtStatusBit($0) } ?? 0
    }

    /// The bit of a cover; nil (ordinary cover) is `ordinary` in the rules.
    static func coverageBit(_ coverage: Coverage?) -> UInt8 {
        switch coverage {
        case .c2s: return 1
        case .ame: return 2
        case nil: return 4
        }
    }

    /// The bit of a cover a rule names, 0 for a name no invoice's cover has.
    static func coverageBit(named name: String) -> UInt8 {
        if name == Conditions.ordinaryCoverage { return coverageBit(nil) }
        return Coverage(rawValue: name).map { coverageBit($0) } ?? 0
    }

    /// Whether the invoice bills this code (packed).
    func bills(_ code: UInt64) -> Bool { codes.contains(code) }

    /// The line a finding points at: the first whose code is in `anchorCodes` (packed), or the first line.
    func anchor(_ anchorCodes: [UInt64]) -> ActLine? {
        if anchorCodes.isEmpty { return lines.first }
        return lineCodes.firstIndex(where: anchorCodes.contains).map { lines[$0] }
    }

    /// Whether the two lists of packed codes share one: in plain loops, as the lists are short
    /// (the closures of `contains(where:)` were not always inlined).
    @inline(__always)
    static func share(_ left: [UInt64], _ right: UnsafeBufferPointer<UInt64>) -> Bool {
        for leftCode in left {
            for rightCode in right where leftCode == rightCode { return true }
        }
        return false
    }

    /// Whether every code of `subset` is in `codes`.
    @inline(__always)
    static func allIn<Subset: Collection<UInt64>, Codes: Collection<UInt64>>(_ subset: Subset, _ codes: Codes) -> Bool {
        search: for code in subset {
            for other in codes where other == code { continue search }
            return false
        }
        return true
    }

    /// Whether every condition `when` sets holds for this invoice.
    func matches(_ when: CompiledConditions) -> Bool {
        var pending = when.present
        while pending != 0 {
            // The bit's number is the case's place, which is the case's value in memory (a case
            // without payload is stored as its place): `init(rawValue:)` was a call per condition.
            let place = pending.trailingZeroBitCount
            assert(place < CompiledConditions.Condition.allCases.count)
            let condition = unsafeBitCast(UInt8(truncatingIfNeeded: place), to: CompiledConditions.Condition.self)
            pending &= pending &- 1
            if !holds(condition, when) { return false }
        }
        return true
    }

    /// One condition of `when`, which sets it (its bit is in `present`).
    private func holds(_ condition: CompiledConditions.Condition, _ when: CompiledConditions) -> Bool {
        switch condition {
        case .places: return when.places! & placeBit != 0
        case .ald: return when.ald! == ald
        case .mtStatuses: return when.mtStatuses! & mtStatusBit != 0
        case .covers: return when.covers! & coverageBit != 0
        case .weekdays: return when.weekdays! & UInt8(1) << UInt8(weekday) != 0
        case .publicHoliday: return when.publicHoliday! == isPublicHoliday
        case .age: return when.age!.contains(ageYears)
        case .ageMonths: return when.ageMonths!.contains(ageMonths)
        case .ageDays: return when.ageDays!.contains(ageDays)
        case .specialties: return when.specialties!.contains(specialtyKey)
        case .dateFrom: return date >= when.dateFrom!
        case .dateUntil: return date <= when.dateUntil!
        case .time:
            guard let time else { return false }
            return when.time!.contains(time)
        case .outOfHours:
            let atNight = time.map(when.outOfHours!.contains) ?? false
            return atNight || weekday == 7 || isPublicHoliday
        case .ccamActs: return when.ccamActs!.contains(ccamActs)
        case .technicalActWithoutCumul: return when.technicalActWithoutCumul! == consultationWithTechnicalActWithoutCumul
        case .codesAny: return Self.share(when.codesAny!, codes)
        case .codesNone: return !Self.share(when.codesNone!, codes)
        case .codesAll: return Self.allIn(when.codesAll!, codes)
        case .codesOnly: return Self.allIn(codes, when.codesOnly!)
        case .lineCount:
            let counted = lineCodes.filter { when.codesAny?.contains($0) ?? true }.count
            return when.lineCount!.contains(counted)
        case .maxCoefficient:
            let limit = when.maxCoefficientThousandths!
            for index in lineCodes.indices where when.codesAny?.contains(lineCodes[index]) ?? true {
                if lines[index].coefficient.thousandths > limit { return false }
            }
            return true
        case .categoriesNone:
            let none = when.categoriesNone!
            return !lineTariffs.contains(where: { entry in entry.map { none.contains($0.category) } ?? false })
        case .anyOf: return when.anyOf!.contains(where: { matches($0) })
        case .noneOf: return !when.noneOf!.contains(where: { matches($0) })
        }
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
    /// Code (packed) → where the words of the rules it lets through start in `masks`: an offset,
    /// not an array of its own, which each lookup retained and released for every code billed.
    let byCode: BitsKeyedTable<Int>
    let masks: [UInt64]

    init(_ rules: [AuditEngine.EngineRule]) {
        wordCount = (rules.count + 63) / 64
        var ungated = [UInt64](repeating: 0, count: wordCount)
        var byCode = BitsKeyedTable<Int>()
        var masks: [UInt64] = []
        for (index, rule) in rules.enumerated() {
            let bit = UInt64(1) << UInt64(index % 64)
            guard let codes = RuleGates.gateCodes(rule) else {
                ungated[index / 64] |= bit
                continue
            }
            for code in codes {
                let offset: Int
                if let known = byCode.value(for: code) {
                    offset = known
                } else {
                    offset = masks.count
                    masks += [UInt64](repeating: 0, count: wordCount)
                    byCode.set(offset, for: code)
                }
                masks[offset + index / 64] |= bit
            }
        }
        self.ungated = ungated
        self.byCode = byCode
        self.masks = masks
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

/// A list of plain values kept from invoice to invoice and read through a buffer pointer: the
/// rules read an invoice's lists many times, and an `Array` held by a class was retained and
/// released, atomically, around each of those reads. It owns its memory; its elements hold no
/// references (codes, tariff entries held unretained, values, rates), so emptying it only resets
/// its count.
struct ScratchArray<Element: BitwiseCopyable>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private var count = 0

    init() {
        // An invoice has a few lines; a longer one doubles the room as it goes.
        capacity = 8
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    mutating func set(_ element: Element, at index: Int) {
        precondition(index >= 0 && index < count, "index out of range")
        base[index] = element
    }

    mutating func append(_ element: Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.initialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    mutating func removeAll() { count = 0 }
}
