import BillingModel
import Foundation

/// Reads a CSV billing export (spec §1) one row at a time: delimiter, encoding and line endings are
/// detected, header names go through the mapping profile, and each row becomes a `RawRecord` that
/// carries the physical line it starts on. Values are handed over as read; `RecordValidator` judges them.
public final class CSVRecordReader: RecordReader {
    private let displayName: String
    /// The file's number, for the location of each of its rows (`SourceLocation`).
    private let fileNumber: UInt32
    private let source: CSVTextSource
    /// The contract column of each header position; nil for ignored ones (unknown, empty, repeated).
    private let columnsByPosition: [Column?]
    /// Each header position's `Column.ordinal`, or -1 when it is not read.
    private let slotsByPosition: [Int]
    /// Each column's header as the file writes it (`Montant`), for messages.
    private let headerNames: [Column: String]
    /// `slotsByPosition` in memory of its own, and each column's value in a plain row (its start and
    /// end in the row, by `2 × ordinal`), for `nextPlainLine`: read through pointers, no array is
    /// retained and released per row.
    private let plainSlots: UnsafeMutablePointer<Int>
    /// Allocated with `plainSlots`, once nothing can throw before the reader is whole (`deinit`).
    private let plainSpans: UnsafeMutablePointer<Int>
    /// Events waiting to be handed over (header warnings, the encoding warning before its row).
    // Read by one thread only (see `CSVTokenizer.buffer`).
    @exclusivity(unchecked) private var queued: [ReadEvent] = []
    @exclusivity(unchecked) private var queuedIndex = 0

    /// The first physical line after the header: every non-blank line from here on ends up in a
    /// record or in a rejected row.
    public var firstDataLine: Int { source.firstDataLine }

    /// Opens the file and reads its header. Throws `UnreadableFile` when the file cannot be opened, is
    /// not CSV, or lacks a required column.
    /// - Parameter suggestedProfiles: profiles to name when the header lacks required columns but one
    ///   of them would read it (a French export audited without `--profile export-fr`).
    public init(url: URL, displayName: String, profile: MappingProfile, encoding: TextEncodingChoice? = nil,
                suggestedProfiles: [MappingProfile] = []) throws {
        self.displayName = displayName
        fileNumber = SourceFileNames.shared.number(for: displayName)
        source = try CSVTextSource(url: url, fileName: displayName, encoding: encoding,
                                   isKnownHeader: { profile.column(forHeader: $0) != nil })

        var columns: [Column?] = []
        var seen: [Column: String] = [:]
        var unknown: [String] = []
        var repeated: [String] = []
        for name in source.headerNames {
            let trimmed = name.trimmingCharactersInWhitespace()
            guard !trimmed.isEmpty else {
                // Spreadsheets leave unnamed trailing columns; they carry nothing to report.
                columns.append(nil)
                continue
            }
            guard let column = profile.column(forHeader: trimmed) else {
                if !profile.ignores(header: trimmed) { unknown.append(trimmed) }
                columns.append(nil)
                continue
            }
            if let first = seen[column] {
                repeated.append("\(QuotedValue.quote(trimmed)) (\(column.rawValue), déjà lue dans \(QuotedValue.quote(first)))")
                columns.append(nil)
                continue
            }
            seen[column] = trimmed
            columns.append(column)
        }
        columnsByPosition = columns
        slotsByPosition = columns.map { $0?.ordinal ?? -1 }
        plainSlots = .allocate(capacity: max(slotsByPosition.count, 1))
        plainSlots.initialize(from: slotsByPosition, count: slotsByPosition.count)
        plainSpans = .allocate(capacity: 2 * Column.count)
        headerNames = seen
        source.refuseLineBreaks(inFields: Set(columns.indices.filter { columns[$0] != nil }))

        let missing = Column.required.filter { seen[$0] == nil }
        if !missing.isEmpty {
            let profileNote = profile.name == MappingProfile.standard.name ? "" : " (profil « \(profile.name) »)"
            // A file without its header line has a data row here: its values are not shown.
            let read = source.headerNames.allSatisfy { $0.isEmpty || QuotedValue.isSafe($0) }
                ? "en-tête lu : " + source.headerNames.map { QuotedValue.quote($0) }.joined(separator: ", ")
                : "la première ligne ressemble à une ligne de données (dates, numéros) : la ligne d'en-tête manque-t-elle ?"
            let matching = suggestedProfiles.filter { $0.name != profile.name && $0.readsAllRequiredColumns(source.headerNames) }
            let suggestion = matching.first.map { " ; cet en-tête est celui du profil « \($0.name) » : relancez avec --profile \($0.name)" } ?? ""
            throw UnreadableFile(InputIssue(
                file: displayName, line: source.headerLine, column: nil,
                message: "colonne\(missing.count > 1 ? "s" : "") obligatoire\(missing.count > 1 ? "s" : "") absente\(missing.count > 1 ? "s" : "") de l'en-tête\(profileNote) : \(missing.map(\.rawValue).joined(separator: ", "))\(suggestion) ; \(read) (séparateur \(source.delimiterName))"))
        }

        for warning in source.takeWarnings() { queued.append(.warning(warning)) }
        if !unknown.isEmpty {
            queued.append(.warning(InputIssue(
                file: displayName, line: source.headerLine, column: nil,
                message: "colonne\(unknown.count > 1 ? "s" : "") inconnue\(unknown.count > 1 ? "s" : "") ignorée\(unknown.count > 1 ? "s" : "") : \(unknown.map { QuotedValue.quote($0) }.joined(separator: ", ")) ; pour les lire, ajoutez leur nom au profil de correspondance (--profile)",
                severity: .warning)))
        }
        if !repeated.isEmpty {
            queued.append(.warning(InputIssue(
                file: displayName, line: source.headerLine, column: nil,
                message: "colonne\(repeated.count > 1 ? "s" : "") en double ignorée\(repeated.count > 1 ? "s" : "") : \(repeated.joined(separator: ", ")) ; seule la première est lue",
                severity: .warning)))
        }
    }

    deinit {
        plainSlots.deallocate()
        plainSpans.deallocate()
    }

    /// The next row's line when the row is plain (`CSVTokenizer.peekPlainRow`) and every value of it
    /// is one `RecordValidator.plainLine` takes as it is; then the row is consumed. Nil otherwise,
    /// with nothing consumed: `next()` reads the row, and says what is wrong with it, if anything.
    /// The line is the one `next()` and `validator.validate` would have given, without a record.
    public func nextPlainLine(_ validator: RecordValidator, memo: ValidationMemo) throws -> ActLine? {
        // Warnings waiting go out before the next row.
        guard queuedIndex >= queued.count, let row = try source.peekPlainRow(), let base = row.bytes.baseAddress else { return nil }
        let spans = plainSpans
        spans.initialize(repeating: 0, count: 2 * Column.count)
        var start = 0
        // The tokenizer took the row for having as many fields as the header has positions.
        for position in 0..<slotsByPosition.count {
            let end = row.fieldEnds[position]
            defer { start = end &+ 1 }
            let slot = plainSlots[position]
            guard slot >= 0, end > start else { continue }
            // Spaces or DEL at an end: the general way trims the value.
            guard ASCIIText.hasPrintableEnds(UnsafeBufferPointer(start: base + start, count: end &- start)) else { return nil }
            spans[2 &* slot] = start
            spans[2 &* slot &+ 1] = end
        }
        guard let line = validator.plainLine(PlainValues(bytes: base, spans: spans),
                                             location: SourceLocation(fileNumber: fileNumber, line: row.line), memo: memo) else { return nil }
        source.consume(row)
        return line
    }

    public func columnInFile(_ column: Column) -> String? {
        headerNames[column].map { "colonne \(QuotedValue.quote($0))" }
    }

    public func next() throws -> ReadEvent? {
        if let event = dequeue() { return event }
        guard let row = try source.nextPlacedRow(slots: slotsByPosition, slotCount: Column.count) else {
            queued = source.takeWarnings().map { .warning($0) }
            queuedIndex = 0
            return dequeue()
        }
        let event = makeEvent(row)
        let warnings = source.takeWarnings()
        guard !warnings.isEmpty else { return event }
        // The encoding warning goes before the row that revealed it.
        queued = warnings.map { .warning($0) } + [event]
        queuedIndex = 0
        return dequeue()
    }

    private func dequeue() -> ReadEvent? {
        guard queuedIndex < queued.count else {
            if !queued.isEmpty { queued.removeAll(); queuedIndex = 0 }
            return nil
        }
        defer { queuedIndex += 1 }
        return queued[queuedIndex]
    }

    /// The row is consumed: its arrays move into the record instead of being retained by it and
    /// released with the row.
    private func makeEvent(_ row: consuming CSVTextSource.PlacedRow) -> ReadEvent {
        switch consume row {
        case .problem(let issue):
            return .rejected(issue)
        case .placed(let line, let physicalLines, let fields, let asciiBytes, let asciiSpans, let fieldCount, let extraValues):
            // Trailing empty fields (`…;26,50;;`) are a common export habit and lose nothing.
            if extraValues.contains(where: { !$0.trimmingCharactersInWhitespace().isEmpty }) {
                return .rejected(InputIssue(
                    file: displayName, line: line, column: nil,
                    message: "la ligne compte \(fieldCount) champs alors que l'en-tête en a \(columnsByPosition.count) : un séparateur \(source.delimiterName) en trop, ou une valeur qui en contient un sans être entre guillemets ?"))
            }
            return .record(RawRecord(location: SourceLocation(fileNumber: fileNumber, line: line), trimmedValues: fields,
                                     asciiBytes: asciiBytes, asciiSpans: asciiSpans, physicalLines: physicalLines))
        }
    }
}
