@testable import BillingIngest
import BillingModel
import XCTest

final class RawRecordTests: XCTestCase {
    /// Records keep their values by ordinal: every column has its own slot, in `allCases` order.
    func testEachColumnHasItsOwnSlot() {
        XCTAssertEqual(Column.allCases.map(\.ordinal), Array(0..<Column.count))
    }

    func testValuesReadTheSameByDictionaryOrSlots() {
        let location = SourceLocation(file: "f.csv", line: 2)
        let fields: [Column: String] = [.code: " G ", .amount: "30,00", .place: "  ", .invoiceID: "F1"]
        var record = RawRecord(location: location, fields: fields)
        XCTAssertEqual(record.fields, fields)
        XCTAssertEqual(record[.code], "G")
        XCTAssertNil(record[.place], "a blank value counts as absent")
        XCTAssertNil(record[.patientID])
        record.fields[.patientID] = "P1"
        XCTAssertEqual(record[.patientID], "P1")
        XCTAssertEqual(record.values.count, Column.count)
    }

    /// The ASCII fast path of `normalizeHeader` says what the Foundation path says.
    func testHeaderNamesNormaliseAlikeOnBothPaths() {
        let names = ["code", "Code", " MONTANT ", "birth-date", "mt_status", "  ", "", "Date Acte", "a ", " b",
                     "\u{FEFF}Code", "Date\tActe", "Médecin", " Âge ", "x\u{00A0}", "ID", "@#[]{}~"]
        for name in names {
            let general = name.trimmingCharactersInWhitespace().replacingOccurrences(of: "\u{FEFF}", with: "").lowercased()
            XCTAssertEqual(MappingProfile.normalizeHeader(name), general, "name \(name.debugDescription)")
        }
    }
}
