import Foundation

/// A calendar day with no time and no time zone: the date of care, a birth date, a validity bound.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `year × 512 + month × 32 + day` in 4 bytes rather than three Ints in 24: a day sits in every
    /// act line, finding and per-patient fact, hundreds of thousands of them held at once. The
    /// packing keeps the calendar order, so equality, hashing and `<` work on it directly.
    private let packed: Int32

    public var year: Int { Int(packed >> 9) }
    public var month: Int { Int((packed >> 5) & 0xF) }
    public var day: Int { Int(packed & 0x1F) }

    /// Nil when the day does not exist (31 April, 29 February of a common year).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= CalendarDay.daysIn(month: month, year: year) else { return nil }
        self.init(checkedYear: year, month: month, day: day)
    }

    /// Years beyond ±4 million (only reachable by arithmetic far outside any billing) are clamped.
    private init(checkedYear year: Int, month: Int, day: Int) {
        packed = Int32(clamping: year) << 9 | Int32(month) << 5 | Int32(day)
    }

    /// Parses `YYYY-MM-DD` or `DD/MM/YYYY` (the two spellings exports use). Nil for anything else
    /// or for a day that does not exist.
    public init?(parsing text: String) {
        // Ten bytes (nearly every value): read in place, no array.
        if text.utf8.count == 10, let parsed = text.utf8.withContiguousStorageIfAvailable({ CalendarDay.parse(tenBytes: $0) }) {
            guard let parsed else { return nil }
            self = parsed
            return
        }
        // Otherwise trimmed first (a value with spaces around it, or another length that is no date).
        let bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        guard bytes.count == 10, let parsed = bytes.withUnsafeBufferPointer(CalendarDay.parse(tenBytes:)) else { return nil }
        self = parsed
    }

    /// `init?(parsing:)` for a value the reader holds as bytes, ASCII and printable at both ends, so
    /// with nothing to trim: the same result as from its text, without making one.
    public init?(trimmedASCII bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 10, let parsed = CalendarDay.parse(tenBytes: bytes) else { return nil }
        self = parsed
    }

    /// `AAAA-MM-JJ` or `JJ/MM/AAAA` in exactly ten bytes; nil for anything else.
    private static func parse(tenBytes bytes: UnsafeBufferPointer<UInt8>) -> CalendarDay? {
        if bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-") {
            let (y, m, d) = (number(bytes, 0, 4), number(bytes, 5, 2), number(bytes, 8, 2))
            guard y >= 0, m >= 0, d >= 0 else { return nil }
            return CalendarDay(year: y, month: m, day: d)
        } else if bytes[2] == UInt8(ascii: "/") && bytes[5] == UInt8(ascii: "/") {
            let (d, m, y) = (number(bytes, 0, 2), number(bytes, 3, 2), number(bytes, 6, 4))
            guard y >= 0, m >= 0, d >= 0 else { return nil }
            return CalendarDay(year: y, month: m, day: d)
        }
        return nil
    }

    /// The value of `count` ASCII digits from `start`, or -1 when one is not a digit. Inlined, with
    /// no optional per digit: two dates a row went through a local function's call per part.
    @inline(__always)
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        var value = 0
        for index in start..<start + count {
            let digit = bytes[index] &- 48
            if digit > 9 { return -1 }
            value = value &* 10 &+ Int(digit)
        }
        return value
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool { lhs.packed < rhs.packed }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic between days.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = (month + 9) % 12
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let d = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let m = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.init(checkedYear: min(max(yearOfEra + era * 400 + (m <= 2 ? 1 : 0), -4_000_000), 4_000_000), month: m, day: d)
    }

    public func adding(days: Int) -> CalendarDay { CalendarDay(dayNumber: dayNumber + days) }

    public func days(until other: CalendarDay) -> Int { other.dayNumber - dayNumber }

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var isoWeekday: Int { CalendarDay.isoWeekday(dayNumber: dayNumber) }

    /// `isoWeekday` of the day numbered `dayNumber`.
    public static func isoWeekday(dayNumber: Int) -> Int {
        let n = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday
        return (n < 0 ? n + 7 : n) + 1
    }

    /// Age in completed years on `day`: the birthday counts from the day itself.
    /// A 29 February birthday is reached on 1 March in common years.
    public func completedYears(on day: CalendarDay) -> Int {
        var years = day.year - year
        if (day.month, day.day) < (month, self.day) { years -= 1 }
        return max(years, 0)
    }

    /// Age in completed months on `day`, for child examinations counted in months.
    public func completedMonths(on day: CalendarDay) -> Int {
        var months = (day.year - year) * 12 + (day.month - month)
        if day.day < self.day { months -= 1 }
        return max(months, 0)
    }

    /// The month this day falls in, for monthly totals.
    public var yearMonth: YearMonth { YearMonth(year: year, month: month) }

    public var iso: String {
        // Written in place for years of four digits (every day an export or a rule can give): a
        // report writes two or three dates per finding, and interpolating padded parts cost some
        // thousands of instructions each.
        if (0...9999).contains(year) { return digits(yearAt: 0, monthAt: 5, dayAt: 8, separator: "-") }
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// `22/12/2024`, as French staff read a date.
    public var french: String {
        if (0...9999).contains(year) { return digits(yearAt: 6, monthAt: 3, dayAt: 0, separator: "/") }
        let text = iso
        let parts = text.split(separator: "-")
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    /// Ten bytes: the year's four digits, the month's two and the day's two at these offsets, the
    /// separator in the two places left.
    private func digits(yearAt yearOffset: Int, monthAt monthOffset: Int, dayAt dayOffset: Int, separator: Unicode.Scalar) -> String {
        let (year, month, day) = (self.year, self.month, self.day)
        return String(unsafeUninitializedCapacity: 10) { buffer in
            for index in 0..<10 { buffer[index] = UInt8(ascii: separator) }
            var value = year
            for index in (yearOffset..<yearOffset + 4).reversed() {
                buffer[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            }
            buffer[monthOffset] = UInt8(truncatingIfNeeded: 48 + month / 10)
            buffer[monthOffset + 1] = UInt8(truncatingIfNeeded: 48 + month % 10)
            buffer[dayOffset] = UInt8(truncatingIfNeeded: 48 + day / 10)
            buffer[dayOffset + 1] = UInt8(truncatingIfNeeded: 48 + day % 10)
            return 10
        }
    }

    public var description: String { iso }
}

extension CalendarDay: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = CalendarDay(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "date invalide : \(text)")
        }
        self = day
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}

/// A calendar month, for month-by-month totals.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// `2026-06`, as `description` writes it.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        self.init(year: year, month: month)
    }

    public static func < (lhs: YearMonth, rhs: YearMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }

    public var next: YearMonth { month == 12 ? YearMonth(year: year + 1, month: 1) : YearMonth(year: year, month: month + 1) }

    public var previous: YearMonth { month == 1 ? YearMonth(year: year - 1, month: 12) : YearMonth(year: year, month: month - 1) }

    static let frenchNames = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                              "septembre", "octobre", "novembre", "décembre"]

    /// `décembre 2024`.
    public var french: String { "\(YearMonth.frenchNames[month - 1]) \(year)" }
}

/// A local time of care, minutes resolution.
public struct TimeOfDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.hour = hour
        self.minute = minute
    }

    /// `HH:MM` from a value the reader holds as bytes; nil for any other form (then parse its text).
    public init?(clockBytes b: UnsafeBufferPointer<UInt8>) {
        guard b.count == 5 && b[2] == UInt8(ascii: ":") && ASCIIText.isDigit(b[0]) && ASCIIText.isDigit(b[1])
            && ASCIIText.isDigit(b[3]) && ASCIIText.isDigit(b[4]) else { return nil }
        self.init(hour: Int(b[0] - 48) * 10 + Int(b[1] - 48), minute: Int(b[3] - 48) * 10 + Int(b[4] - 48))
    }

    /// Parses `HH:MM` (also `H:MM`, `HHhMM`, and `HH:MM:SS` with the seconds ignored).
    public init?(parsing text: String) {
        // `HH:MM` in ASCII (nearly every value): read from its bytes, without Foundation.
        // Read in place: an array of the five bytes cost more than the parse. A clock out of range
        // (`24:00`) is refused again by the general path below.
        if let clock = text.utf8.withContiguousStorageIfAvailable(TimeOfDay.init(clockBytes:)) ?? nil {
            self = clock
            return
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "h" || $0 == "H" })
        guard parts.count == 2 || parts.count == 3,
              (1...2).contains(parts[0].count), parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        if parts.count == 3 { guard parts[2].count == 2, Int(parts[2]) != nil else { return nil } }
        self.init(hour: h, minute: m)
    }

    public var minutesSinceMidnight: Int { hour * 60 + minute }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutesSinceMidnight < rhs.minutesSinceMidnight }

    public var description: String { "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)" }
}
