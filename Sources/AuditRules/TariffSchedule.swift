import BillingModel

/// How a code is priced and grouped, from the tariff files.
public struct TariffEntry: Sendable {
    public enum Nomenclature: String, Sendable { case ngap, ccam, modifier, forfait }

    public struct Period: Sendable {
        public var from: CalendarDay
        /// Last day the value applies; nil while in force.
        public var until: CalendarDay?
        /// Metropolitan value; nil on days the code is known but no source gives its value.
        public var cents: Cents?
        public var zones: [String: Cents]
        /// Values for one specialty (the same key priced differently by profession: F is
        /// 19,06 € for a GP, 8,50 € for a nurse), by specialty code.
        public var specialties: [String: Cents] = [:]
        public var source: String
        public var line: Int

        public func covers(_ day: CalendarDay) -> Bool {
            day >= from && (until.map { day <= $0 } ?? true)
        }
    }

    /// A dated event in a code's life (its creation, its removal from the nomenclature), with the
    /// text that says so.
    public struct Milestone: Sendable {
        public var date: CalendarDay
        public var source: String
    }

    public var code: String
    public var nomenclature: Nomenclature
    public var label: String
    public var category: String
    public var ccamFlags: Set<String>
    /// Validity periods; empty for a key the rule set knows but cannot price.
    public var periods: [Period]
    /// Why the code is known when no period prices it.
    public var source: String? = nil
    /// A derogation to CCAM general provisions art. III-3 A: the act and a consultation or visit
    /// billed in the same session are both paid, the act at `rate` percent.
    public struct ConsultationCumul: Sendable {
        public var from: CalendarDay
        public var until: CalendarDay?
        public var rate: Int64
        /// Only when the act is the invoice's only technical act (the ECG, III-3 A 3°).
        public var soleTechnicalAct: Bool
        /// The consultations it applies to; empty for every consultation and visit.
        public var with: [String]
        public var source: String

        public func covers(_ day: CalendarDay) -> Bool {
            day >= from && (until.map { day <= $0 } ?? true)
        }
    }

    /// CCAM acts that cumulate with a consultation (III-3 A derogations), by date.
    public var consultationCumuls: [ConsultationCumul] = []
    /// First day the code exists, for a code introduced after 2023-01-01 (MOP 2024, GL1 2026).
    public var created: Milestone? = nil
    /// First day the code no longer applies (FPMT replaced by the FMT on 2026-01-01).
    public var retired: Milestone? = nil
    public var file: String
    public var line: Int

    /// True when some period gives a value.
    public var isPriced: Bool { periods.contains { $0.cents != nil || !$0.specialties.isEmpty } }
}

/// Every priced code, by code.
public struct TariffSchedule: Sendable {
    public private(set) var entries: [String: TariffEntry] = [:]
    /// The same entries, boxed: the audit looks codes up several times per line, and reading a field
    /// of a boxed entry does not copy the whole entry (a dozen references to retain and release).
    private var boxes: [String: Box] = [:]
    /// The boxes by packed code (`CodeKey`): the audit finds each line's entry once per invoice by
    /// the integer it already holds, instead of hashing the code's String for every lookup.
    private var boxesByKey = BitsKeyedTable<LineTariff>()

    /// A line's entry as the invoice context holds it: its box unretained, as `boxes` holds every
    /// box for as long as the schedule lives. Copied per line and read by several rules, a retained
    /// box cost two atomic reference counts a line and more on the audit's thread.
    struct LineTariff: @unchecked Sendable {
        private let box: Unmanaged<Box>

        init(_ box: Box) { self.box = .passUnretained(box) }

        var category: String { box._withUnsafeGuaranteedRef { $0.category } }
        var nomenclature: TariffEntry.Nomenclature { box._withUnsafeGuaranteedRef { $0.nomenclature } }
        var isComplementaryOrSupplement: Bool { box._withUnsafeGuaranteedRef { $0.isComplementaryOrSupplement } }
        var consultationCumuls: [TariffEntry.ConsultationCumul] { box._withUnsafeGuaranteedRef { $0.consultationCumuls } }

        func value(on day: CalendarDay, zone: String, specialty: String? = nil) -> Cents? {
            box._withUnsafeGuaranteedRef { $0.value(on: day, zone: zone, specialty: specialty) }
        }
    }

    /// An entry as the audit reads it. The fields it reads are held apart: calling a method of the
    /// boxed struct copied the whole entry first, on every line.
    final class Box: Sendable {
        let category: String
        let nomenclature: TariffEntry.Nomenclature
        /// A CCAM complementary act or supplement: not ranked with the technical acts.
        let isComplementaryOrSupplement: Bool
        let consultationCumuls: [TariffEntry.ConsultationCumul]
        /// The periods as `value` reads them: zones and specialties as short lists, searched in
        /// place. A code has two or three zones and rarely a specialty: comparing a few Strings
        /// costs less than hashing the zone's name, which a dictionary did for every line priced.
        private let periods: [PricedPeriod]

        struct PricedPeriod {
            let from: CalendarDay
            let until: CalendarDay?
            let cents: Cents?
            let zones: [(name: String, cents: Cents)]
            let specialties: [(code: String, cents: Cents)]

            init(_ period: TariffEntry.Period) {
                from = period.from
                until = period.until
                cents = period.cents
                // In key order: a dictionary has one value per key, so any order finds the same one.
                zones = period.zones.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                specialties = period.specialties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            }
        }

        init(_ entry: TariffEntry) {
            category = entry.category
            nomenclature = entry.nomenclature
            isComplementaryOrSupplement = entry.ccamFlags.contains("complementary") || entry.ccamFlags.contains("supplement")
            consultationCumuls = entry.consultationCumuls
            periods = entry.periods.map(PricedPeriod.init)
        }

        /// The value on `day` in `zone` for `specialty`: a specialty's own value first, then the
        /// zone's, then the metropolitan one; nil when no period prices that day. The period's
        /// fields are read in place (a call on the period copied it).
        func value(on day: CalendarDay, zone: String, specialty: String? = nil) -> Cents? {
            for index in periods.indices {
                guard day >= periods[index].from, periods[index].until.map({ day <= $0 }) ?? true else { continue }
                if let specialty {
                    for item in periods[index].specialties where item.code == specialty { return item.cents }
                }
                for item in periods[index].zones where item.name == zone { return item.cents }
                return periods[index].cents
            }
            return nil
        }
    }

    public init(_ entries: [TariffEntry] = []) {
        for entry in entries { self.entries[entry.code] = entry }
        for (code, entry) in self.entries {
            let box = Box(entry)
            boxes[code] = box
            let key = CodeKey.of(code)
            if key != CodeKey.unmatchable { boxesByKey.set(LineTariff(box), for: key) }
        }
    }

    public subscript(code: String) -> TariffEntry? { entries[code] }

    /// The entry of a code packed as `key` (`CodeKey.of(code)`).
    func box(key: UInt64, code: String) -> LineTariff? {
        key == CodeKey.unmatchable ? boxes[code].map(LineTariff.init) : boxesByKey.value(for: key)
    }

    public func value(of code: String, on day: CalendarDay, zone: String, specialty: String? = nil) -> Cents? {
        boxes[code]?.value(on: day, zone: zone, specialty: specialty)
    }

    /// What the rule set knows of a billed code on a day: an unknown or unpriced code keeps its line
    /// (contract §1.2); only the rules that need its tariff pass it by.
    public enum Pricing: Equatable, Sendable {
        case priced(Cents)
        /// Known (a tariff file lists it) but without a value on that day.
        case unpriced
        /// No tariff file lists it.
        case unknown
    }

    public func pricing(of code: String, on day: CalendarDay, zone: String, specialty: String? = nil) -> Pricing {
        let entry = boxes[code].map(LineTariff.init)
        return TariffSchedule.pricing(entry, value: entry?.value(on: day, zone: zone, specialty: specialty))
    }

    /// `pricing(of:on:zone:specialty:)` for a code's entry and its value on the day, already found
    /// (nil entry: the code is unknown; nil value: no period prices the day).
    static func pricing(_ entry: LineTariff?, value: Cents?) -> Pricing {
        guard entry != nil else { return .unknown }
        return value.map(Pricing.priced) ?? .unpriced
    }

    /// NGAP letter keys the rule set knows, priced or not.
    public var ngapKeys: Set<String> {
        Set(entries.values.filter { $0.nomenclature == .ngap }.map(\.code))
    }

    public func category(of code: String) -> String? { boxes[code]?.category }
}
