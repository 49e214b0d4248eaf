@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// The `cotaudit.baseline/1` document: written, read back, and refused when it cannot be trusted.
final class BaselineTests: XCTestCase {
    let day = CalendarDay(year: 2025, month: 3, day: 31)!

    func testWrittenThenReadBackMatchesByFingerprint() throws {
        let outcome = CheckGateTests.outcome()
        let baseline = Baseline.accepting(outcome, created: day, reason: "connu de la facturation",
                                          expires: CalendarDay(year: 2025, month: 6, day: 30))
        XCTAssertEqual(baseline.entries.count, 5)
        let read = try Baseline.read(Data(baseline.json().utf8))
        XCTAssertEqual(read, baseline, "relu à l'identique")
        XCTAssertEqual(Set(read.acceptances.keys), Set(outcome.findings.map(\.fingerprint)))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(baseline.json().utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "cotaudit.baseline/1")
        let first = try XCTUnwrap((document["accepted"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["rule"] as? String, "missing-meg")
        XCTAssertEqual(first["invoice_id"] as? String, "F2")
        XCTAssertEqual(first["act_date"] as? String, "2025-02-10")
        XCTAssertEqual(first["expected_code"] as? String, "MEG")
        XCTAssertEqual(first["lost_cents"] as? Int, 500)
        XCTAssertEqual(first["reason"] as? String, "connu de la facturation")
        XCTAssertEqual(first["expires"] as? String, "2025-06-30")
    }

    func testRewritingKeepsReasonsAndExpiriesAlreadyGiven() {
        let outcome = CheckGateTests.outcome()
        var previous = Baseline.accepting(outcome, created: day, reason: nil, expires: nil)
        previous.entries[0].reason = "dossier 42"
        previous.entries[0].expires = CalendarDay(year: 2025, month: 12, day: 31)
        let rewritten = Baseline.accepting(outcome, created: day, reason: "nouveau", expires: nil, previous: previous)
        XCTAssertEqual(rewritten.entries[0].reason, "dossier 42")
        XCTAssertEqual(rewritten.entries[0].expires, CalendarDay(year: 2025, month: 12, day: 31))
        XCTAssertEqual(rewritten.entries[1].reason, nil, "déjà présent sans raison : inchangé")
        var grown = outcome
        grown.findings = Findings(Array(grown.findings) + [CheckGateTests.finding("missing-meg", .certain, lost: 500, line: 40)])
        XCTAssertEqual(Baseline.accepting(grown, created: day, reason: "nouveau", expires: nil, previous: previous).entries.first { $0.invoiceID == "F40" }?.reason,
                       "nouveau", "un constat nouveau reçoit la raison donnée")
    }

    func testAFileThatCannotBeTrustedIsRefusedWithAReason() {
        let cases: [(String, String)] = [
            ("[]", "document JSON attendu"),
            (#"{"schema": "cotaudit.baseline/2", "accepted": []}"#, "schéma « cotaudit.baseline/2 » inconnu"),
            (#"{"schema": "cotaudit.baseline/1"}"#, "liste « accepted » attendue"),
            (#"{"schema": "cotaudit.baseline/1", "accepted": [{"rule": "x"}]}"#, "accepted[0] : « fingerprint » manquant"),
            (#"{"schema": "cotaudit.baseline/1", "accepted": [{"fingerprint": "ab", "expires": "31/13/2025"}]}"#,
             "accepted[0] : « expires » doit être une date"),
            (#"{"schema": "cotaudit.baseline/1", "accepted": [{"fingerprint": "ab", "reason": 3}]}"#,
             "accepted[0] : « reason » doit être un texte"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try Baseline.read(Data(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)")
            }
        }
        let minimal = #"{"schema": "cotaudit.baseline/1", "accepted": [{"fingerprint": "ab", "reason": null, "expires": "2025-01-31"}]}"#
        XCTAssertEqual(try Baseline.read(Data(minimal.utf8)).acceptances,
                       ["ab": Acceptance(reason: nil, expires: CalendarDay(year: 2025, month: 1, day: 31))],
                       "une entrée écrite à la main n'a besoin que de son empreinte")
    }
}
