import Foundation
import XCTest

/// `cotaudit rules tariffs`: the table billing staff check their software against.
extension CommandLineTests {
    func testReviewRulesTariffsOn20261123ShowsGCOEAndTCGWithTheirSources() throws {
        let result = try run(["rules", "tariffs", "--on", "2026-11-23"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("23/11/2026"), lines[0])
        for (code, amount) in [("G", "30,00 €"), ("COE", "60,00 €"), ("TCG", "25,00 €")] {
            let index = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  \(code) ") }, "\(code) absent")
            XCTAssertTrue(lines[index].contains(amount), lines[index])
            XCTAssertTrue(lines[index + 1].contains("source :"), "\(code): \(lines[index + 1])")
        }
        XCTAssertTrue(lines.contains { $0.contains("FMT-80-ALD") && $0.contains("100,00 €") })
        XCTAssertFalse(lines.contains { $0.hasPrefix("  FPMT-ALD ") }, "the FPMT is no longer in force in 2026")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "fits a terminal")

        let before = try run(["rules", "tariffs", "--on", "2024-06-01"])
        XCTAssertTrue(before.stdout.split(separator: "\n").contains { $0.hasPrefix("  G ") && $0.contains("26,50 €") })
        XCTAssertTrue(before.stdout.split(separator: "\n").contains { $0.hasPrefix("  FPMT-ALD ") && $0.contains("46,00 €") })
    }

    func testRulesTariffsCSVIsSemicolonUTF8WithBOMAndEverySourceIsFilled() throws {
        let result = try run(["rules", "tariffs", "--on", "2026-11-23", "--format", "csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("\u{FEFF}code;libelle;"), String(result.stdout.prefix(60)))
        let rows = result.stdout.split(separator: "\r\n").map(String.init)
        let g = try XCTUnwrap(rows.first { $0.hasPrefix("G;") })
        XCTAssertTrue(g.contains(";30,00;"), g)
        XCTAssertTrue(g.contains("2024-12-22"), g)
        XCTAssertTrue(g.contains("ameli.fr"), g)
        XCTAssertFalse(rows.dropFirst().contains { $0.hasSuffix(";") }, "every row ends with its source")
    }

    func testRulesTariffsRefusesABadDateWith64() throws {
        let result = try run(["rules", "tariffs", "--on", "2026-02-30"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--on"), result.stderr)
    }
}
