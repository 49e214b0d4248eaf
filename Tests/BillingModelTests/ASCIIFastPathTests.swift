@testable import BillingModel
import XCTest

/// The byte-level parsers for ASCII values must agree with the general (Unicode, Foundation) path
/// on every input. A leading no-break space is trimmed by the general path and sends a value there,
/// so each value is parsed both ways and the results compared.
final class ASCIIFastPathTests: XCTestCase {
    static let amounts = [
        "26.50", "26,50", "26", "0", "00", "-3,00", "+3", "1 234,50", "1 2 3", "26.5", "26,505", "26.50.1", "1,2,3",
        ",5", ".5", "-,5", "-", "+", "+-5", "--5", "5-", "1e3", "0x10", "26,50€", "26;50", "1.234,50", "1,234.50",
        "123456789012345", "1234567890123456", "123456789012345,99", "999999999999999.99", "  ", "a", "26,", "26.",
        ",", ".", "-0", "+0,0", "1\t2", "12 ,50", "1 ,",
    ]

    func testAmountsParseAlikeBothWays() {
        for text in Self.amounts {
            XCTAssertEqual(Cents(euros: text), Cents(euros: "\u{00A0}" + text), text)
        }
    }

    func testCoefficientsParseAlikeBothWays() {
        let values = ["1", "1.5", "1,5", "0.25", "0,125", "0,1255", "1.", "1,", ".5", ",5", "", "1.2.3", "1,2,3", "-1", "+1",
                      "123456", "1234567", "123456,999", "a", "1e2", "1 5", "007", "0", "0,000", "1.5,2"]
        for text in values {
            XCTAssertEqual(Coefficient(text), Coefficient("\u{00A0}" + text), text)
        }
    }

    func testDaysTimesAndSpecialtiesParseAlikeBothWays() {
        let days = ["2025-01-31", "31/01/2025", "2025-02-29", "2024-02-29", "2025-1-31", "2025/01/31", "31-01-2025",
                    "0000-01-01", "9999-12-31", "2025-13-01", "2025-00-10", "+025-01-01", "2025-01-3a", "20250131"]
        for text in days {
            XCTAssertEqual(CalendarDay(parsing: text), CalendarDay(parsing: "\u{00A0}" + text), text)
        }
        let times = ["08:30", "8:30", "23:59", "24:00", "12:60", "08h30", "08H30", "08:30:15", "08:3", "+8:30", "08:+5",
                     "0830", "ab:cd", "-1:30", "08:30:1"]
        for text in times {
            XCTAssertEqual(TimeOfDay(parsing: text), TimeOfDay(parsing: "\u{00A0}" + text), text)
        }
        let specialties = ["1", "01", "24", "012", "a", "1a", "+1", "-1", "99", "0"]
        for text in specialties {
            XCTAssertEqual(Specialty(text), Specialty("\u{00A0}" + text), text)
        }
    }

    /// The general NIR check as it was before the byte-level one, kept here as the reference.
    static func referenceCheck(_ raw: String) -> NIR.Verdict {
        let text = raw.replacingOccurrences(of: " ", with: "").uppercased()
        let chars = Array(text)
        guard chars.count == 13 || chars.count == 15, let first = chars.first, "12345678".contains(first) else { return .notNIR }
        var digits = chars
        if chars[5] == "2" && (chars[6] == "A" || chars[6] == "B") {
            digits[5] = "1"
            digits[6] = chars[6] == "A" ? "9" : "8"
        }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .notNIR }
        guard chars.count == 15 else { return .valid }
        guard let body = Int64(String(digits[0..<13])), let key = Int(String(digits[13..<15])) else { return .notNIR }
        let expected = Int(97 - body % 97)
        return key == expected ? .valid : .badKey(expected: expected)
    }

    func testNIRCheckAgreesWithTheGeneralPath() {
        let values = ["1850775123457", "185077512345726", "185077512345727", "1 85 07 75 123 457 26", "185077512345726 ",
                      "2850720A12345", "285072a12345", "2850720a12345", "185072A12345678", "1850720B1234567", "18507 2A 123 456 78",
                      "9850775123457", "0850775123457", "185077512345", "18507751234572", "1850775123457266", "P000123",
                      "185077512345\t7", "18507751234-7", "", "  ", "1850775123457\r\n", "12345678901234567890", "2A50775123457"]
        var keyed = values
        for body in ["1850775123457", "2850720A12345", "2850720B12345", "1990199123456"] {
            for key in 0...99 { keyed.append(body + (key < 10 ? "0" : "") + String(key)) }
        }
        for text in keyed {
            XCTAssertEqual(NIR.check(text), Self.referenceCheck(text), text)
        }
    }

    /// The amount as it was written before the byte path: Characters grouped by a narrow no-break space.
    static func referenceEuros(_ cents: Cents) -> String {
        let sign = cents.value < 0 ? "-" : ""
        let magnitude = cents.value.magnitude
        let whole = String(magnitude / 100)
        var grouped = ""
        for (index, character) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { grouped.append("\u{202F}") }
            grouped.append(character)
        }
        let fraction = magnitude % 100
        return "\(sign)\(grouped),\(fraction < 10 ? "0" : "")\(fraction) €"
    }

    func testEurosWrittenAsBytesReadAsBefore() {
        XCTAssertEqual(Cents(2650).euros, "26,50 €")
        XCTAssertEqual(Cents(123_456_789).euros, "1\u{202F}234\u{202F}567,89 €")
        XCTAssertEqual(Cents(-5).euros, "-0,05 €")
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 101, 999, 1_000, 99_999, 100_000, 100_001, 999_999, 1_000_000,
                               123_456_789, 100_000_000_000, .max, .min, .min + 1]
        for exponent in 0...18 {
            let power = (0..<exponent).reduce(Int64(1)) { product, _ in product * 10 }
            values += [power - 1, power, power + 7, -power, -(power - 1)]
        }
        for value in values {
            XCTAssertEqual(Cents(value).euros, Self.referenceEuros(Cents(value)), String(value))
        }
    }

    func testDaysWrittenAsBytesReadAsBefore() {
        let days: [(CalendarDay, String, String)] = [
            (CalendarDay(year: 2024, month: 12, day: 22)!, "2024-12-22", "22/12/2024"),
            (CalendarDay(year: 1, month: 1, day: 1)!, "0001-01-01", "01/01/0001"),
            (CalendarDay(year: 999, month: 2, day: 9)!, "0999-02-09", "09/02/0999"),
            (CalendarDay(year: 9999, month: 12, day: 31)!, "9999-12-31", "31/12/9999"),
            (CalendarDay(year: 2026, month: 1, day: 10)!, "2026-01-10", "10/01/2026"),
        ]
        for (day, iso, french) in days {
            XCTAssertEqual(day.iso, iso)
            XCTAssertEqual(day.french, french)
            XCTAssertEqual(CalendarDay(parsing: iso), day)
            XCTAssertEqual(CalendarDay(parsing: french), day)
        }
    }

    /// Values read as bytes are matched with word lists as packed integers, and one-byte values
    /// through a table: the word found must be the one a search of the list in order finds with
    /// `equalsIgnoringCase`, for every byte, every word in any case, and values near them.
    func testWordListsFindTheWordASearchInOrderFinds() {
        let lists: [[String]] = [
            ["1", "true", "oui", "o", "vrai", "yes", "y", "0", "false", "non", "n", "faux", "no"],
            ["M", "1", "H", "F", "2"],
            ["cabinet", "domicile", "ehpad", "tele"],
            ["centre", "elsewhere", "none"],
            ["a", "A", "b", "sixteen-bytes-ok", "seventeen-bytes-x", "éa", "", "o"],
        ]
        var generator = SystemRandomNumberGenerator()
        for words in lists {
            let table = ASCIIWords(words)
            var values: [[UInt8]] = (0...255).map { [UInt8($0)] }
            for word in words {
                values.append(Array(word.utf8))
                values.append(Array(word.uppercased().utf8))
                values.append(Array(word.utf8) + [0x20])
                values.append(Array(word.utf8.dropLast()))
            }
            for _ in 0..<500 {
                values.append((0..<Int.random(in: 1...3, using: &generator)).map { _ in
                    Array("aAoOyYnN019 é".utf8).randomElement(using: &generator)!
                })
            }
            for value in values {
                value.withUnsafeBufferPointer { bytes in
                    let expected = words.firstIndex { ASCIIText.equalsIgnoringCase(bytes, $0) }
                    XCTAssertEqual(table.index(of: bytes), expected, "\(value) dans \(words)")
                }
            }
        }
    }

    /// A key's bytes loaded in overlapping words, and lowercased eight at a time, hold the same
    /// integers as placed one byte at a time, for every length and byte: no load reaches past the
    /// value's last byte (each value sits alone in an allocation of its exact size).
    func testShortKeysLoadedByWordsMatchKeysPlacedByteByByte() {
        func placed(_ bytes: [UInt8], lowercased: Bool) -> (UInt64, UInt64) {
            var (low, high): (UInt64, UInt64) = (0, 0)
            for (index, original) in bytes.enumerated() {
                let byte = lowercased && (0x41...0x5A).contains(original) ? original | 0x20 : original
                if index < 8 { low |= UInt64(byte) << UInt64(8 * index) } else { high |= UInt64(byte) << UInt64(8 * (index - 8)) }
            }
            return (low, high)
        }
        var generator = SystemRandomNumberGenerator()
        let letters = Array(0x3F...0x60).map(UInt8.init) + Array(0xBF...0xE0).map(UInt8.init)
        for count in 1...ShortBytesKey.maxCount {
            for round in 0..<200 {
                // Half the rounds near the letters' edges (@, A, Z, [, and the same with the top bit).
                let bytes = (0..<count).map { _ in
                    round.isMultiple(of: 2) ? UInt8.random(in: 0...255, using: &generator) : letters.randomElement(using: &generator)!
                }
                let exact = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
                defer { exact.deallocate() }
                _ = exact.initialize(from: bytes)
                for lowercased in [false, true] {
                    let key = ShortBytesKey(UnsafeBufferPointer(exact), lowercased: lowercased)
                    let expected = placed(bytes, lowercased: lowercased)
                    XCTAssertEqual(key.map { [$0.low, $0.high] }, [expected.0, expected.1], "\(bytes) \(lowercased)")
                    XCTAssertEqual(key?.count, count)
                }
            }
        }
        XCTAssertNil(ShortBytesKey(UnsafeBufferPointer(start: nil, count: 0)))
    }
}
