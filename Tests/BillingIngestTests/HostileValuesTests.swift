import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// Values a centre cannot bill are rejected with a message naming file, line and column; and no
/// message ever echoes what could identify a patient, whatever column it landed in.
final class HostileValuesTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    private let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;coefficient;quantity;amount"
    private let practitioner = TestData.rpps("1000000000")
    private let nir = TestData.nirWithKey("1850775123456")

    /// The issues of each data line, validated through the CSV reader.
    private func issues(_ rows: [String]) throws -> [Int: [InputIssue]] {
        let url = try folder.write("hostile.csv", utf8: ([header] + rows).joined(separator: "\n") + "\n")
        let reader = try CSVRecordReader(url: url, displayName: "hostile.csv", profile: .standard)
        var byLine: [Int: [InputIssue]] = [:]
        while let event = try reader.next() {
            switch event {
            case .record(let record):
                byLine[record.location.line] = []
                if case .failure(let rejected) = TestData.validator.validate(record) { byLine[record.location.line] = rejected.issues }
            case .rejected(let issue): byLine[issue.line, default: []].append(issue)
            case .warning: break
            }
        }
        return byLine
    }

    func testValuesNoCentreCanBillAreRejected() throws {
        let found = try issues([
            "F1;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;30,00",                 // 2 good
            "F2;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;123456789012345",       // 3 15-digit amount
            "F3;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;100000000000000,00",    // 4 10^14 €
            "F4;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;999999;1;30,00",            // 5 coefficient 999 999
            "F5;9999-12-31;\(practitioner);01;\(nir);1980-03-04;G;1;1;30,00",                 // 6 act date 9999-12-31
            "F6;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1000;30,00",              // 7 quantity 1000
            "F7;2024-10-02;\(practitioner);01;\(nir);1066-10-14;G;1;1;30,00",                 // 8 birth in 1066
            "F8;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;10000,00",              // 9 the highest amount allowed
        ])
        XCTAssertEqual(found[2], [])
        XCTAssertEqual(found[9], [])
        let expected: [(Int, String, String)] = [(3, "amount", "hors limites"), (4, "amount", "hors limites"),
                                                  (5, "coefficient", "hors limites"), (6, "act_date", "hors limites"),
                                                  (7, "quantity", "de 1 à 999"), (8, "patient_birth_date", "hors limites")]
        for (line, column, words) in expected {
            let issue = try XCTUnwrap(found[line]?.first, "line \(line)")
            XCTAssertEqual(found[line]?.count, 1, "line \(line): \(found[line] ?? [])")
            XCTAssertEqual(issue.file, "hostile.csv")
            XCTAssertEqual(issue.line, line)
            XCTAssertEqual(issue.column, column)
            XCTAssertTrue(issue.message.contains(words), issue.message)
        }
        XCTAssertTrue(found[6]![0].message.contains("entre les années 2000 et 2099"), found[6]![0].message)
        XCTAssertFalse(found[6]![0].message.contains("9999-12-31"), "date-shaped values are described")
        XCTAssertFalse(found[8]![0].message.contains("1066"), "a birth date is never echoed")
    }

    /// The cases of the report: a mistyped birth date, a NIR shifted into the RPPS, code and specialty
    /// columns, a local patient number shifted into the code column.
    func testNoMessageEchoesAnIdentity() throws {
        let found = try issues([
            "F1;2024-10-02;\(practitioner);01;\(nir);1954-02-30;G;1;1;30,00",                  // 2 birth date that does not exist
            "F2;2024-10-02;\(nir);01;P1;1980-03-04;G;1;1;30,00",                               // 3 NIR in the RPPS column
            "F3;2024-10-02;\(practitioner);\(nir);P1;1980-03-04;G;1;1;30,00",                  // 4 NIR in the specialty column
            "F4;2024-10-02;\(practitioner);01;\(nir);1980-03-04;\(nir);1;1;30,00",             // 5 NIR in the code column
            "F5;2024-10-02;\(practitioner);01;PAT-0042;1980-03-04;PAT-0042;1;1;30,00",         // 6 local number in the code column
            "F6;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;04/03/1980",              // 7 birth date in the amount column
            "F7;2024-10-02;\(practitioner);01;\(nir);1980-03-04;G;1;1;trente",                 // 8 a harmless value is still quoted
        ])
        let messages = found.values.flatMap { $0 }.map(\.message)
        XCTAssertEqual(found.keys.sorted(), Array(2...8))
        for line in 2...8 { XCTAssertFalse(found[line]!.isEmpty, "line \(line) should be rejected") }
        for message in messages {
            for secret in [nir, "1954-02-30", "PAT-0042", "04/03/1980", "1850775123456"] {
                XCTAssertFalse(message.contains(secret), "« \(secret) » echoed in: \(message)")
            }
            XCTAssertNil(message.range(of: "[0-9]{8,}", options: .regularExpression), message)
        }
        XCTAssertTrue(found[2]![0].message.contains("date invalide"), found[2]![0].message)
        XCTAssertTrue(found[8]![0].message.contains("« trente »"), found[8]![0].message)
    }

    /// Found by the XML fuzz target: an invoice number carrying a run of digits (a NIR shifted into
    /// the invoice column looks the same) was quoted when one invoice mixed two patients.
    func testInvoiceNumberWithADigitRunIsNotEchoedWhenAnInvoiceMixesPatients() throws {
        let invoice = "F2024700196"
        let otherNIR = TestData.nirWithKey("2850775123456")
        var assembler = InvoiceAssembler()
        var messages: [String] = []
        for (index, patient) in [nir, otherNIR].enumerated() {
            let record = RawRecord(location: SourceLocation(file: "f.csv", line: index + 2), fields: [
                .invoiceID: invoice, .actDate: "2024-12-06", .practitionerID: practitioner, .practitionerSpecialty: "01",
                .patientID: patient, .patientBirthDate: "1953-12-22", .code: "G", .amount: "30.00",
            ])
            if case .success(let line) = TestData.validator.validate(record), case .failure(let rejected) = assembler.add(line) {
                messages += rejected.issues.map(\.message)
            }
        }
        XCTAssertEqual(messages.count, 1, "the second line mixes patients and is rejected")
        for message in messages {
            XCTAssertFalse(message.contains(invoice), message)
            XCTAssertNil(message.range(of: "[0-9]{8,}", options: .regularExpression), message)
            XCTAssertTrue(message.contains("commence ligne 2"), message)
        }
    }

    /// FuzzCSV, 2026-11-23: a patient id of a digit and NUL bytes made the gate's identity check
    /// (Foundation's `contains`) stop the process on any non-ASCII value; it is a byte search now.
    func testAnIdentityFullOfNULsDoesNotStopTheGate() {
        let identity = "2" + String(repeating: "\0", count: 64)
        XCTAssertEqual(QuotedValue.inline("é", identities: [identity]), " « é »")
        XCTAssertEqual(QuotedValue.inline("Cabinet médical", identities: [identity, "1954"]), " « Cabinet médical »")
        XCTAssertEqual(QuotedValue.inline("à 1954 près", identities: [identity, "1954"]), " (\(QuotedValue.describe("à 1954 près")))")
        XCTAssertTrue(QuotedValue.holds("sexe é \(identity) fin", identity))
        XCTAssertFalse(QuotedValue.holds("sexe é 2 fin", identity))
        XCTAssertTrue(QuotedValue.holds("abc", ""))
        XCTAssertFalse(QuotedValue.holds("ab", "abc"))
    }

    func testQuotedValueGate() {
        XCTAssertEqual(QuotedValue.quote("XYZ"), "« XYZ »")
        XCTAssertEqual(QuotedValue.quote("185077512345678"), "valeur de 15 caractères, chiffres seulement")
        XCTAssertFalse(QuotedValue.quote("1 85 07 75 123 456").contains("«"), "digits counted across spaces")
        XCTAssertEqual(QuotedValue.quote("1954-02-30"), "valeur de 10 caractères, en forme de date")
        XCTAssertEqual(QuotedValue.quote("3.2.54"), "valeur de 6 caractères, en forme de date")
        XCTAssertEqual(QuotedValue.quote("G\u{1B}[2J"), "valeur de 5 caractères, chiffres et autres signes", "control characters never reach a message")
        XCTAssertEqual(QuotedValue.quote("X-DUPONT", identities: ["DUPONT"]), "valeur de 8 caractères, lettres et autres signes")
        XCTAssertEqual(QuotedValue.quote(String(repeating: "a", count: 40)), "valeur de 40 caractères, lettres seulement")
        XCTAssertEqual(QuotedValue.quote("26,50"), "« 26,50 »")
        XCTAssertEqual(QuotedValue.quote("1234567"), "« 1234567 »", "seven digits cannot be a NIR or an RPPS")
    }

    /// A file without its header line: the first data row is not printed as « the header read ».
    func testFileWithoutHeaderDoesNotPrintItsFirstRow() throws {
        let url = try folder.write("sans-entete.csv", utf8: "F1;2024-10-02;\(practitioner);01;\(nir);1954-06-12;G;1;1;30,00\n")
        do {
            _ = try CSVRecordReader(url: url, displayName: "sans-entete.csv", profile: .standard)
            XCTFail("a file without header is unreadable")
        } catch let error as UnreadableFile {
            let message = error.issue.message
            XCTAssertTrue(message.contains("ligne de données"), message)
            for secret in [nir, "1954-06-12", practitioner] { XCTAssertFalse(message.contains(secret), message) }
        }
    }
}
