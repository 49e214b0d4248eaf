import Foundation

/// RPPS number of a health professional: 11 digits, the last one a Luhn check digit.
public enum RPPS {
    public static func isValid(_ text: String) -> Bool {
        // Two RPPS per row: on contiguous bytes when the string has them (always, for 11 ASCII digits).
        text.utf8.withContiguousStorageIfAvailable(isValidDigits) ?? isValidDigits(text.utf8)
    }

    /// Eleven ASCII digits whose Luhn sum is a multiple of ten.
    private static func isValidDigits<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard bytes.count == 11 else { return false }
        var sum = 0
        for (offset, byte) in bytes.enumerated() {
            guard byte >= 48 && byte <= 57 else { return false }
            var digit = Int(byte - 48)
            // Luhn: every second digit from the right, the key (last) digit itself not doubled.
            if (10 - offset) % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// The Luhn digit that completes ten digits into a valid RPPS (used to make test data).
    public static func checkDigit(for tenDigits: String) -> Character? {
        for candidate in 0...9 where isValid(tenDigits + String(candidate)) {
            return Character(String(candidate))
        }
        return nil
    }
}

/// NIR (numéro d'inscription au répertoire, the social security number).
public enum NIR {
    public enum Verdict: Equatable {
        case valid
        /// Looks like a NIR but its 2-digit key does not check.
        case badKey(expected: Int)
        /// Not a NIR: treated as a local patient number.
        case notNIR
    }

    /// A patient identifier is a NIR when it is 13 characters (no key) or 15 (with key), starting
    /// with a sex digit, digits throughout except `2A`/`2B` for Corsica. A 15-character NIR must have
    /// the right key; anything else is a local patient number.
    public static func check(_ raw: String) -> Verdict {
        if ASCIIText.isASCII(raw.utf8) { return checkASCII(raw.utf8) }
        let text = raw.replacingOccurrences(of: " ", with: "").uppercased()
        let chars = Array(text)
        guard chars.count == 13 || chars.count == 15, let first = chars.first, "12345678".contains(first) else { return .notNIR }
        var digits = chars
        // Corsica: 2A counts as 19 and 2B as 18 in the key computation (the department is 20, minus 1 or 2 million).
        if chars[5] == "2" && (chars[6] == "A" || chars[6] == "B") {
            digits[5] = "1"
            digits[6] = chars[6] == "A" ? "9" : "8"
        }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .notNIR }
        guard chars.count == 15 else { return .valid }
        guard let body = Int64(String(digits[0..<13])), let key = Int(String(digits[13..<15])) else { return .notNIR }
        let expected = Int(97 - body % 97)
        return key == expected ? .valid : .badKey(expected: expected)
    }

    /// `check` for ASCII text, on bytes: the same steps without Foundation (Foundation's
    /// `replacingOccurrences` and `uppercased` cost some forty thousand instructions a call). In
    /// ASCII every character is one byte, and any byte other than a digit (or `A`/`B` in the
    /// Corsican department) makes the text a local number, as in the general path.
    /// `check` of printable ASCII given as bytes.
    public static func check(asciiBytes: UnsafeBufferPointer<UInt8>) -> Verdict { checkASCII(asciiBytes) }

    static func checkASCII<Bytes: Sequence<UInt8>>(_ raw: Bytes) -> Verdict {
        var digits: [UInt8] = []
        digits.reserveCapacity(15)
        for byte in raw where byte != 0x20 {
            guard digits.count < 15 else { return .notNIR }
            digits.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte)
        }
        guard digits.count == 13 || digits.count == 15, digits[0] >= 0x31 && digits[0] <= 0x38 else { return .notNIR }
        // Corsica: 2A counts as 19 and 2B as 18 in the key computation.
        if digits[5] == 0x32 && (digits[6] == 0x41 || digits[6] == 0x42) {
            digits[5] = 0x31
            digits[6] = digits[6] == 0x41 ? 0x39 : 0x38
        }
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .notNIR }
        guard digits.count == 15 else { return .valid }
        var body: Int64 = 0
        for digit in digits[0..<13] { body = body * 10 + Int64(digit - 0x30) }
        let key = Int(digits[13] - 0x30) * 10 + Int(digits[14] - 0x30)
        let expected = Int(97 - body % 97)
        return key == expected ? .valid : .badKey(expected: expected)
    }
}

/// A billed act code: an NGAP letter key or a CCAM code.
public enum ActCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    case ngap(String)
    case ccam(String)

    /// Well-formed CCAM code: 4 uppercase letters then 3 digits (`DEQP003`).
    public static func isCCAM(_ text: String) -> Bool {
        // On the UTF-8 view itself: one code per row, no array each.
        let bytes = text.utf8
        guard bytes.count == 7 else { return false }
        for (offset, byte) in bytes.enumerated() {
            guard offset < 4 ? (byte >= 65 && byte <= 90) : (byte >= 48 && byte <= 57) else { return false }
        }
        return true
    }

    /// Well-formed NGAP letter key: a letter followed by at most 5 letters or digits (`G`, `TCG`,
    /// `GL1`, `VRN`), uppercase ASCII (contract §1.2).
    public static func isNGAPKey(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...6).contains(bytes.count), let first = bytes.first, first >= 65 && first <= 90 else { return false }
        return bytes.dropFirst().allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
    }

    /// The code a well-formed text stands for (compared in upper case), or nil when it is malformed:
    /// only a malformed code rejects its line; an unknown well-formed one is kept (contract §1.2).
    public init?(wellFormed raw: String) {
        let upper = raw.uppercased()
        if ActCode.isCCAM(upper) {
            self = .ccam(upper)
        } else if ActCode.isNGAPKey(upper) {
            self = .ngap(upper)
        } else {
            return nil
        }
    }

    public var text: String {
        switch self {
        case .ngap(let key): return key
        case .ccam(let code): return code
        }
    }

    public var isCCAM: Bool { if case .ccam = self { return true } else { return false } }

    public var description: String { text }

    public static func < (lhs: ActCode, rhs: ActCode) -> Bool { lhs.text < rhs.text }
}

/// CNAM specialty code, normalised to two digits (`1` → `01`).
public struct Specialty: Hashable, Sendable, CustomStringConvertible {
    public let code: String

    public init?(_ raw: String) {
        // `01`, `1` (nearly every value): read from its bytes, without Foundation.
        if ASCIIText.isTrimmedPrintableASCII(raw) {
            let count = raw.utf8.count
            guard count <= 2, raw.utf8.allSatisfy(ASCIIText.isDigit) else { return nil }
            code = count == 1 ? "0" + raw : raw
            return
        }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard (1...2).contains(trimmed.count), trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        code = trimmed.count == 1 ? "0" + trimmed : trimmed
    }

    public static let generalPractice = Specialty("01")!
    public static let paediatrics = Specialty("12")!
    public static let nurse = Specialty("24")!

    /// The profession in French for the specialties the contract names (§1), nil for another code.
    public var french: String? {
        switch code {
        case "01": return "médecin généraliste"
        case "12": return "pédiatre"
        case "21": return "sage-femme"
        case "24": return "infirmier"
        case "26": return "masseur-kinésithérapeute"
        default: return nil
        }
    }

    public var description: String { code }
}

/// Where the care took place.
public enum Place: String, Hashable, Sendable, CaseIterable {
    case cabinet, domicile, ehpad, tele
}

/// The patient's médecin traitant declaration as the export knows it.
public enum MTStatus: String, Hashable, Sendable, CaseIterable {
    /// A doctor of this centre.
    case centre
    case elsewhere
    case none
}

/// The patient's cover beyond the ordinary one (contract v1.1, `patient_coverage`).
public enum Coverage: String, Hashable, Sendable, CaseIterable {
    /// Complémentaire santé solidaire: the FMT gives 10 € more per patient from 2026.
    case c2s
    /// Aide médicale de l'État: not an insured person, no médecin traitant declaration.
    case ame
}

public enum Sex: String, Hashable, Sendable {
    case male = "M"
    case female = "F"
}
