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

    /// F, IK, C and V are priced per profession, with no one value: each profession's value is
    /// shown under the key, never « sans tarif » (F on a Sunday of 2025: 19,06 € for the general
    /// practitioner, 8,50 € for the nurse, Rules/tariffs/ngap.yaml).
    func testRulesTariffsShowsKeysPricedPerProfessionWithEachValue() throws {
        let result = try run(["rules", "tariffs", "--on", "2025-06-01"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let f = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  F ") }, "F absent")
        XCTAssertTrue(lines[f].contains("Majoration de dimanche et jour férié"), lines[f])
        XCTAssertEqual(Array(lines[(f + 1)...(f + 3)]),
                       ["    médecin généraliste (01) : 19,06 €", "    infirmier (24) : 8,50 €", "    autres spécialités : sans tarif"])
        for (code, value) in [("IK", "    infirmier (24) : 0,35 €"), ("C", "    sage-femme (21) : 23,00 €"), ("V", "    sage-femme (21) : 23,00 €")] {
            let index = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  \(code) ") }, "\(code) absent")
            XCTAssertTrue(lines[index...].prefix(4).contains(value), "\(code): \(lines[index...].prefix(4))")
        }
        // A key with one value and another for one profession keeps both.
        let ifd = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  IFD ") })
        XCTAssertTrue(lines[ifd].contains("2,75 €"), lines[ifd])
        XCTAssertEqual(lines[ifd + 1], "    masseur-kinésithérapeute (26) : 2,50 €")
        let unpriced = lines.drop { !$0.hasPrefix("Codes connus sans tarif") }.joined(separator: " ")
        XCTAssertFalse(unpriced.isEmpty)
        for code in ["F", "IK", "C", "V"] {
            XCTAssertFalse(unpriced.contains(" \(code),") || unpriced.hasSuffix(" \(code)"), "\(code) listed without a tariff: \(unpriced)")
        }
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "fits a terminal")

        let csv = try run(["rules", "tariffs", "--on", "2025-06-01", "--format", "csv"]).stdout.split(separator: "\r\n").map(String.init)
        XCTAssertTrue(csv[0].contains(";montant_par_specialite;du;au;source"), csv[0])
        let fRow = try XCTUnwrap(csv.first { $0.hasPrefix("F;") })
        XCTAssertTrue(fRow.contains(";supplement;;;;;01 = 19,06 / 24 = 8,50;2023-01-01;;"), fRow)
    }

    func testRulesTariffsRefusesABadDateWith64() throws {
        let result = try run(["rules", "tariffs", "--on", "2026-02-30"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--on"), result.stderr)
    }
}
