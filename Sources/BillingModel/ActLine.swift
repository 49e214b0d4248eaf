/// Where a row came from: its file and the 1-based physical line it starts on.
public struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool { (lhs.file, lhs.line) < (rhs.file, rhs.line) }

    public var description: String { "\(file):\(line)" }
}

/// A keyed pseudonym standing for a patient everywhere after ingest: the NIR is never kept.
public struct PatientRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public static func < (lhs: PatientRef, rhs: PatientRef) -> Bool { lhs.value < rhs.value }

    public var description: String { value }
}

/// What the audit needs to know of a patient. The birth date stays in memory for ages and
/// never reaches an output.
public struct PatientInfo: Hashable, Sendable {
    public var ref: PatientRef
    public var birthDate: CalendarDay
    public var sex: Sex?
    public var ald: Bool
    /// Nil when the export does not say.
    public var mtStatus: MTStatus?
    public var mtPractitionerID: String?
    /// Nil for ordinary cover.
    public var coverage: Coverage?

    public init(ref: PatientRef, birthDate: CalendarDay, sex: Sex? = nil, ald: Bool = false,
                mtStatus: MTStatus? = nil, mtPractitionerID: String? = nil, coverage: Coverage? = nil) {
        self.ref = ref
        self.birthDate = birthDate
        self.sex = sex
        self.ald = ald
        self.mtStatus = mtStatus
        self.mtPractitionerID = mtPractitionerID
        self.coverage = coverage
    }
}

/// One billed act line, validated.
public struct ActLine: Hashable, Sendable {
    public var location: SourceLocation
    public var invoiceID: String
    public var actDate: CalendarDay
    public var actTime: TimeOfDay?
    public var place: Place
    public var practitionerID: String
    public var specialty: Specialty
    public var patient: PatientInfo
    public var code: ActCode
    public var coefficient: Coefficient
    public var quantity: Int
    /// CCAM modifier letters, uppercase, in the order billed.
    public var modifiers: String
    public var association: String?
    public var amount: Cents

    public init(location: SourceLocation, invoiceID: String, actDate: CalendarDay, actTime: TimeOfDay? = nil,
                place: Place = .cabinet, practitionerID: String, specialty: Specialty, patient: PatientInfo,
                code: ActCode, coefficient: Coefficient = .one, quantity: Int = 1, modifiers: String = "",
                association: String? = nil, amount: Cents) {
        self.location = location
        self.invoiceID = invoiceID
        self.actDate = actDate
        self.actTime = actTime
        self.place = place
        self.practitionerID = practitionerID
        self.specialty = specialty
        self.patient = patient
        self.code = code
        self.coefficient = coefficient
        self.quantity = quantity
        self.modifiers = modifiers
        self.association = association
        self.amount = amount
    }
}

/// The act lines of one invoice (one encounter: same patient, practitioner and date).
public struct Invoice: Hashable, Sendable {
    public var lines: [ActLine]

    public init(lines: [ActLine]) {
        precondition(!lines.isEmpty, "an invoice has at least one line")
        self.lines = lines
    }

    private var first: ActLine { lines[0] }
    public var id: String { first.invoiceID }
    public var date: CalendarDay { first.actDate }
    public var time: TimeOfDay? { first.actTime }
    public var place: Place { first.place }
    public var practitionerID: String { first.practitionerID }
    public var specialty: Specialty { first.specialty }
    public var patient: PatientInfo { first.patient }
    public var location: SourceLocation { first.location }

    public func contains(_ code: String) -> Bool { lines.contains { $0.code.text == code } }

    public var billed: Cents { lines.map(\.amount).sum() }
}

/// A problem with the input that a person must fix: a rejected row, an unreadable file, a warning.
public struct InputIssue: Hashable, Sendable, CustomStringConvertible {
    /// `notice`: said once for information (an encoding detected as expected), not a problem.
    public enum Severity: String, Sendable { case error, warning, notice }

    public var file: String
    /// 0 when the problem concerns the whole file and no line can be named.
    public var line: Int
    /// The contract's column name (`amount`), or nil when the problem is not about one column.
    public var column: String?
    /// How the file itself names that column, as messages say it (`colonne « Montant »`,
    /// `attribut « amount » de <act>`): staff look for the header they know, not the contract's
    /// name. Nil when the reader did not say; then `column` is shown.
    public var columnInFile: String?
    /// Plain French: what is wrong and what was expected.
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int, column: String?, message: String, severity: Severity = .error,
                columnInFile: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.severity = severity
        self.columnInFile = columnInFile
    }

    /// By file, line, then column (an issue about no column first): the same order every run.
    public static func fileOrder(_ lhs: InputIssue, _ rhs: InputIssue) -> Bool {
        (lhs.file, lhs.line, lhs.column ?? "") < (rhs.file, rhs.line, rhs.column ?? "")
    }

    public var description: String {
        var place = file
        if line > 0 { place += ", ligne \(line)" }
        if let columnInFile {
            place += ", \(columnInFile)"
        } else if let column {
            place += ", colonne « \(column) »"
        }
        return "\(place) : \(message)"
    }
}
