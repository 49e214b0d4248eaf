/// Byte-level helpers for the per-row parsers. Exports are almost always ASCII in the columns the
/// audit parses; these let the parsers skip Foundation and Unicode work for such values, and fall
/// back to the general (Unicode-aware) path for anything else, so that results never differ.
public enum ASCIIText {
    /// Whether the text is ASCII and starts and ends with a printable, non-space byte: then trimming
    /// spaces (`.whitespaces`, Unicode or not) leaves it unchanged.
    static func isTrimmedPrintableASCII(_ text: String) -> Bool {
        hasPrintableEnds(text) && text.utf8.allSatisfy { $0 < 0x80 }
    }

    /// Whether the text starts and ends with a printable ASCII byte other than a space: then no
    /// whitespace, ASCII or Unicode, can be trimmed from it. The two ends are read from the
    /// contiguous bytes: through the UTF-8 view's indices they cost 150 instructions a value.
    @inlinable public static func hasPrintableEnds(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last else { return false }
            return first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F
        } ?? false
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
