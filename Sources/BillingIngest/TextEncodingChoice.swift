import BillingModel

/// The text encoding of a CSV file, when staff force it (`--encoding`) instead of letting the
/// reader detect it.
public enum TextEncodingChoice: Sendable, Hashable, CaseIterable {
    case utf8
    case windows1252

    /// Parses the spellings people type on a command line: `utf8`, `UTF-8`, `windows-1252`, `cp1252`,
    /// `ansi`, `latin1`… (Latin-1 files are read as Windows-1252, its superset for printable text).
    public init?(argument: String) {
        let key = argument.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        switch key {
        case "utf8": self = .utf8
        case "windows1252", "cp1252", "1252", "ansi", "latin1", "iso88591", "win1252": self = .windows1252
        default: return nil
        }
    }

    /// How staff see it in messages.
    public var displayName: String {
        switch self {
        case .utf8: return "UTF-8"
        case .windows1252: return "Windows-1252"
        }
    }
}

/// Turns the bytes of one field into text. Byte-level CSV splitting is safe before the encoding is
/// settled, because the delimiter, quotes and line breaks are ASCII in UTF-8 and in Windows-1252.
struct FieldDecoder {
    enum Mode: Equatable {
        /// UTF-8 forced by `--encoding` or announced by a BOM: invalid bytes are an error.
        case utf8Strict
        /// UTF-8 as far as the file has been seen; the first invalid sequence switches to Windows-1252.
        case utf8Tentative
        case windows1252
    }

    enum Outcome {
        case text(String)
        /// The file switched to Windows-1252 on this field (to be reported once).
        case switchedToWindows1252(String)
        /// Not UTF-8 while UTF-8 was required.
        case invalidUTF8
    }

    private(set) var mode: Mode

    init(mode: Mode) { self.mode = mode }

    mutating func decode<Bytes: Collection>(_ bytes: Bytes) -> Outcome where Bytes.Element == UInt8 {
        // Plain ASCII reads the same in both encodings: the common case, kept fast.
        if ASCIIText.isASCII(bytes) { return .text(String(decoding: bytes, as: UTF8.self)) }
        switch mode {
        case .windows1252:
            return .text(FieldDecoder.windows1252String(bytes))
        case .utf8Strict:
            guard FieldDecoder.isValidUTF8(bytes, allowTruncatedEnd: false) else { return .invalidUTF8 }
            return .text(String(decoding: bytes, as: UTF8.self))
        case .utf8Tentative:
            if FieldDecoder.isValidUTF8(bytes, allowTruncatedEnd: false) { return .text(String(decoding: bytes, as: UTF8.self)) }
            mode = .windows1252
            return .switchedToWindows1252(FieldDecoder.windows1252String(bytes))
        }
    }

    /// Windows-1252 differs from Latin-1 only in 0x80–0x9F (€, curly quotes, Œ, …). The five bytes it
    /// leaves undefined map to the C1 control of the same value, as browsers do.
    private static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func windows1252String<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value: UInt32 = (0x80...0x9F).contains(byte) ? windows1252High[Int(byte) - 0x80] : UInt32(byte)
            // Every value in the table and in Latin-1 is a valid scalar.
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }

    /// Whether `bytes` are well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
    /// `allowTruncatedEnd` accepts a sequence cut by the end of a read chunk.
    static func isValidUTF8<Bytes: Collection>(_ bytes: Bytes, allowTruncatedEnd: Bool) -> Bool where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        while let lead = iterator.next() {
            if lead < 0x80 { continue }
            let continuationCount: Int
            var lowerBound: UInt8 = 0x80
            var upperBound: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: continuationCount = 1
            case 0xE0: continuationCount = 2; lowerBound = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
            case 0xED: continuationCount = 2; upperBound = 0x9F
            case 0xF0: continuationCount = 3; lowerBound = 0x90
            case 0xF1...0xF3: continuationCount = 3
            case 0xF4: continuationCount = 3; upperBound = 0x8F
            default: return false
            }
            for index in 0..<continuationCount {
                guard let byte = iterator.next() else { return allowTruncatedEnd }
                // Only the first continuation byte has the narrowed range.
                let low = index == 0 ? lowerBound : 0x80
                let high = index == 0 ? upperBound : 0xBF
                guard byte >= low && byte <= high else { return false }
            }
        }
        return true
    }
}
