import AuditRules
import BillingModel
import Foundation

/// The findings a centre has accepted, so that `check --baseline` fails only on new ones: the
/// `cotaudit.baseline/1` document written by `cotaudit baseline`. Findings are matched by their
/// fingerprint (rule, invoice, code, act date, patient pseudonym; patient and year for médecin
/// traitant findings), never by file or line, so a reordered or re-exported batch still matches.
/// Each entry carries enough for a person to read it (rule, invoice, date, codes, amount, where it
/// was seen, the rule's message) and no identity: the patient is its keyed pseudonym.
public struct Baseline: Sendable, Equatable {
    public static let schema = "cotaudit.baseline/1"

    public struct Entry: Sendable, Equatable {
        public var fingerprint: String
        public var rule: String
        public var certainty: String
        public var invoiceID: String
        public var actDate: String
        public var code: String
        public var expectedCode: String?
        public var patientRef: String
        public var practitionerID: String
        public var lostCents: Int64
        public var atRiskCents: Int64
        public var file: String
        public var line: Int
        public var message: String
        /// Why the finding is accepted (free text, French).
        public var reason: String?
        /// The last day the acceptance holds; from the next day the finding fails the batch again.
        public var expires: CalendarDay?

        public var acceptance: Acceptance { Acceptance(reason: reason, expires: expires) }
    }

    /// The day the baseline was written (nil when a hand-written file does not say).
    public var created: CalendarDay?
    /// `name version` of the rule set that found the findings.
    public var ruleSet: String
    public var entries: [Entry]

    public init(created: CalendarDay?, ruleSet: String, entries: [Entry]) {
        self.created = created
        self.ruleSet = ruleSet
        self.entries = entries
    }

    /// Every finding of the outcome, accepted with `reason` and `expires`. An entry already in
    /// `previous` keeps the reason and expiry it had there, so rewriting the baseline after a fix
    /// loses no one's explanation.
    public static func accepting(_ outcome: AuditOutcome, created: CalendarDay, reason: String?, expires: CalendarDay?,
                                 previous: Baseline? = nil) -> Baseline {
        var kept: [String: Entry] = [:]
        for entry in previous?.entries ?? [] { kept[entry.fingerprint] = entry }
        var seen: Set<String> = []
        var entries: [Entry] = []
        for finding in outcome.findings.inFileOrder() where seen.insert(finding.fingerprint).inserted {
            let earlier = kept[finding.fingerprint]
            entries.append(Entry(fingerprint: finding.fingerprint, rule: finding.rule, certainty: finding.certainty.rawValue,
                                 invoiceID: finding.invoiceID, actDate: finding.actDate.iso, code: finding.code,
                                 expectedCode: finding.expectedCode, patientRef: finding.patientRef.value,
                                 practitionerID: finding.practitionerID, lostCents: finding.lostCents.value,
                                 atRiskCents: finding.atRiskCents.value, file: finding.location.file,
                                 line: finding.location.line, message: finding.message,
                                 reason: earlier == nil ? reason : earlier?.reason,
                                 expires: earlier == nil ? expires : earlier?.expires))
        }
        return Baseline(created: created, ruleSet: "\(outcome.ruleSetName) \(outcome.ruleSetVersion)", entries: entries)
    }

    /// Fingerprint → acceptance, for the gate.
    public var acceptances: [String: Acceptance] {
        var result: [String: Acceptance] = [:]
        for entry in entries { result[entry.fingerprint] = entry.acceptance }
        return result
    }

    /// The document, keys in a fixed order, one entry per finding.
    public func json() -> String {
        let json = JSONWriter()
        json.object {
            json.field("schema", Baseline.schema)
            json.field("created", created?.iso)
            json.field("rule_set", ruleSet)
            json.field("accepted") {
                json.array(entries) { entry in
                    json.object {
                        json.field("fingerprint", entry.fingerprint)
                        json.field("rule", entry.rule)
                        json.field("certainty", entry.certainty)
                        json.field("invoice_id", entry.invoiceID)
                        json.field("act_date", entry.actDate)
                        json.field("code", entry.code)
                        json.field("expected_code", entry.expectedCode)
                        json.field("patient_ref", entry.patientRef)
                        json.field("practitioner_id", entry.practitionerID)
                        json.field("lost_cents", entry.lostCents)
                        json.field("at_risk_cents", entry.atRiskCents)
                        json.field("file", entry.file)
                        json.field("line", entry.line)
                        json.field("message", entry.message)
                        json.field("reason", entry.reason)
                        json.field("expires", entry.expires?.iso)
                    }
                }
            }
        }
        return json.text + "\n"
    }

    /// Why a baseline file cannot be used, in French.
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a `cotaudit.baseline/1` document. Only `fingerprint` is needed to match; `reason` and
    /// `expires` are read when present; the other keys are for people and are kept as found.
    public static func read(_ data: Data) throws -> Baseline {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReadError(description: "document JSON attendu (objet cotaudit.baseline/1)")
        }
        guard let schema = root["schema"] as? String, schema == Baseline.schema else {
            throw ReadError(description: "schéma « \(root["schema"] as? String ?? "absent") » inconnu ; attendu \(Baseline.schema)")
        }
        guard let accepted = root["accepted"] as? [[String: Any]] else {
            throw ReadError(description: "liste « accepted » attendue")
        }
        var entries: [Entry] = []
        for (index, item) in accepted.enumerated() {
            let place = "accepted[\(index)]"
            guard let fingerprint = item["fingerprint"] as? String, !fingerprint.isEmpty else {
                throw ReadError(description: "\(place) : « fingerprint » manquant")
            }
            var expires: CalendarDay?
            if let text = item["expires"] as? String {
                guard let day = CalendarDay(parsing: text) else {
                    throw ReadError(description: "\(place) : « expires » doit être une date AAAA-MM-JJ")
                }
                expires = day
            } else if let value = item["expires"], !(value is NSNull) {
                throw ReadError(description: "\(place) : « expires » doit être une date AAAA-MM-JJ")
            }
            if let value = item["reason"], !(value is NSNull), !(value is String) {
                throw ReadError(description: "\(place) : « reason » doit être un texte")
            }
            func text(_ key: String) -> String { item[key] as? String ?? "" }
            func integer(_ key: String) -> Int64 { (item[key] as? NSNumber)?.int64Value ?? 0 }
            entries.append(Entry(fingerprint: fingerprint, rule: text("rule"), certainty: text("certainty"),
                                 invoiceID: text("invoice_id"), actDate: text("act_date"), code: text("code"),
                                 expectedCode: item["expected_code"] as? String, patientRef: text("patient_ref"),
                                 practitionerID: text("practitioner_id"), lostCents: integer("lost_cents"),
                                 atRiskCents: integer("at_risk_cents"), file: text("file"), line: Int(integer("line")),
                                 message: text("message"), reason: item["reason"] as? String, expires: expires))
        }
        let created = (root["created"] as? String).flatMap(CalendarDay.init(parsing:))
        return Baseline(created: created, ruleSet: root["rule_set"] as? String ?? "", entries: entries)
    }
}
