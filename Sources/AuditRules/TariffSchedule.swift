import BillingModel

/// How a code is priced and grouped, from the tariff files.
public struct TariffEntry: Sendable {
    public enum Nomenclature: String, Sendable { case ngap, ccam, modifier, forfait }

    public struct Period: Sendable {
        public var from: CalendarDay
        /// Last day the value applies; nil while in force.
        public var until: CalendarDay?
        public var cents: Cents
        public var zones: [String: Cents]
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
    public var periods: [Period]
    /// First day the code exists, for a code introduced after 2023-01-01 (MOP 2024, GL1 2026).
    public var created: Milestone? = nil
    /// First day the code no longer applies (FPMT replaced by the FMT on 2026-01-01).
    public var retired: Milestone? = nil
    public var file: String
    public var line: Int

    /// The value on `day` in `zone`; a zone with no value of its own takes the metropolitan one.
    public func value(on day: CalendarDay, zone: String) -> Cents? {
        guard let period = periods.first(where: { $0.covers(day) }) else { return nil }
        return period.zones[zone] ?? period.cents
    }
}

/// Every priced code, by code.
public struct TariffSchedule: Sendable {
    public private(set) var entries: [String: TariffEntry] = [:]

    public init(_ entries: [TariffEntry] = []) {
        for entry in entries { self.entries[entry.code] = entry }
    }

    public subscript(code: String) -> TariffEntry? { entries[code] }

    public func value(of code: String, on day: CalendarDay, zone: String) -> Cents? {
        entries[code]?.value(on: day, zone: zone)
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

    public func pricing(of code: String, on day: CalendarDay, zone: String) -> Pricing {
        guard let entry = entries[code] else { return .unknown }
        return entry.value(on: day, zone: zone).map(Pricing.priced) ?? .unpriced
    }

    public func category(of code: String) -> String? { entries[code]?.category }
}
