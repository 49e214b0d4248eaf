import BillingModel

/// French public holidays (Code du travail, art. L3133-1): the fixed days and the Easter-based
/// ones, both listed in `ruleset.yaml`, so a change in law is a data change.
public struct PublicHolidays: Sendable {
    /// (month, day) of the fixed holidays.
    public var fixed: [(month: Int, day: Int)]
    /// Days after Easter Sunday (1 Easter Monday, 39 Ascension, 50 Whit Monday).
    public var easterOffsets: [Int]

    public init(fixed: [(month: Int, day: Int)], easterOffsets: [Int]) {
        self.fixed = fixed
        self.easterOffsets = easterOffsets
    }

    public func contains(_ day: CalendarDay) -> Bool {
        if fixed.contains(where: { $0.month == day.month && $0.day == day.day }) { return true }
        let easter = PublicHolidays.easterSunday(year: day.year)
        return easterOffsets.contains { easter.adding(days: $0) == day }
    }

    /// The holidays of a year, by day number (`CalendarDay.dayNumber`), in no particular order.
    public func dayNumbers(in year: Int) -> [Int] {
        var days = fixed.compactMap { CalendarDay(year: year, month: $0.month, day: $0.day)?.dayNumber }
        let easter = PublicHolidays.easterSunday(year: year)
        days += easterOffsets.map { easter.adding(days: $0).dayNumber }
        return days
    }

    /// Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
    public static func easterSunday(year: Int) -> CalendarDay {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CalendarDay(year: year, month: month, day: day)!
    }
}
