import BillingModel
import Foundation

/// One CSV row as bytes, before decoding.
struct CSVByteRow {
    /// 1-based physical line on which the row starts.
    var startLine: Int
    var fields: [[UInt8]]
    /// The file ended inside a quoted field.
    var unterminatedQuote = false
    /// The row went past `CSVTokenizer.maxRowBytes`; its content was cut.
    var tooLong = false

    /// Nothing but spaces, tabs and delimiters: an empty line, or the `;;;;` lines spreadsheets leave.
    var isBlank: Bool {
        fields.allSatisfy { field in field.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }
}

/// Splits a CSV file into rows of byte fields (RFC 4180), reading it in fixed-size chunks so that
/// memory does not grow with the file: only the unread part of one chunk and the current row are held.
final class CSVTokenizer {
    static let chunkSize = 64 * 1024
    /// A longer row is a runaway quote or not CSV at all; its bytes are dropped past this size so a
    /// broken file cannot make memory grow.
    static let maxRowBytes = 1 << 20

    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    let fileName: String
    var delimiter = UInt8(ascii: ";")

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private(set) var reachedEndOfFile = false
    /// The physical line of the next unread byte.
    private var line = 1
    /// The last byte consumed was a CR: a LF right after it belongs to the same line break.
    private var previousWasCarriageReturn = false

    init(handle: FileHandle, fileName: String) {
        self.handle = handle
        self.fileName = fileName
    }

    deinit { try? handle.close() }

    /// The bytes read but not consumed yet (for sniffing the encoding and the header).
    var unreadBytes: ArraySlice<UInt8> { buffer[position...] }

    func skip(_ count: Int) { position = min(position + count, buffer.count) }

    /// Reads chunks until at least `count` unread bytes are buffered or the file ends.
    func fill(atLeast count: Int) throws {
        while buffer.count - position < count && !reachedEndOfFile { try readChunk() }
    }

    private func readChunk() throws {
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let data: Data?
        do {
            data = try handle.read(upToCount: CSVTokenizer.chunkSize)
        } catch {
            throw UnreadableFile(InputIssue(file: fileName, line: line, column: nil,
                                            message: "lecture interrompue : \(FileErrorText.describe(error, path: fileName))"))
        }
        if let data, !data.isEmpty {
            buffer.append(contentsOf: data)
        } else {
            reachedEndOfFile = true
        }
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
                    if reachedEndOfFile && hasContent { return buffer[(position + lineStart)...] }
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
                if hasContent { return buffer[(position + lineStart)..<(position + scanned - 1)] }
                lineStart = scanned
            } else if byte != CSVTokenizer.space && byte != CSVTokenizer.tab {
                hasContent = true
            }
            if scanned >= limit && !hasContent { return nil }
            if scanned - lineStart > limit { return nil }
        }
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
        var row = CSVByteRow(startLine: line, fields: [])
        var field: [UInt8] = []
        var state = State.fieldStart
        var started = false
        var rowBytes = 0
        let delimiter = self.delimiter

        func append(_ byte: UInt8) {
            rowBytes += 1
            if rowBytes <= CSVTokenizer.maxRowBytes { field.append(byte) } else { row.tooLong = true }
        }
        func endField() {
            if !row.tooLong { row.fields.append(field) }
            field.removeAll(keepingCapacity: true)
        }

        while true {
            if position == buffer.count {
                try readChunk()
                if position == buffer.count {
                    guard started else { return nil }
                    row.unterminatedQuote = state == .quoted
                    endField()
                    return row
                }
            }
            let byte = buffer[position]
            position += 1
            let afterCarriageReturn = previousWasCarriageReturn
            previousWasCarriageReturn = false

            // The LF of a CRLF that ended the previous row.
            if !started && afterCarriageReturn && byte == CSVTokenizer.lineFeed { continue }
            started = true

            switch state {
            case .quoted:
                if byte == CSVTokenizer.quote {
                    state = .quoteInQuoted
                } else {
                    // A line break inside quotes is part of the value, and still a physical line.
                    if byte == CSVTokenizer.carriageReturn {
                        line += 1
                        previousWasCarriageReturn = true
                    } else if byte == CSVTokenizer.lineFeed && !afterCarriageReturn {
                        line += 1
                    }
                    append(byte)
                }
                continue
            case .quoteInQuoted:
                if byte == CSVTokenizer.quote {
                    append(byte)
                    state = .quoted
                    continue
                }
                // The quote closed the field; this byte is read as outside quotes.
                state = .unquoted
            case .fieldStart, .unquoted:
                break
            }

            if byte == delimiter {
                endField()
                state = .fieldStart
            } else if byte == CSVTokenizer.lineFeed || byte == CSVTokenizer.carriageReturn {
                line += 1
                previousWasCarriageReturn = byte == CSVTokenizer.carriageReturn
                endField()
                return row
            } else if state == .fieldStart && byte == CSVTokenizer.quote {
                // Spaces before an opening quote (`; "Dupont"`) are layout, not value.
                field.removeAll(keepingCapacity: true)
                state = .quoted
            } else {
                append(byte)
                if state == .fieldStart && byte != CSVTokenizer.space && byte != CSVTokenizer.tab {
                    state = .unquoted
                }
            }
        }
    }
}

/// A CSV file opened for reading: encoding settled, delimiter found, header row read. Shared by the
/// billing export reader and the roster reader, which map the header names each their own way.
final class CSVTextSource {
    enum Row {
        case fields(line: Int, values: [String])
        /// A row that cannot be split or decoded; the message says why, in French.
        case problem(InputIssue)
    }

    let fileName: String
    let headerNames: [String]
    let headerLine: Int
    let delimiter: UInt8
    private let tokenizer: CSVTokenizer
    private var decoder: FieldDecoder
    private var warnings: [InputIssue] = []

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
            throw unreadable(1, "n'est pas un fichier CSV : aucune fin de ligne dans le premier mégaoctet")
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
        headerLine = header.startLine
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

    /// `;`, `,` or `tabulation`, for messages.
    var delimiterName: String { delimiter == UInt8(ascii: "\t") ? "tabulation" : "« \(Character(Unicode.Scalar(delimiter))) »" }

    /// Warnings found since the last call (the encoding switch), to hand over before the next row.
    func takeWarnings() -> [InputIssue] {
        defer { warnings.removeAll() }
        return warnings
    }

    /// The next non-blank row, decoded, or nil at the end of the file.
    func nextRow() throws -> Row? {
        var byteRow: CSVByteRow
        repeat {
            guard let row = try tokenizer.nextRow() else { return nil }
            byteRow = row
        } while byteRow.isBlank && !byteRow.unterminatedQuote
        let line = byteRow.startLine
        func problem(_ message: String) -> Row { .problem(InputIssue(file: fileName, line: line, column: nil, message: message)) }
        if byteRow.unterminatedQuote {
            return problem("guillemet jamais refermé : le champ entre guillemets ouvert sur cette ligne court jusqu'à la fin du fichier ; ajoutez le guillemet fermant (\")")
        }
        if byteRow.tooLong {
            return problem("ligne de plus d'un mégaoctet, ignorée : probablement un guillemet mal placé qui avale les lignes suivantes")
        }
        var values: [String] = []
        values.reserveCapacity(byteRow.fields.count)
        for bytes in byteRow.fields {
            switch decoder.decode(bytes) {
            case .text(let text): values.append(text)
            case .switchedToWindows1252(let text):
                values.append(text)
                warnings.append(CSVTextSource.windows1252Warning(file: fileName, line: line))
            case .invalidUTF8:
                return problem("caractères illisibles : la ligne n'est pas du texte UTF-8 valide ; si le fichier vient d'un logiciel Windows, relancez avec --encoding windows-1252")
            }
        }
        return .fields(line: line, values: values)
    }
}
