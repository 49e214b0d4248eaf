/// A byte repeated in the eight bytes of a word, to find it eight bytes at a time: the readers
/// skip runs of plain bytes (a CSV value, an XML tag's attributes) up to the next byte that matters.
/// Byte by byte, these runs were a third of the CSV tokenizer's instructions and most of the XML
/// start-tag scanner's.
struct RepeatedByte {
    let byte: UInt8
    let word: UInt64

    init(_ byte: UInt8) {
        self.byte = byte
        word = UInt64(byte) &* 0x0101_0101_0101_0101
    }

    static let lineFeed = RepeatedByte(UInt8(ascii: "\n"))
    static let carriageReturn = RepeatedByte(UInt8(ascii: "\r"))
    static let greaterThan = RepeatedByte(UInt8(ascii: ">"))
    static let doubleQuote = RepeatedByte(UInt8(ascii: "\""))
    static let singleQuote = RepeatedByte(UInt8(ascii: "'"))

    /// The high bit of each byte of `word` equal to this byte (a zero byte of their xor). Only the
    /// lowest one is exact: a borrow may set bits above it, never below.
    @inline(__always)
    func matches(_ word: UInt64) -> UInt64 {
        let difference = word ^ self.word
        return (difference &- 0x0101_0101_0101_0101) & ~difference & 0x8080_8080_8080_8080
    }

    /// The high bit of each byte of `word` equal to this byte, every one exact: no carry crosses
    /// from one byte to the next (seven bits plus 0x7F stay within the byte).
    @inline(__always)
    func exactMatches(_ word: UInt64) -> UInt64 {
        let difference = word ^ self.word
        let lowSeven: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((difference & lowSeven) &+ lowSeven) | difference | lowSeven)
    }

    /// The index of the first byte of `bytes[start..<end]` that is one of these, or `end`: eight
    /// bytes at a time, then one by one.
    @inline(__always)
    static func firstIndex(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                           _ first: RepeatedByte, _ second: RepeatedByte,
                           _ third: RepeatedByte? = nil, _ fourth: RepeatedByte? = nil) -> Int {
        var index = start
        guard let base = bytes.baseAddress else { return index }
        while index &+ 8 <= end {
            // Little-endian, so that the lowest set bit is the earliest byte on any machine.
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            var found = first.matches(word) | second.matches(word)
            if let third { found |= third.matches(word) }
            if let fourth { found |= fourth.matches(word) }
            if found != 0 { return index &+ found.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        while index < end {
            let byte = base[index]
            if byte == first.byte || byte == second.byte || third?.byte == byte || fourth?.byte == byte { return index }
            index &+= 1
        }
        return index
    }
}
