import AuditRules
import BillingModel

/// The two formats of the contract (shared/spec/batch-formats.md v1.1).
public enum BatchFormat: String, Sendable, CaseIterable {
    /// `;`-separated, UTF-8, LF, ISO dates, decimal comma, every contract column.
    case csv
    /// `<batch><invoice><patient/><act/></invoice></batch>`, UTF-8, dot decimals.
    case xml
}

/// Renders generated invoices as bytes, handing them over in chunks of about 1 MiB.
public struct BatchWriter {
    public let format: BatchFormat
    private var buffer: [UInt8] = []
    private let flushAt = 1 << 20

    public static let csvHeader = "invoice_id;act_date;act_time;place;practitioner_id;practitioner_specialty;patient_id;"
        + "patient_birth_date;patient_sex;patient_ald;patient_coverage;mt_status;mt_practitioner_id;code;coefficient;"
        + "quantity;modifiers;association;amount\n"

    public init(format: BatchFormat) {
        self.format = format
        buffer.reserveCapacity(flushAt + 4096)
    }

    /// Writes the file's start (CSV header, XML declaration and `<batch>`).
    public mutating func begin(centre: String = "750000001", exportedAt: String) {
        switch format {
        case .csv: append(Self.csvHeader)
        case .xml: append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch centre=\"\(centre)\" exported-at=\"\(exportedAt)\">\n")
        }
    }

    public mutating func write(_ invoice: GeneratedInvoice, flush: ([UInt8]) throws -> Void) rethrows {
        switch format {
        case .csv: writeCSV(invoice)
        case .xml: writeXML(invoice)
        }
        if buffer.count >= flushAt {
            try flush(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Writes the file's end and hands over what is left.
    public mutating func end(flush: ([UInt8]) throws -> Void) rethrows {
        if format == .xml { append("</batch>\n") }
        try flush(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    private mutating func writeCSV(_ invoice: GeneratedInvoice) {
        // Everything before the code is the same on every line of the invoice.
        let head = "\(invoice.id);\(invoice.actDate);\(invoice.time);\(invoice.place.rawValue);\(invoice.practitionerID);"
            + "\(invoice.specialty);\(invoice.patientID);\(invoice.birthDate);\(invoice.sex.rawValue);"
            + "\(invoice.ald ? "1" : "0");\(invoice.coverage?.rawValue ?? "");\(invoice.mtStatus.rawValue);"
            + "\(invoice.mtPractitionerID ?? "");"
        for act in invoice.acts {
            append(head)
            append("\(act.code);\(Self.decimal(act.coefficientThousandths, scale: 1000, separator: ","));1;;;")
            append(Self.decimal(act.amountCents, scale: 100, separator: ",", minimumFraction: 2))
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    private mutating func writeXML(_ invoice: GeneratedInvoice) {
        append("  <invoice id=\"\(invoice.id)\" date=\"\(invoice.actDate)\" time=\"\(invoice.time)\" place=\"\(invoice.place.rawValue)\""
            + " practitioner=\"\(invoice.practitionerID)\" specialty=\"\(invoice.specialty)\">\n")
        append("    <patient id=\"\(invoice.patientID)\" birth-date=\"\(invoice.birthDate)\" sex=\"\(invoice.sex.rawValue)\""
            + " ald=\"\(invoice.ald ? "true" : "false")\" coverage=\"\(invoice.coverage?.rawValue ?? "")\""
            + " mt-status=\"\(invoice.mtStatus.rawValue)\"")
        if let mt = invoice.mtPractitionerID { append(" mt-practitioner=\"\(mt)\"") }
        append("/>\n")
        for act in invoice.acts {
            append("    <act code=\"\(act.code)\"")
            if act.coefficientThousandths != 1000 {
                append(" coefficient=\"\(Self.decimal(act.coefficientThousandths, scale: 1000, separator: "."))\"")
            }
            append(" amount=\"\(Self.decimal(act.amountCents, scale: 100, separator: ".", minimumFraction: 2))\"/>\n")
        }
        append("  </invoice>\n")
    }

    /// `value / scale` written exactly: `1`, `1,5`, `30,00`, `-4,73`.
    static func decimal(_ value: Int64, scale: Int64, separator: String, minimumFraction: Int = 0) -> String {
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(scale)
        var fraction = String(magnitude % UInt64(scale))
        let digits = String(scale).count - 1
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.count > minimumFraction && fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole)\(separator)\(fraction)"
    }
}

extension BatchGenerator {
    /// Generates the whole batch in `format`, handing the bytes over in chunks; returns what was planted.
    public static func generate(ruleSet: RuleSet, options: Options, format: BatchFormat,
                                write: ([UInt8]) throws -> Void) throws -> PlantedErrors {
        var generator = try BatchGenerator(ruleSet: ruleSet, options: options)
        var writer = BatchWriter(format: format)
        let end = options.start.adding(days: max(options.days, 1))
        writer.begin(exportedAt: "\(end.iso)T02:00:00")
        while let invoice = generator.next() { try writer.write(invoice, flush: write) }
        try writer.end(flush: write)
        return generator.planted
    }
}
