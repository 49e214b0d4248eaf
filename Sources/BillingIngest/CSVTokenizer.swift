import BillingModel
import Foundation

/// One CSV row as bytes, before decoding: all its field bytes in one array, so that a row of many
/// small fields costs one allocation, not one per field.
struct CSVByteRow {
    enum Problem: Equatable {
        /// The file ended inside a quoted field opened on the first line of the row.
        case unterminatedQuote
        /// A quote opened on this line swallowed what looks like whole rows of the following lines.
        case strayQuote
        /// The row went past `CSVTokenizer.maxRowBytes`, delimiters and line breaks included.
        case tooLong
        /// The row has more than `CSVTokenizer.maxFieldsPerRow` fields.
        case tooManyFields
    }

    /// 1-based physical line on which the row starts.
    var startLine: Int
    /// How many physical lines the row covers (more than one when a quoted value holds line breaks).
    /// A row with a problem covers its first line only: reading resumed on the next one.
    var physicalLines = 1
    /// The fields' bytes, one delimiter byte between two fields: unquoted values and their
    /// delimiters are copied from the file in one go.
    var bytes: [UInt8] = []
    /// Where each field ends in `bytes`; the next one starts one byte further, past the delimiter.
    var fieldEnds: [Int] = []
    var problem: Problem?

    init(startLine: Int) { self.startLine = startLine }

    var fieldCount: Int { fieldEnds.count }

    /// Where field `index` starts in `bytes`.
    func fieldStart(_ index: Int) -> Int { index == 0 ? 0 : fieldEnds[index - 1] + 1 }

    func field(_ index: Int) -> ArraySlice<UInt8> { bytes[fieldStart(index)..<fieldEnds[index]] }

    var fields: [ArraySlice<UInt8>] { fieldEnds.indices.map(field) }

    /// Whether fields `from` on hold nothing but spaces and tabs.
    func fieldsAreBlank(from first: Int) -> Bool {
        (first..<fieldCount).allSatisfy { field($0).allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }

    /// Nothing but spaces, tabs and delimiters: an empty line, or the `;;;;` lines spreadsheets leave.
    var isBlank: Bool { problem == nil && fieldsAreBlank(from: 0) }
}

/// Splits a CSV file into rows of byte fields (RFC 4180), reading it in fixed-size chunks so that
/// memory does not grow with the file: only the unread part of one chunk and the current row are held.
///
/// A quoted value may hold line breaks (RFC 4180), but a stray opening quote must not swallow the rest
/// of the file: while a row is read, its bytes stay in the buffer, and when its quote turns out to be
/// stray (it swallows whole rows, runs past the row cap or to the end of the file), the row is reported
/// alone and reading resumes on the physical line after the one where it started.
final class CSVTokenizer {
    static let chunkSize = 64 * 1024
    /// No billing row comes near this; a longer one is a runaway quote or not CSV at all. Counts every
    /// byte of the row, delimiters and line breaks included.
    static let maxRowBytes = 64 * 1024
    /// A billing export has about twenty columns; more than this is not a table.
    static let maxFieldsPerRow = 512

    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    let fileName: String
    var delimiter = UInt8(ascii: ";")
    /// The header's field count, once read. A line inside a quoted value with as many delimiters as
    /// the header is a row the quote swallowed; so is a row spanning lines with more fields than it.
    var headerFieldCount: Int?
    /// Positions of the columns the audit reads (codes, dates, identifiers, amounts): none of them holds
    /// a line break, so a quoted value of theirs that runs onto the next line is a stray quote. Quoted
    /// line breaks stay welcome in the columns the audit ignores (notes, addresses).
    var fieldsRefusingLineBreaks: Set<Int> = []

    private let handle: FileHandle
    // Read by one thread only: no run-time exclusivity check on each access (one per row and per
    // method, some 300 instructions a row over the reader's objects).
    @exclusivity(unchecked) private var buffer = ReadBuffer()
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private(set) var reachedEndOfFile = false
    /// The physical line of the next unread byte.
    @exclusivity(unchecked) private var line = 1
    /// The last byte consumed was a CR: a LF right after it belongs to the same line break.
    @exclusivity(unchecked) private var previousWasCarriageReturn = false
    /// While a row is read, the buffer keeps its bytes from here on, to read them again from its
    /// second line if its quote turns out to be stray.
    @exclusivity(unchecked) private var retainedFrom: Int?
    @exclusivity(unchecked) private var previousRowBytes = 64
    /// The arrays of a row the caller has handed back (`recycle`): the next row is read into them,
    /// so that a row costs no allocation once the first rows have sized them.
    @exclusivity(unchecked) private var spareBytes: [UInt8] = []
    @exclusivity(unchecked) private var spareFieldEnds: [Int] = []

    /// Where the fast path below writes the field ends it finds, before they join the row's in one
    /// append: appended one by one, each paid the array's uniqueness and capacity checks (some 600
    /// instructions a row of twenty fields).
    private let scannedFieldEnds = UnsafeMutablePointer<Int>.allocate(capacity: CSVTokenizer.maxFieldsPerRow)

    init(handle: FileHandle, fileName: String) {
        self.handle = handle
        self.fileName = fileName
    }

    deinit {
        try? handle.close()
        scannedFieldEnds.deallocate()
    }

    /// The bytes read but not consumed yet (for sniffing the encoding and the header).
    var unreadBytes: ArraySlice<UInt8> { buffer.bytes(position..<buffer.count) }

    func skip(_ count: Int) { position = min(position + count, buffer.count) }

    /// Reads chunks until at least `count` unread bytes are buffered or the file ends.
    func fill(atLeast count: Int) throws {
        while buffer.count - position < count && !reachedEndOfFile { try readChunk() }
    }

    /// Reads one more chunk; returns how many bytes were dropped from the front of the buffer, by which
    /// the caller shifts the offsets it holds.
    @discardableResult
    private func readChunk() throws -> Int {
        let keep = min(position, retainedFrom ?? position)
        if keep > 0 {
            buffer.removeFirst(keep)
            position -= keep
            if let start = retainedFrom { retainedFrom = start - keep }
        }
        // Read straight into the buffer: through `FileHandle.read(upToCount:)` each chunk was a
        // `Data` of its own, allocated and copied once more.
        let got = buffer.read(from: handle.fileDescriptor, upTo: CSVTokenizer.chunkSize)
        if got < 0 {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            throw UnreadableFile(InputIssue(file: fileName, line: line, column: nil,
                                            message: "lecture interrompue : \(FileErrorText.describe(error, path: fileName))"))
        }
        if got == 0 { reachedEndOfFile = true }
        return keep
    }

    /// The first line holding something other than spaces, without consuming anything: the header,
    /// used to guess the delimiter. Nil when the file is empty or no line break (outside quotes)
    /// comes within `limit` bytes, which a CSV header never needs.
    func peekFirstContentLine(limit: Int) throws -> ArraySlice<UInt8>? {
        var scanned = 0
        var lineStart = 0
        var inQuotes = false
        var hasContent = false
        while true {
            if position + scanned == buffer.count {
                if reachedEndOfFile || scanned >= limit {
                    if reachedEndOfFile && hasContent { return buffer.bytes((position + lineStart)..<buffer.count) }
                    return nil
                }
                // Offsets are relative to `position`, so they survive the buffer being compacted.
                try readChunk()
                continue
            }
            let byte = buffer[position + scanned]
            scanned += 1
            if byte == CSVTokenizer.quote { inQuotes.toggle() }
            if !inQuotes && (byte == CSVTokenizer.lineFeed || byte == CSVTokenizer.carriageReturn) {
                if hasContent { return buffer.bytes((position + lineStart)..<(position + scanned - 1)) }
                lineStart = scanned
            } else if byte != CSVTokenizer.space && byte != CSVTokenizer.tab {
                hasContent = true
            }
            if scanned >= limit && !hasContent { return nil }
            if scanned - lineStart > limit { return nil }
        }
    }

    /// A value starting with a quote, or with a space or a tab that may come before one, goes
    /// through the state machine.
    @inline(__always)
    static func mayOpenQuotedValue(_ byte: UInt8) -> Bool {
        byte == CSVTokenizer.quote || byte == CSVTokenizer.space || byte == CSVTokenizer.tab
    }

    private enum State {
        case fieldStart
        case unquoted
        case quoted
        /// A quote inside a quoted field: either the first of a doubled quote or the closing one.
        case quoteInQuoted
    }

    /// The next row, blank ones included (the caller skips them), or nil at the end of the file.
    func nextRow() throws -> CSVByteRow? {
        var row = CSVByteRow(startLine: line)
        swap(&row.bytes, &spareBytes)
        swap(&row.fieldEnds, &spareFieldEnds)
        row.bytes.removeAll(keepingCapacity: true)
        row.fieldEnds.removeAll(keepingCapacity: true)
        // Sized like the previous row: one allocation per array instead of one per doubling.
        row.bytes.reserveCapacity(previousRowBytes)
        row.fieldEnds.reserveCapacity(headerFieldCount ?? 0)
        defer { previousRowBytes = min(max(row.bytes.count, 64), 4096) }
        var state = State.fieldStart
        var started = false
        var rowBytes = 0
        let delimiter = self.delimiter
        let swallowedRowDelimiters = max(1, (headerFieldCount ?? Int.max) - 1)
        /// Where the row's first physical line ends, once a line break inside quotes was met.
        var firstLineEnd: (offset: Int, afterCarriageReturn: Bool)?
        /// Delimiters met inside quotes since the last line break inside quotes (nil before the first).
        var delimitersOnQuotedLine: Int?
        retainedFrom = position
        defer { retainedFrom = nil }

        // The row is handed to these rather than captured: a variable a local function captures is
        // boxed and checked for exclusive access at run time, on every use, even in the fast path.
        func endField(_ row: inout CSVByteRow) {
            if row.fieldEnds.count < CSVTokenizer.maxFieldsPerRow {
                row.fieldEnds.append(row.bytes.count)
            } else {
                row.problem = row.problem ?? .tooManyFields
            }
        }
        let startLine = row.startLine
        /// Gives up the row: it is reported alone, and reading resumes on the line after its first.
        func abandon(_ problem: CSVByteRow.Problem) throws -> CSVByteRow {
            var rejected = CSVByteRow(startLine: startLine)
            rejected.problem = problem
            if let firstLineEnd, let start = retainedFrom {
                position = start + firstLineEnd.offset
                line = startLine + 1
                previousWasCarriageReturn = firstLineEnd.afterCarriageReturn
            } else {
                try skipRestOfLine()
            }
            return rejected
        }

        while true {
            if position == buffer.count {
                try readChunk()
                if position == buffer.count {
                    guard started else { return nil }
                    if state == .quoted {
                        if firstLineEnd != nil { return try abandon(.unterminatedQuote) }
                        row.problem = .unterminatedQuote
                    }
                    endField(&row)
                    if firstLineEnd != nil {
                        if let problem = row.problem { return try abandon(problem) }
                        if hasExtraFields(row) { return try abandon(.strayQuote) }
                    }
                    row.physicalLines = line - row.startLine + 1
                    if row.problem != nil { row.bytes = [] }
                    return row
                }
            }
            // Fast path: unquoted values and the delimiters between them, taken at once up to the next
            // line break or a byte that may open a quoted value, each value's bytes copied in one go.
            // The state machine below still takes every other byte. Byte by byte, the tokenizer cost
            // about 75 instructions per byte of the file; a value at a time but each delimiter through
            // the state machine, 37; now 24.
            if started && (state == .unquoted || state == .fieldStart) {
                let start = position
                let end = min(buffer.count, start + max(CSVTokenizer.maxRowBytes - rowBytes, 0))
                // One pointer into the buffer for the whole scan, the values and their delimiters
                // appended from it in one go at the end: slices of the buffer were retained and
                // released, and each value appended apart. The buffer is not an Array (`ReadBuffer`):
                // no reference count is taken.
                let rowStart = row.bytes.count
                // The bytes that end an unquoted value: the delimiter, a line feed, a carriage return.
                let delimiterByte = RepeatedByte(delimiter)
                let endsBefore = row.fieldEnds.count
                let scannedEnds = scannedFieldEnds
                var scannedCount = 0
                let scan = buffer.withUnsafeBufferPointer { source -> Int in
                    var scan = start
                    // Eight bytes at a time, every delimiter of a word taken from its mask: a value
                    // is a few bytes, and looking for the next stop value by value restarted the
                    // search at each one (the tokenizer took 1 970 instructions for a 118-byte row,
                    // 1 800 so). Stops at a line break, or after a delimiter whose next value starts
                    // with a byte the state machine must see; the loop below takes what is left.
                    var stopped = false
                    if let base = source.baseAddress {
                        // Just past the last delimiter taken: where a value starts.
                        var fieldStart = state == .fieldStart ? scan : -1
                        if fieldStart == scan && scan < end && CSVTokenizer.mayOpenQuotedValue(base[scan]) { stopped = true }
                        words: while !stopped && scan &+ 8 <= end {
                            let word = UInt64(littleEndian: UnsafeRawPointer(base + scan).loadUnaligned(as: UInt64.self))
                            let lineBreaks = RepeatedByte.lineFeed.exactMatches(word) | RepeatedByte.carriageReturn.exactMatches(word)
                            var delimiters = delimiterByte.exactMatches(word)
                            // Only the delimiters before the first line break belong to this row.
                            if lineBreaks != 0 { delimiters &= (UInt64(1) &<< UInt64(lineBreaks.trailingZeroBitCount)) &- 1 }
                            while delimiters != 0 {
                                let at = scan &+ (delimiters.trailingZeroBitCount &>> 3)
                                guard endsBefore &+ scannedCount < CSVTokenizer.maxFieldsPerRow else {
                                    state = at == fieldStart ? .fieldStart : .unquoted
                                    scan = at
                                    stopped = true
                                    break words
                                }
                                scannedEnds[scannedCount] = rowStart &+ at &- start
                                scannedCount &+= 1
                                fieldStart = at &+ 1
                                if fieldStart == end || CSVTokenizer.mayOpenQuotedValue(base[fieldStart]) {
                                    state = .fieldStart
                                    scan = fieldStart
                                    stopped = true
                                    break words
                                }
                                delimiters &= delimiters &- 1
                            }
                            if lineBreaks != 0 {
                                let at = scan &+ (lineBreaks.trailingZeroBitCount &>> 3)
                                state = at == fieldStart ? .fieldStart : .unquoted
                                scan = at
                                stopped = true
                                break
                            }
                            scan &+= 8
                        }
                        if !stopped && scan > start { state = scan == fieldStart ? .fieldStart : .unquoted }
                    }
                    while !stopped && scan < end {
                        if state == .fieldStart {
                            // Spaces before a value may precede an opening quote: the state machine decides.
                            if CSVTokenizer.mayOpenQuotedValue(source[scan]) { break }
                        }
                        let stop = RepeatedByte.firstIndex(in: source, from: scan, to: end, delimiterByte, .lineFeed, .carriageReturn)
                        if stop > scan {
                            state = .unquoted
                            scan = stop
                        }
                        // A line break, the row's byte budget, or a field past the cap: the state machine.
                        guard scan < end, source[scan] == delimiter, endsBefore &+ scannedCount < CSVTokenizer.maxFieldsPerRow else { break }
                        scannedEnds[scannedCount] = rowStart &+ scan &- start
                        scannedCount &+= 1
                        state = .fieldStart
                        scan += 1
                    }
                    if scan > start { row.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[start..<scan])) }
                    return scan
                }
                if scannedCount > 0 { row.fieldEnds.append(contentsOf: UnsafeBufferPointer(start: scannedEnds, count: scannedCount)) }
                if scan > start {
                    position = scan
                    rowBytes += scan - start
                    previousWasCarriageReturn = false
                    continue
                }
            }
            let byte = buffer[position]
            position += 1
            let afterCarriageReturn = previousWasCarriageReturn
            previousWasCarriageReturn = false

            // The LF of a CRLF that ended the previous row.
            if !started && afterCarriageReturn && byte == CSVTokenizer.lineFeed {
                retainedFrom = position
                continue
            }
            started = true
            rowBytes += 1
            if rowBytes > CSVTokenizer.maxRowBytes { return try abandon(.tooLong) }

            switch state {
            case .quoted:
                if byte == CSVTokenizer.quote {
                    state = .quoteInQuoted
                    continue
                }
                // A line break inside quotes is part of the value, and still a physical line.
                let isLineBreak = byte == CSVTokenizer.carriageReturn || (byte == CSVTokenizer.lineFeed && !afterCarriageReturn)
                if isLineBreak {
                    line += 1
                    previousWasCarriageReturn = byte == CSVTokenizer.carriageReturn
                    if firstLineEnd == nil {
                        firstLineEnd = (position - retainedFrom!, previousWasCarriageReturn)
                    }
                    if fieldsRefusingLineBreaks.contains(row.fieldEnds.count) { return try abandon(.strayQuote) }
                    delimitersOnQuotedLine = 0
                } else if byte == delimiter, let count = delimitersOnQuotedLine {
                    delimitersOnQuotedLine = count + 1
                    if count + 1 >= swallowedRowDelimiters { return try abandon(.strayQuote) }
                }
                row.bytes.append(byte)
                continue
            case .quoteInQuoted:
                if byte == CSVTokenizer.quote {
                    row.bytes.append(byte)
                    state = .quoted
                    continue
                }
                // The quote closed the field; this byte is read as outside quotes.
                state = .unquoted
            case .fieldStart, .unquoted:
                break
            }

            if byte == delimiter {
                endField(&row)
                if row.problem == .tooManyFields { return try abandon(.tooManyFields) }
                row.bytes.append(byte)
                state = .fieldStart
            } else if byte == CSVTokenizer.lineFeed || byte == CSVTokenizer.carriageReturn {
                line += 1
                previousWasCarriageReturn = byte == CSVTokenizer.carriageReturn
                endField(&row)
                if firstLineEnd != nil {
                    if let problem = row.problem { return try abandon(problem) }
                    if hasExtraFields(row) { return try abandon(.strayQuote) }
                }
                row.physicalLines = line - row.startLine
                if row.problem != nil { row.bytes = [] }
                return row
            } else if state == .fieldStart && byte == CSVTokenizer.quote {
                // Spaces before an opening quote (`; "Dupont"`) are layout, not value.
                row.bytes.removeSubrange(row.fieldStart(row.fieldCount)...)
                state = .quoted
            } else {
                row.bytes.append(byte)
                if state == .fieldStart && byte != CSVTokenizer.space && byte != CSVTokenizer.tab {
                    state = .unquoted
                }
            }
        }
    }

    /// The longest row the plain lane takes (`peekPlainRow`); a longer one is read the general way.
    static let maxPlainRowBytes = 4_096

    /// A plain row found by `peekPlainRow`, not consumed yet.
    struct PlainRow {
        /// The row's bytes, without its line break: valid until the tokenizer reads on.
        let bytes: UnsafeBufferPointer<UInt8>
        /// Where each field ends in `bytes`; the next one starts one byte further.
        let fieldEnds: UnsafePointer<Int>
        let line: Int
        /// Where the next row starts, past the line break.
        fileprivate let next: Int
    }

    /// The next row when it is plain: printable ASCII up to a line break in the buffer, no quote, no
    /// control byte but the delimiter, exactly as many fields as the header. Not consumed: the
    /// caller consumes it (`consume`) or leaves it to `nextRow`, which reads it the general way, as
    /// it reads a row that is not plain (nil). For nearly every row of an export, this lane splits
    /// it without copying a byte or going through the state machine.
    func peekPlainRow() throws -> PlainRow? {
        guard let headerFieldCount, retainedFrom == nil else { return nil }
        if previousWasCarriageReturn {
            // After a CR, a LF belongs to the line break before: skipped, as `nextRow` skips it.
            guard position < buffer.count else { return nil }
            if buffer[position] == CSVTokenizer.lineFeed { position += 1 }
            previousWasCarriageReturn = false
        }
        var scanned = scanPlainRow()
        if case .cutByChunk = scanned {
            // The rest of the row comes with the next chunk (read once: a row is at most
            // `maxPlainRowBytes`, far less than a chunk).
            try readChunk()
            scanned = scanPlainRow()
        }
        guard case .plain(let end, let fieldCount, let lineBreakBytes) = scanned, fieldCount == headerFieldCount else { return nil }
        // The buffer's own memory, not an Array's: it stays where it is until the next chunk is read.
        let bytes = buffer.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[position..<end]) }
        return PlainRow(bytes: bytes, fieldEnds: scannedFieldEnds, line: line, next: end + lineBreakBytes)
    }

    /// Consumes the row `peekPlainRow` gave, and its line break, as `nextRow` would have.
    func consume(_ row: PlainRow) {
        precondition(row.line == line && row.next <= buffer.count, "the row peeked last")
        position = row.next
        line += 1
    }

    private enum PlainRowScan {
        /// The row ends at `end` (its line break, of `lineBreakBytes`: CR LF takes two), and has
        /// `fieldCount` fields, whose ends, relative to the row, are in `scannedFieldEnds`.
        case plain(end: Int, fieldCount: Int, lineBreakBytes: Int)
        case notPlain
        /// The buffer ends before the row's line break (or between its CR and a possible LF).
        case cutByChunk
    }

    /// The row at `position`, scanned for `peekPlainRow`.
    private func scanPlainRow() -> PlainRowScan {
        buffer.withUnsafeBufferPointer { source -> PlainRowScan in
            guard let base = source.baseAddress else { return reachedEndOfFile ? .notPlain : .cutByChunk }
            let start = position
            let limit = min(source.count, start &+ CSVTokenizer.maxPlainRowBytes)
            let delimiter = self.delimiter
            let delimiterByte = RepeatedByte(delimiter)
            let highBits: UInt64 = 0x8080_8080_8080_8080
            let ends = scannedFieldEnds
            var fieldCount = 0
            /// What a byte that is not plain text means: a field's end (nil), the row's end, or a row
            /// that is not plain.
            func stop(at: Int) -> PlainRowScan? {
                let byte = base[at]
                if byte == delimiter {
                    guard fieldCount &+ 1 < CSVTokenizer.maxFieldsPerRow else { return .notPlain }
                    ends[fieldCount] = at &- start
                    fieldCount &+= 1
                    return nil
                }
                guard byte == CSVTokenizer.lineFeed || byte == CSVTokenizer.carriageReturn else { return .notPlain }
                ends[fieldCount] = at &- start
                if byte == CSVTokenizer.lineFeed { return .plain(end: at, fieldCount: fieldCount &+ 1, lineBreakBytes: 1) }
                // A CR ends the row; a LF right after it is the same line break, so it must be seen.
                if at &+ 1 < source.count {
                    return .plain(end: at, fieldCount: fieldCount &+ 1, lineBreakBytes: base[at &+ 1] == CSVTokenizer.lineFeed ? 2 : 1)
                }
                return reachedEndOfFile ? .plain(end: at, fieldCount: fieldCount &+ 1, lineBreakBytes: 1) : .cutByChunk
            }
            var index = start
            while index &+ 8 <= limit {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                // Each byte's high bit: at or above 0x80, below 0x20 (no borrow crosses a byte whose
                // high bit was set first), a quote, the delimiter.
                var special = (word & highBits) | (~((word | highBits) &- 0x2020_2020_2020_2020) & highBits)
                    | RepeatedByte.doubleQuote.exactMatches(word) | delimiterByte.exactMatches(word)
                while special != 0 {
                    if let outcome = stop(at: index &+ (special.trailingZeroBitCount &>> 3)) { return outcome }
                    special &= special &- 1
                }
                index &+= 8
            }
            while index < limit {
                let byte = base[index]
                if byte < 0x20 || byte >= 0x80 || byte == CSVTokenizer.quote || byte == delimiter {
                    if let outcome = stop(at: index) { return outcome }
                }
                index &+= 1
            }
            // No line break within a plain row's bytes, or none yet in the buffer.
            return limit == start &+ CSVTokenizer.maxPlainRowBytes || reachedEndOfFile ? .notPlain : .cutByChunk
        }
    }

    /// Takes back the arrays of a row the caller is done with, for the next row to be read into.
    func recycle(_ row: inout CSVByteRow) {
        swap(&row.bytes, &spareBytes)
        swap(&row.fieldEnds, &spareFieldEnds)
    }

    /// Non-blank fields beyond the header's.
    private func hasExtraFields(_ row: CSVByteRow) -> Bool {
        guard let headerFieldCount, headerFieldCount > 0, row.fieldCount > headerFieldCount else { return false }
        return !row.fieldsAreBlank(from: headerFieldCount)
    }

    /// Consumes bytes up to and including the next line break, quotes or not.
    private func skipRestOfLine() throws {
        retainedFrom = nil
        while true {
            if position == buffer.count {
                try readChunk()
                if position == buffer.count { return }
            }
            let byte = buffer[position]
            position += 1
            if byte == CSVTokenizer.lineFeed || byte == CSVTokenizer.carriageReturn {
                line += 1
                previousWasCarriageReturn = byte == CSVTokenizer.carriageReturn
                return
            }
        }
    }
}

/// A CSV file opened for reading: encoding settled, delimiter found, header row read. Shared by the
/// billing export reader and the roster reader, which map the header names each their own way.
final class CSVTextSource {
    enum Row {
        /// `physicalLines`: how many lines of the file the row covers (quoted values may hold line breaks).
        case fields(line: Int, physicalLines: Int, values: [String])
        /// A row that cannot be split or decoded; the message says why, in French.
        case problem(InputIssue)
    }

    let fileName: String
    let headerNames: [String]
    let headerLine: Int
    /// The line after the header's last (a quoted header name may hold a line break).
    let firstDataLine: Int
    let delimiter: UInt8
    private let tokenizer: CSVTokenizer
    @exclusivity(unchecked) private var decoder: FieldDecoder
    @exclusivity(unchecked) private var warnings: [InputIssue] = []

    /// - Parameter isKnownHeader: whether a header name means something to the caller; a one-column
    ///   header that means nothing is taken for a file that is not CSV at all.
    init(url: URL, fileName: String, encoding: TextEncodingChoice?, isKnownHeader: (String) -> Bool) throws {
        func unreadable(_ line: Int, _ message: String) -> UnreadableFile {
            UnreadableFile(InputIssue(file: fileName, line: line, column: nil, message: message))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw unreadable(0, "fichier introuvable : \(url.path)")
        }
        guard !isDirectory.boolValue else { throw unreadable(0, "\(url.path) est un dossier, pas un fichier") }
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw unreadable(0, FileErrorText.describe(error, path: url.path))
        }
        self.fileName = fileName
        tokenizer = CSVTokenizer(handle: handle, fileName: fileName)

        // Encoding: a BOM settles it; otherwise the first chunk decides, and a later non-UTF-8 field
        // still switches to Windows-1252 (ASCII rows before it read the same in both).
        try tokenizer.fill(atLeast: CSVTokenizer.chunkSize)
        // Excel's « texte Unicode » is UTF-16: every other byte is zero, nothing a CSV reader can split.
        if tokenizer.unreadBytes.starts(with: [0xFF, 0xFE]) || tokenizer.unreadBytes.starts(with: [0xFE, 0xFF]) {
            throw unreadable(1, "fichier encodé en UTF-16 (« texte Unicode ») : enregistrez l'export en CSV UTF-8 ou Windows-1252")
        }
        let hasBOM = tokenizer.unreadBytes.starts(with: [0xEF, 0xBB, 0xBF])
        if hasBOM { tokenizer.skip(3) }
        switch encoding {
        case .utf8?:
            decoder = FieldDecoder(mode: .utf8Strict)
        case .windows1252?:
            decoder = FieldDecoder(mode: .windows1252)
        case nil:
            if hasBOM {
                decoder = FieldDecoder(mode: .utf8Strict)
            } else if FieldDecoder.isValidUTF8(tokenizer.unreadBytes, allowTruncatedEnd: !tokenizer.reachedEndOfFile) {
                decoder = FieldDecoder(mode: .utf8Tentative)
            } else {
                decoder = FieldDecoder(mode: .windows1252)
                // Detected from the start: the usual Windows export, said as a notice, not a warning.
                warnings.append(InputIssue(file: fileName, line: 0, column: nil,
                                           message: "encodage détecté : Windows-1252 (ANSI), l'encodage habituel des exports Windows",
                                           severity: .notice))
            }
        }

        // Delimiter: the candidate seen most often (outside quotes) on the header line.
        guard let headerBytes = try tokenizer.peekFirstContentLine(limit: CSVTokenizer.maxRowBytes) else {
            let onlyLayout = tokenizer.unreadBytes.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
            if tokenizer.reachedEndOfFile && onlyLayout {
                throw unreadable(1, "fichier vide : une ligne d'en-tête (noms des colonnes) est attendue")
            }
            throw unreadable(1, "n'est pas un fichier CSV : aucune fin de ligne dans les premiers \(CSVTokenizer.maxRowBytes / 1024) Kio")
        }
        // Control bytes other than tab never occur in a text header: a spreadsheet (.xlsx), a PDF, an archive.
        if headerBytes.contains(where: { $0 < 0x20 && $0 != 0x09 }) {
            throw unreadable(1, "n'est pas un fichier CSV : la première ligne contient des octets binaires (classeur Excel, PDF ou archive ?) ; enregistrez l'export au format CSV")
        }
        let candidates: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "\t")]
        var counts = [Int](repeating: 0, count: candidates.count)
        var inQuotes = false
        for byte in headerBytes {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle(); continue }
            if !inQuotes, let index = candidates.firstIndex(of: byte) { counts[index] += 1 }
        }
        // Ties go to `;`, the French default (and the order of `candidates`).
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        delimiter = candidates[best]
        tokenizer.delimiter = delimiter

        var header: CSVByteRow?
        while let row = try tokenizer.nextRow() {
            if !row.isBlank { header = row; break }
        }
        guard let header else { throw unreadable(1, "fichier vide : une ligne d'en-tête (noms des colonnes) est attendue") }
        if header.problem != nil {
            throw unreadable(header.startLine, "n'est pas un fichier CSV : la première ligne n'est pas une ligne d'en-tête (plus de \(CSVTokenizer.maxFieldsPerRow) colonnes, plus de \(CSVTokenizer.maxRowBytes / 1024) Kio ou guillemet jamais refermé)")
        }
        headerLine = header.startLine
        firstDataLine = header.startLine + header.physicalLines
        tokenizer.headerFieldCount = header.fieldCount
        var names: [String] = []
        for bytes in header.fields {
            switch decoder.decode(bytes) {
            case .text(let text): names.append(text)
            case .switchedToWindows1252(let text):
                names.append(text)
                warnings.append(CSVTextSource.windows1252Warning(file: fileName, line: 0))
            case .invalidUTF8:
                throw unreadable(header.startLine, "l'en-tête n'est pas du texte UTF-8 valide ; si le fichier vient d'un logiciel Windows, relancez avec --encoding windows-1252")
            }
        }
        headerNames = names
        if counts[best] == 0 && !names.contains(where: isKnownHeader) {
            throw unreadable(header.startLine, "n'est pas un fichier CSV : la première ligne n'a ni séparateur (« ; », « , » ou tabulation) ni nom de colonne connu")
        }
    }

    static func windows1252Warning(file: String, line: Int) -> InputIssue {
        InputIssue(file: file, line: line, column: nil,
                   message: "le fichier n'est pas en UTF-8 : il a été lu comme Windows-1252 (ANSI) ; vérifiez les accents, ou précisez l'encodage avec --encoding",
                   severity: .warning)
    }

    /// The header positions whose values the caller reads: a line break in one of them is a stray quote.
    func refuseLineBreaks(inFields positions: Set<Int>) { tokenizer.fieldsRefusingLineBreaks = positions }

    /// `;`, `,` or `tabulation`, for messages.
    var delimiterName: String { delimiter == UInt8(ascii: "\t") ? "tabulation" : "« \(Character(Unicode.Scalar(delimiter))) »" }

    /// Warnings found since the last call (the encoding switch), to hand over before the next row.
    func takeWarnings() -> [InputIssue] {
        defer { warnings.removeAll() }
        return warnings
    }

    /// The next non-blank row, decoded, or nil at the end of the file.
    func nextRow() throws -> Row? {
        // No slots: every value is one past the last slotted position.
        switch try nextPlacedRow(slots: [], slotCount: 0) {
        case nil: return nil
        case .problem(let issue)?: return .problem(issue)
        case .placed(let line, let physicalLines, _, _, _, _, let values)?: return .fields(line: line, physicalLines: physicalLines, values: values)
        }
    }

    /// `CSVTokenizer.peekPlainRow`: a plain row (ASCII, no quote) is split without the state machine,
    /// and its values, ASCII, read the same in every encoding.
    func peekPlainRow() throws -> CSVTokenizer.PlainRow? { try tokenizer.peekPlainRow() }

    func consume(_ row: CSVTokenizer.PlainRow) { tokenizer.consume(row) }

    /// A row whose values went straight into their slots (`CSVTextSource.nextPlacedRow`).
    enum PlacedRow {
        /// `slots`: the values not held as ASCII bytes; `asciiBytes` and `asciiSpans`: the others
        /// (`RawRecord`); `fieldCount`: how many fields the row had; `extraValues`: those past the
        /// last slotted position.
        case placed(line: Int, physicalLines: Int, slots: [String?], asciiBytes: [UInt8], asciiSpans: [Int],
                    fieldCount: Int, extraValues: [String])
        case problem(InputIssue)
    }

    /// The byte arrays handed out with the last row: taken back for the next row, they are filled
    /// again in place once the caller has let go of them, instead of allocated per row.
    @exclusivity(unchecked) private var asciiByteBuffer: [UInt8] = []
    @exclusivity(unchecked) private var asciiSpanBuffer: [Int] = []

    /// The next non-blank row, each value put straight into its slot: `slots[position]` is where the
    /// value at that header position goes (negative: nowhere). A slotted value that is ASCII and
    /// printable at both ends stays bytes: its start and end in the row's bytes go into the slot's two
    /// spans (`RawRecord`); any other comes trimmed of whitespace, nil when empty. Values past the
    /// last slotted position come as they are. Every value of a row that is not all ASCII is still
    /// decoded, so a row's bytes are judged the same whichever columns are read (ASCII reads the
    /// same in every encoding). No array of every value on the way: it cost an allocation and twenty
    /// String releases a row.
    func nextPlacedRow(slots: [Int], slotCount: Int) throws -> PlacedRow? {
        var byteRow: CSVByteRow
        switch try nextContentRow() {
        case nil: return nil
        case .problem(let issue)?: return .problem(issue)
        case .bytes(let row)?: byteRow = row
        }
        defer { tokenizer.recycle(&byteRow) }
        // The values held as text, made only for a row that has one (most have none: their values
        // all stay bytes, and an array of empty slots per row cost its writes and its sharing).
        var placed: [String?] = []
        var asciiBytes: [UInt8] = []
        var spans: [Int] = []
        if slotCount > 0 {
            swap(&asciiBytes, &asciiByteBuffer)
            swap(&spans, &asciiSpanBuffer)
            if spans.count != 2 * slotCount { spans = [Int](repeating: -1, count: 2 * slotCount) }
        }
        var extraValues: [String] = []
        // A local copy: the property, decoded into twenty times a row, paid an exclusivity check each time.
        var decoder = self.decoder
        defer { self.decoder = decoder }
        // The row's bytes through one pointer (a slice of the array per value retained and released
        // it), and the slots written through theirs (each write checked the arrays were not shared).
        let extra = Int.min
        let decodedEveryValue = spans.withUnsafeMutableBufferPointer { spanSlots in
            byteRow.bytes.withUnsafeBufferPointer { rowBytes -> Bool in
                // One pass over the row: an ASCII row (nearly every one) has no value to check apart.
                let rowIsASCII = ASCIIText.isASCII(rowBytes)
                var start = 0
                for (index, end) in byteRow.fieldEnds.enumerated() {
                    let bytes = UnsafeBufferPointer(rebasing: rowBytes[start..<end])
                    start = end + 1
                    let slot = index < slots.count ? slots[index] : extra
                    if slot >= 0 {
                        precondition(slot < slotCount, "a slot within the record")
                        // Nearly every value: ASCII, printable at both ends, so nothing to trim; it
                        // stays bytes, and neither it nor an empty one becomes a String here.
                        if !placed.isEmpty { placed[slot] = nil }
                        if bytes.isEmpty {
                            spanSlots[2 &* slot] = -1
                            continue
                        }
                        if ASCIIText.hasPrintableEnds(bytes) && (rowIsASCII || ASCIIText.isASCII(bytes)) {
                            spanSlots[2 &* slot] = end &- bytes.count
                            spanSlots[2 &* slot &+ 1] = end
                            continue
                        }
                        spanSlots[2 &* slot] = -1
                    } else if slot != extra && rowIsASCII {
                        // Not read, and ASCII reads the same in every encoding: nothing to judge.
                        continue
                    }
                    guard let text = decode(bytes, line: byteRow.startLine, with: &decoder) else { return false }
                    if slot == extra {
                        extraValues.append(text)
                    } else if slot >= 0 {
                        let trimmed = text.trimmingCharactersInWhitespace()
                        if !trimmed.isEmpty {
                            if placed.isEmpty { placed = [String?](repeating: nil, count: slotCount) }
                            placed[slot] = trimmed
                        }
                    }
                }
                return true
            }
        }
        guard decodedEveryValue else { return .problem(invalidUTF8(byteRow.startLine)) }
        // Slots of positions this row does not reach (a short row) hold nothing.
        if byteRow.fieldCount < slots.count {
            for index in byteRow.fieldCount..<slots.count where slots[index] >= 0 {
                if !placed.isEmpty { placed[slots[index]] = nil }
                spans[2 &* slots[index]] = -1
            }
        }
        // The row's bytes become the record's, and the record's old array goes back to the
        // tokenizer for its next row (`recycle`): the bytes were copied once more per row.
        if slotCount > 0 { swap(&asciiBytes, &byteRow.bytes) }
        asciiByteBuffer = asciiBytes
        asciiSpanBuffer = spans
        return .placed(line: byteRow.startLine, physicalLines: byteRow.physicalLines, slots: placed, asciiBytes: asciiBytes,
                       asciiSpans: spans, fieldCount: byteRow.fieldCount, extraValues: extraValues)
    }

    private enum ContentRow {
        case bytes(CSVByteRow)
        case problem(InputIssue)
    }

    /// The next row that is not blank, as bytes, or what is wrong with it.
    private func nextContentRow() throws -> ContentRow? {
        var byteRow: CSVByteRow
        repeat {
            guard let row = try tokenizer.nextRow() else { return nil }
            byteRow = row
        } while byteRow.isBlank
        let line = byteRow.startLine
        func problem(_ message: String) -> ContentRow { .problem(InputIssue(file: fileName, line: line, column: nil, message: message)) }
        let resumes = "la ligne est ignorée et la lecture reprend à la ligne suivante"
        switch byteRow.problem {
        case .unterminatedQuote?:
            return problem("guillemet jamais refermé : le champ entre guillemets ouvert sur cette ligne court jusqu'à la fin du fichier ; \(resumes) ; ajoutez le guillemet fermant (\")")
        case .strayQuote?:
            return problem("guillemet mal placé : le champ entre guillemets ouvert sur cette ligne avale les lignes suivantes ; \(resumes) ; vérifiez ses guillemets")
        case .tooLong?:
            return problem("ligne de plus de \(CSVTokenizer.maxRowBytes / 1024) Kio (séparateurs compris) : ce n'est pas une ligne de facturation ; \(resumes)")
        case .tooManyFields?:
            return problem("ligne de plus de \(CSVTokenizer.maxFieldsPerRow) champs : ce n'est pas une ligne de facturation ; \(resumes)")
        case nil:
            return .bytes(byteRow)
        }
    }

    /// One field as text, or nil when it is not UTF-8 while UTF-8 is required; a switch to
    /// Windows-1252 is noted as a warning.
    private func decode(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, with decoder: inout FieldDecoder) -> String? {
        switch decoder.decode(bytes) {
        case .text(let text):
            return text
        case .switchedToWindows1252(let text):
            warnings.append(CSVTextSource.windows1252Warning(file: fileName, line: line))
            return text
        case .invalidUTF8:
            return nil
        }
    }

    private func invalidUTF8(_ line: Int) -> InputIssue {
        InputIssue(file: fileName, line: line, column: nil,
                   message: "caractères illisibles : la ligne n'est pas du texte UTF-8 valide ; si le fichier vient d'un logiciel Windows, relancez avec --encoding windows-1252")
    }
}

/// The bytes read from a file and not consumed yet, in memory of their own rather than an Array:
/// the tokenizer reads them for every row, and taking an Array's pointer retained and released its
/// storage each time. That one atomic count cost a tenth of the reading thread in a two-thread run
/// (the count's cache line went back and forth between the cores), against a hundredth alone.
/// Not copyable: one owner, which frees the memory.
struct ReadBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init() {
        capacity = CSVTokenizer.chunkSize
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "index within the bytes read")
        return base[index]
    }

    /// A copy of some of the bytes (the header, the bytes sniffed for the encoding).
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range within the bytes read")
        return ArraySlice(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Drops the first `dropped` bytes, moving the others to the front.
    mutating func removeFirst(_ dropped: Int) {
        precondition(dropped >= 0 && dropped <= count, "no more bytes dropped than read")
        // The kept bytes may overlap their new place: memmove.
        memmove(base, base + dropped, count - dropped)
        count -= dropped
    }

    /// Reads up to `limit` bytes of `descriptor` after those held (retried when a signal cuts it
    /// short); how many came, 0 at the end of the file, -1 on an error (`errno` says which).
    mutating func read(from descriptor: Int32, upTo limit: Int) -> Int {
        reserve(count + limit)
        while true {
            let got = readFile(descriptor, base + count, limit)
            if got < 0 && errno == EINTR { continue }
            if got > 0 { count += got }
            return got
        }
    }

    /// Room for `needed` bytes in all.
    private mutating func reserve(_ needed: Int) {
        if needed > capacity {
            // Doubled: a row longer than a chunk grows the buffer a few times, not once per chunk.
            var newCapacity = capacity
            while newCapacity < needed { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.initialize(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
    }
}

/// The system's `read(2)`, named apart: inside `ReadBuffer`, `read` is its own method.
private func readFile(_ descriptor: Int32, _ destination: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(descriptor, destination, count)
}
