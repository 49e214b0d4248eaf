import BillingModel
import XCTest

final class CentsTests: XCTestCase {
    func testParsesTheWaysExportsWriteAmounts() {
        XCTAssertEqual(Cents(euros: "26.50"), Cents(2650))
        XCTAssertEqual(Cents(euros: "26,50"), Cents(2650))
        XCTAssertEqual(Cents(euros: "26,5"), Cents(2650))
        XCTAssertEqual(Cents(euros: "30"), Cents(3000))
        XCTAssertEqual(Cents(euros: " 1 234,56 "), Cents(123_456))
        XCTAssertEqual(Cents(euros: "-3,00"), Cents(-300))
        XCTAssertEqual(Cents(euros: "0,07"), Cents(7))
    }

    func testRefusesWhatIsNotAnAmount() {
        for text in ["", "abc", "26,5O", "1,234,56", "2.505", "12€50", ","] {
            XCTAssertNil(Cents(euros: text), text)
        }
    }

    func testFrenchFormatting() {
        XCTAssertEqual(Cents(2650).euros, "26,50 €")
        XCTAssertEqual(Cents(123_456_7).euros, "12\u{202F}345,67 €")
        XCTAssertEqual(Cents(-5).euros, "-0,05 €")
        XCTAssertEqual(Cents(2650).plainEuros, "26.50")
    }

    func testMoneyArithmeticSaturatesInsteadOfTrapping() {
        let near = Cents(Int64.max - 10)
        XCTAssertEqual(near + Cents(100), .max, "une somme hors bornes reste à la borne")
        XCTAssertEqual(Cents.min - Cents(1), .min)
        XCTAssertEqual(Cents(-Int64.max + 5) + Cents(-100), .min)
        XCTAssertEqual(Cents(Int64.min) + .zero, .min, "Int64.min est ramené à la borne symétrique")
        XCTAssertEqual(Cents(5) - Cents(-Int64.max), .max)
        XCTAssertEqual(near * 1000, .max)
        XCTAssertEqual(near * -1000, .min)
        XCTAssertEqual(Cents(-3) * -4, Cents(12))
        var total = Cents.zero
        for _ in 0..<93 { total += Cents(999_999_999_999_999_99) }
        XCTAssertEqual(total, .max, "93 montants à 15 chiffres : la somme sature au lieu d'arrêter le processus")
        XCTAssertTrue(total.isSaturated)
        XCTAssertEqual(Cents.min.euros, "-92\u{202F}233\u{202F}720\u{202F}368\u{202F}547\u{202F}758,07 €")
        XCTAssertEqual(Cents(Int64.min).plainEuros, "-92233720368547758.08")
        XCTAssertEqual([Cents.max, Cents.max, Cents(-1)].sum(), Cents(Int64.max - 1))
    }

    func testScaledProductsNeverOverflow() {
        XCTAssertEqual(Rounding.scale(Int64.max, by: 10_000, dividedBy: Int64.max), 10_000, "le produit passe par 128 bits")
        XCTAssertEqual(Rounding.scale(Int64.max, by: 10_000, dividedBy: 1), Int64.max)
        XCTAssertEqual(Rounding.scale(Int64.min, by: 3, dividedBy: 2), -Int64.max)
        XCTAssertEqual(Rounding.scale(-Int64.max, by: -Int64.max, dividedBy: 1), Int64.max)
        XCTAssertEqual(Rounding.scale(5, by: 1, dividedBy: 2), 3, "demi arrondi en s'éloignant de zéro")
        XCTAssertEqual(Rounding.scale(-5, by: 1, dividedBy: 2), -3)
        XCTAssertEqual(Rounding.scale(4, by: 1, dividedBy: 3), 1)
        XCTAssertEqual(Rounding.scale(0, by: -7, dividedBy: 3), 0)
        // Agrees with the plain 64-bit computation wherever that one does not overflow.
        for (value, multiplier, divisor) in [(315, 1500, 1000), (-315, 1500, 1000), (123_456, 50, 100), (7, 10_000, 3), (-7, 10_000, 3)] as [(Int64, Int64, Int64)] {
            XCTAssertEqual(Rounding.scale(value, by: multiplier, dividedBy: divisor), Rounding.divide(value * multiplier, by: divisor))
        }
        XCTAssertEqual(Coefficient(thousandths: 999_999_999).apply(to: Cents(999_999_999_999_999_99)), .max)
        XCTAssertEqual(Rounding.percent(Int64.max, of: .max), .max)
    }

    func testCoefficientAppliesWithCentRounding() {
        XCTAssertEqual(Coefficient("1.5")?.apply(to: Cents(315)), Cents(473), "472,5 centimes arrondis au centime supérieur")
        XCTAssertEqual(Coefficient("2")?.apply(to: Cents(315)), Cents(630))
        XCTAssertEqual(Coefficient("0,5")?.thousandths, 500)
        XCTAssertNil(Coefficient("-1"))
        XCTAssertNil(Coefficient("1.2345"))
        XCTAssertEqual(Coefficient("1.5")?.description, "1.5")
        XCTAssertEqual(Rounding.percent(50, of: Cents(1273)), Cents(637))
    }
}

final class CalendarDayTests: XCTestCase {
    func testParsesBothSpellingsAndRefusesDaysThatDoNotExist() {
        XCTAssertEqual(CalendarDay(parsing: "2024-12-22"), CalendarDay(year: 2024, month: 12, day: 22))
        XCTAssertEqual(CalendarDay(parsing: "22/12/2024"), CalendarDay(year: 2024, month: 12, day: 22))
        XCTAssertEqual(CalendarDay(parsing: "29/02/2024")?.iso, "2024-02-29")
        for text in ["2023-02-29", "31/11/2024", "2024-13-01", "2024-00-10", "22-12-2024", "2024/12/22", "", "2024-1-1"] {
            XCTAssertNil(CalendarDay(parsing: text), text)
        }
    }

    func testDayArithmeticAndWeekdays() {
        let day = CalendarDay(year: 2024, month: 12, day: 31)!
        XCTAssertEqual(day.adding(days: 1), CalendarDay(year: 2025, month: 1, day: 1))
        XCTAssertEqual(CalendarDay(year: 2024, month: 2, day: 28)!.adding(days: 1), CalendarDay(year: 2024, month: 2, day: 29))
        XCTAssertEqual(CalendarDay(year: 1970, month: 1, day: 1)!.dayNumber, 0)
        XCTAssertEqual(CalendarDay(year: 2024, month: 12, day: 22)!.isoWeekday, 7, "22/12/2024 était un dimanche")
        XCTAssertEqual(CalendarDay(year: 2025, month: 3, day: 10)!.isoWeekday, 1)
        XCTAssertEqual(CalendarDay(dayNumber: CalendarDay(year: 1901, month: 3, day: 4)!.dayNumber), CalendarDay(year: 1901, month: 3, day: 4))
    }

    func testAgeInCompletedYearsCountsFromTheBirthdayItself() {
        let birth = CalendarDay(year: 2018, month: 12, day: 13)!
        XCTAssertEqual(birth.completedYears(on: CalendarDay(year: 2024, month: 12, day: 12)!), 5)
        XCTAssertEqual(birth.completedYears(on: CalendarDay(year: 2024, month: 12, day: 13)!), 6)
        let leap = CalendarDay(year: 2020, month: 2, day: 29)!
        XCTAssertEqual(leap.completedYears(on: CalendarDay(year: 2021, month: 2, day: 28)!), 0)
        XCTAssertEqual(leap.completedYears(on: CalendarDay(year: 2021, month: 3, day: 1)!), 1)
        XCTAssertEqual(CalendarDay(year: 2024, month: 1, day: 31)!.completedMonths(on: CalendarDay(year: 2024, month: 10, day: 30)!), 8)
        XCTAssertEqual(CalendarDay(year: 2024, month: 1, day: 31)!.completedMonths(on: CalendarDay(year: 2024, month: 10, day: 31)!), 9)
    }

    func testTimeOfDay() {
        XCTAssertEqual(TimeOfDay(parsing: "20:15")?.minutesSinceMidnight, 20 * 60 + 15)
        XCTAssertEqual(TimeOfDay(parsing: "8h05")?.description, "08:05")
        XCTAssertNil(TimeOfDay(parsing: "24:00"))
        XCTAssertNil(TimeOfDay(parsing: "9:5"))
    }
}

final class IdentifierTests: XCTestCase {
    func testRPPSLuhnKey() {
        let valid = "1000000000" + String(RPPS.checkDigit(for: "1000000000")!)
        XCTAssertTrue(RPPS.isValid(valid))
        let wrongDigit = String(valid.dropLast()) + String((Int(String(valid.last!))! + 1) % 10)
        XCTAssertFalse(RPPS.isValid(wrongDigit))
        XCTAssertFalse(RPPS.isValid("1234"))
        XCTAssertFalse(RPPS.isValid("1000000000A"))
    }

    func testNIRKeyIncludingCorsica() {
        func key(_ body: String) -> String {
            let number = Int64(body.replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18"))!
            let value = 97 - number % 97
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let mainland = "1850775123456"
        XCTAssertEqual(NIR.check(mainland + key(mainland)), .valid)
        XCTAssertEqual(NIR.check(mainland), .valid, "sans clé, rien à vérifier")
        if case .badKey = NIR.check(mainland + "00") {} else { XCTFail("clé fausse non détectée") }
        let corsican = "290092A012345"
        XCTAssertEqual(NIR.check(corsican + key(corsican)), .valid)
        let corsicanB = "170052B054321"
        XCTAssertEqual(NIR.check(corsicanB + key(corsicanB)), .valid)
        XCTAssertEqual(NIR.check("P000123"), .notNIR)
    }

    func testCCAMShapeAndSpecialty() {
        XCTAssertTrue(ActCode.isCCAM("DEQP003"))
        XCTAssertFalse(ActCode.isCCAM("DEQP03"))
        XCTAssertFalse(ActCode.isCCAM("deqp003"))
        XCTAssertEqual(Specialty("1")?.code, "01")
        XCTAssertNil(Specialty("1A"))
    }
}
