import BillingModel

/// Turns a raw record into a validated act line, or says in French exactly what is wrong with it
/// (spec §1.2). Shared by the CSV and XML readers so both formats accept and reject the same rows.
public struct RecordValidator: Sendable {
    public var pseudonymizer: Pseudonymizer
    public var profile: MappingProfile

    /// Codes are checked for form only: whether the rule set knows or prices a code is the audit's
    /// business, and an unknown well-formed code keeps its line (contract §1.2).
    public init(pseudonymizer: Pseudonymizer, profile: MappingProfile = .standard) {
        self.pseudonymizer = pseudonymizer
        self.profile = profile
    }

    /// `memo`: what this thread's validation learnt of the values it read last (`ValidationMemo`);
    /// the result is the same with or without it.
    public func validate(_ record: RawRecord, memo: ValidationMemo? = nil) -> Result<ActLine, RejectedRow> {
        var issues: [InputIssue] = []
        let location = record.location

        // Identity values are never echoed, in any column a shift may have moved them to. Gathered
        // only when a message is written: most rows have none.
        func quoted(_ text: String) -> String {
            QuotedValue.inline(text, identities: [record[.patientID], record[.patientBirthDate]].compactMap { $0 })
        }

        func fail(_ column: Column, _ message: String) {
            // The file's name only for a message: it is looked up by its number (`SourceLocation`).
            issues.append(InputIssue(file: location.file, line: location.line, column: column.rawValue, message: message))
        }
        func value(_ column: Column) -> String? {
            guard let raw = record[column] else { return nil }
            return profile.value(raw, for: column)
        }
        // Values the profile does not translate and the record holds as ASCII bytes are parsed from
        // those bytes: no String is made of a date, an amount or a one-word code. Only a value that
        // parses and is within bounds is taken so; any other goes the way of text, which says what
        // is wrong with it, so messages are the same either way.
        let translatesValues = !profile.values.isEmpty
        func parsed<Value>(_ column: Column, _ parse: (UnsafeBufferPointer<UInt8>) -> Value?) -> Value? {
            if translatesValues && profile.values[column] != nil { return nil }
            return record.withASCIIBytes(column, parse) ?? nil
        }
        func required(_ column: Column, _ what: String) -> String? {
            guard let text = value(column) else {
                fail(column, "valeur manquante : \(what) est obligatoire")
                return nil
            }
            return text
        }
        func day(_ column: Column, _ what: String, in range: ClosedRange<CalendarDay>) -> CalendarDay? {
            if let day = parsed(column, { RecordValidator.day($0, in: range) }) { return day }
            guard let text = required(column, what) else { return nil }
            // A birth date is described, never shown; an act date is shown when it cannot identify anyone.
            // Worked out only for a message: quoting a value costs more than parsing it.
            var shown: String { column == .patientBirthDate ? "" : quoted(text) }
            guard let parsed = CalendarDay(parsing: text) else {
                fail(column, "date invalide\(shown) : \(what) attendue au format AAAA-MM-JJ ou JJ/MM/AAAA, jour existant")
                return nil
            }
            guard range.contains(parsed) else {
                fail(column, "date hors limites\(shown) : \(what) doit tomber entre les années \(range.lowerBound.year) et \(range.upperBound.year)")
                return nil
            }
            return parsed
        }

        let invoiceID = required(.invoiceID, "le numéro de facture")
        let actDate = day(.actDate, "la date de l'acte", in: InputLimits.firstActDate...InputLimits.lastActDate)

        var actTime = parsed(.actTime, TimeOfDay.init(clockBytes:))
        if actTime == nil, let text = value(.actTime) {
            actTime = TimeOfDay(parsing: text)
            if actTime == nil { fail(.actTime, "heure invalide\(quoted(text)) : attendue au format HH:MM (00:00 à 23:59)") }
        }

        var place = Place.cabinet
        if let known = parsed(.place, RecordValidator.place) {
            place = known
        } else if let text = value(.place) {
            if let parsed = Place(rawValue: text.lowercased()) {
                place = parsed
            } else {
                fail(.place, "lieu inconnu\(quoted(text)) : attendu cabinet, domicile, ehpad ou tele")
            }
        }

        var practitionerID: String?
        if let memo, let known = parsed(.practitionerID, memo.rpps) {
            practitionerID = known
        } else if let text = required(.practitionerID, "le numéro RPPS du praticien") {
            if RPPS.isValid(text) {
                practitionerID = text
            } else {
                fail(.practitionerID, rppsProblem(text, shown: quoted(text)))
            }
        }

        var specialty: Specialty?
        if let memo, let known = parsed(.practitionerSpecialty, memo.specialty) {
            specialty = known
        } else if let text = required(.practitionerSpecialty, "la spécialité du praticien") {
            specialty = Specialty(text)
            if specialty == nil { fail(.practitionerSpecialty, "spécialité invalide\(quoted(text)) : code CNAM à 1 ou 2 chiffres attendu (01 médecine générale, 24 infirmier…)") }
        }

        var patientRef: PatientRef?
        // Nil when the memo does not hold the identifier; `.some(nil)` for a NIR with a bad key.
        let memorized: PatientRef?? = memo.flatMap { memo in parsed(.patientID) { memo.patient($0, pseudonymizer) } }
        var patientGiven = false
        if let memorized {
            patientGiven = true
            patientRef = memorized
        } else if let text = required(.patientID, "l'identifiant du patient") {
            patientGiven = true
            patientRef = pseudonymizer.checkedRef(for: text)
        }
        if patientGiven && patientRef == nil {
            // The NIR itself never goes into a message: staff find the row by file and line.
            fail(.patientID, "clé du NIR incorrecte : les deux derniers chiffres ne correspondent pas au numéro (erreur de saisie probable)")
        }

        let birthDate = day(.patientBirthDate, "la date de naissance du patient", in: InputLimits.firstBirthDate...InputLimits.lastActDate)
        if let birthDate, let actDate, birthDate > actDate {
            fail(.patientBirthDate, "date de naissance postérieure à la date de l'acte")
        }

        var sex = parsed(.patientSex, RecordValidator.sex)
        if sex == nil, let text = value(.patientSex) {
            switch text.uppercased() {
            case let upper where RecordValidator.maleValues.contains(upper): sex = .male
            case let upper where RecordValidator.femaleValues.contains(upper): sex = .female
            default: fail(.patientSex, "sexe invalide\(quoted(text)) : attendu M, F, 1 ou 2")
            }
        }

        var ald = false
        let aldBytes = parsed(.patientALD, RecordValidator.ald)
        if let aldBytes {
            ald = aldBytes
        } else if let text = value(.patientALD) {
            switch text.lowercased() {
            case let lower where RecordValidator.aldTrueValues.contains(lower): ald = true
            case let lower where RecordValidator.aldFalseValues.contains(lower): ald = false
            default: fail(.patientALD, "valeur ALD invalide\(quoted(text)) : attendu 1/0, true/false, oui/non ou O/N")
            }
        }

        var coverage = parsed(.patientCoverage, RecordValidator.coverage)
        if coverage == nil, let text = value(.patientCoverage), !text.trimmingCharactersInWhitespace().isEmpty {
            coverage = Coverage(rawValue: text.trimmingCharactersInWhitespace().lowercased())
            if coverage == nil { fail(.patientCoverage, "couverture inconnue\(quoted(text)) : attendu c2s (complémentaire santé solidaire), ame (aide médicale de l'État) ou vide") }
        }

        var mtStatus = parsed(.mtStatus, RecordValidator.mtStatus)
        if mtStatus == nil, let text = value(.mtStatus) {
            mtStatus = MTStatus(rawValue: text.lowercased())
            if mtStatus == nil { fail(.mtStatus, "statut médecin traitant inconnu\(quoted(text)) : attendu centre, elsewhere ou none") }
        }

        var mtPractitionerID: String?
        if let memo, let known = parsed(.mtPractitionerID, memo.rpps) {
            mtPractitionerID = known
        } else if let text = value(.mtPractitionerID) {
            if RPPS.isValid(text) {
                mtPractitionerID = text
            } else {
                fail(.mtPractitionerID, rppsProblem(text, shown: quoted(text)))
            }
        }

        var code: ActCode?
        if let memo, let known = parsed(.code, memo.code) {
            code = known
        } else if let text = required(.code, "le code de l'acte") {
            code = ActCode(wellFormed: text)
            if code == nil {
                fail(.code, "code mal formé\(quoted(text)) : attendu un code CCAM (4 lettres et 3 chiffres, ex. DEQP003) ou une lettre-clé NGAP (une lettre suivie d'au plus 5 lettres ou chiffres, ex. G, TCG, GL1)")
            }
        }

        var coefficient = Coefficient.one
        if let parsed = parsed(.coefficient, RecordValidator.coefficient) {
            coefficient = parsed
        } else if let text = value(.coefficient) {
            if let parsed = Coefficient(text), parsed.thousandths > 0 {
                if parsed <= InputLimits.maxCoefficient {
                    coefficient = parsed
                } else {
                    fail(.coefficient, "coefficient hors limites\(quoted(text)) : un coefficient NGAP ne dépasse pas \(InputLimits.maxCoefficient.thousandths / 1000)")
                }
            } else {
                fail(.coefficient, "coefficient invalide\(quoted(text)) : nombre positif attendu (1, 1,5, 0,5…)")
            }
        }

        var quantity = 1
        if let parsed = parsed(.quantity, RecordValidator.quantity) {
            quantity = parsed
        } else if let text = value(.quantity) {
            if let parsed = Int(text), InputLimits.quantities.contains(parsed) {
                quantity = parsed
            } else {
                fail(.quantity, "quantité invalide\(quoted(text)) : nombre entier de \(InputLimits.quantities.lowerBound) à \(InputLimits.quantities.upperBound) attendu")
            }
        }

        // Most lines have none: no String is made or walked for them.
        let modifiers = value(.modifiers).map { $0.uppercased().filter { !$0.isWhitespace && $0 != "," && $0 != "+" } } ?? ""
        if !modifiers.isEmpty && !modifiers.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            fail(.modifiers, "modificateurs invalides\(quoted(modifiers)) : lettres CCAM attendues (ex. AF)")
        }

        var amount = parsed(.amount, RecordValidator.amount)
        if amount == nil, let text = required(.amount, "le montant facturé") {
            if let parsed = Cents(euros: text) {
                if parsed.value < 0 {
                    fail(.amount, "montant négatif\(quoted(text)) : un montant facturé est positif ou nul")
                } else if parsed > InputLimits.maxAmount {
                    fail(.amount, "montant hors limites\(quoted(text)) : une ligne d'acte ne dépasse pas \(InputLimits.maxAmount.euros)")
                } else {
                    amount = parsed
                }
            } else {
                fail(.amount, "montant invalide\(quoted(text)) : nombre en euros attendu, avec au plus deux décimales (26,50 ou 26.50)")
            }
        }

        guard issues.isEmpty, let invoiceID, let actDate, let practitionerID, let specialty, let patientRef,
              let birthDate, let code, let amount else {
            return .failure(RejectedRow(location: record.location, issues: issues))
        }
        let patient = PatientInfo(ref: patientRef, birthDate: birthDate, sex: sex, ald: ald,
                                  mtStatus: mtStatus, mtPractitionerID: mtPractitionerID, coverage: coverage)
        return .success(ActLine(location: record.location, invoiceID: invoiceID, actDate: actDate, actTime: actTime,
                                place: place, practitionerID: practitionerID, specialty: specialty, patient: patient,
                                code: code, coefficient: coefficient, quantity: quantity, modifiers: modifiers,
                                association: value(.association), amount: amount))
    }

    // What a value's bytes are, for the values taken as bytes: nil for bytes that are none of these
    // or out of bounds, which then go the way of text (`validate`) or the general way (`plainLine`).
    static func place(_ bytes: UnsafeBufferPointer<UInt8>) -> Place? { placeWords.index(of: bytes).map { Place.allCases[$0] } }
    static func sex(_ bytes: UnsafeBufferPointer<UInt8>) -> Sex? { sexWords.index(of: bytes).map { $0 < maleValues.count ? .male : .female } }
    static func ald(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? { aldWords.index(of: bytes).map { $0 < aldTrueValues.count } }
    static func coverage(_ bytes: UnsafeBufferPointer<UInt8>) -> Coverage? { coverageWords.index(of: bytes).map { Coverage.allCases[$0] } }
    static func mtStatus(_ bytes: UnsafeBufferPointer<UInt8>) -> MTStatus? { mtStatusWords.index(of: bytes).map { MTStatus.allCases[$0] } }
    static func coefficient(_ bytes: UnsafeBufferPointer<UInt8>) -> Coefficient? {
        guard let parsed = Coefficient(trimmedASCII: bytes), parsed.thousandths > 0, parsed <= InputLimits.maxCoefficient else { return nil }
        return parsed
    }
    static func quantity(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let parsed = ASCIIText.smallNumber(bytes), InputLimits.quantities.contains(parsed) else { return nil }
        return parsed
    }
    static func amount(_ bytes: UnsafeBufferPointer<UInt8>) -> Cents? {
        guard let parsed = Cents(trimmedASCII: bytes), parsed.value >= 0, parsed <= InputLimits.maxAmount else { return nil }
        return parsed
    }
    static func day(_ bytes: UnsafeBufferPointer<UInt8>, in range: ClosedRange<CalendarDay>) -> CalendarDay? {
        guard let day = CalendarDay(trimmedASCII: bytes), range.contains(day) else { return nil }
        return day
    }

    /// `validate`'s modifiers for ASCII bytes that hold no control byte: upper case, without spaces,
    /// commas and plus signs; nil when a letter or digit is not all that is left (then `validate`
    /// says so).
    static func plainModifiers(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        for byte in bytes where byte != 0x20 && byte != UInt8(ascii: ",") && byte != UInt8(ascii: "+") {
            let upper = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 0x20 : byte
            guard (upper >= UInt8(ascii: "0") && upper <= UInt8(ascii: "9")) || (upper >= UInt8(ascii: "A") && upper <= UInt8(ascii: "Z")) else { return nil }
            kept.append(upper)
        }
        return String(decoding: kept, as: UTF8.self)
    }

    /// The line `validate` makes of a record holding these values as ASCII bytes, for values
    /// `validate` takes as they are (each through the same parser and bounds as its byte branch);
    /// nil as soon as one value would take the way of text (translated by the profile, misspelt,
    /// out of bounds, missing though required): then the row goes the general way, which says what
    /// is wrong. `values` have printable ends, as the readers keep as bytes only such values
    /// (`CSVTokenizer.peekPlainRow`, `RawRecord.withPlainValues`).
    public func plainLine(_ values: PlainValues, location: SourceLocation, memo: ValidationMemo) -> ActLine? {
        // A value the profile translates is read as text.
        if !profile.values.isEmpty {
            for column in profile.values.keys where !values[column].isEmpty { return nil }
        }
        /// An optional column's value: `.some(nil)` when empty, the value its bytes parse to, or nil
        /// when they parse to none (the row then goes the general way).
        func optional<Value>(_ column: Column, _ parse: (UnsafeBufferPointer<UInt8>) -> Value?) -> Value?? {
            let bytes = values[column]
            guard !bytes.isEmpty else { return .some(nil) }
            return parse(bytes).map { .some($0) }
        }
        let invoiceBytes = values[.invoiceID]
        let specialtyBytes = values[.practitionerSpecialty]
        let patientBytes = values[.patientID]
        let codeBytes = values[.code]
        guard !invoiceBytes.isEmpty,
              let actDate = RecordValidator.day(values[.actDate], in: InputLimits.firstActDate...InputLimits.lastActDate),
              let actTime = optional(.actTime, TimeOfDay.init(clockBytes:)),
              let place = optional(.place, RecordValidator.place),
              let practitionerID = memo.rpps(values[.practitionerID]),
              !specialtyBytes.isEmpty, let specialty = memo.specialty(specialtyBytes),
              !patientBytes.isEmpty, let memorized = memo.patient(patientBytes, pseudonymizer), let patientRef = memorized,
              let birthDate = RecordValidator.day(values[.patientBirthDate], in: InputLimits.firstBirthDate...InputLimits.lastActDate),
              birthDate <= actDate,
              let sex = optional(.patientSex, RecordValidator.sex),
              let ald = optional(.patientALD, RecordValidator.ald),
              let coverage = optional(.patientCoverage, RecordValidator.coverage),
              let mtStatus = optional(.mtStatus, RecordValidator.mtStatus),
              let mtPractitionerID = optional(.mtPractitionerID, { memo.rpps($0) }),
              !codeBytes.isEmpty, let code = memo.code(codeBytes),
              let coefficient = optional(.coefficient, RecordValidator.coefficient),
              let quantity = optional(.quantity, RecordValidator.quantity),
              let modifiers = optional(.modifiers, RecordValidator.plainModifiers) else { return nil }
        let associationBytes = values[.association]
        guard let amount = RecordValidator.amount(values[.amount]) else { return nil }
        let patient = PatientInfo(ref: patientRef, birthDate: birthDate, sex: sex, ald: ald ?? false,
                                  mtStatus: mtStatus, mtPractitionerID: mtPractitionerID, coverage: coverage)
        return ActLine(location: location, invoiceID: String(decoding: invoiceBytes, as: UTF8.self), actDate: actDate,
                       actTime: actTime, place: place ?? .cabinet, practitionerID: practitionerID, specialty: specialty,
                       patient: patient, code: code, coefficient: coefficient ?? .one, quantity: quantity ?? 1,
                       modifiers: modifiers ?? "",
                       association: associationBytes.isEmpty ? nil : String(decoding: associationBytes, as: UTF8.self),
                       amount: amount)
    }

    /// `validate` for an XML act: through `plainLine` first when every value of the act is held
    /// as ASCII bytes (nearly always), the same line at half the cost; the general way when
    /// `plainLine` does not take it, or for any other record. CSV rows take their own plain lane
    /// before they are records (`CSVRecordReader.nextPlainLine`).
    public func validateAct(_ record: RawRecord, memo: ValidationMemo) -> Result<ActLine, RejectedRow> {
        if let line = record.withPlainValues(memo.plainSpans, { plainLine($0, location: record.location, memo: memo) }) ?? nil {
            return .success(line)
        }
        return validate(record, memo: memo)
    }

    /// What `patient_sex` and `patient_ald` accept, in any case.
    static let maleValues = ["M", "1", "H"]
    static let femaleValues = ["F", "2"]
    static let aldTrueValues = ["1", "true", "oui", "o", "vrai", "yes", "y"]
    static let aldFalseValues = ["0", "false", "non", "n", "faux", "no"]

    /// The same words, for values read as bytes: a word's place in the list says what it stands for.
    static let sexWords = ASCIIWords(maleValues + femaleValues)
    static let aldWords = ASCIIWords(aldTrueValues + aldFalseValues)
    static let placeWords = ASCIIWords(Place.allCases.map(\.rawValue))
    static let coverageWords = ASCIIWords(Coverage.allCases.map(\.rawValue))
    static let mtStatusWords = ASCIIWords(MTStatus.allCases.map(\.rawValue))

    /// An RPPS has 11 digits, so it is described, never shown; `shown` is what may be shown of a wrong one.
    private func rppsProblem(_ text: String, shown: String) -> String {
        let digits = text.filter { $0.isASCII && $0.isNumber }
        if digits.count != text.count || text.count != 11 {
            return "numéro RPPS invalide\(shown) : 11 chiffres attendus"
        }
        return "numéro RPPS invalide (\(QuotedValue.describe(text))) : le dernier chiffre (clé de Luhn) ne correspond pas"
    }
}

/// A row's values as ASCII bytes, for `RecordValidator.plainLine`: each column's value runs from
/// `spans[2 × ordinal]` to `spans[2 × ordinal + 1]` in `bytes` (equal: empty or absent).
public struct PlainValues {
    let bytes: UnsafePointer<UInt8>
    let spans: UnsafePointer<Int>

    init(bytes: UnsafePointer<UInt8>, spans: UnsafePointer<Int>) {
        self.bytes = bytes
        self.spans = spans
    }

    subscript(column: Column) -> UnsafeBufferPointer<UInt8> {
        let start = spans[2 &* column.ordinal]
        return UnsafeBufferPointer(start: bytes + start, count: spans[2 &* column.ordinal &+ 1] &- start)
    }
}

/// A row that failed validation: every problem found in it, so staff fix it in one go.
public struct RejectedRow: Error, Sendable {
    public var location: SourceLocation
    public var issues: [InputIssue]
}
