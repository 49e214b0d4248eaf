import BillingModel

/// The act dates an audit looks at (`--month`, `--from`/`--to`), both ends included; nil ends
/// are open. Acts outside are skipped and counted, never dropped without a word.
public struct ActPeriod: Sendable, Equatable {
    public var from: CalendarDay?
    public var to: CalendarDay?

    public init(from: CalendarDay?, to: CalendarDay?) {
        self.from = from
        self.to = to
    }

    /// `AAAA-MM`: the whole month.
    public init?(month text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]),
              let first = CalendarDay(year: year, month: month, day: 1) else { return nil }
        let last = (28...31).reversed().lazy.compactMap { CalendarDay(year: year, month: month, day: $0) }.first
        self.init(from: first, to: last)
    }

    public func contains(_ day: CalendarDay) -> Bool {
        if let from, day < from { return false }
        if let to, day > to { return false }
        return true
    }

    /// « du 01/12/2024 au 31/12/2024 », « à partir du … », « jusqu'au … ».
    public var french: String {
        switch (from, to) {
        case let (from?, to?): return "du \(from.french) au \(to.french)"
        case let (from?, nil): return "à partir du \(from.french)"
        case let (nil, to?): return "jusqu'au \(to.french)"
        case (nil, nil): return "toute la période"
        }
    }
}
