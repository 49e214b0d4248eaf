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
}
