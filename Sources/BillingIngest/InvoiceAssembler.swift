import BillingModel

/// Groups the act lines of one file into invoices. Exports list an invoice's lines together, so
/// an invoice is a run of consecutive lines with the same number: only one invoice is held at a
/// time, whatever the size of the file.
public struct InvoiceAssembler {
    private var pending: [ActLine] = []
    /// The emptied array of an invoice audited (`recycle`), for the next invoice's lines.
    private var spareLines: [ActLine] = []

    public init() {}

    /// Adds a line; returns the invoice it closes, if any, or the reason the line does not fit
    /// the invoice it claims to belong to.
    /// The line is taken, not copied: it moves into the invoice (a copy retained a dozen references).
    public mutating func add(_ line: consuming ActLine) -> Result<Invoice?, RejectedRow> {
        // The invoice's first line is read in place: binding it copied it (a dozen references).
        if !pending.isEmpty && pending[0].invoiceID == line.invoiceID {
            if let problem = mismatch(line, pending[0]) {
                return .failure(RejectedRow(location: line.location, issues: [problem]))
            }
            pending.append(consume line)
            return .success(nil)
        }
        let closed = flush()
        // Room for a second line from the start: an invoice often has two, and growing the array
        // for the second one allocated it again.
        var lines: [ActLine] = []
        swap(&lines, &spareLines)
        if lines.capacity < 2 { lines.reserveCapacity(2) }
        lines.append(consume line)
        pending = lines
        return .success(closed)
    }

    /// Takes back the array of an invoice that was audited, emptied, for the next invoice: an
    /// array allocated and freed for every invoice was some 3 % of the audit's thread. Kept only
    /// when small, and reused only when nothing else holds it (else emptying it copies it).
    public mutating func recycle(_ invoice: consuming Invoice) {
        guard invoice.lines.capacity <= 16 else { return }
        var lines = invoice.lines
        _ = consume invoice
        lines.removeAll(keepingCapacity: true)
        spareLines = lines
    }

    /// Closes the invoice in progress (end of file).
    public mutating func flush() -> Invoice? {
        guard !pending.isEmpty else { return nil }
        defer { pending = [] }
        return Invoice(lines: pending)
    }

    private func mismatch(_ line: ActLine, _ first: ActLine) -> InputIssue? {
        func issue(_ column: Column, _ what: String) -> InputIssue {
            InputIssue(file: line.location.file, line: line.location.line, column: column.rawValue,
                       message: "la facture\(QuotedValue.inline(line.invoiceID)) commence ligne \(first.location.line) avec \(what) différent : une facture réunit un seul patient, un seul praticien et une seule date")
        }
        if line.patient.ref != first.patient.ref { return issue(.patientID, "un patient") }
        if line.practitionerID != first.practitionerID { return issue(.practitionerID, "un praticien") }
        if line.actDate != first.actDate { return issue(.actDate, "une date") }
        return nil
    }
}
