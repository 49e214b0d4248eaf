import AuditRules
import BillingModel
import Foundation

/// The `cotaudit.audit/1` document (contract §4): required keys in the contract's order, then
/// additions. Written by hand so that key order and layout are the same run to run.
public enum JSONReport {
    /// `verdict`: from `cotaudit check`, whose document adds the gate's decision (`verdict`) and,
    /// per finding, its fingerprint and what the gate made of it. `trendAndFixes`: from `cotaudit
    /// report`, whose document adds the months held (`trend`) and the fixes (`fixed_by_practitioner`).
    public static func render(_ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions,
                              verdict: CheckVerdict? = nil, trendAndFixes: TrendAndFixes? = nil) -> String {
        let json = JSONWriter()
        document(json, outcome, totals: totals, options: options, verdict: verdict, trendAndFixes: trendAndFixes)
        return json.text + "\n"
    }

    /// The same document handed to `sink` a part at a time as it is written, so a report of many
    /// findings is never held whole (the parts, joined, are `render`'s text). Its findings' array is
    /// written on another thread while `makeTotals` works out the totals on this one: the totals
    /// come first in the document, and each walks every finding (some 70 ms of a 1M-line run went
    /// to the two, one after the other, after the reading had ended). The array's text waits in a
    /// queue of at most `JSONPartQueue.maxParts` parts of about `JSONWriter.partSize` bytes. The
    /// parts are UTF-8 bytes: made Strings, each megabyte of text was checked for UTF-8 once more
    /// (a third of the findings' writing), and copied again to be written out.
    public static func write(_ outcome: AuditOutcome, makingTotals makeTotals: () -> AuditTotals, options: ReportOptions,
                             verdict: CheckVerdict? = nil, trendAndFixes: TrendAndFixes? = nil, to sink: @escaping ([UInt8]) -> Void) {
        let parts = JSONPartQueue()
        let job = FindingsArrayJob(outcome: outcome, options: options, verdict: verdict, parts: parts)
        let thread = Thread { job.run() }
        thread.stackSize = 8 << 20
        thread.start()
        let totals = makeTotals()
        let json = JSONWriter(sink: sink)
        document(json, outcome, totals: totals, options: options, verdict: verdict, trendAndFixes: trendAndFixes, writtenElsewhere: parts)
        json.finishLine()
        sink(json.bytesWritten)
    }

    /// The findings' array, written by another thread (`write(_:makingTotals:…)`).
    private final class FindingsArrayJob: @unchecked Sendable {
        let outcome: AuditOutcome
        let options: ReportOptions
        let verdict: CheckVerdict?
        let parts: JSONPartQueue

        init(outcome: AuditOutcome, options: ReportOptions, verdict: CheckVerdict?, parts: JSONPartQueue) {
            (self.outcome, self.options, self.verdict, self.parts) = (outcome, options, verdict, parts)
        }

        func run() {
            // At the depth the array has in the document: a field of its top object.
            let json = JSONWriter(sink: { [parts] in parts.push($0) }, depth: 1)
            JSONReport.findingsArray(json, outcome, options: options, verdict: verdict, gateStatus: JSONReport.gateStatus(verdict))
            parts.push(json.bytesWritten)
            parts.close()
        }
    }

    private static func gateStatus(_ verdict: CheckVerdict?) -> [String: String] {
        var gateStatus: [String: String] = [:]
        for decision in verdict?.decisions ?? [] {
            switch decision.status {
            case .blocking: gateStatus[decision.finding.fingerprint] = "blocking"
            case .tolerated: gateStatus[decision.finding.fingerprint] = "tolerated"
            case .accepted: gateStatus[decision.finding.fingerprint] = "accepted"
            }
        }
        return gateStatus
    }

    private static func findingsArray(_ json: JSONWriter, _ outcome: AuditOutcome, options: ReportOptions, verdict: CheckVerdict?,
                                      gateStatus: [String: String]) {
        json.array(outcome.findings.inFileOrder()) { finding in
            json.object {
                json.field("rule", finding.rule)
                json.field("kind", finding.kind.rawValue)
                json.field("certainty", finding.certainty.rawValue)
                json.field("file", finding.location.file)
                json.field("line", finding.location.line)
                json.field("invoice_id", finding.invoiceID)
                json.field("practitioner_id", finding.practitionerID)
                json.field("patient_ref", finding.patientRef.value)
                json.field("code", finding.code)
                json.field("expected_code", finding.expectedCode)
                json.field("lost_cents", finding.lostCents.value)
                json.field("at_risk_cents", finding.atRiskCents.value)
                json.field("message", finding.message)
                json.field("act_date", finding.actDate.iso)
                json.field("recoverable", options.isRecoverable(finding))
                let counted = finding.certainty.countsAsLost ? finding.lostCents.value : 0
                json.field("rebill_cents", finding.isObtainedByDeclaration ? 0 : counted)
                json.field("obtain_cents", finding.isObtainedByDeclaration ? counted : 0)
                if verdict != nil {
                    json.field("fingerprint", finding.fingerprint)
                    json.field("gate", gateStatus[finding.fingerprint])
                }
            }
        }
    }

    /// `writtenElsewhere`: the findings' array, written by another thread.
    private static func document(_ json: JSONWriter, _ outcome: AuditOutcome, totals: AuditTotals, options: ReportOptions,
                                 verdict: CheckVerdict?, trendAndFixes: TrendAndFixes?, writtenElsewhere: JSONPartQueue? = nil) {
        json.object {
            json.field("schema", "cotaudit.audit/1")
            json.field("summary") {
                json.object {
                    json.field("files", outcome.files.count)
                    json.field("acts", outcome.acts)
                    json.field("invoices", outcome.invoices)
                    json.field("rejected_lines", outcome.rejectedLines)
                    json.field("findings", outcome.findings.count)
                    json.field("lost_cents", totals.lostCents.value)
                    json.field("at_risk_cents", totals.atRiskCents.value)
                    json.field("possible_cents", totals.possibleCents.value)
                    // Kept from the first schema; the same figure as recoverable_cents (re-billable only).
                    json.field("recoverable_lost_cents", totals.recoverableLostCents.value)
                    json.field("rebill_cents", totals.rebillCents.value)
                    json.field("obtain_cents", totals.obtainCents.value)
                    json.field("recoverable_cents", totals.recoverableLostCents.value)
                    json.field("billed_cents", totals.billedCents.value)
                    json.field("first_act_date", outcome.firstActDate?.iso)
                    json.field("last_act_date", outcome.lastActDate?.iso)
                    json.field("rule_set", "\(outcome.ruleSetName) \(outcome.ruleSetVersion)")
                    if let period = outcome.period {
                        json.field("period_from", period.from?.iso)
                        json.field("period_to", period.to?.iso)
                        json.field("acts_outside_period", outcome.actsOutsidePeriod)
                    }
                    // Issues beyond the reported lists (a bounded number per kind); --all-issues lists them all.
                    json.field("input_errors_omitted", outcome.omittedInputErrors)
                    json.field("warnings_omitted", outcome.omittedWarnings)
                }
            }
            json.field("by_practitioner") {
                json.array(totals.byPractitioner) { line in
                    json.object {
                        json.field("practitioner_id", line.key)
                        json.field("lost_cents", line.lostCents.value)
                        json.field("findings", line.findings)
                        if let name = outcome.roster?.name(of: line.key) { json.field("name", name) }
                        json.field("billed_cents", line.billedCents.value)
                        json.field("possible_cents", line.possibleCents.value)
                        json.field("at_risk_cents", line.atRiskCents.value)
                        moneyKinds(json, line)
                    }
                }
            }
            for (key, lines, name) in [("by_act", totals.byAct, "code"), ("by_rule", totals.byRule, "rule")] {
                json.field(key) {
                    json.array(lines) { line in
                        json.object {
                            json.field(name, line.key)
                            json.field("lost_cents", line.lostCents.value)
                            json.field("findings", line.findings)
                            json.field("possible_cents", line.possibleCents.value)
                            json.field("at_risk_cents", line.atRiskCents.value)
                            moneyKinds(json, line)
                        }
                    }
                }
            }
            json.field("findings") {
                if let writtenElsewhere {
                    json.splice(writtenElsewhere)
                } else {
                    findingsArray(json, outcome, options: options, verdict: verdict, gateStatus: gateStatus(verdict))
                }
            }
            for (key, issues) in [("input_errors", outcome.inputErrors), ("warnings", outcome.warnings)] {
                json.field(key) {
                    json.array(issues.sorted(by: InputIssue.fileOrder)) { issue in
                        json.object {
                            json.field("file", issue.file)
                            json.field("line", issue.line)
                            json.field("column", issue.column)
                            json.field("message", issue.message)
                        }
                    }
                }
            }
            json.field("by_month") {
                json.array(totals.byMonth) { line in
                    json.object {
                        json.field("month", line.key)
                        json.field("lost_cents", line.lostCents.value)
                        json.field("findings", line.findings)
                        json.field("billed_cents", line.billedCents.value)
                    }
                }
            }
            if let trendAndFixes { storeFields(json, trendAndFixes, roster: outcome.roster) }
            if let verdict {
                json.field("verdict") {
                    json.object {
                        json.field("status", verdict.outcome.rawValue)
                        json.field("exit_code", verdict.exitStatus)
                        json.field("summary", verdict.summaryLine)
                        json.field("reasons") {
                            json.array(verdict.reasons) { reason in
                                json.object {
                                    json.field("kind", reason.kind.rawValue)
                                    json.field("message", reason.text)
                                }
                            }
                        }
                        json.field("fail_on", verdict.failOn?.rawValue ?? "none")
                        if let maxLost = verdict.maxLost { json.field("max_lost_cents", maxLost.value) }
                        json.field("max_rejected", verdict.maxRejected)
                        json.field("lost_cents", verdict.lostCents.value)
                        json.field("blocking_findings", verdict.blocking.count)
                        json.field("accepted_findings", verdict.acceptedCount)
                    }
                }
            }
        }
    }

    /// The store report's additions: every month held up to the period's end, and per practitioner
    /// what corrected re-exports fixed during the period and during the month before.
    static func storeFields(_ json: JSONWriter, _ store: TrendAndFixes, roster: Roster?) {
        func money(_ line: Breakdown) {
            json.field("findings", line.findings)
            json.field("lost_cents", line.lostCents.value)
            json.field("rebill_cents", line.rebillCents.value)
            json.field("obtain_cents", line.obtainCents.value)
            json.field("possible_cents", line.possibleCents.value)
            json.field("at_risk_cents", line.atRiskCents.value)
        }
        json.field("trend") {
            json.array(store.months) { line in
                json.object {
                    json.field("month", line.key)
                    money(line)
                    json.field("billed_cents", line.billedCents.value)
                }
            }
        }
        json.field("fixed_period") {
            json.object {
                json.field("from", store.fixedFrom.description)
                json.field("to", store.fixedTo.description)
                json.field("previous_month", store.previousMonth.description)
            }
        }
        json.field("fixed_by_practitioner") {
            json.array(store.fixedByPractitioner) { fixes in
                json.object {
                    json.field("practitioner_id", fixes.practitionerID)
                    if let name = roster?.name(of: fixes.practitionerID) { json.field("name", name) }
                    money(fixes.period)
                    json.field("previous_month") { json.object { money(fixes.previousMonth) } }
                }
            }
        }
    }

    /// The two kinds of lost money of a breakdown line, and the re-billable part still in the window.
    static func moneyKinds(_ json: JSONWriter, _ line: Breakdown) {
        json.field("rebill_cents", line.rebillCents.value)
        json.field("obtain_cents", line.obtainCents.value)
        json.field("recoverable_cents", line.recoverableCents.value)
    }
}

/// Parts of a document's text, from the thread writing them to the one writing the document, in
/// order; the writer waits while `maxParts` wait to be taken.
typealias JSONPartQueue = BoundedQueue<[UInt8]>

extension JSONPartQueue {
    static var maxParts: Int { 16 }
    convenience init() { self.init(capacity: JSONPartQueue.maxParts) }
}

/// A small pretty-printing JSON writer: two-space indent, keys in the order written. A class,
/// because the nested closures that write an object's fields all write to the same text.
///
/// The text is kept as UTF-8 bytes: appending to a String checked the grapheme boundary at each
/// join, some 350 instructions per piece, several pieces per field.
final class JSONWriter {
    // Used by one thread: the run-time exclusivity check on each of a finding's hundreds of appends
    // was a sixth of the writing.
    @exclusivity(unchecked) private var bytes: [UInt8] = []
    var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The text written and not yet handed to the sink, as UTF-8.
    var bytesWritten: [UInt8] { bytes }

    /// The document's closing line break.
    func finishLine() { bytes.append(UInt8(ascii: "\n")) }
    @exclusivity(unchecked) private var depth = 0
    @exclusivity(unchecked) private var needsComma = false
    /// Where the text written so far goes once it passes `JSONWriter.partSize`, between two items of
    /// an array; nil keeps the whole document in `text`.
    private let sink: (([UInt8]) -> Void)?
    static let partSize = 1 << 20

    /// `depth`: where the text goes in a document (a part of one written by another writer).
    init(sink: (([UInt8]) -> Void)? = nil, depth: Int = 0) {
        self.sink = sink
        self.depth = depth
    }

    /// Text another writer wrote at this point of the document (`JSONPartQueue`), taken as it comes.
    func splice(_ parts: JSONPartQueue) {
        if let sink, !bytes.isEmpty {
            // What this writer holds goes out first: the parts follow it in the document.
            sink(bytes)
            bytes.removeAll(keepingCapacity: true)
        }
        while let part = parts.pop() {
            if let sink {
                sink(part)
            } else {
                bytes.append(contentsOf: part)
            }
        }
    }

    private func emit(_ piece: String) {
        var piece = piece
        piece.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private func newline() {
        // A line break and two spaces per level, taken from one run of them.
        let count = 1 + 2 * depth
        if count <= JSONWriter.indentation.count {
            JSONWriter.indentation.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<count])) }
            return
        }
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    private static let indentation: [UInt8] = [UInt8(ascii: "\n")] + [UInt8](repeating: 0x20, count: 32)

    private func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    func object(_ body: () -> Void) {
        bytes.append(UInt8(ascii: "{"))
        depth += 1
        needsComma = false
        body()
        depth -= 1
        // needsComma is set by the first field written: an empty object stays on one line.
        if needsComma { newline() }
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    func array<Items: Sequence>(_ items: Items, _ body: (Items.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var iterator = items.makeIterator()
        guard var item = iterator.next() else { bytes.append(UInt8(ascii: "]")); needsComma = true; return }
        depth += 1
        needsComma = false
        while true {
            separate()
            newline()
            let saved = needsComma
            body(item)
            needsComma = saved
            if let sink, bytes.count >= JSONWriter.partSize {
                sink(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
            guard let next = iterator.next() else { break }
            item = next
        }
        depth -= 1
        newline()
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    private func key(_ name: String) {
        separate()
        newline()
        JSONWriter.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(0x20)
    }

    func field(_ name: String, _ body: () -> Void) {
        key(name)
        let saved = needsComma
        body()
        needsComma = saved
    }

    func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONWriter.appendQuoted(value, to: &bytes) } else { emit("null") }
    }

    func field<N: BinaryInteger>(_ name: String, _ value: N) {
        key(name)
        guard let value = Int64(exactly: value) else { return emit(String(value)) }
        // Digits written in place: `String(value)` went through the generic radix conversion.
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    func field(_ name: String, _ value: Bool) {
        key(name)
        emit(value ? "true" : "false")
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// On the UTF-8 bytes: every byte JSON escapes is ASCII, and never part of a longer sequence, so
    /// the others are copied as they are. Scalar by scalar, quoting was most of the report's time.
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Nearly every value has nothing to escape: then it is copied at once.
        let copied = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        } ?? false
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case ..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
