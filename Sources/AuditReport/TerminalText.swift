/// Text that came from outside the tool (an export, a roster, a rule file, a path) shown at a
/// terminal: control characters are written as visible escapes, so a value can neither move the
/// cursor, recolour or clear the screen (ESC and CSI sequences), nor fake a line (CR, LF), nor
/// reorder what is shown (bidirectional overrides).
public enum TerminalText {
    /// C0 (U+0000–U+001F, tab and line breaks included), DEL, C1 (U+0080–U+009F) and the
    /// bidirectional formatting characters become `\x1B`, `\x7F`, `\u009B`, `\u202E`.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            result += scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex
                                          : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return result
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        // Arabic letter mark, LRM/RLM, embeddings and overrides, isolates.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
