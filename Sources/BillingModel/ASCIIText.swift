/// Byte-level helpers for the per-row parsers. Exports are almost always ASCII in the columns the
/// audit parses; these let the parsers skip Foundation and Unicode work for such values, and fall
/// back to the general (Unicode-aware) path for anything else, so that results never differ.
public enum ASCIIText {
    /// Whether the text is ASCII and starts and ends with a printable, non-space byte: then trimming
    /// spaces (`.whitespaces`, Unicode or not) leaves it unchanged.
    static func isTrimmedPrintableASCII(_ text: String) -> Bool {
        hasPrintableEnds(text) && isASCII(text.utf8)
    }

    /// Whether every byte is below 0x80, read eight bytes at a time where the bytes are contiguous:
    /// byte by byte through a closure, this check was a twentieth of the CSV reading thread.
    @inlinable public static func isASCII<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            let count = buffer.count
            var index = 0
            while index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { return false }
                index += 8
            }
            while index < count {
                if base[index] >= 0x80 { return false }
                index += 1
            }
            return true
        }
        return contiguous ?? bytes.allSatisfy { $0 < 0x80 }
    }

    /// Whether the text starts and ends with a printable ASCII byte other than a space: then no
    /// whitespace, ASCII or Unicode, can be trimmed from it. The two ends are read from the
    /// contiguous bytes: through the UTF-8 view's indices they cost 150 instructions a value.
    @inlinable public static func hasPrintableEnds(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable(hasPrintableEnds) ?? false
    }

    /// `hasPrintableEnds` for bytes, as a reader holds a value before it makes a String of it.
    @inlinable public static func hasPrintableEnds(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        return first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F
    }

    /// Whether ASCII bytes are `word` (ASCII) but for the case of their letters: for ASCII text,
    /// `text.lowercased() == word.lowercased()`, without making a String.
    public static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ word: String) -> Bool {
        // A word's bytes in place (a small String's are copied to the stack): through the UTF-8
        // view's iterator, a comparison cost some two hundred instructions.
        word.utf8.withContiguousStorageIfAvailable { equalsIgnoringCase(bytes, $0) }
            ?? Array(word.utf8).withUnsafeBufferPointer { equalsIgnoringCase(bytes, $0) }
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == word.count else { return false }
        for index in 0..<bytes.count {
            let byte = bytes[index], expected = word[index]
            if byte != expected && (byte | 0x20 != expected | 0x20 || !(0x61...0x7A).contains(byte | 0x20)) { return false }
        }
        return true
    }

    /// Digits only, at most nine (no sign, no space): their value, as `Int(text)` reads them; nil
    /// for anything else.
    public static func smallNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
        var value = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
