import Foundation

/// The one gate through which a value read from a file may enter a message (input errors, warnings,
/// stderr). A value is quoted only when nothing in it could identify a patient; otherwise its shape is
/// described, which is enough to find it at the file and line the message names.
///
/// Never quoted: a value with 8 or more digits in all (a NIR, an RPPS, a phone number, even with
/// spaces or dots between the digits), anything shaped like a date (a birth date), a value holding one
/// of the row's identity values (patient id, birth date), and long values (a column shift may bring a
/// name or an address). Control characters never reach a message either.
public enum QuotedValue {
    /// Longer values are described: a code, a coefficient or an amount is never this long.
    public static let maxQuotedLength = 24

    /// `« value »` when the value may be shown, else a French description of its shape.
    /// - Parameter identities: the identity values of the same row, never to be echoed in any form.
    public static func quote(_ value: String, identities: [String] = []) -> String {
        isSafe(value, identities: identities) ? "« \(value) »" : describe(value)
    }

    /// ` « value »` (with a leading space) when safe, else ` (description)`: for messages that read
    /// the same with or without the value, such as `code inconnu « XX9 »`.
    public static func inline(_ value: String, identities: [String] = []) -> String {
        isSafe(value, identities: identities) ? " « \(value) »" : " (\(describe(value)))"
    }

    public static func isSafe(_ value: String, identities: [String] = []) -> Bool {
        guard !value.isEmpty, value.count <= maxQuotedLength else { return false }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) else {
            return false
        }
        guard value.unicodeScalars.filter({ ("0"..."9").contains($0) }).count < 8 else { return false }
        guard !looksLikeADate(value) else { return false }
        for identity in identities {
            let trimmed = identity.trimmingCharacters(in: .whitespaces)
            if trimmed.count >= 4 && holds(value, trimmed) { return false }
        }
        return true
    }

    /// Whether `text` holds `part`, byte for byte. Not Foundation's `contains`: it stops the process
    /// (String index out of bounds) when `part` holds a NUL character and `text` is not ASCII, and a
    /// patient id full of NULs is what a hostile file gives (found by FuzzCSV).
    public static func holds(_ text: String, _ part: String) -> Bool {
        let haystack = Array(text.utf8)
        let needle = Array(part.utf8)
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// The shape of a value, never its content: `valeur de 15 caractères, chiffres seulement`.
    public static func describe(_ value: String) -> String {
        let count = value.count
        guard count > 0 else { return "valeur vide" }
        let scalars = value.unicodeScalars
        let digits = scalars.filter { ("0"..."9").contains($0) }.count
        let letters = scalars.filter { $0.properties.isAlphabetic }.count
        var shape: String
        if looksLikeADate(value) {
            shape = "en forme de date"
        } else if digits == scalars.count {
            shape = "chiffres seulement"
        } else if letters == scalars.count {
            shape = "lettres seulement"
        } else if digits + letters == scalars.count {
            shape = "lettres et chiffres"
        } else if digits > 0 {
            shape = "chiffres et autres signes"
        } else {
            shape = "lettres et autres signes"
        }
        return "valeur de \(count) caractère\(count > 1 ? "s" : ""), \(shape)"
    }

    /// Three groups of 1–4, 1–2 and 1–4 digits joined by the same `-`, `/`, `.` or space:
    /// 1954-02-30, 30/02/1954, 3.2.54, 30 02 1954.
    public static func looksLikeADate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        func isDigit(_ index: Int) -> Bool { index >= 0 && index < scalars.count && ("0"..."9").contains(scalars[index]) }
        func digitRun(from start: Int) -> Int {
            var end = start
            while isDigit(end) { end += 1 }
            return end - start
        }
        var index = 0
        while index < scalars.count {
            guard isDigit(index), !isDigit(index - 1) else { index += 1; continue }
            let first = digitRun(from: index)
            defer { index += first }
            var cursor = index + first
            guard first <= 4, cursor < scalars.count, "-/. ".unicodeScalars.contains(scalars[cursor]) else { continue }
            let separator = scalars[cursor]
            cursor += 1
            let second = digitRun(from: cursor)
            guard (1...2).contains(second) else { continue }
            cursor += second
            guard cursor < scalars.count, scalars[cursor] == separator else { continue }
            if (1...4).contains(digitRun(from: cursor + 1)) { return true }
        }
        return false
    }
}
