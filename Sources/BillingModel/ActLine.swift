import Foundation

/// Where a row came from: its file and the 1-based physical line it starts on.
///
/// The file is held as its number in `SourceFileNames`, not as its name: a name longer than 15
/// bytes is a String on the heap, and every line of the file held it, so that the reading thread
/// and the audit thread retained and released that one object for each line, on both cores at
/// once. A 1M-line file named `batch-1000000-lines-2025.csv` took 1.46 s against 1.24 s for the
/// same file named `b.csv`.
public struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The file's number (`SourceFileNames`): equal numbers, equal names.
    public let fileNumber: UInt32
    public let line: Int

    public init(file: String, line: Int) {
        self.init(fileNumber: SourceFileNames.shared.number(for: file), line: line)
    }

    /// For a reader that numbered its file once (`SourceFileNames.number(for:)`).
    public init(fileNumber: UInt32, line: Int) {
        self.fileNumber = fileNumber
        self.line = line
    }

    public var file: String { SourceFileNames.shared.name(fileNumber) }

    /// By file name, then line, as when the name was held.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        if lhs.fileNumber == rhs.fileNumber { return lhs.line < rhs.line }
        return SourceFileNames.shared.namesAreOrdered(lhs.fileNumber, rhs.fileNumber)
    }

    public var description: String { "\(file):\(line)" }
}

/// The names of the files this process read or named, each numbered once, for `SourceLocation`.
/// Only grows, by a name per file. Locked: the reading and the audit threads both use it.
public final class SourceFileNames: @unchecked Sendable {
    public static let shared = SourceFileNames()

    private let lock = NSLock()
    private var names: [String] = []
    private var numbers: [String: UInt32] = [:]

    /// The name's number, given it the first time.
    public func number(for name: String) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if let number = numbers[name] { return number }
        precondition(names.count < Int(UInt32.max), "more file names than a location can number")
        let number = UInt32(names.count)
        names.append(name)
        numbers[name] = number
        return number
    }

    public func name(_ number: UInt32) -> String {
        lock.lock()
        defer { lock.unlock() }
        return names[Int(number)]
    }

    /// Whether the first name sorts before the second (two distinct numbers: two distinct names).
    func namesAreOrdered(_ first: UInt32, _ second: UInt32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return names[Int(first)] < names[Int(second)]
    }
}

/// A keyed pseudonym standing for a patient everywhere after ingest: the NIR is never kept.
///
/// A pseudonym as the tool makes it (`p-` and 16 lowercase hex digits) is held as its 64 bits, so
/// that the per-patient state of a run (a key in several tables for each of hundreds of thousands
/// of patients) holds no heap string per patient; any other text is held as it is.
public struct PatientRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    private enum Storage: Hashable, Sendable {
        case bits(UInt64)
        case text(String)
    }

    private let storage: Storage

    public init(_ value: String) {
        storage = PatientRef.bits(of: value).map(Storage.bits) ?? .text(value)
    }

    /// The pseudonym `p-` followed by these 64 bits in hex.
    public init(bits: UInt64) { storage = .bits(bits) }

    /// The pseudonym's 64 bits, nil for a reference held as text.
    public var bits: UInt64? {
        if case .bits(let bits) = storage { return bits }
        return nil
    }

    public var value: String {
        switch storage {
        case .text(let text): return text
        case .bits(let bits):
            let digits: StaticString = "0123456789abcdef"
            return String(unsafeUninitializedCapacity: 18) { buffer in
                buffer[0] = UInt8(ascii: "p")
                buffer[1] = UInt8(ascii: "-")
                for index in 0..<16 {
                    let nibble = Int((bits >> UInt64(60 - 4 * index)) & 0xF)
                    buffer[2 + index] = digits.utf8Start[nibble]
                }
                return 18
            }
        }
    }

    /// The bits of `p-` and exactly 16 lowercase hex digits; nil for any other text, which then
    /// stays text (upper case would not give back the same text).
    private static func bits(of text: String) -> UInt64? {
        let utf8 = text.utf8
        guard utf8.count == 18, utf8.starts(with: "p-".utf8) else { return nil }
        var bits: UInt64 = 0
        for byte in utf8.dropFirst(2) {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): bits = bits << 4 | UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): bits = bits << 4 | UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return bits
    }

    /// Hashed by its bits or its text alone: the derived hashing of the storage added its case to
    /// every lookup of the per-patient tables. Equal values hash the same, which is all it needs.
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .bits(let bits): hasher.combine(bits)
        case .text(let text): hasher.combine(text)
        }
    }

    /// The order of `value`: for two pseudonyms of bits, fixed-width lowercase hex sorts as the numbers do.
    public static func < (lhs: PatientRef, rhs: PatientRef) -> Bool {
        if case .bits(let left) = lhs.storage, case .bits(let right) = rhs.storage { return left < right }
        return lhs.value < rhs.value
    }

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

    @inlinable
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

    /// Inlinable: called once per row from the validator, the call retained and copied every value.
    @inlinable
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
