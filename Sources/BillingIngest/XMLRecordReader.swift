import BillingModel
import CLibXML2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an XML billing export (spec §2) with libxml2's push parser and SAX2 callbacks: each
/// `<act>` becomes one `RawRecord` carrying its invoice's and patient's attributes, located at the
/// line of its `<act`. No tree is built: the attributes are taken from the callbacks as they come.
///
/// Security: no DTD is loaded, no entity is resolved, nothing is fetched. Any `<!DOCTYPE …>` is
/// refused before libxml2 even sees it (a billing export never needs one), which rules out
/// external entities and entity-expansion bombs; entity references are refused too.
public final class XMLRecordReader: RecordReader {
    private let displayName: String
    /// The file's number, for the location of each of its rows (`SourceLocation`).
    private let fileNumber: UInt32
    private let profile: MappingProfile
    private let url: URL
    @exclusivity(unchecked) private var source: XMLByteSource
    /// `source.startTags`, unretained (`elementLine`): the source holds it. Set with the source.
    @exclusivity(unchecked) private var startTags: Unmanaged<StartTagQueue>
    @exclusivity(unchecked) private var diagnostics: XMLParseDiagnostics
    /// libxml2's push parser, fed the file piece by piece; set once the reader can be its callbacks' context.
    @exclusivity(unchecked) private var parser: xmlParserCtxtPtr?

    // The per-element state is marked `@exclusivity(unchecked)`: a reader is used by one thread,
    // and the run-time exclusivity check on each access of a class's stored property cost a
    // twentieth of the XML reading thread.
    @exclusivity(unchecked) private var pending = ReadEventQueue()
    /// Events handed out so far, and how many of a second reading's first events were already
    /// handed out by the first (see `feed`).
    @exclusivity(unchecked) private var handedOut = 0
    @exclusivity(unchecked) private var eventsToSkip = 0
    /// Pieces of many tags at once once the root is read; off for a second reading (see `feed`).
    @exclusivity(unchecked) private var readsManyTags = true
    /// The file was read again tag by tag (for the tests).
    private(set) var wasReadAgain = false
    /// The parser was told the input ended, or stopped.
    private var finished = false
    /// Why the rest of the file cannot be read: thrown once the events found before it are handed over.
    private var failure: UnreadableFile? {
        didSet { if failure != nil { stopped = true } }
    }
    /// A failure was found: libxml2's callbacks have nothing more to do.
    @exclusivity(unchecked) private var stopped = false
    @exclusivity(unchecked) private var sawRoot = false
    /// How many elements are open (the root's depth is 0).
    @exclusivity(unchecked) private var depth = 0

    /// Attributes of the enclosing `<invoice>`, already mapped to columns, and the same overlaid with
    /// those of its `<patient>`: what each of its acts starts from. Read only within an invoice
    /// (`invoiceDepth` ≥ 0; -1 outside one). The same arrays serve every invoice, written over in
    /// place and only ever passed `inout`: as values copied, swapped or borrowed from the class,
    /// their arrays were retained and released some twenty times an invoice, each an atomic count.
    @exclusivity(unchecked) private var invoiceFields = XMLValueSlots()
    @exclusivity(unchecked) private var invoiceDepth = -1
    @exclusivity(unchecked) private var invoiceAndPatientFields = XMLValueSlots()
    /// The invoice has a `<patient>`, so its acts start from `invoiceAndPatientFields`; until then
    /// from `invoiceFields` (copied into the other only when a patient comes: most invoices have one).
    @exclusivity(unchecked) private var invoiceHasPatient = false
    /// Arrays of earlier acts' records, given back once validated (`RecordStoragePool`).
    @exclusivity(unchecked) private var recycledStorage: [RecordStoragePool.Storage] = []

    /// A file cannot make the sets of reported names grow without bound.
    static let maxRememberedNames = 100
    /// An act's attribute values with its invoice's and patient's, all together, at most (and an
    /// invoice's or a patient's): a billing act's take some 200 bytes.
    static let maxRecordValueBytes = 4 * 1024
    /// Unknown names already reported, so each is listed once (`élément` names, `élément@attribut`).
    @exclusivity(unchecked) private var reportedUnknownElements: Set<String> = []
    @exclusivity(unchecked) private var reportedUnknownAttributes: Set<String> = []
    /// The attribute each column was first read from (`amount` of `act`), for messages; by `Column.ordinal`.
    @exclusivity(unchecked) private var attributeNames = [(element: String, attribute: String)?](repeating: nil, count: Column.count)
    /// The columns named in `attributeNames`, a bit each by `Column.ordinal`.
    @exclusivity(unchecked) private var namedColumns: UInt32 = 0
    /// When each column got its name: the number the next event queued then had (`ReadEventQueue`).
    /// libxml2 runs ahead of the events handed out (a piece holds many tags), so a name is shown
    /// only from the event it came with: an earlier act names its columns as the file did then.
    @exclusivity(unchecked) private var namedAtEvent = [Int](repeating: .max, count: Column.count)
    /// The same, in the order the names came, and how many of them the events handed out have reached.
    @exclusivity(unchecked) private var namingEvents: [Int] = []
    @exclusivity(unchecked) private var namesReached = 0
    /// Added to `columnNamesVersion` when the file is read again and its names learnt anew.
    @exclusivity(unchecked) private var namesVersionBase = 0
    /// The column each attribute name of an element maps to (nil: none) with the name, once worked
    /// out: the same few names come on every act. Found by libxml2's pointers to the name and its
    /// prefix, which the parser interns in its dictionary and frees only with itself, so a pointer
    /// always means the same name here. A short list searched in order (an export has some twenty
    /// attribute names; hashing a key per attribute cost more), bounded so that a file of made-up
    /// names cannot grow it.
    /// Plain values, so that a search copies no reference; the names are in `resolvedAttributeNames`,
    /// at the same index. The search starts after the attribute found last: an export writes its
    /// attributes in the same order on every element.
    @exclusivity(unchecked) private var resolvedAttributes: [ResolvedAttribute] = []
    @exclusivity(unchecked) private var resolvedAttributeNames: [String] = []
    @exclusivity(unchecked) private var nextResolvedAttribute = 0
    private struct ResolvedAttribute {
        var element: ElementKind
        var localName: UnsafeRawPointer
        var prefix: UnsafeRawPointer?
        var column: Column?
        /// One of the element's attributes that carry nothing for a record (`known`).
        var isIgnored: Bool
    }
    private enum ElementKind { case batch, invoice, patient, act }
    private static let maxResolvedAttributes = 64
    /// Element names already made Strings, by libxml2's pointer to them; bounded like the attributes.
    @exclusivity(unchecked) private var elementNames: [(pointer: UnsafeRawPointer, name: String)] = []
    private static let maxElementNames = 16

    public convenience init(url: URL, displayName: String, profile: MappingProfile) throws {
        try self.init(url: url, displayName: displayName, profile: profile, readsManyTags: true)
    }

    /// `readsManyTags` off: libxml2 is fed one tag at a time from the start (for the tests, which
    /// check that both ways read the same).
    init(url: URL, displayName: String, profile: MappingProfile, readsManyTags: Bool) throws {
        _ = XMLRecordReader.prepareLibxml2
        self.readsManyTags = readsManyTags
        self.displayName = displayName
        fileNumber = SourceFileNames.shared.number(for: displayName)
        self.profile = profile
        self.url = url
        source = try XMLByteSource(url: url, displayName: displayName)
        startTags = .passUnretained(source.startTags)
        diagnostics = XMLParseDiagnostics()
        parser = try makeParser()
    }

    /// A push parser whose callbacks' context is this reader.
    private func makeParser() throws -> xmlParserCtxtPtr {
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = xmlStartElementCallback
        handler.endElementNs = xmlEndElementCallback
        handler.internalSubset = xmlDocumentTypeCallback
        handler.serror = xmlParseErrorCallback
        // Everything else (text, comments, processing instructions) carries nothing of the contract.
        let context = Unmanaged.passUnretained(self).toOpaque()
        let created = diagnostics.silencingLibxml2 { xmlCreatePushParserCtxt(&handler, context, nil, 0, url.path) }
        guard let created else {
            throw UnreadableFile(InputIssue(
                file: displayName, line: 0, column: nil,
                message: diagnostics.firstError.map(\.frenchMessage) ?? "fichier XML illisible : la lecture n'a pas pu démarrer"))
        }
        // NONET: never touch the network. Deliberately absent: NOENT (substitute entities), DTDLOAD,
        // DTDATTR, DTDVALID (load or use a DTD) and HUGE (lift libxml2's size limits).
        let options = Int32(bitPattern: XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        xmlCtxtUseOptions(created, options)
        return created
    }

    deinit {
        if let parser { xmlFreeParserCtxt(parser) }
        source.closeFile()
    }

    /// Once per process: initialise libxml2 from one thread, and make any attempt to load an external
    /// resource (DTD, entity, XInclude) fail. Cotaudit never needs one; this backs up the DOCTYPE refusal.
    private static let prepareLibxml2: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()

    public func next() throws -> ReadEvent? {
        while true {
            while pending.isEmpty {
                if let failure {
                    self.failure = nil
                    throw failure
                }
                if finished { return nil }
                feed()
            }
            let event = pending.popFirst()
            while namesReached < namingEvents.count && namingEvents[namesReached] < pending.poppedEver { namesReached += 1 }
            if eventsToSkip > 0 {
                eventsToSkip -= 1
                continue
            }
            handedOut += 1
            return event
        }
    }

    /// Hands libxml2 the next pieces of the file until one yields something (its callbacks queue
    /// it), the parse fails, or the input ends. Notes the failure once the rest is unreadable.
    ///
    /// Once the root is read, a piece holds all the tags of the bytes read, not one. On a piece that
    /// breaks the parse, the element of its last tag is dropped (libxml2 calls back before it checks
    /// the `>`): with many tags, which element that is, and libxml2's account of the error, could
    /// differ from a reading tag by tag. So when a piece of several tags ends the parse, the file is
    /// read again from its start tag by tag, and its events up to that piece, already handed out,
    /// are skipped: a broken file is read up to twice, and every file is read the same way.
    private func feed() {
        guard let parser else { return }
        let queuedBefore = pending.count
        var lastCallHadSeveralTags = false
        let status: Int32 = diagnostics.silencingLibxml2 {
            source.handsManyTags = readsManyTags && sawRoot
            while let piece = source.nextPiece() {
                lastCallHadSeveralTags = source.lastPieceHeldSeveralTags
                let status = xmlParseChunk(parser, piece.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                           Int32(piece.count), 0)
                // Stopping at the piece that yields: the events queued are then all that piece's.
                if status != 0 || stopped || pending.count > queuedBefore || parser.pointee.wellFormed == 0 { return status }
                source.handsManyTags = readsManyTags && sawRoot
            }
            finished = true
            lastCallHadSeveralTags = false
            // Up to a refused declaration, or to a read failure, libxml2 sees the file end there.
            return xmlParseChunk(parser, nil, 0, 1)
        }
        if lastCallHadSeveralTags && (failure != nil || status != 0 || parser.pointee.wellFormed == 0) {
            readAgainTagByTag()
            return
        }
        if failure != nil {
            finished = true
            return
        }
        if status != 0 || parser.pointee.wellFormed == 0 || source.refusal != nil || source.readFailure != nil {
            // libxml2 hands a start tag to its callback before it checks the `>` that ends it: the
            // element of a piece that broke the parse (a piece holds at most one tag's end) may be cut
            // short, and none of its values is trusted.
            if parser.pointee.wellFormed == 0 { pending.removeLast(from: queuedBefore) }
            finished = true
            failure = readFailure()
            xmlStopParser(parser)
            return
        }
        if finished && !sawRoot {
            failure = unreadable(line: 0, "fichier XML vide : aucun élément <batch>")
        }
    }

    /// Starts the reading over from the file's start, one tag per piece, skipping the events already
    /// handed out (see `feed`): every piece of state the parse built is dropped with its parser.
    private func readAgainTagByTag() {
        if let parser { xmlFreeParserCtxt(parser) }
        parser = nil
        source.closeFile()
        pending = ReadEventQueue()
        eventsToSkip = handedOut
        readsManyTags = false
        wasReadAgain = true
        finished = false
        failure = nil
        stopped = false
        sawRoot = false
        depth = 0
        invoiceFields = XMLValueSlots()
        invoiceDepth = -1
        invoiceAndPatientFields = XMLValueSlots()
        invoiceHasPatient = false
        reportedUnknownElements = []
        reportedUnknownAttributes = []
        // libxml2's pointers to names die with its parser; the columns' names are learnt again.
        resolvedAttributes = []
        resolvedAttributeNames = []
        nextResolvedAttribute = 0
        elementNames = []
        attributeNames = [(element: String, attribute: String)?](repeating: nil, count: Column.count)
        namedColumns = 0
        namedAtEvent = [Int](repeating: .max, count: Column.count)
        namesVersionBase += namesReached + 1
        namingEvents = []
        namesReached = 0
        do {
            source = try XMLByteSource(url: url, displayName: displayName)
            startTags = .passUnretained(source.startTags)
            diagnostics = XMLParseDiagnostics()
            parser = try makeParser()
        } catch let unreadable as UnreadableFile {
            failure = unreadable
            finished = true
        } catch {
            failure = self.unreadable(line: 0, "lecture du fichier impossible : \(error)")
            finished = true
        }
    }

    /// The line libxml2 has reached: during a start tag's callback, the line of its `>`.
    private var parserLine: Int {
        guard let input = parser?.pointee.input else { return 0 }
        return Int(input.pointee.line)
    }

    /// Stops the reading at this point: what was queued before is handed over, then `failure` thrown.
    private func stop(line: Int, _ message: String) {
        failure = unreadable(line: line, message)
        finished = true
        if let parser { xmlStopParser(parser) }
    }

    static let entityRefusal = "le fichier contient une déclaration DOCTYPE/entité : refusé par sécurité, aucune entité n'est résolue"

    // MARK: Callbacks

    /// A DOCTYPE that the byte scanner could not see (a document it cannot read, such as UTF-16).
    fileprivate func documentType() {
        guard !stopped else { return }
        stop(line: parserLine, XMLRecordReader.entityRefusal)
    }

    fileprivate func startElement(localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, namespace: UnsafePointer<xmlChar>?,
                                  attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, attributeCount: Int) {
        guard !stopped else { return }
        let elementDepth = depth
        depth += 1
        let name = elementName(localName, prefix: prefix, namespace: namespace)
        let line = elementLine()
        let attributeList = XMLAttributeList(pointers: attributes, count: attributeCount)
        let valuesLength = attributeList.valuesLength

        if !sawRoot {
            sawRoot = true
            guard name == "batch" else {
                stop(line: line, "l'élément racine est \(XMLRecordReader.shown(element: name)) alors qu'un export de facturation XML commence par <batch> (spec §2)")
                return
            }
            var ignored = XMLValueSlots()
            readAttributes(attributeList, of: name, kind: .batch, line: line, valuesLength: valuesLength, into: &ignored)
            return
        }

        // An act's record holds its values with its invoice's and patient's, and records wait in the
        // queue between the threads (up to some 16 000 events): values of megabytes (libxml2 takes
        // up to 10 MB each) would make memory grow with them. An invoice's or a patient's values
        // past the cap stop the file (they go with every act after them); an act's, with those it
        // carries, are refused.
        let cap = XMLRecordReader.maxRecordValueBytes
        if valuesLength > cap && (name == "invoice" || name == "patient") {
            stop(line: line, "élément \(XMLRecordReader.shown(element: name)) dont les valeurs dépassent \(cap / 1024) Kio : ce n'est pas un export de facturation, la lecture s'arrête là")
            return
        }
        if name == "act" && invoiceDepth >= 0
            && valuesLength + (invoiceHasPatient ? invoiceAndPatientFields.byteCount : invoiceFields.byteCount) > cap {
            pending.append(.rejected(InputIssue(
                file: displayName, line: line, column: nil,
                message: "élément <act> dont les valeurs, avec celles de sa facture et de son patient, dépassent \(cap / 1024) Kio : acte refusé, aucun export n'en écrit autant")))
            return
        }

        switch name {
        case "invoice":
            if invoiceDepth >= 0 {
                pending.append(.warning(InputIssue(
                    file: displayName, line: line, column: nil,
                    message: "élément <invoice> imbriqué dans une autre facture : les actes qui suivent sont rattachés à la facture imbriquée",
                    severity: .warning)))
            }
            invoiceFields.clear()
            readAttributes(attributeList, of: name, kind: .invoice, line: line, valuesLength: valuesLength, into: &invoiceFields)
            invoiceHasPatient = false
            invoiceDepth = elementDepth
        case "patient":
            guard invoiceDepth >= 0 else {
                var ignored = XMLValueSlots()
                readAttributes(attributeList, of: name, kind: .patient, line: line, valuesLength: valuesLength, into: &ignored)
                pending.append(.warning(InputIssue(
                    file: displayName, line: line, column: nil,
                    message: "élément <patient> hors d'un élément <invoice> : ignoré (le patient se déclare dans sa facture)",
                    severity: .warning)))
                return
            }
            // Read over a copy of the invoice's values, which its own replace: a later <patient> in
            // the same invoice replaces the earlier one, not adds to it.
            XMLValueSlots.copy(&invoiceFields, into: &invoiceAndPatientFields)
            readAttributes(attributeList, of: name, kind: .patient, line: line, valuesLength: valuesLength, into: &invoiceAndPatientFields)
            invoiceHasPatient = true
        case "act":
            // Act attributes win over the invoice's, the patient's over the invoice's: the most specific
            // element speaks. The act's are read straight into the record, which starts as a copy of
            // its invoice's and patient's values (two arrays of plain integers and bytes).
            guard invoiceDepth >= 0 else {
                var ignored = XMLValueSlots()
                readAttributes(attributeList, of: name, kind: .act, line: line, valuesLength: valuesLength, into: &ignored)
                pending.append(.rejected(InputIssue(
                    file: displayName, line: line, column: nil,
                    message: "élément <act> hors d'un élément <invoice> : l'acte n'a ni facture, ni praticien, ni patient, il ne peut pas être audité")))
                return
            }
            var fields = invoiceHasPatient
                ? XMLRecordReader.actFields(startingWith: &invoiceAndPatientFields, recycled: &recycledStorage)
                : XMLRecordReader.actFields(startingWith: &invoiceFields, recycled: &recycledStorage)
            readAttributes(attributeList, of: name, kind: .act, line: line, valuesLength: valuesLength, into: &fields)
            // The arrays move into the record: passed as the value's fields, each was retained for
            // the record and released with the value, for every act.
            var (texts, bytes, spans): ([String?], [UInt8], [Int]) = ([], [], [])
            swap(&texts, &fields.texts)
            swap(&bytes, &fields.bytes)
            swap(&spans, &fields.spans)
            let record = RawRecord(location: SourceLocation(fileNumber: fileNumber, line: line), untrimmedValues: consume texts,
                                   asciiBytes: consume bytes, asciiSpans: consume spans)
            pending.append(.record(consume record))
        default:
            // Once many names were seen the set stops growing; later unknown elements are each reported.
            if reportedUnknownElements.count >= XMLRecordReader.maxRememberedNames || reportedUnknownElements.insert(name).inserted {
                pending.append(.warning(InputIssue(
                    file: displayName, line: line, column: nil,
                    message: "élément \(XMLRecordReader.shown(element: name)) inconnu ignoré (signalé une seule fois) ; éléments lus : <batch>, <invoice>, <patient>, <act>",
                    severity: .warning)))
            }
        }
    }

    fileprivate func endElement() {
        guard !stopped else { return }
        depth -= 1
        if depth == invoiceDepth { leaveInvoice() }
    }

    /// An act's values, starting as its invoice's and patient's (`source`), in the arrays of an
    /// earlier act's record given back once validated when there are some (`RecordStoragePool`,
    /// through `stash`), else in a copy. Both are the reader's, passed `inout`: borrowed from the
    /// class instead, their arrays were retained and released for every act.
    private static func actFields(startingWith source: inout XMLValueSlots, recycled stash: inout [RecordStoragePool.Storage]) -> XMLValueSlots {
        if stash.isEmpty { RecordStoragePool.shared.take(into: &stash, upTo: 256) }
        // Without arrays given back (the first acts), a copy: the act's first value copies them.
        guard let storage = stash.popLast() else { return source }
        var fields = XMLValueSlots(bytes: storage.bytes, spans: storage.spans)
        XMLValueSlots.copy(&source, into: &fields)
        return fields
    }

    /// The invoice's values and its patient's are read only within it (each act copies them, an act
    /// outside an invoice starts empty, the next invoice sets them anew in the same arrays): they
    /// stay where they are.
    private func leaveInvoice() {
        invoiceDepth = -1
    }

    /// The attributes of the current element mapped to columns: the profile's names first (so a
    /// vendor's attribute names can be aliased), then the fixed names of spec §2. Unknown ones are
    /// reported once per element and attribute name.
    ///
    /// Room is made for every value at once, and the slots' arrays are held through the element:
    /// value by value, each cost a check of room and of both arrays' uniqueness.
    /// `valuesLength`: the attributes' `valuesLength`.
    private func readAttributes(_ attributes: XMLAttributeList, of element: String, kind: ElementKind, line: Int,
                                valuesLength: Int, into fields: inout XMLValueSlots) {
        guard attributes.count > 0 else { return }
        // At least a byte, so that the array has memory to point to.
        fields.makeRoom(for: max(valuesLength, 1))
        precondition(fields.spans.count == 2 * Column.count, "un début et une fin par colonne")
        // Out of `fields` while its arrays are written through pointers (moved, not copied).
        var bytes: [UInt8] = []
        var spans: [Int] = []
        var texts: [String?] = []
        swap(&bytes, &fields.bytes)
        swap(&spans, &fields.spans)
        swap(&texts, &fields.texts)
        var byteCount = fields.byteCount
        bytes.withUnsafeMutableBufferPointer { bytes in
            spans.withUnsafeMutableBufferPointer { spans in
                for index in 0..<attributes.count {
                    let attribute = attributes[index]
                    let resolved = resolve(attribute.localName, prefix: attribute.prefix, of: kind)
                    if resolved.attribute.isIgnored { continue }
                    if let column = resolved.attribute.column {
                        XMLValueSlots.place(attribute.value, at: column.ordinal, bytes: bytes.baseAddress!, byteCount: &byteCount,
                                            spans: spans.baseAddress!, texts: &texts)
                        if namedColumns & (1 << column.ordinal) == 0 { name(column, element: element, resolvedName(resolved, attribute)) }
                        continue
                    }
                    let name = resolvedName(resolved, attribute)
                    if reportedUnknownAttributes.count >= XMLRecordReader.maxRememberedNames
                                || reportedUnknownAttributes.insert("\(element)@\(name)").inserted {
                        pending.append(.warning(InputIssue(
                            file: displayName, line: line, column: nil,
                            message: "attribut\(QuotedValue.inline(name)) de \(XMLRecordReader.shown(element: element)) inconnu ignoré (signalé une seule fois)",
                            severity: .warning)))
                    }
                }
            }
        }
        fields.byteCount = byteCount
        swap(&bytes, &fields.bytes)
        swap(&spans, &fields.spans)
        swap(&texts, &fields.texts)
    }

    /// The column's first attribute name (`attributeNames`), from the event about to be queued.
    private func name(_ column: Column, element: String, _ attribute: String) {
        namedColumns |= 1 << column.ordinal
        attributeNames[column.ordinal] = (element, attribute)
        namedAtEvent[column.ordinal] = pending.appendedEver
        namingEvents.append(pending.appendedEver)
    }

    /// The name of an element as the file wrote it: its local name, with its prefix when the prefix
    /// names no declared namespace. Found by libxml2's pointer to it (interned, as for
    /// `resolvedAttributes`) among the few names an export uses: a String made of each element's
    /// name was a fiftieth of the reading.
    private func elementName(_ localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, namespace: UnsafePointer<xmlChar>?) -> String {
        guard let localName else { return "" }
        if let prefix, namespace == nil {
            return XMLRecordReader.qualifiedName(localName, prefix: prefix)
        }
        let raw = UnsafeRawPointer(localName)
        for known in elementNames where known.pointer == raw { return known.name }
        let name = XMLRecordReader.string(localName) ?? ""
        if elementNames.count < XMLRecordReader.maxElementNames { elementNames.append((raw, name)) }
        return name
    }

    /// An attribute's column, or that it is ignored, with the index of its name in
    /// `resolvedAttributeNames` (nil when the list is full, or for a nameless attribute): the
    /// profile's names first (so a vendor's attribute names can be aliased), then spec §2's.
    ///
    /// The attribute after the one found last is tried first, in line: an export writes an
    /// element's attributes in the same order every time.
    @inline(__always)
    private func resolve(_ localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, of kind: ElementKind)
            -> (attribute: ResolvedAttribute, nameIndex: Int?) {
        let count = resolvedAttributes.count
        let next = nextResolvedAttribute < count ? nextResolvedAttribute : 0
        if next < count, let localName {
            let entry = resolvedAttributes[next]
            if entry.localName == UnsafeRawPointer(localName) && entry.prefix == prefix.map(UnsafeRawPointer.init) && entry.element == kind {
                nextResolvedAttribute = next + 1
                return (entry, next)
            }
        }
        return resolveSearching(localName, prefix: prefix, of: kind)
    }

    /// `resolve`, searching the attributes met so far, or resolving a name not met yet.
    private func resolveSearching(_ localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, of kind: ElementKind)
            -> (attribute: ResolvedAttribute, nameIndex: Int?) {
        guard let localName else {
            return (ResolvedAttribute(element: kind, localName: UnsafeRawPointer(bitPattern: 1)!, prefix: nil, column: nil,
                                      isIgnored: XMLRecordReader.isIgnored("", of: kind)), nil)
        }
        let raw = UnsafeRawPointer(localName)
        let rawPrefix = prefix.map(UnsafeRawPointer.init)
        let count = resolvedAttributes.count
        let found: Int? = resolvedAttributes.withUnsafeBufferPointer { entries in
            var index = nextResolvedAttribute < count ? nextResolvedAttribute : 0
            for _ in 0..<count {
                let entry = entries[index]
                if entry.localName == raw && entry.prefix == rawPrefix && entry.element == kind { return index }
                index = index + 1 == count ? 0 : index + 1
            }
            return nil
        }
        if let found {
            nextResolvedAttribute = found + 1
            return (resolvedAttributes[found], found)
        }
        let name = XMLRecordReader.qualifiedName(localName, prefix: prefix)
        // The tables are looked up by kind here, for a name not met yet: passed in for every
        // element, they were retained and released each time.
        let mapping: [String: Column]
        switch kind {
        case .batch: mapping = [:]
        case .invoice: mapping = XMLRecordReader.invoiceAttributes
        case .patient: mapping = XMLRecordReader.patientAttributes
        case .act: mapping = XMLRecordReader.actAttributes
        }
        let column = mapping.isEmpty ? nil : profile.column(forHeader: name) ?? mapping[name]
        let attribute = ResolvedAttribute(element: kind, localName: raw, prefix: rawPrefix, column: column,
                                          isIgnored: XMLRecordReader.isIgnored(name, of: kind))
        guard count < XMLRecordReader.maxResolvedAttributes else { return (attribute, nil) }
        resolvedAttributes.append(attribute)
        resolvedAttributeNames.append(name)
        nextResolvedAttribute = count + 1
        return (attribute, count)
    }

    /// An attribute of the element that carries nothing for a record: `<batch>`'s own.
    private static func isIgnored(_ name: String, of kind: ElementKind) -> Bool {
        kind == .batch && batchAttributes.contains(name)
    }

    /// The attribute's name as the file wrote it (`prefix:name` when prefixed).
    private func resolvedName(_ resolved: (attribute: ResolvedAttribute, nameIndex: Int?),
                              _ attribute: (localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, value: UnsafeBufferPointer<UInt8>)) -> String {
        if let index = resolved.nameIndex { return resolvedAttributeNames[index] }
        guard let localName = attribute.localName else { return "" }
        return XMLRecordReader.qualifiedName(localName, prefix: attribute.prefix)
    }

    /// The line of the current element's `<`. libxml2 knows the line where the start tag *ends*, so
    /// the byte scanner's account of the same start tag is used when it agrees with libxml2;
    /// otherwise libxml2's own figure.
    private func elementLine() -> Int {
        let recorded = parserLine
        // The queue reached without a reference count: the source holds it for the reader's life,
        // and taking it from the source retained and released it for every element.
        return startTags._withUnsafeGuaranteedRef { startTags in
            if let tag = startTags.popFirst() {
                if tag.endLine == recorded { return tag.startLine }
                startTags.disable()
            }
            return recorded
        }
    }

    /// Where libxml2's errors go, for the error callback.
    fileprivate var diagnosticsForCallbacks: XMLParseDiagnostics { diagnostics }

    /// Grows each time a column's name reaches the events handed out (at most once per column),
    /// and when the file is read again and its names learnt anew.
    public var columnNamesVersion: Int { namesVersionBase + namesReached }

    /// Per act, libxml2's parse and the record's making cost some three times the act's validation:
    /// the validation is better done on the audit's thread, which would otherwise wait for the
    /// reading, and here while the audit is behind (`FileAuditReader.auditIsBehind`).
    public var isCostlierThanValidation: Bool { true }

    /// The attribute as the file wrote it; for a column not seen yet, its name in spec §2.
    public func columnInFile(_ column: Column) -> String? {
        let named = namedAtEvent[column.ordinal] < pending.poppedEver ? attributeNames[column.ordinal] : nil
        let name = named ?? XMLRecordReader.specAttribute(of: column)
        return name.map { "attribut \(QuotedValue.quote($0.attribute)) de <\($0.element)>" }
    }

    static func specAttribute(of column: Column) -> (element: String, attribute: String)? {
        for (element, mapping) in [("invoice", invoiceAttributes), ("patient", patientAttributes), ("act", actAttributes)] {
            if let attribute = mapping.first(where: { $0.value == column })?.key { return (element, attribute) }
        }
        return nil
    }

    // MARK: Errors

    private func readFailure() -> UnreadableFile {
        if let refusal = source.refusal {
            return unreadable(line: refusal.line, refusal.message)
        }
        // libxml2 calls an empty file "extra content at the end of the document".
        if !sawRoot && !source.sawNonBlankByte && source.readFailure == nil {
            return unreadable(line: 0, "fichier XML vide : aucun élément <batch>")
        }
        if let failure = source.readFailure {
            return unreadable(line: 0, "lecture du fichier impossible : \(failure)")
        }
        guard let error = diagnostics.firstError else {
            return unreadable(line: parserLine, "fichier XML illisible (libxml2 n'a pas donné de raison)")
        }
        return unreadable(line: error.line, error.frenchMessage)
    }

    private func unreadable(line: Int, _ message: String) -> UnreadableFile {
        UnreadableFile(InputIssue(file: displayName, line: line, column: nil, message: message))
    }

    /// `<name>` when the name may be shown (it comes from the file), else a description of it.
    static func shown(element name: String) -> String {
        QuotedValue.isSafe(name) ? "<\(name)>" : "(élément : \(QuotedValue.describe(name)))"
    }

    /// A name as the file wrote it: `prefix:local`, or `local` without a prefix.
    private static func qualifiedName(_ localName: UnsafePointer<xmlChar>, prefix: UnsafePointer<xmlChar>?) -> String {
        let local = string(localName) ?? ""
        return prefix.map { "\(string($0) ?? ""):\(local)" } ?? local
    }

    /// libxml2 hands out UTF-8; decoding a buffer takes the standard library's fast path, which
    /// `String(cString:)` did not (a tenth of an XML run).
    private static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        pointer.map { String(decoding: UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))), as: UTF8.self) }
    }

    // MARK: Fixed mapping (spec §2)

    private static let batchAttributes: Set<String> = ["centre", "exported-at"]
    private static let invoiceAttributes: [String: Column] = [
        "id": .invoiceID, "date": .actDate, "time": .actTime, "place": .place,
        "practitioner": .practitionerID, "specialty": .practitionerSpecialty,
    ]
    private static let patientAttributes: [String: Column] = [
        "id": .patientID, "birth-date": .patientBirthDate, "sex": .patientSex, "ald": .patientALD,
        "coverage": .patientCoverage, "mt-status": .mtStatus, "mt-practitioner": .mtPractitionerID,
    ]
    private static let actAttributes: [String: Column] = [
        "code": .code, "coefficient": .coefficient, "quantity": .quantity, "modifiers": .modifiers,
        "association": .association, "amount": .amount,
    ]
}

// MARK: - Events queued

/// The events libxml2's callbacks queue during a feed, handed out in order by moving each out: a
/// copy retained a record's arrays, and emptying the queue released them again. A value the reader
/// holds and changes in place, never copied: as a class, the queue was retained and released for
/// each event queued, and so was each record's arrays around the call.
struct ReadEventQueue: ~Copyable {
    private var storage: UnsafeMutablePointer<ReadEvent>
    private var capacity: Int
    /// The events in `head..<end` are held; those before `head` were moved out.
    private var head = 0
    private var end = 0
    /// Events queued and handed out since the queue was made: an event's number is the first's
    /// value when it was queued.
    private(set) var appendedEver = 0
    private(set) var poppedEver = 0

    init() {
        capacity = 64
        storage = .allocate(capacity: capacity)
    }

    deinit {
        (storage + head).deinitialize(count: end - head)
        storage.deallocate()
    }

    var isEmpty: Bool { head == end }
    /// Events queued since the queue was last empty, handed out or not: a position for `removeLast(from:)`.
    var count: Int { end }

    /// Consumed: the event's arrays move in (a borrowed event was copied, its arrays retained, and
    /// the caller's released).
    mutating func append(_ event: consuming ReadEvent) {
        if end == capacity {
            let grown = UnsafeMutablePointer<ReadEvent>.allocate(capacity: capacity * 2)
            (grown + head).moveInitialize(from: storage + head, count: end - head)
            storage.deallocate()
            storage = grown
            capacity *= 2
        }
        (storage + end).initialize(to: event)
        end += 1
        appendedEver += 1
    }

    /// The oldest event held; the queue must not be empty.
    mutating func popFirst() -> ReadEvent {
        precondition(head < end, "file d'événements vide")
        let event = (storage + head).move()
        head += 1
        poppedEver += 1
        if head == end {
            head = 0
            end = 0
        }
        return event
    }

    /// Drops the events queued from `position` (a `count` read earlier) on.
    mutating func removeLast(from position: Int) {
        let first = max(position, head)
        guard first < end else { return }
        (storage + first).deinitialize(count: end - first)
        end = first
        if head == end {
            head = 0
            end = 0
        }
    }
}

// MARK: - Values by column

/// An element's attribute values by column, as the reader gathers them for a record: a value that
/// is ASCII and printable at both ends (nearly all) is kept as bytes, with its start and end in them
/// by `2 × Column.ordinal` (start -1: not held so), which the validator parses without making a
/// String; an empty value (`coverage=""`, common) as the start `RawRecord.givenEmpty`; any other
/// (spaces at an end, accented) as its text, untrimmed, the record trimming it as a CSV value would
/// be. Plain bytes and integers: an act's copy of its invoice's values, and its release, cost no
/// reference counting per value.
struct XMLValueSlots {
    /// The values' bytes are `bytes[0..<byteCount]`; the array runs on past them, so that a value is
    /// copied into room already there. Appended to instead, each value cost the array's append (its
    /// checks and a call to `memcpy`), and the checks for ASCII and `&` each a pass of their own:
    /// together a tenth of the XML reading thread. A record holds the whole array; its spans say
    /// where its values are.
    var bytes: [UInt8]
    var byteCount = 0
    var spans: [Int]
    /// Empty until a value is not held as bytes; then one slot per column.
    var texts: [String?] = []

    /// Enough for an act with its invoice's and patient's values (some 150 bytes).
    static let initialRoom = 256

    init() {
        bytes = [UInt8](repeating: 0, count: XMLValueSlots.initialRoom)
        spans = [Int](repeating: -1, count: 2 * Column.count)
    }

    /// Values in arrays already made (the `bytes` and `spans` of an earlier record), as they hold
    /// them: `copy(_:into:)` sets them. (The arrays are not given as default values of the
    /// properties: those would be made, then dropped here, for every act.)
    init(bytes: [UInt8], spans: [Int]) {
        self.bytes = bytes
        self.spans = spans
    }

    /// Back to nothing set, as `XMLValueSlots()`, in the same arrays when nothing else holds them.
    mutating func clear() {
        byteCount = 0
        spans.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        if !texts.isEmpty { texts = [] }
    }

    /// At least `count` bytes of room past `byteCount`.
    mutating func makeRoom(for count: Int) {
        let needed = byteCount + count
        guard bytes.count < needed else { return }
        bytes.append(contentsOf: repeatElement(0, count: max(needed, 2 * bytes.count) - bytes.count))
    }

    /// `target` with the same values as `source`, in its own arrays. Both `inout`: a read-only
    /// borrow of the reader's values was retained around the copy, mutable access is exclusive.
    static func copy(_ source: inout XMLValueSlots, into target: inout XMLValueSlots) {
        let count = source.byteCount
        target.byteCount = 0
        target.makeRoom(for: count)
        if count > 0 {
            target.bytes.withUnsafeMutableBufferPointer { bytes in
                source.bytes.withUnsafeMutableBufferPointer { bytes.baseAddress!.update(from: $0.baseAddress!, count: count) }
            }
        }
        target.byteCount = count
        if target.spans.count == source.spans.count {
            target.spans.withUnsafeMutableBufferPointer { spans in
                source.spans.withUnsafeMutableBufferPointer { spans.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
        } else {
            target.spans = source.spans
        }
        if !(source.texts.isEmpty && target.texts.isEmpty) { target.texts = source.texts }
    }

    /// Sets the column's value in arrays held through pointers (`XMLRecordReader.readAttributes`),
    /// the room for it made: copied in and checked for ASCII and `&` in one pass. libxml2 leaves `&`
    /// as `&#38;`, decoded here in place (shorter). A value ASCII and printable at both ends is
    /// held as bytes; an empty one as `RawRecord.givenEmpty`; any other as its text.
    @inline(__always)
    static func place(_ value: UnsafeBufferPointer<UInt8>, at ordinal: Int, bytes: UnsafeMutablePointer<UInt8>, byteCount: inout Int,
                      spans: UnsafeMutablePointer<Int>, texts: inout [String?]) {
        guard let source = value.baseAddress, value.count > 0 else {
            spans[2 &* ordinal] = RawRecord.givenEmpty
            if !texts.isEmpty { texts[ordinal] = nil }
            return
        }
        let count = value.count
        let start = byteCount
        let target = bytes + start
        // Or-ed together: a byte's high bit says the value is not ASCII; an `&`, a reference.
        var allBytes: UInt8 = 0
        var ampersands: UInt8 = 0
        for offset in 0..<count {
            let byte = source[offset]
            target[offset] = byte
            allBytes |= byte
            ampersands |= byte == UInt8(ascii: "&") ? 1 : 0
        }
        let length = ampersands == 0 ? count : decodeAmpersands(target, count: count)
        let placed = UnsafeBufferPointer(start: target, count: length)
        if allBytes < 0x80 && ASCIIText.hasPrintableEnds(placed) {
            byteCount = start + length
            spans[2 &* ordinal] = start
            spans[2 &* ordinal &+ 1] = byteCount
            if !texts.isEmpty { texts[ordinal] = nil }
        } else {
            if texts.isEmpty { texts = [String?](repeating: nil, count: Column.count) }
            texts[ordinal] = String(decoding: placed, as: UTF8.self)
            spans[2 &* ordinal] = -1
            spans[2 &* ordinal &+ 1] = -1
        }
    }

    /// `bytes[0..<count]` with each `&#38;` made `&` again, in place; the new count.
    static func decodeAmpersands(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let reference: [UInt8] = Array("&#38;".utf8)
        var read = 0
        var written = 0
        while read < count {
            if bytes[read] == UInt8(ascii: "&") && count - read >= reference.count
                && (0..<reference.count).allSatisfy({ bytes[read + $0] == reference[$0] }) {
                bytes[written] = UInt8(ascii: "&")
                read += reference.count
            } else {
                bytes[written] = bytes[read]
                read += 1
            }
            written += 1
        }
        return written
    }
}

// MARK: - libxml2 error collection

/// One libxml2 error, copied out of libxml2's struct while it is valid.
struct XMLParseError {
    var code: Int32
    var line: Int

    /// The French account of the error for staff (spec §1.2). libxml2's own words are never copied:
    /// they quote the text around the error, which may be a NIR or a birth date.
    var frenchMessage: String {
        let detail = "(code libxml2 \(code))"
        switch Int(code) {
        case Int(XML_ERR_UNDECLARED_ENTITY.rawValue), Int(XML_WAR_UNDECLARED_ENTITY.rawValue),
             Int(XML_ERR_ENTITY_LOOP.rawValue), Int(XML_ERR_ENTITY_IS_EXTERNAL.rawValue),
             Int(XML_ERR_EXT_ENTITY_STANDALONE.rawValue), Int(XML_ERR_ENTITY_PE_INTERNAL.rawValue):
            return "ligne \(line) : \(XMLRecordReader.entityRefusal) \(detail)"
        case Int(XML_ERR_INVALID_CHAR.rawValue), Int(XML_ERR_INVALID_ENCODING.rawValue),
             Int(XML_ERR_UNKNOWN_ENCODING.rawValue), Int(XML_ERR_UNSUPPORTED_ENCODING.rawValue):
            return "encodage du fichier XML illisible à la ligne \(line) : les octets ne correspondent pas à l'encodage déclaré dans <?xml … encoding=\"…\"?> (UTF-8, ISO-8859-1 ou Windows-1252 attendus) \(detail)"
        case Int(XML_ERR_DOCUMENT_EMPTY.rawValue):
            return "fichier XML vide : aucun élément <batch> \(detail)"
        default:
            return "fichier XML tronqué ou mal formé à la ligne \(line) : \(XMLParseError.explanation(code)) \(detail)"
        }
    }

    private static func explanation(_ code: Int32) -> String {
        switch Int(code) {
        case Int(XML_ERR_GT_REQUIRED.rawValue), Int(XML_ERR_TAG_NOT_FINISHED.rawValue),
             Int(XML_ERR_LTSLASH_REQUIRED.rawValue), Int(XML_ERR_ATTRIBUTE_NOT_FINISHED.rawValue):
            return "un élément n'est pas terminé (fichier coupé pendant l'export ou la copie ?)"
        case Int(XML_ERR_TAG_NAME_MISMATCH.rawValue):
            return "la balise fermante ne correspond pas à la balise ouverte"
        case Int(XML_ERR_ATTRIBUTE_WITHOUT_VALUE.rawValue):
            return "un attribut n'a pas de valeur entre guillemets"
        case Int(XML_ERR_ATTRIBUTE_REDEFINED.rawValue):
            return "un attribut apparaît deux fois dans le même élément"
        case Int(XML_ERR_LT_IN_ATTRIBUTE.rawValue):
            return "un « < » apparaît dans la valeur d'un attribut (à écrire &lt;)"
        case Int(XML_ERR_DOCUMENT_END.rawValue):
            return "du contenu suit la fin de l'élément <batch>"
        default:
            return "syntaxe XML invalide"
        }
    }
}

/// Collects what libxml2 reports instead of letting it print to standard error.
final class XMLParseDiagnostics {
    private(set) var firstError: XMLParseError?

    func record(_ error: xmlError) {
        // Warnings (XML_ERR_WARNING) do not stop the reading; the first error is the cause, later ones follow from it.
        guard error.level.rawValue >= XML_ERR_ERROR.rawValue, firstError == nil else { return }
        firstError = XMLParseError(code: error.code, line: Int(error.line))
    }

    /// Runs `body` with this collector as the thread's libxml2 error handler, for the errors raised
    /// outside the reader's parser context (I/O, encoding set-up), then restores the previous one.
    func silencingLibxml2<T>(_ body: () throws -> T) rethrows -> T {
        let previousHandler = __xmlStructuredError().pointee
        let previousContext = __xmlStructuredErrorContext().pointee
        xmlSetStructuredErrorFunc(Unmanaged.passUnretained(self).toOpaque(), xmlDiagnosticsCollector)
        defer { xmlSetStructuredErrorFunc(previousContext, previousHandler) }
        return try body()
    }
}

private let xmlDiagnosticsCollector: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    Unmanaged<XMLParseDiagnostics>.fromOpaque(context).takeUnretainedValue().record(error.pointee)
}

// MARK: - SAX2 callbacks (their context is the reader)

private let xmlParseErrorCallback: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    Unmanaged<XMLRecordReader>.fromOpaque(context).takeUnretainedValue().diagnosticsForCallbacks.record(error.pointee)
}

// The reader outlives its parser, which calls these for every element: reached without a
// reference count (`_withUnsafeGuaranteedRef`), where taking it retained and released the reader
// each time, a twentieth of the reading thread.
private let xmlStartElementCallback: startElementNsSAX2Func = { context, localName, prefix, namespace, _, _, attributeCount, _, attributes in
    guard let context else { return }
    Unmanaged<XMLRecordReader>.fromOpaque(context)._withUnsafeGuaranteedRef {
        $0.startElement(localName: localName, prefix: prefix, namespace: namespace, attributes: attributes, attributeCount: Int(attributeCount))
    }
}

private let xmlEndElementCallback: endElementNsSAX2Func = { context, _, _, _ in
    guard let context else { return }
    Unmanaged<XMLRecordReader>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.endElement() }
}

private let xmlDocumentTypeCallback: internalSubsetSAXFunc = { context, _, _, _ in
    guard let context else { return }
    Unmanaged<XMLRecordReader>.fromOpaque(context).takeUnretainedValue().documentType()
}

/// An element's attributes as SAX2 hands them over: five pointers each (local name, prefix,
/// namespace, start and end of the value, which is not nil-terminated), valid during the callback.
/// Values come with their references decoded, but for `&`: without entity substitution (never
/// asked for), libxml2 writes it `&#38;` for its tree builder to decode.
struct XMLAttributeList {
    let pointers: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    let count: Int

    /// The values' bytes, all together.
    var valuesLength: Int {
        guard let pointers else { return 0 }
        var length = 0
        for index in 0..<count {
            if let start = pointers[5 &* index &+ 3], let end = pointers[5 &* index &+ 4] { length += max(start.distance(to: end), 0) }
        }
        return length
    }

    subscript(index: Int) -> (localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?, value: UnsafeBufferPointer<UInt8>) {
        guard let pointers else { return (nil, nil, UnsafeBufferPointer(start: nil, count: 0)) }
        let base = 5 &* index
        let start = pointers[base &+ 3]
        let end = pointers[base &+ 4]
        let length = start.flatMap { start in end.map { start.distance(to: $0) } } ?? 0
        return (pointers[base], pointers[base &+ 1], UnsafeBufferPointer(start: length > 0 ? start : nil, count: max(length, 0)))
    }
}

// MARK: - Byte source

/// The file's bytes, handed to libxml2 in pieces that end at a `>` (one tag, or with `handsManyTags`
/// all those of the bytes read), and scanned on the way:
/// - a piece of one tag yields at most the element whose start tag may break the parse, dropped
///   then (libxml2 calls back before it checks the `>`); see `XMLRecordReader.feed` for many tags;
/// - the scanner notes the line on which each start tag opens (libxml2 only knows where it ends);
/// - `<!DOCTYPE`, `<!ENTITY` or any other declaration ends the input before libxml2 sees it.
/// The scan works on the bytes, valid for the ASCII-compatible encodings of spec §2.
final class XMLByteSource {
    // Used by one reader on one thread: no run-time exclusivity checks (see `XMLRecordReader.pending`).
    private var descriptor: Int32
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var atEnd = false
    /// Where and why the input was cut before libxml2 saw the rest (a declaration, a hostile tag).
    fileprivate(set) var refusal: (line: Int, message: String)?
    fileprivate(set) var readFailure: String?
    fileprivate(set) var sawNonBlankByte = false
    let startTags = StartTagQueue()
    @exclusivity(unchecked) private var scanner = StartTagScanner()

    init(url: URL, displayName: String) throws {
        descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw UnreadableFile(InputIssue(file: displayName, line: 0, column: nil,
                                            message: "impossible d'ouvrir le fichier XML : \(reason)"))
        }
        buffer = .allocate(capacity: 64 * 1024)
    }

    deinit {
        closeFile()
        buffer.deallocate()
    }

    func closeFile() {
        if descriptor >= 0 { _ = close(descriptor) }
        descriptor = -1
    }

    /// Set by the reader: pieces then run up to the *last* `>` of the bytes read (many tags at once)
    /// instead of the next one. Each call into libxml2 has a cost of its own: tag by tag, a file's
    /// parse took 0.65 s of libxml2's time where 64 KB at a time took 0.40 s.
    @exclusivity(unchecked) var handsManyTags = false
    /// The last piece held more than one `>`, so more than one of the pieces that `handsManyTags`
    /// off would have handed over (the reader then reads the file again that way to fail exactly
    /// as it would have; see `XMLRecordReader.feed`).
    @exclusivity(unchecked) private(set) var lastPieceHeldSeveralTags = false
    /// A refusal found in a piece whose bytes before it are handed over first: it takes effect at
    /// the next call, where a piece at a time would have met it.
    private var refusalAfterPiece: (line: Int, message: String)?

    /// The next bytes of the file, up to and including the next `>` (valid until the next call), or
    /// the last `>` of the bytes read with `handsManyTags`; nil at the end of the input: the file's
    /// end, a refused declaration (`refusal`) or a read failure (`readFailure`).
    func nextPiece() -> UnsafeBufferPointer<UInt8>? {
        if let refused = refusalAfterPiece {
            refusal = refused
            refusalAfterPiece = nil
            atEnd = true
        }
        if atEnd { return nil }
        if start == end {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                readFailure = String(cString: strerror(errno))
                atEnd = true
                return nil
            }
            if count == 0 {
                atEnd = true
                return nil
            }
            start = 0
            end = count
        }
        let base = buffer.baseAddress! + start
        let available = end - start
        let greaterThan = Int32(UInt8(ascii: ">"))
        let firstEnd = memchr(base, greaterThan, available).map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) + 1 }
        var length = firstEnd ?? available
        lastPieceHeldSeveralTags = false
        if handsManyTags, firstEnd != nil, let last = XMLByteSource.lastGreaterThan(base, before: available) {
            length = last + 1
            lastPieceHeldSeveralTags = length != firstEnd
        }
        var piece = UnsafeBufferPointer(start: base, count: length)
        if let refused = scanner.scan(piece, into: startTags) {
            // Nothing of the refused markup reaches libxml2: the input simply ends where the piece
            // holding it would have started, after the last `>` before it.
            let cut = XMLByteSource.lastGreaterThan(base, before: refused.at).map { $0 + 1 } ?? 0
            guard cut > 0 else {
                refusal = (refused.line, refused.message)
                atEnd = true
                return nil
            }
            refusalAfterPiece = (refused.line, refused.message)
            piece = UnsafeBufferPointer(start: base, count: cut)
            lastPieceHeldSeveralTags = memchr(base, greaterThan, cut - 1) != nil
            length = cut
        }
        if !sawNonBlankByte {
            sawNonBlankByte = piece.contains { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        }
        start += length
        return piece
    }

    /// The index of the last `>` in the first `count` bytes from `base` (`memrchr` is not in every C
    /// library); a piece's last tag ends a few hundred bytes from its end.
    private static func lastGreaterThan(_ base: UnsafeMutablePointer<UInt8>, before count: Int) -> Int? {
        var index = count - 1
        while index >= 0 {
            if base[index] == UInt8(ascii: ">") { return index }
            index -= 1
        }
        return nil
    }
}

/// Where a start tag opens (`<`) and ends (`>`), 1-based lines.
struct StartTagLines: Equatable {
    var startLine: Int
    var endLine: Int
}

/// Start tags seen by the scanner and not yet reached by the reader, in document order. The
/// scanner runs at most a few pieces ahead of the reader, so the queue stays short.
final class StartTagQueue {
    // Used by one reader on one thread: no run-time exclusivity checks (see `XMLRecordReader.pending`).
    @exclusivity(unchecked) private var tags: [StartTagLines] = []
    @exclusivity(unchecked) private var head = 0
    @exclusivity(unchecked) private var enabled = true

    func append(_ tag: StartTagLines) {
        if enabled { tags.append(tag) }
    }

    func popFirst() -> StartTagLines? {
        guard enabled, head < tags.count else { return nil }
        let tag = tags[head]
        head += 1
        if head >= 1024 && head * 2 >= tags.count {
            tags.removeFirst(head)
            head = 0
        }
        return tag
    }

    /// After a disagreement with libxml2 the pairing is no longer trusted for the rest of the file.
    func disable() {
        enabled = false
        tags.removeAll()
        head = 0
    }
}

/// A byte-level account of XML markup: enough to find start tags (skipping quoted attribute
/// values, comments, CDATA sections and processing instructions) and declarations. libxml2 does
/// the real parsing; this only has to agree with it on well-formed input.
struct StartTagScanner {
    private enum State {
        case content
        case afterLessThan
        case startTag
        case quotedValue(UInt8)
        case endTag
        case afterBang
        case comment
        case cdata
        case processingInstruction
    }

    /// No element of the contract has more than a dozen attributes; libxml2 checks an element's
    /// attributes for duplicates in quadratic time, so a tag with 100 000 of them would stall the run.
    static let maxAttributes = 256
    static let tooManyAttributes = "élément de plus de \(maxAttributes) attributs : ce n'est pas un export de facturation, la lecture s'arrête là"

    private var state = State.content
    private var attributes = 0
    private var line = 1
    private var tagStartLine = 1
    /// The two bytes before the current one, to see `-->`, `]]>` and `?>`.
    private var previous: (UInt8, UInt8) = (0, 0)

    /// A byte that may start an element's name after `<` (as far as this scan needs to know).
    @inline(__always)
    static func startsName(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "_"), UInt8(ascii: ":"), 0x80...0xFF:
            return true
        default:
            return false
        }
    }

    /// The index of the first `stop` in `bytes` from `index` on (`bytes.count` when none), counting
    /// the line breaks passed.
    private mutating func skip(to stop: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        while index < bytes.count {
            index = RepeatedByte.firstIndex(in: bytes, from: index, to: bytes.count, RepeatedByte(stop), .lineFeed)
            guard index < bytes.count, bytes[index] != stop else { return index }
            line += 1
            index += 1
        }
        return index
    }

    /// Scans `bytes`, queueing each complete start tag. Returns the line, the reason and the index of
    /// the byte at which the input must stop: a `<!` declaration (DOCTYPE, ENTITY…), or a start tag
    /// with too many attributes.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, into queue: StartTagQueue) -> (line: Int, message: String, at: Int)? {
        var index = 0
        while index < bytes.count {
            // Runs of bytes that cannot change the state (text, a tag's name and spaces, a quoted
            // value) are skipped in a tight loop, counting lines: through the state machine every
            // byte cost some twenty instructions, a twentieth of an XML run.
            let runStart = index
            switch state {
            case .content:
                index = skip(to: UInt8(ascii: "<"), in: bytes, from: index)
                // A start or an end tag (nearly every `<`): straight into its state, as the machine
                // below would have gone byte by byte for the `<` and the byte after it.
                if index &+ 1 < bytes.count {
                    let next = bytes[index &+ 1]
                    if StartTagScanner.startsName(next) {
                        tagStartLine = line
                        attributes = 0
                        state = .startTag
                    } else if next == UInt8(ascii: "/") {
                        state = .endTag
                    } else {
                        break
                    }
                    previous = (UInt8(ascii: "<"), next)
                    index &+= 2
                    continue
                }
            case .endTag:
                index = skip(to: UInt8(ascii: ">"), in: bytes, from: index)
            case .startTag:
                // A quoted value is taken here too, up to its closing quote when this piece holds it.
                while index < bytes.count {
                    // Straight to the next byte that matters here: `>`, a quote or a line break.
                    index = RepeatedByte.firstIndex(in: bytes, from: index, to: bytes.count, .greaterThan, .doubleQuote, .singleQuote, .lineFeed)
                    guard index < bytes.count else { break }
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ">") { break }
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        let close = skip(to: byte, in: bytes, from: index + 1)
                        if close == bytes.count { break }  // the value goes on in the next piece: the state machine
                        attributes += 1
                        if attributes > StartTagScanner.maxAttributes {
                            return (tagStartLine, StartTagScanner.tooManyAttributes, index)
                        }
                        index = close + 1
                        continue
                    }
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                // The tag's end, taken here as the machine below would have taken it.
                if index < bytes.count && bytes[index] == UInt8(ascii: ">") {
                    queue.append(StartTagLines(startLine: tagStartLine, endLine: line))
                    state = .content
                    index &+= 1
                    previous = index - runStart >= 2 ? (bytes[index - 2], bytes[index - 1]) : (previous.1, bytes[index - 1])
                    continue
                }
            case .quotedValue(let quote):
                index = skip(to: quote, in: bytes, from: index)
            default:
                break
            }
            if index > runStart {
                // The two bytes before the next one, as the state machine would have kept them.
                previous = index - runStart >= 2 ? (bytes[index - 2], bytes[index - 1]) : (previous.1, bytes[index - 1])
                if index == bytes.count { break }
            }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\n") { line += 1 }
            switch state {
            case .content:
                if byte == UInt8(ascii: "<") {
                    tagStartLine = line
                    state = .afterLessThan
                }
            case .afterLessThan:
                switch byte {
                case UInt8(ascii: "/"): state = .endTag
                case UInt8(ascii: "!"): state = .afterBang
                case UInt8(ascii: "?"): state = .processingInstruction
                case _ where StartTagScanner.startsName(byte):
                    state = .startTag
                    attributes = 0
                default:
                    state = .content  // Not markup libxml2 accepts; it will report the error.
                }
            case .startTag:
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    state = .quotedValue(byte)
                    attributes += 1
                    if attributes > StartTagScanner.maxAttributes { return (tagStartLine, StartTagScanner.tooManyAttributes, index - 1) }
                } else if byte == UInt8(ascii: ">") {
                    queue.append(StartTagLines(startLine: tagStartLine, endLine: line))
                    state = .content
                }
            case .quotedValue(let quote):
                if byte == quote { state = .startTag }
            case .endTag:
                if byte == UInt8(ascii: ">") { state = .content }
            case .afterBang:
                switch byte {
                case UInt8(ascii: "-"): state = .comment
                case UInt8(ascii: "["): state = .cdata
                default: return (tagStartLine, XMLRecordReader.entityRefusal, index - 1)
                }
                previous = (0, 0)
                continue
            case .comment:
                if byte == UInt8(ascii: ">") && previous == (UInt8(ascii: "-"), UInt8(ascii: "-")) { state = .content }
            case .cdata:
                if byte == UInt8(ascii: ">") && previous == (UInt8(ascii: "]"), UInt8(ascii: "]")) { state = .content }
            case .processingInstruction:
                if byte == UInt8(ascii: ">") && previous.1 == UInt8(ascii: "?") { state = .content }
            }
            previous = (previous.1, byte)
        }
        return nil
    }
}
