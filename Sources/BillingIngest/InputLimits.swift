import BillingModel

/// What a health centre can bill, as validation: a value outside these bounds is a typing or export
/// error, and its row is rejected with a message rather than carried into totals. The bounds are far
/// beyond real billing (a centre's most expensive CCAM act is a few hundred euros; NGAP coefficients
/// stay under 100), and keep every sum and product of the audit well inside 64-bit cents.
public enum InputLimits {
    /// 10 000,00 € for one act line.
    public static let maxAmount = Cents(1_000_000)
    /// An NGAP coefficient of 100 (in thousandths).
    public static let maxCoefficient = Coefficient(thousandths: 100_000)
    public static let quantities = 1...999
    /// Acts of this century: the earliest date of care the audit accepts, and the latest.
    public static let firstActDate = CalendarDay(year: 2000, month: 1, day: 1)!
    public static let lastActDate = CalendarDay(year: 2099, month: 12, day: 31)!
    /// Nobody alive was born before.
    public static let firstBirthDate = CalendarDay(year: 1880, month: 1, day: 1)!
}
