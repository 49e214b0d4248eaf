import Foundation

/// An NGAP coefficient (`AMI 1.5`) held exactly, in thousandths.
public struct Coefficient: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var thousandths: Int64

    public init(thousandths: Int64) { self.thousandths = thousandths }

    public static let one = Coefficient(thousandths: 1000)

    public static func < (lhs: Coefficient, rhs: Coefficient) -> Bool { lhs.thousandths < rhs.thousandths }

    /// Parses `1`, `1.5`, `1,5`, `0.25`; at most three decimals, never negative.
    public init?(_ text: String) {
        if ASCIIText.isTrimmedPrintableASCII(text) {
            guard let value = Coefficient.parseASCII(text.utf8) else { return nil }
            thousandths = value
            return
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: trimmed.contains(",") ? "," : ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), whole.count <= 6 else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fractionValue = Int64(fraction) ?? 0
        for _ in fraction.count..<3 { fractionValue *= 10 }
        thousandths = (Int64(whole) ?? 0) * 1000 + fractionValue
    }

    /// `init?(_:)` for a value the reader holds as bytes, ASCII and printable at both ends: the same
    /// result as from its text, without making one.
    public init?(trimmedASCII bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = Coefficient.parseASCII(bytes) else { return nil }
        thousandths = value
    }

    /// `init?(_:)` for trimmed ASCII text, on bytes: the same steps without Unicode or Foundation.
    /// Generic so that it reads a String's UTF-8 view in place: an array of it cost an allocation.
    static func parseASCII<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        let separator = bytes.contains(UInt8(ascii: ",")) ? UInt8(ascii: ",") : UInt8(ascii: ".")
        var whole: Int64 = 0, wholeCount = 0
        var fraction: Int64 = 0, fractionCount = 0
        var inFraction = false
        for byte in bytes {
            if byte == separator {
                if inFraction { return nil }  // three parts
                inFraction = true
            } else if ASCIIText.isDigit(byte) {
                if inFraction {
                    fractionCount += 1
                    if fractionCount > 3 { return nil }
                    fraction = fraction * 10 + Int64(byte - 48)
                } else {
                    wholeCount += 1
                    if wholeCount > 6 { return nil }
                    whole = whole * 10 + Int64(byte - 48)
                }
            } else {
                return nil
            }
        }
        guard wholeCount > 0 else { return nil }
        for _ in fractionCount..<3 { fraction *= 10 }
        return whole * 1000 + fraction
    }

    /// `amount × coefficient`, rounded to the nearest cent, halves away from zero, as billing does.
    public func apply(to amount: Cents) -> Cents {
        Cents(Rounding.scale(amount.value, by: thousandths, dividedBy: 1000))
    }

    public var description: String {
        let whole = thousandths / 1000
        var fraction = thousandths % 1000
        if fraction == 0 { return String(whole) }
        var digits = 3
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let padded = String(fraction)
        return "\(whole).\(String(repeating: "0", count: digits - padded.count))\(padded)"
    }
}

/// Integer division rounding halves away from zero: the rule for cents.
public enum Rounding {
    public static func divide(_ numerator: Int64, by denominator: Int64) -> Int64 {
        precondition(denominator > 0)
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        if remainder.magnitude * 2 >= UInt64(denominator) {
            return quotient + (numerator < 0 ? -1 : 1)
        }
        return quotient
    }

    /// `value × multiplier / divisor`, rounded like `divide`, computed on 128 bits so that the
    /// product never overflows; a quotient beyond `±Int64.max` saturates there, as `Cents` does.
    public static func scale(_ value: Int64, by multiplier: Int64, dividedBy divisor: Int64) -> Int64 {
        precondition(divisor > 0)
        // Most lines: a coefficient of 1 (1000/1000), a rate of 100 %. Exact, and no division
        // (`Int64.min` apart, which saturates to `-Int64.max` below).
        if multiplier == divisor && value != .min { return value }
        let negative = (value < 0) != (multiplier < 0)
        let bound = negative ? -Int64.max : Int64.max
        let product = value.magnitude.multipliedFullWidth(by: multiplier.magnitude)
        let denominator = UInt64(divisor)
        // The quotient fits in 64 bits only when the high half is below the divisor.
        guard product.high < denominator else { return bound }
        let (truncated, remainder) = denominator.dividingFullWidth(product)
        // Halves away from zero; `remainder * 2 >= denominator` without the doubling overflowing.
        let roundsUp = remainder >= denominator - remainder && truncated < UInt64.max
        let quotient = roundsUp ? truncated + 1 : truncated
        guard quotient <= UInt64(Int64.max) else { return bound }
        return negative ? -Int64(quotient) : Int64(quotient)
    }

    /// `amount × percent / 100`, rounded like `divide`.
    public static func percent(_ percent: Int64, of amount: Cents) -> Cents {
        Cents(scale(amount.value, by: percent, dividedBy: 100))
    }
}
