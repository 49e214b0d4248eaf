import Foundation

/// An amount of money in integer euro cents. Money never goes through floating point.
///
/// Arithmetic saturates instead of trapping: a sum, difference or product that would leave
/// `±Int64.max` cents (± 92 233 720 368 547 758,07 €) stays at that bound. No input can then crash
/// a run or a report; validated exports never come near the bound (a centre would need billions of
/// rows at the largest accepted amount), so a report showing it says the input was absurd.
public struct Cents: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, BitwiseCopyable {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }

    public static let zero = Cents(0)
    /// The bounds arithmetic saturates at, symmetric so that a magnitude or a negation never traps.
    public static let max = Cents(Int64.max)
    public static let min = Cents(-Int64.max)

    /// Whether the amount sits on a bound (an arithmetic result that saturated, or an absurd input).
    public var isSaturated: Bool { value >= Int64.max || value <= -Int64.max }

    public static func < (lhs: Cents, rhs: Cents) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Cents, rhs: Cents) -> Cents {
        Cents(saturating: lhs.value.addingReportingOverflow(rhs.value), positiveOnOverflow: lhs.value > 0)
    }
    public static func - (lhs: Cents, rhs: Cents) -> Cents {
        Cents(saturating: lhs.value.subtractingReportingOverflow(rhs.value), positiveOnOverflow: lhs.value >= 0)
    }
    public static func += (lhs: inout Cents, rhs: Cents) { lhs = lhs + rhs }
    public static func -= (lhs: inout Cents, rhs: Cents) { lhs = lhs - rhs }
    public static func * (lhs: Cents, rhs: Int64) -> Cents {
        Cents(saturating: lhs.value.multipliedReportingOverflow(by: rhs), positiveOnOverflow: (lhs.value < 0) == (rhs < 0))
    }

    /// A result clamped to `min ... max`; `Int64.min` itself is clamped too.
    init(saturating result: (partialValue: Int64, overflow: Bool), positiveOnOverflow: Bool) {
        if result.overflow {
            value = positiveOnOverflow ? Int64.max : -Int64.max
        } else {
            value = Swift.max(result.partialValue, -Int64.max)
        }
    }

    public init(from decoder: Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// Parses an amount in euros as exports write it: `26.50`, `26,50`, `26`, `1 234,50`, `-3,00`.
    /// Returns nil for anything that is not a number with at most two decimals.
    public init?(euros text: String) {
        if ASCIIText.isTrimmedPrintableASCII(text) {
            guard let cents = Cents.parseASCII(text.utf8) else { return nil }
            value = cents
            return
        }
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        // Thousands separators seen in French exports: spaces, no-break spaces, narrow no-break spaces.
        digits = Substring(digits.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "\u{202F}" })
        if digits.hasSuffix("€") { digits = digits.dropLast() }
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() } else if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        let parts = digits.split(separator: digits.contains(",") ? "," : ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.count <= 2, whole.count <= 15 else { return nil }
        let wholeValue = Int64(whole) ?? 0
        var fractionValue = Int64(fraction) ?? 0
        if fraction.count == 1 { fractionValue *= 10 }
        let cents = wholeValue * 100 + fractionValue
        self.value = negative ? -cents : cents
    }

    /// `init?(euros:)` for a value the reader holds as bytes, ASCII and printable at both ends: the
    /// same result as from its text, without making one.
    public init?(trimmedASCII bytes: UnsafeBufferPointer<UInt8>) {
        guard let cents = Cents.parseASCII(bytes) else { return nil }
        value = cents
    }

    /// `init?(euros:)` for trimmed ASCII text, on bytes: the same steps without Unicode or Foundation
    /// (no `€` or no-break space can be in ASCII; plain spaces are thousands separators).
    /// One pass over the bytes, in place (generic, so a String's UTF-8 view is read without an array):
    /// spaces skipped, a sign only as the first byte that is not a space.
    static func parseASCII<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        var negative = false
        var sawContent = false
        let separator = bytes.contains(UInt8(ascii: ",")) ? UInt8(ascii: ",") : UInt8(ascii: ".")
        var whole: Int64 = 0, wholeCount = 0
        var fraction: Int64 = 0, fractionCount = 0
        var inFraction = false
        for byte in bytes {
            if byte == 0x20 { continue }
            if !sawContent {
                sawContent = true
                if byte == UInt8(ascii: "-") { negative = true; continue }
                if byte == UInt8(ascii: "+") { continue }
            }
            if byte == separator {
                if inFraction { return nil }  // three parts
                inFraction = true
            } else if ASCIIText.isDigit(byte) {
                if inFraction {
                    fractionCount += 1
                    if fractionCount > 2 { return nil }
                    fraction = fraction * 10 + Int64(byte - 48)
                } else {
                    wholeCount += 1
                    if wholeCount > 15 { return nil }
                    whole = whole * 10 + Int64(byte - 48)
                }
            } else {
                return nil
            }
        }
        guard wholeCount > 0 || fractionCount > 0 else { return nil }
        if fractionCount == 1 { fraction *= 10 }
        let cents = whole * 100 + fraction
        return negative ? -cents : cents
    }

    /// `26,50 €`, the way a French reader expects an amount.
    /// Thousands are grouped by a narrow no-break space (U+202F). Written as bytes in place: a
    /// finding's message holds two or three amounts, and building them Character by Character
    /// cost some thousands of instructions each.
    public var euros: String {
        let negative = value < 0
        let magnitude = value.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        var digitCount = 1
        var probe = whole
        while probe >= 10 {
            probe /= 10
            digitCount += 1
        }
        let groupSpaces = (digitCount - 1) / 3
        let wholeEnd = (negative ? 1 : 0) + digitCount + groupSpaces * 3
        // `,` and two digits, then a space and `€` (three bytes).
        let total = wholeEnd + 3 + 4
        return String(unsafeUninitializedCapacity: total) { buffer in
            if negative { buffer[0] = UInt8(ascii: "-") }
            var cursor = wholeEnd
            var remaining = whole
            var written = 0
            repeat {
                if written > 0 && written % 3 == 0 {
                    cursor -= 3
                    (buffer[cursor], buffer[cursor + 1], buffer[cursor + 2]) = (0xE2, 0x80, 0xAF)
                }
                cursor -= 1
                buffer[cursor] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
                remaining /= 10
                written += 1
            } while remaining > 0
            buffer[wholeEnd] = UInt8(ascii: ",")
            buffer[wholeEnd + 1] = UInt8(truncatingIfNeeded: 48 + fraction / 10)
            buffer[wholeEnd + 2] = UInt8(truncatingIfNeeded: 48 + fraction % 10)
            (buffer[wholeEnd + 3], buffer[wholeEnd + 4], buffer[wholeEnd + 5], buffer[wholeEnd + 6]) = (0x20, 0xE2, 0x82, 0xAC)
            return total
        }
    }

    /// `26.50`, for machine formats that want euros with a dot.
    public var plainEuros: String {
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    public var description: String { euros }
}

extension Sequence where Element == Cents {
    public func sum() -> Cents { reduce(.zero, +) }
}
