import BillingModel
import XCTest

/// A location holds its file as a number (`SourceFileNames`); it must read, compare and hash as
/// when it held the name.
final class SourceLocationTests: XCTestCase {
    func testLocationsOrderByFileNameThenLineWhateverOrderTheNamesWereNumberedIn() {
        // Numbered in the reverse of their order, and long enough to be heap Strings.
        let names = ["zz-export-centre-de-sante-2025.csv", "mm-export-centre-de-sante-2025.csv", "aa-export-centre-de-sante-2025.csv"]
        let locations = names.flatMap { name in [3, 1, 2].map { SourceLocation(file: name, line: $0) } }
        let sorted = locations.sorted()
        XCTAssertEqual(sorted.map(\.file), names.reversed().flatMap { Array(repeating: $0, count: 3) })
        XCTAssertEqual(sorted.map(\.line), [1, 2, 3, 1, 2, 3, 1, 2, 3])
        XCTAssertEqual(sorted, locations.sorted { ($0.file, $0.line) < ($1.file, $1.line) })
    }

    func testTheSameNameIsTheSameLocation() {
        let first = SourceLocation(file: "lot-du-" + String(23) + "-novembre.csv", line: 12)
        let second = SourceLocation(fileNumber: SourceFileNames.shared.number(for: "lot-du-23-novembre.csv"), line: 12)
        XCTAssertEqual(first, second)
        XCTAssertEqual(Set([first, second]).count, 1)
        XCTAssertEqual(first.file, "lot-du-23-novembre.csv")
        XCTAssertEqual(first.description, "lot-du-23-novembre.csv:12")
        XCTAssertNotEqual(first, SourceLocation(file: "lot-du-24-novembre.csv", line: 12))
        XCTAssertFalse(first < second)
    }
}
