@testable import AuditReport
import AuditRules
import BillingModel
import Foundation
import XCTest

/// `--format json` and `--format csv` (the findings table) go to their file a part at a time: a
/// report of many findings is never held whole, and the parts make exactly the whole document.
extension ReportTests {
    func testTheJSONReportWrittenInPartsIsTheRenderedDocument() {
        var outcome = outcome()
        outcome.findings = Findings((0..<20_000).map { index in
            finding(index % 2 == 0 ? "missing-meg" : "tariff-below-schedule", .certain, lost: Int64(100 + index % 700),
                    line: index + 2, message: "message \(index) « à corriger »")
        })
        let totals = AuditTotals(outcome, options: options)
        var parts: [[UInt8]] = []
        JSONReport.write(outcome, makingTotals: { totals }, options: options) { parts.append($0) }
        XCTAssertGreaterThan(parts.count, 3, "several parts of about \(JSONWriter.partSize) bytes")
        XCTAssertTrue(parts.dropLast().allSatisfy { $0.count < JSONWriter.partSize + 4_096 }, "no part much larger than the bound")
        XCTAssertEqual(String(decoding: parts.joined(), as: UTF8.self), JSONReport.render(outcome, totals: totals, options: options))
    }

    /// With its findings' array written by another thread while the totals are worked out, the
    /// document is the same, byte for byte: no findings, a few, many parts' worth (more than the
    /// queue between the threads holds), and a `check` document with its verdict.
    func testTheJSONReportWithItsFindingsWrittenAlongsideIsTheRenderedDocument() {
        for count in [0, 3, 60_000] {
            var outcome = outcome()
            outcome.findings = Findings((0..<count).map { index in
                finding(index % 3 == 0 ? "missing-meg" : "tariff-below-schedule", index % 5 == 0 ? .possible : .certain,
                        lost: Int64(100 + index % 700), line: index + 2, message: "message \(index) « à corriger »")
            })
            let totals = AuditTotals(outcome, options: options)
            for verdict in [nil, CheckGate().decide(outcome)] {
                var parts: [[UInt8]] = []
                var totalsWorkedOut = 0
                JSONReport.write(outcome, makingTotals: { totalsWorkedOut += 1; return AuditTotals(outcome, options: options) },
                                 options: options, verdict: verdict) { parts.append($0) }
                XCTAssertEqual(totalsWorkedOut, 1)
                XCTAssertEqual(String(decoding: parts.joined(), as: UTF8.self),
                               JSONReport.render(outcome, totals: totals, options: options, verdict: verdict),
                               "\(count) constats, verdict : \(verdict != nil)")
                if count == 60_000 {
                    XCTAssertGreaterThan(parts.count, JSONPartQueue.maxParts, "more parts than the queue holds at once")
                }
            }
        }
    }

    func testTheCSVTableWrittenInPartsIsEveryRowOnce() {
        var outcome = outcome()
        let count = 20_000
        outcome.findings = Findings((0..<count).map { index in
            finding("missing-meg", .certain, lost: Int64(100 + index % 700), line: index + 2, message: "message \(index) ; « à corriger »")
        })
        var parts: [String] = []
        CSVReport.writeFindings(outcome, options: options, decimalComma: false, machineKeys: true) { parts.append($0) }
        XCTAssertGreaterThan(parts.count, 3, "several parts of about \(CSVReport.partSize) bytes")
        XCTAssertTrue(parts.allSatisfy { $0.utf8.count < CSVReport.partSize + 4_096 }, "no part much larger than the bound")
        XCTAssertTrue(parts.dropFirst().allSatisfy { $0.hasPrefix("missing-meg;") }, "parts end at a row's end")
        let rows = parts.joined().components(separatedBy: "\r\n")
        XCTAssertEqual(rows.count, count + 2, "header, every finding, and the empty text after the last CRLF")
        XCTAssertEqual(rows.first?.hasPrefix("\u{FEFF}rule;kind;"), true)
        for index in [0, 9_999, count - 1] {
            XCTAssertTrue(rows[index + 1].hasSuffix(";\"message \(index) ; « à corriger »\""), rows[index + 1])
        }
    }

    /// Quoting works on bytes; what it writes is JSON that reads back as the same text, with the
    /// escapes RFC 8259 names and `\u00XX` for the other control characters.
    func testQuotedStringsReadBackAsTheSameText() throws {
        func quoted(_ value: String) -> String {
            var bytes: [UInt8] = []
            JSONWriter.appendQuoted(value, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        let samples = ["", "G", "dépassement « 3,50 € » — Œuvre", "a\"b\\c", "l1\nl2\r\n\tfin", "\u{0}\u{1}\u{1F}\u{7F}", "🩺 ✓", "\u{202F}"]
        for sample in samples {
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted(sample))]".utf8)) as? [String]
            XCTAssertEqual(decoded, [sample], "sample \(sample.debugDescription)")
        }
        XCTAssertEqual(quoted("a\"\\\n\r\t\u{1}é"), #""a\"\\\n\r\t\u0001é""#)
    }
}

