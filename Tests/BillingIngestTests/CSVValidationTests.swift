import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// Bad rows read through the CSV reader and the validator: each is reported with file, line, column
/// and a French message saying what was expected, and the good rows around it still validate.
final class CSVValidationTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    private let practitioner = TestData.rpps("1000000000")
    private lazy var badLuhnPractitioner: String = {
        // Same ten digits, wrong last digit.
        let good = practitioner.last!.wholeNumberValue!
        return String(practitioner.dropLast()) + String((good + 1) % 10)
    }()
    private let nir = TestData.nirWithKey("1850775123456")
    private let corsicanNIR = TestData.nirWithKey("285072A123456")
    private lazy var badKeyNIR: String = {
        let key = Int(nir.suffix(2))!
        let wrong = key == 97 ? 1 : key + 1
        return String(nir.prefix(13)) + (wrong < 10 ? "0" : "") + String(wrong)
    }()

    private struct Outcome {
        var accepted: [Int: ActLine] = [:]
        var rejected: [Int: [InputIssue]] = [:]
        var allIssues: [InputIssue] { rejected.values.flatMap { $0 } }
    }

    private func audit(_ rows: [String]) throws -> Outcome {
        let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount"
        let url = try folder.write("octobre.csv", utf8: ([header] + rows).joined(separator: "\r\n") + "\r\n")
        let reader = try CSVRecordReader(url: url, displayName: "octobre.csv", profile: .standard)
        var outcome = Outcome()
        while let event = try reader.next() {
            switch event {
            case .record(let record):
                switch TestData.validator.validate(record) {
                case .success(let line): outcome.accepted[record.location.line] = line
                case .failure(let rejected): outcome.rejected[record.location.line] = rejected.issues
                }
            case .rejected(let issue): outcome.rejected[issue.line, default: []].append(issue)
            case .warning(let issue): XCTFail("unexpected warning \(issue)")
            }
        }
        return outcome
    }

    private func good(_ invoice: String, patient: String? = nil) -> String {
        "\(invoice);2024-10-02;\(practitioner);01;\(patient ?? nir);2021-03-04;G;30,00"
    }

    /// The single issue of `line`, checked for file, line, column, French and the expected-value wording.
    private func assertIssue(_ outcome: Outcome, line: Int, column: String, mentions expected: [String],
                             file: StaticString = #filePath, sourceLine: UInt = #line) {
        guard let issues = outcome.rejected[line], issues.count == 1, let issue = issues.first else {
            return XCTFail("line \(line): expected one issue, got \(outcome.rejected[line] ?? [])", file: file, line: sourceLine)
        }
        XCTAssertEqual(issue.file, "octobre.csv", file: file, line: sourceLine)
        XCTAssertEqual(issue.line, line, file: file, line: sourceLine)
        XCTAssertEqual(issue.column, column, file: file, line: sourceLine)
        XCTAssertEqual(issue.severity, .error, file: file, line: sourceLine)
        XCTAssertTrue(TestData.looksFrench(issue.message), issue.message, file: file, line: sourceLine)
        for word in expected {
            XCTAssertTrue(issue.message.contains(word), "« \(word) » missing from: \(issue.message)", file: file, line: sourceLine)
        }
    }

    func testEachKindOfBadRowIsReportedAndGoodRowsAroundItValidate() throws {
        let outcome = try audit([
            good("F01"),                                                                        // 2
            "F02;2024-10-02;\(practitioner);01;\(nir);2021-03-04;G;",                           // 3 missing amount
            good("F03"),                                                                        // 4
            "F04;2024-02-30;\(practitioner);01;\(nir);2021-03-04;G;30,00",                      // 5 nonexistent date
            good("F05"),                                                                        // 6
            "F06;2024-10-02;\(practitioner);01;\(nir);2021-03-04;G;-3,00",                      // 7 negative amount
            "F07;2024-10-02;\(practitioner);01;\(nir);2021-03-04;G;trente",                     // 8 non-numeric amount
            good("F08"),                                                                        // 9
            "F09;2024-10-02;\(badLuhnPractitioner);01;\(nir);2021-03-04;G;30,00",               // 10 bad RPPS key
            "F10;2024-10-02;\(practitioner);01;\(badKeyNIR);2021-03-04;G;30,00",                // 11 bad NIR key
            good("F11", patient: corsicanNIR),                                                  // 12 Corsican NIR, valid
            "F12;2024-10-02;\(practitioner);01;\(nir);2021-03-04;G-1;30,00",                    // 13 malformed code
            good("F13"),                                                                        // 14
        ])

        assertIssue(outcome, line: 3, column: "amount", mentions: ["manquante", "obligatoire"])
        assertIssue(outcome, line: 5, column: "act_date", mentions: ["en forme de date", "AAAA-MM-JJ", "JJ/MM/AAAA", "jour existant"])
        XCTAssertFalse(outcome.rejected[5]?.first?.message.contains("2024-02-30") ?? true, "a date is described, never echoed")
        assertIssue(outcome, line: 7, column: "amount", mentions: ["négatif", "positif ou nul"])
        assertIssue(outcome, line: 8, column: "amount", mentions: ["trente", "nombre en euros attendu"])
        assertIssue(outcome, line: 10, column: "practitioner_id", mentions: ["RPPS", "clé de Luhn"])
        assertIssue(outcome, line: 11, column: "patient_id", mentions: ["clé du NIR"])
        assertIssue(outcome, line: 13, column: "code", mentions: ["G-1", "mal formé", "NGAP", "CCAM"])

        XCTAssertEqual(outcome.accepted.keys.sorted(), [2, 4, 6, 9, 12, 14])
        XCTAssertEqual(outcome.rejected.keys.sorted(), [3, 5, 7, 8, 10, 11, 13])
        let first = try XCTUnwrap(outcome.accepted[2])
        XCTAssertEqual(first.amount, Cents(3000))
        XCTAssertEqual(first.invoiceID, "F01")
        XCTAssertEqual(first.location, SourceLocation(file: "octobre.csv", line: 2))
        // The Corsican patient is accepted under a pseudonym distinct from the other patient's.
        let corsican = try XCTUnwrap(outcome.accepted[12])
        XCTAssertNotEqual(corsican.patient.ref, first.patient.ref)
        XCTAssertTrue(corsican.patient.ref.value.hasPrefix("p-"))
    }

    func testCorsicanNIRKeysCheck() {
        XCTAssertEqual(NIR.check(corsicanNIR), .valid)
        XCTAssertEqual(NIR.check(TestData.nirWithKey("185072B123456")), .valid)
        XCTAssertEqual(NIR.check(nir), .valid)
        XCTAssertNotEqual(NIR.check(badKeyNIR), .valid)
        XCTAssertFalse(RPPS.isValid(badLuhnPractitioner))
    }

    func testNoNIRAppearsInAnyMessage() throws {
        let outcome = try audit([
            "F1;2024-10-02;\(practitioner);01;\(badKeyNIR);2021-03-04;G;30,00",
            "F2;2024-02-30;\(practitioner);01;\(nir);2021-03-04;G;30,00",
            "F3;2024-10-02;\(practitioner);01;\(corsicanNIR);2026-03-04;XY.Z;-1",
            "F4;2024-10-02;\(badLuhnPractitioner);01;\(badKeyNIR);;G;",
        ])
        XCTAssertEqual(outcome.rejected.count, 4)
        let texts = outcome.allIssues.flatMap { [$0.message, $0.description] }
        XCTAssertFalse(texts.isEmpty)
        for identifier in [nir, badKeyNIR, corsicanNIR] {
            let body = String(identifier.prefix(13))
            for text in texts {
                XCTAssertFalse(text.contains(body), "NIR leaked into: \(text)")
            }
        }
    }

    func testDDMMYYYYDatesAndDecimalCommaValidate() throws {
        let outcome = try audit(["F1;02/10/2024;\(practitioner);1;\(nir);04/03/2021;MEG;5,5"])
        let line = try XCTUnwrap(outcome.accepted[2])
        XCTAssertEqual(line.actDate, CalendarDay(year: 2024, month: 10, day: 2))
        XCTAssertEqual(line.patient.birthDate, CalendarDay(year: 2021, month: 3, day: 4))
        XCTAssertEqual(line.amount, Cents(550))
        XCTAssertEqual(line.code, .ngap("MEG"))
    }

    /// The CSV reader hands over most values as bytes, which the validator parses without making a
    /// String; any other record goes the way of text. Both ways must accept, reject and say the
    /// same, value for value, for good and bad dates, times, places, sexes, ALD flags, covers,
    /// statuses, coefficients, quantities and amounts, in any case and with spaces around.
    func testValuesReadAsBytesValidateAsTheirText() throws {
        let header = "invoice_id;act_date;act_time;place;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;patient_sex;patient_ald;patient_coverage;mt_status;code;coefficient;quantity;amount"
        let variants: [(column: Int, values: [String])] = [
            (1, ["2024-10-02", "02/10/2024", "2024-02-30", "2024-2-02", "1999-12-31", "2100-01-01", "20241002", " 2024-10-02 ", "2024-10-02T"]),
            (2, ["08:30", "8:30", "24:00", "12h30", "08:30:15", "ab:cd", " 08:30", "08:60"]),
            (3, ["cabinet", "CABINET", "Domicile", "eHpAd", "tele", "visio", " tele "]),
            (7, ["2021-03-04", "04/03/2021", "2025-01-01", "2021-13-04"]),
            (8, ["M", "m", "F", "f", "1", "2", "H", "h", "X", "mm", " F "]),
            (9, ["1", "0", "true", "TRUE", "Oui", "NON", "o", "N", "vrai", "Faux", "yes", "NO", "y", "n", "maybe", " oui "]),
            (10, ["c2s", "C2S", "AME", "ame", "cmu", " ame "]),
            (11, ["centre", "CENTRE", "Elsewhere", "none", "NONE", "autre", " none "]),
            (13, ["1", "1,5", "0.5", "0", "0,0", "2,125", "2,1255", "1000", "999", "+1", "-1", "1,5,5", ",5", "5,", "001", " 2 "]),
            (14, ["1", "2", "0", "+3", "-1", "007", "999", "1000", "1000000000", "abc", " 2 "]),
            (15, ["30,00", "30.00", "30", "0", "-5", "+5", "1 000,00", "30,005", "30,5", ",5", "5,", "99999999999", "100000", "1e3", "1,000.00", "00030,00", " 30,00 "]),
        ]
        let base = ["F1", "2024-10-02", "", "cabinet", practitioner, "01", nir, "2021-03-04", "M", "0", "", "centre", "G", "", "", "30,00"]
        var rows: [String] = []
        for (column, values) in variants {
            for value in values {
                var row = base
                row[column] = value
                row[0] = "F\(rows.count + 1)"
                rows.append(row.joined(separator: ";"))
            }
        }
        let url = try folder.write("variantes.csv", utf8: ([header] + rows).joined(separator: "\n") + "\n")
        let reader = try CSVRecordReader(url: url, displayName: "variantes.csv", profile: .standard)
        var compared = 0
        var accepted = 0
        while let event = try reader.next() {
            guard case .record(let record) = event else { return XCTFail("unexpected \(event)") }
            let asText = RawRecord(location: record.location, fields: record.fields)
            switch (TestData.validator.validate(record), TestData.validator.validate(asText)) {
            case (.success(let fromBytes), .success(let fromText)):
                XCTAssertEqual(fromBytes, fromText, "ligne \(record.location.line)")
                accepted += 1
            case (.failure(let fromBytes), .failure(let fromText)):
                XCTAssertEqual(fromBytes.issues, fromText.issues, "ligne \(record.location.line)")
            case (let fromBytes, let fromText):
                XCTFail("ligne \(record.location.line) : \(fromBytes) et \(fromText)")
            }
            compared += 1
        }
        XCTAssertEqual(compared, rows.count)
        XCTAssertGreaterThan(accepted, rows.count / 3, "both ways accept the good values")
        XCTAssertLessThan(accepted, rows.count, "and both reject the bad ones")
    }

    /// A thread's validation keeps what it learnt of the identifiers and codes it read last
    /// (`ValidationMemo`), by their bytes. Each row must validate as without it, whether the memo
    /// holds its values or not, and when values displace each other in a memo of two slots a table.
    func testAMemoOfValuesValidatesRowsAsWithoutIt() throws {
        let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;mt_practitioner_id;code;amount"
        var practitioners = ["10000000000", "1000000000", "100000000000", "1000000000A", " " + practitioner, "10000000001"]
        var patients = [nir, badKeyNIR, corsicanNIR, "P000123", "p000123", "P 000 123", "ÉLODIE-0001", "P0123456789ABCDEFG", "1850775123457",
                        "185077512345726", "18507751234572", "2A50775123457", "  P9  "]
        for index in 0..<40 {
            practitioners.append(TestData.rpps(String(format: "100%07d", index * 7919)))
            patients.append("LOC\(index)")
            patients.append(TestData.nirWithKey(String(format: "1850775%06d", index * 104_729)))
        }
        let specialties = ["01", "1", "24", "12", "1a", "123", " 1", "", "٣"]
        let codes = ["G", "g", "VG", "deqp003", "DEQP003", "TOOLONGCODE", "G-1", "MÉG", "GL1", "1G", "Dèqp003", "ZZZZ999"]
        var rows: [String] = []
        var generator = SystemRandomNumberGenerator()
        for index in 0..<1_500 {
            let row = [
                "F\(index)", "2024-10-02", practitioners.randomElement(using: &generator)!, specialties.randomElement(using: &generator)!,
                patients.randomElement(using: &generator)!, "2001-03-04", "centre", practitioners.randomElement(using: &generator)!,
                codes.randomElement(using: &generator)!, "30,00",
            ]
            rows.append(row.joined(separator: ";"))
        }
        let url = try folder.write("memo.csv", utf8: ([header] + rows).joined(separator: "\n") + "\n")
        let reader = try CSVRecordReader(url: url, displayName: "memo.csv", profile: .standard)
        // The default memo; one of two slots per table; one whose patients' table grows to 64 slots,
        // fills and starts again empty, its searches stopped at `maxProbes`.
        let memos = [ValidationMemo(), ValidationMemo(rppsBits: 1, codeBits: 1, specialtyBits: 1, patientBits: 1),
                     ValidationMemo(rppsBits: 8, codeBits: 8, specialtyBits: 4, patientBits: 6)]
        var records: [RawRecord] = []
        while let event = try reader.next() {
            guard case .record(let record) = event else { return XCTFail("unexpected \(event)") }
            records.append(record)
        }
        XCTAssertEqual(records.count, rows.count)
        var accepted = 0
        // Twice over the rows: the second pass finds in the large memo what the first put there.
        for record in records + records {
            let without = TestData.validator.validate(record)
            if case .success = without { accepted += 1 }
            for memo in memos {
                switch (TestData.validator.validate(record, memo: memo), without) {
                case (.success(let withMemo), .success(let withoutMemo)):
                    XCTAssertEqual(withMemo, withoutMemo, "ligne \(record.location.line)")
                case (.failure(let withMemo), .failure(let withoutMemo)):
                    XCTAssertEqual(withMemo.issues, withoutMemo.issues, "ligne \(record.location.line)")
                case (let withMemo, let withoutMemo):
                    XCTFail("ligne \(record.location.line) : \(withMemo) et \(withoutMemo)")
                }
            }
        }
        XCTAssertGreaterThan(accepted, rows.count / 4, "good rows are accepted")
        XCTAssertLessThan(accepted, 2 * rows.count, "bad values are rejected")
    }
}
