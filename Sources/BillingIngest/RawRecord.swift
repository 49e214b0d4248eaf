import BillingModel
import CPrefetch

/// The columns of the contract (spec §1). Raw values arrive under these names whatever the
/// export called them; messages name them so staff can find them in the contract.
public enum Column: String, CaseIterable, Hashable, Sendable {
    case invoiceID = "invoice_id"
    case actDate = "act_date"
    case actTime = "act_time"
    case place
    case practitionerID = "practitioner_id"
    case practitionerSpecialty = "practitioner_specialty"
    case patientID = "patient_id"
    case patientBirthDate = "patient_birth_date"
    case patientSex = "patient_sex"
    case patientALD = "patient_ald"
    case patientCoverage = "patient_coverage"
    case mtStatus = "mt_status"
    case mtPractitionerID = "mt_practitioner_id"
    case code
    case coefficient
    case quantity
    case modifiers
    case association
    case amount

    public static let required: [Column] = [
        .invoiceID, .actDate, .practitionerID, .practitionerSpecialty, .patientID, .patientBirthDate, .code, .amount,
    ]

    public var isRequired: Bool { Column.required.contains(self) }

    /// The column's place in `allCases`: records keep their values in an array indexed by it, since
    /// a `[Column: String]` per row hashed the column names (a String raw value) on every access.
    @inlinable public var ordinal: Int {
        switch self {
        case .invoiceID: return 0
        case .actDate: return 1
        case .actTime: return 2
        case .place: return 3
        case .practitionerID: return 4
        case .practitionerSpecialty: return 5
        case .patientID: return 6
        case .patientBirthDate: return 7
        case .patientSex: return 8
        case .patientALD: return 9
        case .patientCoverage: return 10
        case .mtStatus: return 11
        case .mtPractitionerID: return 12
        case .code: return 13
        case .coefficient: return 14
        case .quantity: return 15
        case .modifiers: return 16
        case .association: return 17
        case .amount: return 18
        }
    }

    public static let count = 19
}

/// One row (CSV) or one `<act>` with its invoice and patient (XML), before validation.
/// Values are the text as read, after the profile's header mapping; empty values may be absent.
public struct RawRecord: Sendable {
    public var location: SourceLocation
    /// Each column's value, by `Column.ordinal`; for a CSV row or an XML act, only those not held as
    /// ASCII bytes (empty: none is).
    private(set) var values: [String?]
    /// A CSV row's or an XML act's values that are ASCII and printable at both ends (nearly all): their
    /// bytes, and for each column the start and end of its value in them (`2 × ordinal`,
    /// `2 × ordinal + 1`), the start -1 when the value is in `values` or absent. The validator parses
    /// dates, amounts and codes of a few letters from these bytes, and no String is made of them.
    /// An XML act marks a value given empty with the start `givenEmpty`.
    private var asciiBytes: [UInt8] = []
    private var asciiSpans: [Int] = []
    /// The start of a value given empty (an XML attribute `=""`): trimmed, it is no value, but it
    /// still replaces the invoice's value of its column.
    static let givenEmpty = -2
    public var fields: [Column: String] {
        get {
            var fields: [Column: String] = [:]
            for column in Column.allCases {
                if let text = withASCIIBytes(column, { String(decoding: $0, as: UTF8.self) }) {
                    fields[column] = text
                } else if !asciiSpans.isEmpty && asciiSpans[2 * column.ordinal] == RawRecord.givenEmpty {
                    fields[column] = ""
                } else if !values.isEmpty, let value = values[column.ordinal] {
                    fields[column] = value
                }
            }
            return fields
        }
        set {
            values = RawRecord.slots(newValue)
            valuesAreTrimmed = false
            asciiBytes = []
            asciiSpans = []
        }
    }
    /// How many physical lines the record covers from `location.line` (a quoted CSV value may hold
    /// line breaks); 1 for XML. Lets a check prove that every line of a file was read.
    public var physicalLines: Int
    /// Every value is already trimmed and none is empty (the CSV reader trims the bytes as it
    /// decodes them): the subscript hands a value over as it is, without looking at its ends again.
    private var valuesAreTrimmed = false

    public init(location: SourceLocation, fields: [Column: String], physicalLines: Int = 1) {
        self.location = location
        self.values = RawRecord.slots(fields)
        self.physicalLines = physicalLines
    }

    /// `values` holds `Column.count` entries, by `Column.ordinal`.
    public init(location: SourceLocation, values: [String?], physicalLines: Int = 1) {
        precondition(values.count == Column.count, "one value slot per column")
        self.location = location
        self.values = values
        self.physicalLines = physicalLines
    }

    /// A row as the CSV reader places it: `trimmedValues` trimmed, nil where a value was empty or
    /// is held in `asciiBytes` at `asciiSpans` (empty: none is).
    init(location: SourceLocation, trimmedValues: [String?], asciiBytes: [UInt8], asciiSpans: [Int], physicalLines: Int) {
        precondition(asciiSpans.isEmpty || asciiSpans.count == 2 * Column.count, "a start and an end per column")
        precondition(trimmedValues.isEmpty || trimmedValues.count == Column.count, "no slot, or one per column")
        self.location = location
        self.values = trimmedValues
        self.physicalLines = physicalLines
        self.asciiBytes = asciiBytes
        self.asciiSpans = asciiSpans
        valuesAreTrimmed = true
    }

    /// An act as the XML reader places it: `untrimmedValues` as written (empty: every value given is
    /// held in `asciiBytes` at `asciiSpans`).
    init(location: SourceLocation, untrimmedValues: [String?], asciiBytes: [UInt8], asciiSpans: [Int]) {
        precondition(untrimmedValues.isEmpty || untrimmedValues.count == Column.count, "one value slot per column")
        precondition(asciiSpans.count == 2 * Column.count, "a start and an end per column")
        self.location = location
        self.values = untrimmedValues
        self.physicalLines = 1
        self.asciiBytes = asciiBytes
        self.asciiSpans = asciiSpans
    }

    /// Whether the record is an XML act's (spans, and values as written; a CSV row's are trimmed, a
    /// record made from fields has no spans). Told so rather than by a flag of its own: one more
    /// stored property and the CSV reader copied each record once more as it made it.
    public var isXMLAct: Bool { !valuesAreTrimmed && !asciiSpans.isEmpty }

    /// The record's byte and span arrays for `RecordStoragePool`, once validated, moved out of the
    /// record (left without them): the pool reuses them. Moved, not copied: a copy retained both
    /// arrays and the record's end released them, four atomic counts per XML act. Nil for a record
    /// whose reader keeps its arrays itself (CSV: reused in place when the record is gone).
    public mutating func takeStorageToGiveBack() -> RecordStoragePool.Storage? {
        guard isXMLAct else { return nil }
        var storage: RecordStoragePool.Storage = ([], [])
        swap(&storage.0, &asciiBytes)
        swap(&storage.1, &asciiSpans)
        return storage
    }

    /// Asks the processor for the lines of the record's bytes and spans, ahead of their use on
    /// this thread: the reading thread wrote them, and they are in the other processor's cache.
    /// Fixed spans of lines, so as not to wait for an array's count: an XML act's bytes have room
    /// for 256 (`XMLValueSlots`), its spans are 38 integers; a hint past an array's end is harmless.
    public func prefetchValues() {
        asciiBytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            for line in 0..<4 { cotaudit_prefetch(base + 64 &* line) }
        }
        asciiSpans.withUnsafeBufferPointer { spans in
            guard let base = spans.baseAddress else { return }
            for line in 0..<5 { cotaudit_prefetch(base + 8 &* line) }
        }
    }

    /// `ValidationMemo.prefetchPatient(of:)` of this record, borrowed where it is.
    public func prefetchPatient(in memo: ValidationMemo) { memo.prefetchPatient(of: self) }

    /// The values of an XML act, every one held as ASCII bytes (nearly always), as
    /// `RecordValidator.plainLine` reads them: `spans` (2 × `Column.count`) is filled with each
    /// value's start and end, equal for an absent or empty one. Nil for any other record.
    func withPlainValues<Result>(_ spans: UnsafeMutablePointer<Int>, _ body: (PlainValues) -> Result) -> Result? {
        guard isXMLAct, values.isEmpty, asciiSpans.count == 2 * Column.count else { return nil }
        return asciiBytes.withUnsafeBufferPointer { bytes -> Result? in
            guard let base = bytes.baseAddress else { return nil }
            for index in 0..<Column.count {
                let start = asciiSpans[2 &* index]
                // Absent (-1) or given empty (`givenEmpty`): no value, as `withASCIIBytes` says.
                let (from, to) = start >= 0 ? (start, asciiSpans[2 &* index &+ 1]) : (0, 0)
                spans[2 &* index] = from
                spans[2 &* index &+ 1] = to
            }
            return body(PlainValues(bytes: base, spans: spans))
        }
    }

    static func slots(_ fields: [Column: String]) -> [String?] {
        var values = [String?](repeating: nil, count: Column.count)
        for (column, value) in fields { values[column.ordinal] = value }
        return values
    }

    public subscript(column: Column) -> String? {
        if let text = withASCIIBytes(column, { String(decoding: $0, as: UTF8.self) }) { return text }
        guard !values.isEmpty, let value = values[column.ordinal] else { return nil }
        if valuesAreTrimmed { return value }
        let trimmed = value.trimmingCharactersInWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The value of `column` handed to `body` as its bytes, when the record holds it so: a value
    /// that is ASCII and printable at both ends, so trimmed and not empty. Nil otherwise; then
    /// `self[column]` is the value, if any.
    func withASCIIBytes<Value>(_ column: Column, _ body: (UnsafeBufferPointer<UInt8>) -> Value) -> Value? {
        guard !asciiSpans.isEmpty else { return nil }
        let start = asciiSpans[2 &* column.ordinal]
        guard start >= 0 else { return nil }
        let end = asciiSpans[2 &* column.ordinal &+ 1]
        return asciiBytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }
}

/// What a reader hands over, one at a time, in file order.
public enum ReadEvent: Sendable {
    case record(RawRecord)
    /// A row that could not even be split into fields; it counts as rejected.
    case rejected(InputIssue)
    /// Something staff should know that does not reject a row (unknown columns, a guessed encoding).
    case warning(InputIssue)
}

/// A file that cannot be read any further (not CSV, encoding beyond repair, truncated or hostile
/// XML). Rows handed over before it are kept; the other files of the batch are still audited.
public struct UnreadableFile: Error, Sendable {
    public var issue: InputIssue

    public init(_ issue: InputIssue) { self.issue = issue }
}

/// A streaming source of raw records: memory does not grow with the size of the file.
public protocol RecordReader: AnyObject {
    /// The next event, or nil at the end of the file. Throws `UnreadableFile` when the rest of the
    /// file cannot be read.
    func next() throws -> ReadEvent?

    /// How this file names a contract column, as a message says it (`colonne « Montant »`), or nil
    /// when it does not name it.
    func columnInFile(_ column: Column) -> String?

    /// Changes whenever `columnInFile` may answer differently (an XML file names a column when it
    /// first uses it), so that a record validated later, on another thread, is named as it was read.
    var columnNamesVersion: Int { get }

    /// Whether reading a record costs so much more than validating it that the audit runs better
    /// with the validation on the audit's thread (XML) than on the reading one (CSV).
    var isCostlierThanValidation: Bool { get }
}

extension RecordReader {
    public var columnNamesVersion: Int { 0 }
    public var isCostlierThanValidation: Bool { false }

    /// `columnInFile` for every column, by `Column.ordinal`.
    public func columnNamesInFile() -> [String?] { Column.allCases.map(columnInFile) }
}

extension String {
    func trimmingCharactersInWhitespace() -> String {
        // Printable ASCII at both ends (nearly every value): nothing to trim, no Unicode lookups.
        if ASCIIText.hasPrintableEnds(self) { return self }
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
