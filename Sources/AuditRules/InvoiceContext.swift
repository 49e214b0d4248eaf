import BillingModel

/// What the conditions ask of an invoice, worked out once per invoice.
struct InvoiceContext {
    let invoice: Invoice
    /// The invoice's distinct codes. An invoice has a few: comparing a few short strings costs less
    /// than hashing each one, which a `Set` did for every condition of every rule.
    let codes: [String]
    let ageYears: Int
    let ageMonths: Int
    let ageDays: Int
    let isPublicHoliday: Bool
    /// Set by the engine from the rule set's tariffs: CCAM technical acts on the invoice, a
    /// consultation billed with one that has no III-3 A derogation, the codes' categories.
    var ccamActs = 0
    var consultationWithTechnicalActWithoutCumul = false
    var categories: [String] = []

    init(invoice: Invoice, holidays: PublicHolidays) {
        self.invoice = invoice
        codes = InvoiceContext.distinct(invoice.lines.map(\.code.text))
        let birth = invoice.patient.birthDate
        ageYears = birth.completedYears(on: invoice.date)
        ageMonths = birth.completedMonths(on: invoice.date)
        ageDays = birth.days(until: invoice.date)
        isPublicHoliday = holidays.contains(invoice.date)
    }

    static func distinct(_ values: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(values.count)
        for value in values where !result.contains(value) { result.append(value) }
        return result
    }

    /// The line a finding points at: the first whose code is in `codes`, or the first line.
    func anchor(_ anchorCodes: [String]) -> ActLine? {
        if anchorCodes.isEmpty { return invoice.lines.first }
        return invoice.lines.first { anchorCodes.contains($0.code.text) }
    }

    func matches(_ when: Conditions) -> Bool {
        if let any = when.codesAny, !any.contains(where: codes.contains) { return false }
        if let all = when.codesAll, !all.allSatisfy(codes.contains) { return false }
        if let none = when.codesNone, none.contains(where: codes.contains) { return false }
        if let only = when.codesOnly, !codes.allSatisfy(only.contains) { return false }
        if let count = when.lineCount {
            let counted = invoice.lines.filter { when.codesAny?.contains($0.code.text) ?? true }.count
            if !count.contains(counted) { return false }
        }
        if let limit = when.maxCoefficientThousandths {
            let relevant = invoice.lines.filter { when.codesAny?.contains($0.code.text) ?? true }
            if relevant.contains(where: { $0.coefficient.thousandths > limit }) { return false }
        }
        if let specialties = when.specialty, !specialties.contains(invoice.specialty.code) { return false }
        if let places = when.place, !places.contains(invoice.place) { return false }
        if let age = when.age, !age.contains(ageYears) { return false }
        if let months = when.ageMonths, !months.contains(ageMonths) { return false }
        if let days = when.ageDays, !days.contains(ageDays) { return false }
        if let ald = when.ald, ald != invoice.patient.ald { return false }
        if let statuses = when.mtStatus, !statuses.contains(invoice.patient.mtStatus?.rawValue ?? "unknown") { return false }
        if let covers = when.coverage, !covers.contains(invoice.patient.coverage?.rawValue ?? Conditions.ordinaryCoverage) { return false }
        if let count = when.ccamActs, !count.contains(ccamActs) { return false }
        if let flag = when.technicalActWithoutCumul, flag != consultationWithTechnicalActWithoutCumul { return false }
        if let none = when.categoriesNone, none.contains(where: categories.contains) { return false }
        if let weekdays = when.weekday, !weekdays.contains(invoice.date.isoWeekday) { return false }
        if let band = when.time {
            guard let time = invoice.time, band.contains(time) else { return false }
        }
        if let holiday = when.publicHoliday, holiday != isPublicHoliday { return false }
        if let night = when.outOfHours {
            let atNight = invoice.time.map(night.contains) ?? false
            guard atNight || invoice.date.isoWeekday == 7 || isPublicHoliday else { return false }
        }
        if let from = when.dateFrom, invoice.date < from { return false }
        if let until = when.dateUntil, invoice.date > until { return false }
        if let any = when.anyOf, !any.contains(where: matches) { return false }
        if let none = when.noneOf, none.contains(where: matches) { return false }
        return true
    }
}
