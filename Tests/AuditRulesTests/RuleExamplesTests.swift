import AuditRules
import BillingModel
import Foundation
import XCTest

/// The shipped rule set, loaded once for the tests.
enum ShippedRules {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Rules")

    static let ruleSet: RuleSet = {
        do {
            return try RuleSetLoader.load(directory: directory)
        } catch {
            fatalError("le jeu de règles livré ne se charge pas : \(error)")
        }
    }()
}

/// Every rule's examples run here, as SwiftLint runs its rules' triggering examples: adding a
/// rule file adds its tests.
final class RuleExamplesTests: XCTestCase {
    func testEveryShippedRuleHasExamplesThatPass() {
        let ruleSet = ShippedRules.ruleSet
        XCTAssertGreaterThanOrEqual(ruleSet.rules.count, 6)
        for rule in ruleSet.rules {
            XCTAssertFalse(rule.triggering.isEmpty, "\(rule.id) n'a pas d'exemple déclencheur")
            XCTAssertFalse(rule.nonTriggering.isEmpty, "\(rule.id) n'a pas d'exemple non déclencheur")
            for failure in RuleSetChecker.runExamples(of: rule, in: ruleSet) {
                XCTFail(failure.description)
            }
        }
    }

    func testCoreRuleIdsAreShipped() {
        let ids = Set(ShippedRules.ruleSet.rules.map(\.id))
        for id in ["tariff-below-schedule", "missing-meg", "missing-md", "missing-mt-declaration",
                   "mt-practitioner-departed", "meg-over-age"] {
            XCTAssertTrue(ids.contains(id), "règle du contrat absente : \(id)")
        }
    }

    func testAWrongExampleIsReported() throws {
        var ruleSet = ShippedRules.ruleSet
        var rule = try XCTUnwrap(ruleSet.rule("missing-meg"))
        rule.triggering[0].lostCents = Cents(499)
        ruleSet.rules = [rule]
        let failures = RuleSetChecker.runExamples(ruleSet)
        XCTAssertEqual(failures.count, 1)
        XCTAssertTrue(failures[0].problem.contains("attendu 4,99"), failures[0].problem)
    }

    /// Reports name codes in French: tariff codes by their label, the forfait schemes findings ask
    /// to obtain (FPMT, FMT) by `mt_forfait_schemes`.
    func testEveryCodeOfTheSamplesHasAFrenchLabel() {
        let labels = ShippedRules.ruleSet.codeLabels
        XCTAssertEqual(labels["FPMT"], "Forfait patientèle médecin traitant")
        XCTAssertEqual(labels["FMT"], "Forfait médecin traitant")
        XCTAssertEqual(labels["DEQP003"], "Électrocardiographie sur au moins 12 dérivations")
        for code in ["G", "VG", "MD", "MEG", "VL", "IMT", "COE", "MOP"] { XCTAssertNotNil(labels[code], code) }
        for scheme in Set(ShippedRules.ruleSet.forfaits.map(\.scheme)) { XCTAssertNotNil(labels[scheme], scheme) }
    }

    func testASchemeLabelForAnUnknownSchemeIsRefused() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-rules-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ShippedRules.directory, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let header = copy.appendingPathComponent("ruleset.yaml")
        let text = try String(contentsOf: header, encoding: .utf8)
        try text.replacingOccurrences(of: "  FMT: \"Forfait médecin traitant\"", with: "  FMX: \"Forfait inconnu\"")
            .write(to: header, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RuleSetLoader.load(directory: copy)) { error in
            XCTAssertTrue("\(error)".contains("dispositif « FMX » absent de mt_forfait"), "\(error)")
        }
    }
}
