import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// Files written by a careless hand or an attacker: whatever the quoting, every physical line ends
/// up in a record or in a rejected row, and reading resumes on the line after a broken one.
final class CSVHostileInputTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    private let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount"

    private func row(_ index: Int) -> String { "F\(index);2024-03-05;10000000001;01;P\(index % 97);2021-03-04;G;30" }

    private func read(_ name: String, _ text: String) throws -> ReadResult {
        let url = try folder.write(name, utf8: text)
        return try ReadResult(reader: CSVRecordReader(url: url, displayName: name, profile: .standard))
    }

    /// Line numbers 2...`last`: every data line of a file without blank lines.
    private func dataLines(through last: Int) -> [Int] { Array(2...last) }

    /// The reported case: a stray quote opens the first column of row 5 and the next quote of the
    /// file comes about a megabyte later. Before, the thousands of rows between vanished unreported.
    func testStrayQuoteInFirstColumnCostsOnlyItsRow() throws {
        var lines = [header]
        for index in 1...14_000 {
            if index == 5 {
                lines.append("\"" + row(index))
            } else if index == 13_000 {
                lines.append("F13000;2024-03-05;10000000001;01;\"Dupont\";2021-03-04;G;30")
            } else {
                lines.append(row(index))
            }
        }
        let result = try read("stray.csv", lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(result.rejected.map(\.line), [6])
        XCTAssertTrue(result.rejected[0].message.contains("guillemet"), result.rejected[0].message)
        XCTAssertEqual(result.records.count, 13_999)
        XCTAssertEqual(result.coveredLines, dataLines(through: 14_001))
        XCTAssertEqual(result.records.first { $0.location.line == 13_001 }?[.patientID], "Dupont")
    }

    func testStrayQuoteInLastColumnCostsOnlyItsRow() throws {
        let text = [header, row(1), row(2) + "\"", row(3), "F4;2024-03-05;10000000001;01;P4;2021-03-04;G;\"30\"", row(5)]
            .joined(separator: "\r\n") + "\r\n"
        // `…;30"` closes nothing (a quote inside an unquoted value is kept), so row 2 is read as is;
        // a quote opening the last column instead:
        let opened = [header, row(1), "F2;2024-03-05;10000000001;01;P2;2021-03-04;G;\"30", row(3), row(4), row(5)]
            .joined(separator: "\n") + "\n"
        XCTAssertEqual(try read("kept.csv", text).coveredLines, dataLines(through: 6))
        let result = try read("opened.csv", opened)
        XCTAssertEqual(result.rejected.map(\.line), [3])
        XCTAssertEqual(result.coveredLines, dataLines(through: 6))
        XCTAssertEqual(result.records.map { $0[.invoiceID] }, ["F1", "F3", "F4", "F5"])
    }

    /// Closed on the next line with a field count that still fits: the swallowed line holds as many
    /// delimiters as a row, which no quoted note does.
    func testStrayQuoteClosedOnTheNextLineInTheSameColumn() throws {
        let text = [header, "F1;2024-03-05;10000000001;01;\"P1;2021-03-04;G;30",
                    "F2;2024-03-05;10000000001;01;P2\";2021-03-04;G;30", row(3)].joined(separator: "\n") + "\n"
        let result = try read("shift.csv", text)
        XCTAssertEqual(result.rejected.map(\.line), [2])
        XCTAssertEqual(result.coveredLines, dataLines(through: 4))
    }

    func testQuoteNeverClosedResumesOnTheNextLine() throws {
        let text = [header, row(1), "F2;2024-03-05;10000000001;01;\"P2;2021-03-04;G;30", row(3), "F4;x"]
            .joined(separator: "\n") + "\n"
        let result = try read("open.csv", text)
        XCTAssertEqual(result.rejected.map(\.line), [3])
        XCTAssertEqual(result.coveredLines, dataLines(through: 5))
    }

    /// A legitimate multi-line note in an extra column is still one row covering its lines.
    func testQuotedNoteOverSeveralLinesIsOneRow() throws {
        let text = header + ";note\n" + row(1) + ";\"première ligne\nseconde; ligne\n\"\"fin\"\"\"\n" + row(2) + ";\n"
        let result = try read("note.csv", text)
        XCTAssertEqual(result.rejected, [])
        XCTAssertEqual(result.records.map(\.physicalLines), [3, 1])
        XCTAssertEqual(result.coveredLines, dataLines(through: 5))
    }

    /// The row cap counts every byte, delimiters included: a line of a million delimiters after a
    /// 65 KB field is one rejected row, read in bounded memory, and the next line is still read.
    func testRowOfAMillionDelimitersIsRejectedAndTheNextLineRead() throws {
        let huge = String(repeating: "A", count: 65 * 1024) + String(repeating: ";", count: 1_000_000)
        let text = [header, row(1), huge, row(3)].joined(separator: "\n") + "\n"
        let result = try read("wide.csv", text)
        XCTAssertEqual(result.rejected.map(\.line), [3])
        XCTAssertEqual(result.coveredLines, dataLines(through: 4))
        let delimitersOnly = [header, String(repeating: ";", count: 100_000) + "x", row(3)].joined(separator: "\n") + "\n"
        let second = try read("delimiters.csv", delimitersOnly)
        XCTAssertEqual(second.rejected.map(\.line), [2])
        XCTAssertTrue(second.rejected[0].message.contains("champs") || second.rejected[0].message.contains("Kio"), second.rejected[0].message)
        XCTAssertEqual(second.coveredLines, [2, 3])
    }

    /// Quotes on every line, paired across lines in every way: still one event per line.
    func testQuotesPairedAcrossLinesNeverHideALine() throws {
        var lines = [header]
        for index in 1...200 {
            switch index % 4 {
            case 0: lines.append("\"" + row(index))
            case 1: lines.append(row(index) + ";\"x")
            case 2: lines.append("\"\"\"" + row(index))
            default: lines.append(row(index))
            }
        }
        let result = try read("pairs.csv", lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(result.coveredLines.sorted(), dataLines(through: 201))
        XCTAssertEqual(Set(result.coveredLines).count, result.coveredLines.count, "no line read twice")
    }
}
