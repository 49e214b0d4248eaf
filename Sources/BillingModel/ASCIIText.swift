/// Byte-level helpers for the per-row parsers. Exports are almost always ASCII in the columns the
/// audit parses; these let the parsers skip Foundation and Unicode work for such values, and fall
/// back to the general (Unicode-aware) path for anything else, so that results never differ.
enum ASCIIText {
    /// Whether the text is ASCII and starts and ends with a printable, non-space byte: then trimming
    /// spaces (`.whitespaces`, Unicode or not) leaves it unchanged.
    static func isTrimmedPrintableASCII(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, first > 0x20 && first < 0x7F else { return false }
        let last = utf8[utf8.index(before: utf8.endIndex)]
        guard last > 0x20 && last < 0x7F else { return false }
        return utf8.allSatisfy { $0 < 0x80 }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
