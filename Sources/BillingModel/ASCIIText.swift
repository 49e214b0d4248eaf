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

/// At most sixteen bytes held as two integers and a count, for tables looked up by a value's bytes
/// without making a String of it. Two keys are equal exactly when their bytes are.
public struct ShortBytesKey: Hashable, Sendable {
    public let low: UInt64
    public let high: UInt64
    public let count: Int

    public static let maxCount = 16

    /// Nil for more than sixteen bytes or none. `lowercased`: ASCII letters as lower case, as
    /// `ASCIIText.equalsIgnoringCase` compares them.
    @inlinable public init?(_ bytes: UnsafeBufferPointer<UInt8>, lowercased: Bool = false) {
        let count = bytes.count
        guard count > 0, count <= ShortBytesKey.maxCount, let base = bytes.baseAddress else { return nil }
        // Loaded into the two integers' bytes (little-endian: the first byte lowest), in two or
        // three loads that overlap rather than reach past the value's end: a copy through memcpy,
        // or a shift per byte, cost some 60 to 130 instructions a key, and a row makes several.
        let raw = UnsafeRawPointer(base)
        var low: UInt64
        var high: UInt64 = 0
        if count >= 8 {
            low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            // Bytes 8 up to the end: the last eight bytes, shifted down past those of `low`.
            if count > 8 {
                high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)) &>> UInt64((16 &- count) &* 8)
            }
        } else if count >= 4 {
            let first = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            let last = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)))
            low = first | last &<< UInt64((count &- 4) &* 8)
        } else {
            low = UInt64(base[0])
            if count > 1 { low |= UInt64(base[1]) &<< 8 }
            if count > 2 { low |= UInt64(base[2]) &<< 16 }
        }
        if lowercased {
            low = ShortBytesKey.lowercasingASCIILetters(low)
            high = ShortBytesKey.lowercasingASCIILetters(high)
        }
        self.low = low
        self.high = high
        self.count = count
    }

    /// Each byte of `word` from A to Z made a to z, eight at a time: the sums below set a byte's top
    /// bit when its low seven bits reach `A`, and when they pass `Z`; none carries into the next
    /// byte. A byte with its top bit set is no ASCII letter.
    @inlinable static func lowercasingASCIILetters(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let topBits = ones &* 0x80
        let low7 = word & ~topBits
        let atLeastA = low7 &+ ones &* (0x80 - 0x41)
        let pastZ = low7 &+ ones &* (0x80 - 0x5B)
        let capitals = atLeastA & ~pastZ & ~word & topBits
        return word | capitals &>> 2
    }

    /// The key of ASCII text (a word of a list), nil when it is not ASCII or too long.
    /// A key from its parts, as a table that stores them apart gives them back.
    @inlinable public init(low: UInt64, high: UInt64, count: Int) {
        precondition(count > 0 && count <= ShortBytesKey.maxCount, "a key holds 1 to 16 bytes")
        (self.low, self.high, self.count) = (low, high, count)
    }

    public init?(ascii text: String, lowercased: Bool = false) {
        let bytes = Array(text.utf8)
        guard ASCIIText.isASCII(bytes) else { return nil }
        guard let key = bytes.withUnsafeBufferPointer({ ShortBytesKey($0, lowercased: lowercased) }) else { return nil }
        self = key
    }

    /// A slot among 2^bits, spread by the bytes.
    @inlinable public func slot(bits: Int) -> Int {
        let mixed = (low &* 0x9E37_79B9_7F4A_7C15) ^ (high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(count)
        return Int(truncatingIfNeeded: (mixed &* 0x94D0_49BB_1331_11EB) >> UInt64(64 - bits))
    }
}

/// Words compared without regard to the case of ASCII letters (`ASCIIText.equalsIgnoringCase`):
/// the bytes of a value are packed once and compared with each word as two integers, where
/// comparing them with each word's String, byte by byte, cost some five hundred instructions a
/// row over the columns read so. Not generic, so that no call goes through a type's witnesses.
public struct ASCIIWords: Sendable {
    /// For a value of one byte (`M`, `1`, `o`: most of them), the place of the word it is, by its
    /// byte; -1 for none. Only for lists of at most 128 words, whose places fit.
    private let singleBytes: [Int8]
    /// The words that are short ASCII, packed lower case, with their place in the list.
    private let keys: [(key: ShortBytesKey, index: Int)]
    /// Words too long or not ASCII, compared as before.
    private let others: [(word: String, index: Int)]

    public init(_ words: [String]) {
        var keys: [(key: ShortBytesKey, index: Int)] = []
        var others: [(word: String, index: Int)] = []
        for (index, word) in words.enumerated() {
            if let key = ShortBytesKey(ascii: word, lowercased: true) {
                // The first of two words equal but for case is the one a search in order finds.
                if !keys.contains(where: { $0.key == key }) { keys.append((key, index)) }
            } else {
                others.append((word, index))
            }
        }
        var singleBytes: [Int8] = []
        if words.count <= Int(Int8.max) + 1 {
            singleBytes = [Int8](repeating: -1, count: 256)
            // The same search as for longer values, made once per byte.
            for byte in 0...255 {
                if let index = [UInt8(byte)].withUnsafeBufferPointer({ Self.search($0, keys, others) }) {
                    singleBytes[byte] = Int8(index)
                }
            }
        }
        self.singleBytes = singleBytes
        self.keys = keys
        self.others = others
    }

    /// The place in the list of the first word these ASCII bytes are but for case, or nil.
    public func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if bytes.count == 1 && !singleBytes.isEmpty {
            let index = singleBytes[Int(bytes[0])]
            return index >= 0 ? Int(index) : nil
        }
        return Self.search(bytes, keys, others)
    }

    private static func search(_ bytes: UnsafeBufferPointer<UInt8>, _ keys: [(key: ShortBytesKey, index: Int)],
                               _ others: [(word: String, index: Int)]) -> Int? {
        if let key = ShortBytesKey(bytes, lowercased: true) {
            for entry in keys where entry.key == key { return entry.index }
        }
        for other in others where ASCIIText.equalsIgnoringCase(bytes, other.word) { return other.index }
        return nil
    }
}
