import BillingModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run's findings. A small run keeps them in memory, in the order they were given. A large one
/// keeps them in a temporary file, in file order, read back each time they are walked: 150 000
/// findings held in memory were 52 MB at 5M lines, the one part of an audit's memory that grew with
/// the rows rather than the patients (issue 11).
///
/// The file holds what a report holds (pseudonyms, invoice and practitioner numbers, messages),
/// never a NIR, a name or a birth date. It is readable by its owner only and has no name (or is
/// unlinked as soon as made), so nothing is left behind, even by a killed process.
public struct Findings: Sequence, Sendable, ExpressibleByArrayLiteral {
    private enum Storage: Sendable {
        case memory([Finding])
        /// In file order (`Finding.fileOrder`), as `FindingList` merges them.
        case file(FindingFile)
        /// Two lists in file order, read as one (`init(merging:_:)`).
        indirect case merged(Findings, Findings)
    }

    private let storage: Storage
    public let count: Int

    public init(_ findings: [Finding] = []) {
        storage = .memory(findings)
        count = findings.count
    }

    public init(arrayLiteral elements: Finding...) { self.init(elements) }

    init(file: FindingFile, count: Int) {
        storage = .file(file)
        self.count = count
    }

    /// The findings of both lists in file order, each list being in that order; between equal
    /// findings, those of `first` come first, as a stable sort of both would give.
    init(merging first: Findings, _ second: Findings) {
        if second.isEmpty {
            self = first
        } else if first.isEmpty {
            self = second
        } else {
            storage = .merged(first.inFileOrder(), second.inFileOrder())
            count = first.count + second.count
        }
    }

    public var isEmpty: Bool { count == 0 }
    public var underestimatedCount: Int { count }

    /// Whether the findings are read back from a temporary file rather than held in memory.
    public var areOnDisk: Bool {
        switch storage {
        case .memory: return false
        case .file: return true
        case .merged(let first, let second): return first.areOnDisk || second.areOnDisk
        }
    }

    /// The findings in file order. A run's findings come in that order already (`AuditEngine.finish`
    /// sorts them) and are handed back as they are; findings built by hand are sorted here.
    public func inFileOrder() -> Findings {
        switch storage {
        case .memory(let findings): return Findings(findings.inFileOrder())
        case .file, .merged: return self
        }
    }

    public func makeIterator() -> Iterator {
        switch storage {
        case .memory(let findings): return Iterator(findings: findings, reader: nil)
        case .file(let file): return Iterator(findings: [], reader: FindingReader(file, range: 0..<file.size))
        case .merged(let first, let second): return Iterator(merging: first.makeIterator(), second.makeIterator())
        }
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let findings: [Finding]
        fileprivate let reader: FindingReader?
        private let merge: Merge?
        private var index = 0

        fileprivate init(findings: [Finding], reader: FindingReader?) {
            self.findings = findings
            self.reader = reader
            merge = nil
        }

        fileprivate init(merging first: Iterator, _ second: Iterator) {
            findings = []
            reader = nil
            merge = Merge(first, second)
        }

        /// Two walks in file order, and the next finding of each.
        private final class Merge {
            private var first: Iterator
            private var second: Iterator
            private var firstHead: Finding?
            private var secondHead: Finding?

            init(_ first: Iterator, _ second: Iterator) {
                (self.first, self.second) = (first, second)
                firstHead = self.first.next()
                secondHead = self.second.next()
            }

            /// The second list's head only when it comes strictly before the first's. A head is
            /// moved out, not copied: each copy retained and released its texts.
            func next() -> Finding? {
                if secondComesFirst() {
                    let head = secondHead.take()
                    secondHead = second.next()
                    return head
                }
                let head = firstHead.take()
                if head != nil { firstHead = first.next() }
                return head
            }

            private func secondComesFirst() -> Bool {
                // The places first, read alone: handed over whole, the heads were copied.
                guard let second = secondHead?.location else { return false }
                guard let first = firstHead?.location else { return true }
                if let decided = placesInFileOrder(second, first) { return decided }
                return Finding.fileOrder(secondHead.unsafelyUnwrapped, firstHead.unsafelyUnwrapped)
            }
        }

        public mutating func next() -> Finding? {
            if let merge { return merge.next() }
            if let reader { return reader.next() }
            guard index < findings.count else { return nil }
            defer { index += 1 }
            return findings[index]
        }
    }
}

extension Array where Element == Finding {
    /// The findings in file order, handed back as they are when they already are: a sorted copy of
    /// 150 000 findings and its sort buffer took 40 MB at the moment a report was written.
    public func inFileOrder() -> [Finding] {
        let sorted = indices.dropFirst().allSatisfy { !Finding.fileOrder(self[$0], self[$0 - 1]) }
        return sorted ? self : self.sorted(by: Finding.fileOrder)
    }
}

/// The findings of a run as they come. Every `runLength` findings, the chunk is sorted and written
/// to a temporary file as a run; `finish` merges the runs into one file in file order. A run that
/// cannot be written (no temporary folder, a full disk) stays in memory: the audit goes on, with the
/// memory it would have taken before, rather than fail.
struct FindingList {
    static let defaultRunLength = 8_192

    /// Findings held before a sorted run of them goes to disk (tests set a small one).
    var runLength = FindingList.defaultRunLength
    /// Where the temporary files go; nil for the usual place (`FindingFile.folder`).
    var folder: String?

    private(set) var count = 0
    private var open: [Finding] = []
    /// Sorted runs that could not be written.
    private var runsInMemory: [[Finding]] = []
    private var runFile: FindingFile?
    private var runsOnDisk: [Range<Int>] = []
    /// Set when the temporary file could not be made or written: no further run is tried.
    private var diskFailed = false

    init(runLength: Int = FindingList.defaultRunLength, folder: String? = nil) {
        self.runLength = runLength
        self.folder = folder
    }

    mutating func append(_ finding: Finding) {
        if open.isEmpty { open.reserveCapacity(min(runLength, FindingList.defaultRunLength)) }
        open.append(finding)
        count += 1
        if open.count >= runLength { closeRun() }
    }

    /// Sorts the open chunk and writes it out as a run, or keeps it as a sorted run in memory.
    private mutating func closeRun() {
        guard !open.isEmpty else { return }
        var run = open
        open = []
        run.sortInPlaceByPermutation(by: Finding.fileOrder)
        if !diskFailed {
            if runFile == nil { runFile = FindingFile.makeTemporary(in: folder) }
            if let runFile, let range = runFile.append(run) {
                runsOnDisk.append(range)
                return
            }
            diskFailed = true
        }
        runsInMemory.append(run)
    }

    /// Every finding in file order; the list is left empty. A run that never reached `runLength`
    /// findings is sorted in memory, as one array of its exact size.
    mutating func finish() -> Findings {
        defer { self = FindingList(runLength: runLength, folder: folder) }
        if runsOnDisk.isEmpty && runsInMemory.isEmpty {
            open.sortInPlaceByPermutation(by: Finding.fileOrder)
            return Findings(open)
        }
        closeRun()
        if !runsOnDisk.isEmpty, let merged = FindingFile.makeTemporary(in: folder),
           let written = FindingMerge.write(encodedSources(), to: merged) {
            return Findings(file: merged, count: written)
        }
        // No run reached the disk, or the merged file could not be written: merged in memory.
        return Findings(FindingMerge.array(sources()))
    }

    /// The same, as encoded records.
    private func encodedSources() -> [EncodedFindings] {
        runsOnDisk.compactMap { range in runFile.map { EncodedFindings(reader: FindingReader($0, range: range)) } }
            + runsInMemory.map { EncodedFindings(findings: $0) }
    }

    /// The runs in the order they were closed: the merge keeps that order between equal findings,
    /// so that it gives what one stable sort of every finding would.
    private func sources() -> [Findings.Iterator] {
        // Runs on disk and in memory interleave only after a failed write, which happens once:
        // every run before it is on disk, every run after it in memory.
        runsOnDisk.compactMap { range in runFile.map { Findings.Iterator(findings: [], reader: FindingReader($0, range: range)) } }
            + runsInMemory.map { Findings.Iterator(findings: $0, reader: nil) }
    }
}

/// A k-way merge of sorted runs; between equal findings, the earlier run comes first.
enum FindingMerge {
    /// Hands `emit` every item of the runs in order (`next(run)`: that run's next item), until it
    /// says stop; false then. The heap holds run numbers, each run's next item staying in its slot of
    /// `heads`: swapping whole findings in the heap copied and released their texts at every step.
    private static func merge<Item>(runCount: Int, next: (Int) -> Item?, precedes itemPrecedes: (Item, Item) -> Bool,
                                    _ emit: (Item) -> Bool) -> Bool {
        var heads: [Item?] = (0..<runCount).map(next)
        func precedes(_ lhs: Int, _ rhs: Int) -> Bool {
            let (left, right) = (heads[lhs].unsafelyUnwrapped, heads[rhs].unsafelyUnwrapped)
            if itemPrecedes(left, right) { return true }
            if itemPrecedes(right, left) { return false }
            return lhs < rhs
        }
        // A binary min-heap of run numbers.
        var heap: [Int] = []
        for run in 0..<runCount where heads[run] != nil {
            heap.append(run)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard precedes(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        while let top = heap.first {
            guard emit(heads[top].take().unsafelyUnwrapped) else { return false }
            heads[top] = next(top)
            if heads[top] == nil {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                var least = left
                if left + 1 < heap.count && precedes(heap[left + 1], heap[left]) { least = left + 1 }
                guard precedes(heap[least], heap[parent]) else { break }
                heap.swapAt(least, parent)
                parent = least
            }
        }
        return true
    }

    static func array(_ runs: [Findings.Iterator]) -> [Finding] {
        var runs = runs
        var all: [Finding] = []
        _ = merge(runCount: runs.count, next: { runs[$0].next() }, precedes: Finding.fileOrder) { all.append($0); return true }
        return all
    }

    /// Merges encoded runs into `file`, each record copied as it is: only the fields of its place
    /// in file order are read (decoding every finding and encoding it again was most of the merge,
    /// 37 ms for 1M lines' 29 000 findings, after the reading had ended). The number of findings
    /// written, or nil when the file could not be written.
    static func write(_ runs: [EncodedFindings], to file: FindingFile) -> Int? {
        var writer = FindingWriter(file)
        var written = 0
        let complete = merge(runCount: runs.count, next: { runs[$0].next() }, precedes: { $0.key < $1.key }) { head in
            written += 1
            return writer.write(encoded: head.record)
        }
        return complete && writer.flush() ? written : nil
    }
}

/// A finding's place in file order (`Finding.fileOrder`), read from its record without the rest.
struct FindingOrderKey: FileOrderPlaced {
    var location: SourceLocation
    var rule: String
    var invoiceID: String
    var patientRef: PatientRef

    init(_ finding: Finding) {
        (location, rule, invoiceID, patientRef) = (finding.location, finding.rule, finding.invoiceID, finding.patientRef)
    }

    init(location: SourceLocation, rule: String, invoiceID: String, patientRef: PatientRef) {
        (self.location, self.rule, self.invoiceID, self.patientRef) = (location, rule, invoiceID, patientRef)
    }

    /// `Finding.fileOrder`'s comparison.
    static func < (lhs: FindingOrderKey, rhs: FindingOrderKey) -> Bool { isInFileOrder(lhs, rhs) }
}

/// A sorted run's findings as records (`FindingCoding`) with their place: read from the file as
/// they are, or encoded from a run held in memory.
final class EncodedFindings {
    private let reader: FindingReader?
    private let findings: [Finding]
    private var index = 0

    init(reader: FindingReader) {
        self.reader = reader
        findings = []
    }

    init(findings: [Finding]) {
        reader = nil
        self.findings = findings
    }

    func next() -> (key: FindingOrderKey, record: [UInt8])? {
        if let reader {
            guard let record = reader.nextRecord() else { return nil }
            guard let key = FindingCoding.orderKey(record) else { FindingFile.unreadable() }
            return (key, record)
        }
        guard index < findings.count else { return nil }
        defer { index += 1 }
        var record: [UInt8] = []
        FindingCoding.append(findings[index], to: &record)
        return (FindingOrderKey(findings[index]), record)
    }
}

// MARK: - The temporary file

/// An unlinked temporary file of encoded findings, appended to, then read at offsets (`pread`
/// needs no shared position, so two walks of the same findings can go on at once).
final class FindingFile: @unchecked Sendable {
    private let descriptor: Int32
    /// Bytes written so far; only the writer (one at a time, before any reader) changes it.
    private(set) var size = 0

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// `TMPDIR` when set, else `/var/tmp`, else `/tmp`: `/tmp` is often in memory (tmpfs), which
    /// would hold the findings in memory again; `/var/tmp` is on disk by convention (FHS).
    static var folder: String {
        if let value = getenv("TMPDIR").map({ String(cString: $0) }), !value.isEmpty { return value }
        return access("/var/tmp", W_OK | X_OK) == 0 ? "/var/tmp" : "/tmp"
    }

    /// A new file in `folder` (else the usual one) that has no name; nil when none can be made.
    static func makeTemporary(in folder: String? = nil) -> FindingFile? {
        var folder = folder ?? FindingFile.folder
        if folder.hasSuffix("/") && folder.count > 1 { folder.removeLast() }
        #if os(Linux)
        // An unnamed file (O_TMPFILE) never appears in the folder; where the file system has none,
        // a named one is unlinked at once.
        let unnamed = open(folder, FindingFile.O_TMPFILE_RDWR, 0o600)
        if unnamed >= 0 { return FindingFile(descriptor: unnamed) }
        #endif
        var template = Array((folder + "/cotaudit-findings-XXXXXX").utf8CString)
        // mkstemp creates the file readable and writable by its owner only.
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FindingFile(descriptor: descriptor)
    }

    #if os(Linux)
    /// `O_TMPFILE | O_RDWR`: Glibc's `O_TMPFILE` is a macro Swift does not import; `__O_TMPFILE`
    /// is 0o20000000 on every Linux architecture.
    static let O_TMPFILE_RDWR: Int32 = 0o20000000 | O_DIRECTORY | O_RDWR
    #endif

    /// Appends the findings; returns the byte range they take, or nil when they could not be written.
    func append(_ findings: [Finding]) -> Range<Int>? {
        let start = size
        var writer = FindingWriter(self)
        for finding in findings where !writer.write(finding) { return nil }
        return writer.flush() ? start..<size : nil
    }

    /// Writes every byte at the end of the file.
    func write(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(size + done))
            }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { return false }
            done += wrote
        }
        size += done
        return true
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; the number read.
    func read(at offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) -> Int {
        while true {
            let got = pread(descriptor, buffer, count, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            return got
        }
    }

    /// A file this process wrote a moment ago cannot be read back (a failing disk): no finding is
    /// dropped without a word, the run stops with the I/O error status of sysexits.h.
    static func unreadable() -> Never {
        let reason = String(cString: strerror(errno))
        fputs("cotaudit : le fichier temporaire des constats ne peut plus être relu (\(reason)) ; l'audit est interrompu, relancez-le\n", stderr)
        exit(74)
    }
}

/// Encodes findings into a buffer and writes it out in blocks.
struct FindingWriter {
    static let blockSize = 1 << 16

    private let file: FindingFile
    private var bytes: [UInt8] = []
    private var failed = false

    init(_ file: FindingFile) {
        self.file = file
        bytes.reserveCapacity(FindingWriter.blockSize + 1_024)
    }

    mutating func write(_ finding: Finding) -> Bool {
        FindingCoding.append(finding, to: &bytes)
        if bytes.count >= FindingWriter.blockSize { return flush() }
        return !failed
    }

    /// A record as `FindingCoding.append` made it, its length first.
    mutating func write(encoded record: [UInt8]) -> Bool {
        bytes.append(contentsOf: record)
        if bytes.count >= FindingWriter.blockSize { return flush() }
        return !failed
    }

    mutating func flush() -> Bool {
        guard !failed else { return false }
        if !bytes.isEmpty {
            failed = !file.write(bytes)
            bytes.removeAll(keepingCapacity: true)
        }
        return !failed
    }
}

/// Reads the findings of a byte range of a file, one block at a time.
final class FindingReader {
    private let file: FindingFile
    private var offset: Int
    private let end: Int
    private var buffer: [UInt8] = []
    private var position = 0

    init(_ file: FindingFile, range: Range<Int>) {
        self.file = file
        offset = range.lowerBound
        end = range.upperBound
    }

    func next() -> Finding? {
        guard let record = stepOverRecord() else { return nil }
        let finding = buffer.withUnsafeBytes { raw in
            FindingCoding.decode(UnsafeRawBufferPointer(rebasing: raw[(record.lowerBound + 4)..<record.upperBound]))
        }
        guard let finding else { FindingFile.unreadable() }
        return finding
    }

    /// The next record's bytes, its length first, as they are in the file.
    func nextRecord() -> [UInt8]? {
        stepOverRecord().map { Array(buffer[$0]) }
    }

    /// Where the next record is in `buffer` (its length first), read past; nil at the range's end.
    /// Valid until the buffer is filled again.
    private func stepOverRecord() -> Range<Int>? {
        guard position < buffer.count || offset < end else { return nil }
        // A record is its length (4 bytes) and then its fields.
        guard fill(4) else { FindingFile.unreadable() }
        let length = FindingCoding.readLength(buffer, at: position)
        guard fill(4 + length) else { FindingFile.unreadable() }
        defer { position += 4 + length }
        return position..<(position + 4 + length)
    }

    /// Makes sure `count` bytes from `position` are in the buffer; false when the range ends first.
    private func fill(_ count: Int) -> Bool {
        if buffer.count - position >= count { return true }
        buffer.removeSubrange(0..<position)
        position = 0
        let wanted = min(max(count - buffer.count, FindingWriter.blockSize), end - offset)
        guard wanted > 0 else { return false }
        let kept = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: wanted))
        let got = buffer.withUnsafeMutableBytes { file.read(at: offset, count: wanted, into: $0.baseAddress! + kept) }
        guard got > 0 else { FindingFile.unreadable() }
        buffer.removeLast(wanted - got)
        offset += got
        return buffer.count >= count || fill(count)
    }
}

/// The bytes of one finding: its length (4 bytes, little-endian), the fixed fields (the file's
/// number among them), the patient (1 and 8 bytes of pseudonym, or 0 and a text), then each text
/// as its length (4 bytes) and its UTF-8. Only this process reads them back, in this run.
enum FindingCoding {
    static func append(_ finding: Finding, to bytes: inout [UInt8]) {
        let start = bytes.count
        appendInteger(UInt32(0), to: &bytes)
        bytes.append(UInt8(FindingKind.allCases.firstIndex(of: finding.kind)!))
        bytes.append(UInt8(Certainty.allCases.firstIndex(of: finding.certainty)!))
        bytes.append(finding.expectedCode == nil ? 0 : 1)
        appendInteger(Int64(finding.location.line), to: &bytes)
        appendInteger(UInt16(finding.actDate.year), to: &bytes)
        bytes.append(UInt8(finding.actDate.month))
        bytes.append(UInt8(finding.actDate.day))
        appendInteger(finding.lostCents.value, to: &bytes)
        appendInteger(finding.atRiskCents.value, to: &bytes)
        // The file by its number (`SourceFileNames`, valid for the process that writes and reads
        // the runs) and a pseudonym by its bits: by name and as text, each finding looked the name
        // up under a lock, twice, and wrote then parsed 18 hex characters.
        appendInteger(finding.location.fileNumber, to: &bytes)
        if let bits = finding.patientRef.bits {
            bytes.append(1)
            appendInteger(bits, to: &bytes)
        } else {
            bytes.append(0)
            appendText(finding.patientRef.value, to: &bytes)
        }
        for text in [finding.rule, finding.invoiceID, finding.practitionerID, finding.code, finding.expectedCode ?? "", finding.message] {
            appendText(text, to: &bytes)
        }
        let length = UInt32(bytes.count - start - 4)
        withUnsafeBytes(of: length.littleEndian) { raw in
            for index in 0..<4 { bytes[start + index] = raw[index] }
        }
    }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func appendText(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            appendInteger(UInt32(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    static func readLength(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24)
    }

    /// The finding, or nil when the bytes are not one.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Finding? {
        var cursor = Cursor(bytes: bytes)
        guard let kindIndex = cursor.integer(UInt8.self), Int(kindIndex) < FindingKind.allCases.count,
              let certaintyIndex = cursor.integer(UInt8.self), Int(certaintyIndex) < Certainty.allCases.count,
              let hasExpected = cursor.integer(UInt8.self),
              let line = cursor.integer(Int64.self),
              let year = cursor.integer(UInt16.self), let month = cursor.integer(UInt8.self),
              let day = cursor.integer(UInt8.self),
              let actDate = CalendarDay(year: Int(year), month: Int(month), day: Int(day)),
              let lost = cursor.integer(Int64.self), let atRisk = cursor.integer(Int64.self),
              let fileNumber = cursor.integer(UInt32.self), let patient = cursor.patientRef(),
              let rule = cursor.text(), let invoiceID = cursor.text(),
              let practitionerID = cursor.text(), let code = cursor.text(),
              let expectedCode = cursor.text(), let message = cursor.text(), cursor.atEnd
        else { return nil }
        return Finding(rule: rule, kind: FindingKind.allCases[Int(kindIndex)],
                       certainty: Certainty.allCases[Int(certaintyIndex)],
                       location: SourceLocation(fileNumber: fileNumber, line: Int(line)), invoiceID: invoiceID, actDate: actDate,
                       practitionerID: practitionerID, patientRef: patient, code: code,
                       expectedCode: hasExpected == 0 ? nil : expectedCode, lostCents: Cents(lost),
                       atRiskCents: Cents(atRisk), message: message)
    }

    /// The place in file order of a record (its length first), nil when the bytes are not one.
    static func orderKey(_ record: [UInt8]) -> FindingOrderKey? {
        record.withUnsafeBytes { raw in
            guard raw.count >= 4 else { return nil }
            var cursor = Cursor(bytes: UnsafeRawBufferPointer(rebasing: raw[4...]))
            // Kind, certainty, expected code's flag; then the line; the date, lost and at-risk amounts.
            guard cursor.skip(3), let line = cursor.integer(Int64.self), cursor.skip(2 + 1 + 1 + 8 + 8),
                  let fileNumber = cursor.integer(UInt32.self), let patient = cursor.patientRef(),
                  let rule = cursor.text(), let invoiceID = cursor.text()
            else { return nil }
            return FindingOrderKey(location: SourceLocation(fileNumber: fileNumber, line: Int(line)), rule: rule,
                                   invoiceID: invoiceID, patientRef: patient)
        }
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func skip(_ count: Int) -> Bool {
            guard bytes.count - offset >= count else { return false }
            offset += count
            return true
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard bytes.count - offset >= size else { return nil }
            let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
            offset += size
            return value
        }

        mutating func patientRef() -> PatientRef? {
            switch integer(UInt8.self) {
            case 1: return integer(UInt64.self).map(PatientRef.init(bits:))
            case 0: return text().map(PatientRef.init)
            default: return nil
            }
        }

        mutating func text() -> String? {
            guard let length = integer(UInt32.self), bytes.count - offset >= Int(length) else { return nil }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))]),
                              as: UTF8.self)
            offset += Int(length)
            return text
        }
    }
}
