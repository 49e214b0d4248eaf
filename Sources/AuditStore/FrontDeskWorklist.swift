import AuditReport
import AuditRules
import BillingModel
import Foundation
import GRDB

/// One thing the front desk must do, found in its own software by invoice number and visit date:
/// a médecin traitant declaration to obtain, or a bill to correct. Never a NIR: the pseudonym only.
public struct WorkItem: Sendable, Equatable {
    public enum Task: String, Sendable { case declaration, bill }
    public var task: Task
    public var patientRef: PatientRef
    public var practitionerID: String
    /// The invoices concerned: every invoice of the patient in the years the forfait was missed,
    /// or the one invoice to correct.
    public var invoiceIDs: [String]
    /// The patient's latest visit the store holds.
    public var lastVisit: CalendarDay
    public var rules: [String]
    /// Lost revenue (certain and likely) plus amounts at risk.
    public var amount: Cents
    public var detail: String
}

extension AuditStore {
    /// The open findings with act dates in the period, as the front desk's tasks: declarations
    /// first (largest forfait first), then bills by date.
    public func worklist(from: YearMonth, to: YearMonth) throws -> [WorkItem] {
        let open = try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE act_date BETWEEN ? AND ? ORDER BY act_date, invoice_id, id",
                             arguments: ["\(from.description)-01", "\(to.description)-31"]).map(StoredFinding.finding)
        }
        let visits = try lastVisits(patients: Set(open.map(\.patientRef)))
        var declarations: [String: WorkItem] = [:]
        var declarationYears: [String: Set<Int>] = [:]
        var bills: [String: WorkItem] = [:]
        var billOrder: [String] = []
        for finding in open {
            let lastVisit = visits[finding.patientRef]?.day ?? finding.actDate
            let amount = (finding.certainty.countsAsLost ? finding.lostCents : .zero) + finding.atRiskCents
            if finding.kind == .missingMT {
                let key = finding.patientRef.value
                var item = declarations[key] ?? WorkItem(task: .declaration, patientRef: finding.patientRef,
                                                         practitionerID: finding.practitionerID, invoiceIDs: [],
                                                         lastVisit: lastVisit, rules: [], amount: .zero, detail: "")
                item.amount += amount
                if !item.rules.contains(finding.rule) { item.rules.append(finding.rule) }
                // The practitioner of the most recent year is the one to name on the declaration.
                if finding.actDate.year >= (declarationYears[key]?.max() ?? 0) { item.practitionerID = finding.practitionerID }
                declarationYears[key, default: []].insert(finding.actDate.year)
                item.detail = item.detail.isEmpty ? finding.message : item.detail + " | " + finding.message
                declarations[key] = item
            } else {
                let key = finding.invoiceID
                if bills[key] == nil { billOrder.append(key) }
                var item = bills[key] ?? WorkItem(task: .bill, patientRef: finding.patientRef, practitionerID: finding.practitionerID,
                                                  invoiceIDs: [finding.invoiceID], lastVisit: lastVisit, rules: [],
                                                  amount: .zero, detail: "")
                item.amount += amount
                if !item.rules.contains(finding.rule) { item.rules.append(finding.rule) }
                item.detail = item.detail.isEmpty ? finding.message : item.detail + " | " + finding.message
                bills[key] = item
            }
        }
        for (key, years) in declarationYears {
            declarations[key]!.invoiceIDs = try years.sorted().flatMap { try invoices(of: PatientRef(key), year: $0) }
        }
        let sortedDeclarations = declarations.values.sorted {
            if $0.amount != $1.amount { return $0.amount > $1.amount }
            return ($0.practitionerID, $0.patientRef.value) < ($1.practitionerID, $1.patientRef.value)
        }
        return sortedDeclarations + billOrder.map { bills[$0]! }
    }
}

/// The worklist as a French spreadsheet: `;`, UTF-8 with BOM, cells that could run as formulas
/// neutralized (the report's CSV rules).
public enum FrontDeskWorklist {
    public static func csv(_ items: [WorkItem], roster: Roster?) -> Data {
        var rows: [[String]] = [[
            "À faire", "Patient (pseudonyme)", "Praticien (RPPS)", "Nom du praticien", "Factures", "Dernière visite",
            "Règles", "Montant en jeu (€)", "Détail",
        ]]
        for item in items {
            rows.append([
                item.task == .declaration ? "Obtenir la déclaration de médecin traitant" : "Corriger la facture",
                item.patientRef.value, item.practitionerID, roster?.name(of: item.practitionerID) ?? "",
                item.invoiceIDs.joined(separator: ", "), item.lastVisit.french, item.rules.joined(separator: ", "),
                CSVReport.amount(item.amount, true), item.detail,
            ])
        }
        return CSVReport.encode(rows)
    }
}
