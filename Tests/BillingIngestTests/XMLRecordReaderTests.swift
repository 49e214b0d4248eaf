import BillingModel
import Foundation
import XCTest
@testable import BillingIngest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class XMLRecordReaderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-xml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Helpers

    private func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let file = folder.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    private func write(_ name: String, _ text: String) throws -> URL {
        try write(name, bytes: Array(text.utf8))
    }

    /// Everything the reader hands over, and the error that ended it, if any.
    private struct Outcome {
        var records: [RawRecord] = []
        /// How the reader named the columns when it handed each record over.
        var columnNamesAtRecords: [[String?]] = []
        var rejected: [InputIssue] = []
        var warnings: [InputIssue] = []
        var failure: UnreadableFile?

        /// Every text the reader produced, to look for content that must never leak.
        var allText: String {
            var texts = records.flatMap { $0.fields.values } + (rejected + warnings).map(\.message)
            if let failure { texts.append(failure.issue.message) }
            return texts.joined(separator: "\n")
        }
    }

    private func read(_ url: URL, profile: MappingProfile = .standard, readsManyTags: Bool = true) throws -> Outcome {
        let reader = try XMLRecordReader(url: url, displayName: url.lastPathComponent, profile: profile, readsManyTags: readsManyTags)
        var outcome = Outcome()
        do {
            while let event = try reader.next() {
                switch event {
                case .record(let record):
                    outcome.records.append(record)
                    outcome.columnNamesAtRecords.append(reader.columnNamesInFile())
                case .rejected(let issue): outcome.rejected.append(issue)
                case .warning(let issue): outcome.warnings.append(issue)
                }
            }
        } catch let error as UnreadableFile {
            outcome.failure = error
        }
        return outcome
    }

    private func read(_ text: String, name: String = "export.xml") throws -> Outcome {
        try read(write(name, text))
    }

    /// libxml2 fed many tags at a time reads what it reads fed one tag at a time (as it was before),
    /// also where a file breaks: the acts handed over, those dropped, the line and the words of the
    /// failure. A break inside a piece of many tags makes the reader read the file again tag by
    /// tag, skipping what it already handed over; a break in a piece of one tag does not.
    func testManyTagsAtOnceReadsAsOneTagAtATime() throws {
        // A column first named half-way (`nombre`, the quantity): the acts before it do not name it.
        var profile = MappingProfile(name: "logiciel-x")
        profile.headers[MappingProfile.normalizeHeader("nombre")] = .quantity
        var invoices = ""
        for number in 0..<700 {
            invoices += """
              <invoice id="F\(number)" date="2025-03-04" practitioner="10003637762" specialty="01">
                <patient id="1850775123456" birth-date="1985-07-01" sex="F"/>
                <act code="G" amount="30.00"/>
                <act code="MEG"
                     amount="5.00" coefficient="1"\(number == 350 ? " nombre=\"1\"" : "")/>
              </invoice>

            """
        }
        let whole = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch>\n" + invoices + "</batch>\n"
        let middle = whole.index(whole.startIndex, offsetBy: whole.utf8.count / 2)
        let actInMiddle = whole.range(of: "<act code=\"G\"", range: middle..<whole.endIndex)!
        func breaking(_ replacement: String) -> String { whole.replacingCharacters(in: actInMiddle, with: replacement) }
        var documents: [(String, String)] = [
            ("entier", whole),
            ("guillemet non fermé", breaking("<act code=\"G amount=\"1\"/><act code=\"G\"")),
            ("balise fermante fausse", breaking("</invoice></act><act code=\"G\"")),
            ("attribut répété", breaking("<act code=\"C\" code=\"G\"")),
            ("chevron dans une valeur", breaking("<act code=\"<G\"")),
            ("DOCTYPE au milieu", breaking("<!DOCTYPE x><act code=\"G\"")),
            ("entité inconnue", breaking("<act code=\"&bombe;\"")),
            ("trop d'attributs", breaking("<act " + (0...StartTagScanner.maxAttributes).map { "a\($0)=\"1\"" }.joined(separator: " ") + "/><act code=\"G\"")),
            ("contenu après la racine", whole + "<batch/>"),
        ]
        // Cut at many places, inside a tag, a value or between elements.
        let bytes = Array(whole.utf8)
        for cut in stride(from: bytes.count / 3, to: bytes.count - 20, by: bytes.count / 9) {
            documents.append(("coupé à \(cut)", String(decoding: bytes[..<cut], as: UTF8.self)))
        }
        XCTAssertGreaterThan(whole.utf8.count, 2 * 64 * 1024, "longer than two of the reader's buffers")
        for (label, text) in documents {
            let url = try write("document.xml", text)
            let manyTags = try read(url, profile: profile)
            let oneTag = try read(url, profile: profile, readsManyTags: false)
            XCTAssertEqual(manyTags.records.map(\.fields), oneTag.records.map(\.fields), label)
            XCTAssertEqual(manyTags.records.map(\.location), oneTag.records.map(\.location), label)
            XCTAssertEqual(manyTags.columnNamesAtRecords, oneTag.columnNamesAtRecords, label)
            XCTAssertEqual(manyTags.rejected, oneTag.rejected, label)
            XCTAssertEqual(manyTags.warnings, oneTag.warnings, label)
            XCTAssertEqual(manyTags.failure?.issue, oneTag.failure?.issue, label)
            if label == "entier" {
                XCTAssertEqual(manyTags.records.count, 1_400)
                XCTAssertNil(manyTags.failure)
                XCTAssertEqual(Set(manyTags.columnNamesAtRecords.map { $0[Column.quantity.ordinal] }).count, 2)
            } else {
                XCTAssertNotNil(manyTags.failure, label)
                XCTAssertGreaterThan(manyTags.records.count, 300, "the acts before the break are kept: \(label)")
            }
        }
        // Read again only for a break inside a piece of many tags, not for a file cut short.
        func wasReadAgain(_ text: String) throws -> Bool {
            let reader = try XMLRecordReader(url: write("again.xml", text), displayName: "again.xml", profile: .standard)
            do { while try reader.next() != nil {} } catch is UnreadableFile {}
            return reader.wasReadAgain
        }
        XCTAssertTrue(try wasReadAgain(breaking("<act code=\"G amount=\"1\"/><act code=\"G\"")))
        XCTAssertFalse(try wasReadAgain(String(decoding: bytes[..<(bytes.count - 20)], as: UTF8.self)))
        XCTAssertFalse(try wasReadAgain(whole))
        // An element with a prefix no namespace declares is an unknown element, not a break.
        let prefixed = try write("document.xml", breaking("<x:act code=\"G\"/><act code=\"G\""))
        let manyTags = try read(prefixed, profile: profile)
        XCTAssertEqual(manyTags.records.map(\.fields), try read(prefixed, profile: profile, readsManyTags: false).records.map(\.fields))
        XCTAssertEqual(manyTags.records.count, 1_400)
        XCTAssertNil(manyTags.failure)
        XCTAssertEqual(manyTags.warnings.count, 1)
    }

    /// Acts read into arrays given back by earlier records (`RecordStoragePool`), whatever those held,
    /// are the same records as acts read into new arrays.
    func testActsReadIntoGivenBackArraysAreTheSameRecords() throws {
        let text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <batch>
          <invoice id="F1" date="2025-03-04" practitioner_id="10003637762" specialty="01" place="cabinet">
            <patient id="1850775123456" birth_date="1985-07-01" sex="F" ald="0" mt_status="centre"/>
            <act code="G" amount="30.00"/>
            <act code="MEG" amount="5,00" coefficient="1"/>
          </invoice>
          <invoice id="F2" date="2025-03-05" practitioner_id="10003637762" specialty="01">
            <patient id="2850775123456" birth_date="2019-01-02" coverage="c2s"/>
            <act code="TCG" amount="25" modifiers="  É "/>
          </invoice>
        </batch>
        """
        let url = try write("recycled.xml", text)
        let pool = RecordStoragePool.shared
        var drained: [RecordStoragePool.Storage] = []
        pool.take(into: &drained, upTo: RecordStoragePool.capacity)
        let fresh = try read(url)
        // Arrays full of other bytes and spans, some of another size, as earlier records left them.
        var given: [RecordStoragePool.Storage] = [
            (Array(repeating: 0x7A, count: 500), Array(repeating: 7, count: 2 * Column.count)),
            (Array("autre;valeur".utf8), Array(repeating: -1, count: 2 * Column.count)),
            ([], Array(repeating: 3, count: 5)),
            (Array(repeating: 0x41, count: 3), Array(0..<(2 * Column.count))),
        ]
        pool.giveBack(&given)
        XCTAssertTrue(given.isEmpty, "what is given back is moved out")
        let recycled = try read(url)
        XCTAssertEqual(recycled.records.count, 3)
        XCTAssertEqual(recycled.records.map(\.fields), fresh.records.map(\.fields))
        XCTAssertEqual(recycled.records.map(\.location), fresh.records.map(\.location))
        XCTAssertEqual(pool.count, 0, "every pair given back was taken for an act or dropped for its size")
        // Arrays grown by long values are not kept.
        var grown: [RecordStoragePool.Storage] = [(Array(repeating: 0x41, count: 100_000), Array(repeating: -1, count: 2 * Column.count))]
        pool.giveBack(&grown)
        XCTAssertEqual(pool.count, 0, "a byte array of 100 000 bytes is not kept")
        // The pool keeps at most its capacity.
        var many = [RecordStoragePool.Storage](repeating: ([], Array(repeating: 0, count: 2 * Column.count)),
                                               count: RecordStoragePool.capacity + 10)
        pool.giveBack(&many)
        XCTAssertEqual(pool.count, RecordStoragePool.capacity)
        pool.take(into: &drained, upTo: RecordStoragePool.capacity)
        XCTAssertEqual(pool.count, 0)
    }

    /// Encodes text whose characters are all in Latin-1, plus the Windows-1252 extras used below.
    private func singleByte(_ text: String, windows1252: Bool) -> [UInt8] {
        let extras: [Unicode.Scalar: UInt8] = windows1252 ? ["€": 0x80, "œ": 0x9C, "Œ": 0x8C, "’": 0x92] : [:]
        return text.unicodeScalars.map { scalar in
            if let byte = extras[scalar] { return byte }
            precondition(scalar.value < 0x100, "hors Latin-1 : \(scalar)")
            return UInt8(scalar.value)
        }
    }

    private static let specExample = """
    <?xml version="1.0" encoding="UTF-8"?>
    <batch centre="750000001" exported-at="2025-11-01T02:00:00">
      <invoice id="F2025-000001" date="2025-10-02" time="09:30" place="cabinet"
               practitioner="10000000001" specialty="01">
        <patient id="1850775123456" birth-date="2021-03-04" sex="F" ald="false"
                 mt-status="centre" mt-practitioner="10000000001"/>
        <act code="G" amount="30.00"/>
        <act code="MEG" amount="5.00"/>
        <act code="DEQP003" coefficient="1" quantity="1" modifiers="" association="" amount="14.52"/>
      </invoice>
    </batch>

    """

    // MARK: Mapping

    func testSpecExampleYieldsThreeRecordsWithInvoicePatientAndActFields() throws {
        let outcome = try read(Self.specExample)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.warnings.map(\.message), [])
        XCTAssertEqual(outcome.rejected.map(\.message), [])
        XCTAssertEqual(outcome.records.map(\.location), [7, 8, 9].map { SourceLocation(file: "export.xml", line: $0) })
        XCTAssertEqual(outcome.records.map { $0[.code] }, ["G", "MEG", "DEQP003"])
        XCTAssertEqual(outcome.records.map { $0[.amount] }, ["30.00", "5.00", "14.52"])

        let first = outcome.records[0]
        XCTAssertEqual(first[.invoiceID], "F2025-000001")
        XCTAssertEqual(first[.actDate], "2025-10-02")
        XCTAssertEqual(first[.actTime], "09:30")
        XCTAssertEqual(first[.place], "cabinet")
        XCTAssertEqual(first[.practitionerID], "10000000001")
        XCTAssertEqual(first[.practitionerSpecialty], "01")
        XCTAssertEqual(first[.patientID], "1850775123456")
        XCTAssertEqual(first[.patientBirthDate], "2021-03-04")
        XCTAssertEqual(first[.patientSex], "F")
        XCTAssertEqual(first[.patientALD], "false")
        XCTAssertEqual(first[.mtStatus], "centre")
        XCTAssertEqual(first[.mtPractitionerID], "10000000001")
        XCTAssertNil(first[.coefficient])

        let third = outcome.records[2]
        XCTAssertEqual(third[.coefficient], "1")
        XCTAssertEqual(third[.quantity], "1")
        XCTAssertEqual(third.fields[.modifiers], "")
        XCTAssertEqual(third[.patientID], "1850775123456")
    }

    func testMultiLineActsAreLocatedAtTheLineOfTheirOpeningTag() throws {
        let outcome = try read("""
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- un commentaire qui contient <act code="X"/> ne compte pas -->
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <patient id="1850775123456" birth-date="2021-03-04"/>
            <act
                code="G"
                amount="30.00"
            />
            <act code="MEG" modifiers=">" amount="5.00"/><act code="MD"
              amount="10.00"/>
            <act code="VG" amount="33.00"></act>
            <act code="MU"
                 amount="22.60">
            </act>
            <![CDATA[ <act code="Y"/> ]]>
          </invoice>
        </batch>
        """)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.records.map { $0[.code] }, ["G", "MEG", "MD", "VG", "MU"])
        XCTAssertEqual(outcome.records.map(\.location.line), [6, 10, 10, 12, 13])
        XCTAssertEqual(outcome.records[1][.modifiers], ">")
        XCTAssertEqual(outcome.records[4][.amount], "22.60")
    }

    func testActBeforePatientLacksPatientFieldsAndPatientResetsPerInvoice() throws {
        let outcome = try read("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
            <patient id="1850775123456" birth-date="2021-03-04"/>
            <act code="MEG" amount="5.00"/>
          </invoice>
          <invoice id="F2" date="2025-10-03" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
          </invoice>
        </batch>
        """)
        XCTAssertEqual(outcome.records.count, 3)
        XCTAssertNil(outcome.records[0][.patientID])
        XCTAssertEqual(outcome.records[1][.patientID], "1850775123456")
        XCTAssertEqual(outcome.records[2][.invoiceID], "F2")
        XCTAssertNil(outcome.records[2][.patientID], "le patient de F1 ne doit pas passer à F2")
    }

    func testActOutsideAnInvoiceIsRejectedAtItsLine() throws {
        let outcome = try read("""
        <batch>
          <act code="G" amount="30.00"/>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01"/>
          <act code="G" amount="30.00"/>
        </batch>
        """)
        XCTAssertEqual(outcome.records.count, 0)
        XCTAssertEqual(outcome.rejected.map(\.line), [2, 4])
        XCTAssertTrue(outcome.rejected[0].message.contains("hors d'un élément <invoice>"), outcome.rejected[0].message)
        XCTAssertNil(outcome.failure)
    }

    func testUnknownElementsAndAttributesAreEachReportedOnce() throws {
        let outcome = try read("""
        <batch centre="750000001" version="2">
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01" caisse="CPAM">
            <patient id="1850775123456" birth-date="2021-03-04"/>
            <act code="G" amount="30.00" commentaire="a"/>
            <note>texte</note>
            <act code="MEG" amount="5.00" commentaire="b"/>
            <note/>
          </invoice>
        </batch>
        """)
        XCTAssertEqual(outcome.records.count, 2)
        XCTAssertEqual(outcome.warnings.map(\.line), [1, 2, 4, 5])
        let messages = outcome.warnings.map(\.message)
        XCTAssertTrue(messages[0].contains("« version » de <batch>"), messages[0])
        XCTAssertTrue(messages[1].contains("« caisse » de <invoice>"), messages[1])
        XCTAssertTrue(messages[2].contains("« commentaire » de <act>"), messages[2])
        XCTAssertTrue(messages[3].contains("élément <note> inconnu"), messages[3])
        XCTAssertEqual(outcome.records[0].fields.count, 8, "4 attributs de facture, 2 de patient, 2 d'acte ; rien d'inconnu")
    }

    func testProfileAliasesMapVendorAttributeNames() throws {
        var profile = MappingProfile(name: "logiciel-x")
        profile.headers[MappingProfile.normalizeHeader("montant")] = .amount
        profile.headers[MappingProfile.normalizeHeader("acte")] = .code
        let url = try write("vendeur.xml", """
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <patient id="1850775123456" birth-date="2021-03-04"/>
            <act acte="G" Montant="30.00"/>
          </invoice>
        </batch>
        """)
        let outcome = try read(url, profile: profile)
        XCTAssertEqual(outcome.warnings.map(\.message), [])
        XCTAssertEqual(outcome.records.first?[.code], "G")
        XCTAssertEqual(outcome.records.first?[.amount], "30.00")
    }

    /// Values are held as bytes when ASCII and printable at both ends, as text otherwise, and marked
    /// when given empty; each kind must read as its text did, and a more specific element's value,
    /// even empty, replaces its invoice's.
    func testValuesHeldAsBytesTextOrGivenEmptyReadAsWritten() throws {
        var profile = MappingProfile(name: "logiciel-x")
        profile.headers[MappingProfile.normalizeHeader("lieu")] = .place
        profile.headers[MappingProfile.normalizeHeader("note")] = .modifiers
        let url = try write("valeurs.xml", """
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01" lieu="domicile" note="F">
            <act code="G" amount="30.00"/>
            <patient id="1850775123456" birth-date="2021-03-04" lieu="" sex=" M " coverage="Régime" note="U"/>
            <act code="G" amount="30.00"/>
            <act code="MEG" amount=" 5.00" lieu="tele" note=""/>
            <act code="Été" amount="5.00 " lieu=" ehpad"/>
          </invoice>
          <invoice id="F2" date="2025-10-03" practitioner="10000000001" specialty="01">
            <patient id="1850775123456" birth-date="2021-03-04"/>
            <act code="G" amount="30.00"/>
          </invoice>
        </batch>
        """)
        let outcome = try read(url, profile: profile)
        XCTAssertEqual(outcome.warnings.map(\.message), [])
        let records = outcome.records
        XCTAssertEqual(records.count, 5)
        // Before the patient: the invoice's values.
        XCTAssertEqual(records[0][.place], "domicile")
        XCTAssertEqual(records[0][.modifiers], "F")
        XCTAssertNil(records[0][.patientSex])
        // The patient's empty place replaces the invoice's; its spaced and accented values are kept as written.
        XCTAssertNil(records[1][.place])
        XCTAssertEqual(records[1].fields[.place], "")
        XCTAssertEqual(records[1][.patientSex], "M")
        XCTAssertEqual(records[1].fields[.patientSex], " M ")
        XCTAssertEqual(records[1][.patientCoverage], "Régime")
        XCTAssertEqual(records[1][.modifiers], "U")
        // The act's own values win over both, an empty one too.
        XCTAssertEqual(records[2][.place], "tele")
        XCTAssertNil(records[2][.modifiers])
        XCTAssertEqual(records[2].fields[.modifiers], "")
        XCTAssertEqual(records[2][.amount], "5.00")
        XCTAssertEqual(records[2].fields[.amount], " 5.00")
        XCTAssertEqual(records[3][.code], "Été")
        XCTAssertEqual(records[3][.amount], "5.00")
        XCTAssertEqual(records[3][.place], "ehpad")
        XCTAssertEqual(records[3][.patientCoverage], "Régime")
        // Nothing of the first invoice passes to the second.
        XCTAssertEqual(records[4][.invoiceID], "F2")
        XCTAssertNil(records[4][.place])
        XCTAssertNil(records[4].fields[.place])
        XCTAssertNil(records[4][.patientCoverage])
        XCTAssertEqual(records[4].fields.keys.sorted { $0.ordinal < $1.ordinal },
                       [.invoiceID, .actDate, .practitionerID, .practitionerSpecialty, .patientID, .patientBirthDate, .code, .amount])
    }

    func testPredefinedAndCharacterReferencesAreDecoded() throws {
        let outcome = try read("""
        <batch>
          <invoice id="F&amp;1&#233;" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
            <act code="A&amp;#38;B&#38;C&lt;&gt;&quot;&apos;&#x26;" modifiers="&amp;&amp;" amount="30.00"/>
          </invoice>
        </batch>
        """)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.records.first?[.invoiceID], "F&1é")
        // libxml2 hands `&` over as `&#38;`: each is one `&`, and a written `&amp;#38;` stays `&#38;`.
        XCTAssertEqual(outcome.records.last?[.code], "A&#38;B&C<>\"'&")
        XCTAssertEqual(outcome.records.last?[.modifiers], "&&")
    }

    // MARK: Encodings

    func testISO88591DeclaredEncodingDecodesAccents() throws {
        let text = """
        <?xml version="1.0" encoding="ISO-8859-1"?>
        <batch centre="750000001">
          <invoice id="FÉV-Hélène-ç" date="2025-10-02" place="domicile" practitioner="10000000001" specialty="01">
            <patient id="Bérénice Ñ" birth-date="2021-03-04"/>
            <act code="G" amount="30.00" association="à"/>
          </invoice>
        </batch>
        """
        let outcome = try read(write("latin1.xml", bytes: singleByte(text, windows1252: false)))
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.records.first?[.invoiceID], "FÉV-Hélène-ç")
        XCTAssertEqual(outcome.records.first?[.patientID], "Bérénice Ñ")
        XCTAssertEqual(outcome.records.first?[.association], "à")
        XCTAssertEqual(outcome.records.first?.location.line, 5)
    }

    func testWindows1252DeclaredEncodingDecodesAccentsAndItsOwnCharacters() throws {
        // 0x80 (€) and 0x9C (œ) are control characters in ISO-8859-1: only a real Windows-1252 decoding gives these.
        let text = """
        <?xml version="1.0" encoding="windows-1252"?>
        <batch>
          <invoice id="Cœur-€-été" date="2025-10-02" practitioner="10000000001" specialty="01">
            <patient id="Œdipe’s" birth-date="2021-03-04"/>
            <act code="G" amount="30.00"/>
          </invoice>
        </batch>
        """
        let outcome = try read(write("cp1252.xml", bytes: singleByte(text, windows1252: true)))
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.records.first?[.invoiceID], "Cœur-€-été")
        XCTAssertEqual(outcome.records.first?[.patientID], "Œdipe’s")
    }

    func testBytesThatBreakTheDeclaredEncodingMakeTheFileUnreadable() throws {
        var bytes = Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
            <act code="
        """.utf8)
        bytes += [0xE9, 0x22] + Array("/>\n  </invoice>\n</batch>\n".utf8)  // a lone Latin-1 é in a UTF-8 file
        let outcome = try read(write("mauvais-encodage.xml", bytes: bytes))
        XCTAssertEqual(outcome.records.count, 1)
        let issue = try XCTUnwrap(outcome.failure?.issue)
        XCTAssertEqual(issue.line, 5)
        XCTAssertTrue(issue.message.hasPrefix("encodage du fichier XML illisible à la ligne 5"), issue.message)
    }

    // MARK: Broken files

    func testTruncatedFileDeliversEveryCompleteActThenFailsWithItsLine() throws {
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<batch>",
            #"  <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">"#,
            #"    <patient id="1850775123456" birth-date="2021-03-04"/>"#,
        ]
        for index in 0..<40 { lines.append(#"    <act code="G" amount="\#(index).00"/>"#) }
        lines.append(#"    <act code="MEG" amo"#)  // line 45, cut in the middle of an attribute
        let url = try write("tronque.xml", lines.joined(separator: "\n"))

        let printed = try capturingStandardError { try read(url) }
        let outcome = printed.result
        XCTAssertEqual(outcome.records.count, 40, "tous les actes complets avant la coupure sont livrés")
        XCTAssertEqual(outcome.records.last?.location.line, 44)
        let issue = try XCTUnwrap(outcome.failure?.issue)
        XCTAssertEqual(issue.file, "tronque.xml")
        XCTAssertEqual(issue.line, 45)
        XCTAssertTrue(issue.message.hasPrefix("fichier XML tronqué ou mal formé à la ligne 45 : "), issue.message)
        XCTAssertEqual(printed.standardError, "", "libxml2 ne doit rien écrire sur la sortie d'erreur")
    }

    func testFileCutBetweenElementsFailsAtTheEnd() throws {
        let outcome = try read("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
        """)
        XCTAssertEqual(outcome.records.count, 1)
        let issue = try XCTUnwrap(outcome.failure?.issue)
        XCTAssertEqual(issue.line, 3)
        XCTAssertTrue(issue.message.hasPrefix("fichier XML tronqué ou mal formé à la ligne 3"), issue.message)
    }

    func testMismatchedTagIsReported() throws {
        let outcome = try read("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
          </facture>
        </batch>
        """)
        XCTAssertEqual(outcome.records.count, 1)
        XCTAssertEqual(outcome.failure?.issue.line, 4)
        XCTAssertTrue(outcome.failure?.issue.message.contains("balise fermante") ?? false, outcome.failure?.issue.message ?? "")
    }

    func testOtherRootOrEmptyFileIsUnreadable() throws {
        let other = try read(#"<html><act code="G" amount="1"/></html>"#, name: "page.xml")
        XCTAssertTrue(other.failure?.issue.message.contains("<html>") ?? false, other.failure?.issue.message ?? "")
        XCTAssertEqual(other.records.count + other.rejected.count, 0)

        let empty = try read("", name: "vide.xml")
        XCTAssertTrue(empty.failure?.issue.message.hasPrefix("fichier XML vide") ?? false, empty.failure?.issue.message ?? "")
    }

    func testMissingFileCannotBeOpened() {
        XCTAssertThrowsError(try XMLRecordReader(url: folder.appendingPathComponent("absent.xml"), displayName: "absent.xml", profile: .standard)) { error in
            let issue = (error as? UnreadableFile)?.issue
            XCTAssertEqual(issue?.file, "absent.xml")
            XCTAssertTrue(issue?.message.hasPrefix("impossible d'ouvrir le fichier XML") ?? false, issue?.message ?? "")
        }
    }

    // MARK: Hostile documents

    private func assertRefusedForEntities(_ outcome: Outcome, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.records.count, 0, file: file, line: line)
        let message = outcome.failure?.issue.message ?? "(aucune erreur)"
        XCTAssertTrue(message.contains("le fichier contient une déclaration DOCTYPE/entité : refusé par sécurité, aucune entité n'est résolue"),
                      message, file: file, line: line)
    }

    func testExternalFileEntityIsRefusedAndNeverRead() throws {
        let outcome = try read("""
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE batch [
          <!ENTITY xxe SYSTEM "file:///etc/passwd">
        ]>
        <batch>
          <invoice id="&xxe;" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00">&xxe;</act>
          </invoice>
        </batch>
        """)
        assertRefusedForEntities(outcome)
        XCTAssertEqual(outcome.failure?.issue.line, 2)
        XCTAssertFalse(outcome.allText.contains("root:"), "le contenu de /etc/passwd ne doit jamais apparaître")
    }

    func testExternalHTTPEntityAndDTDAreRefusedWithoutAnyConnection() throws {
        let listener = try LocalListener()
        for target in ["http://127.0.0.1:9/x", "http://127.0.0.1:\(listener.port)/x"] {
            let entity = try read("""
            <?xml version="1.0"?>
            <!DOCTYPE batch [ <!ENTITY remote SYSTEM "\(target)"> ]>
            <batch><invoice id="F1"><act code="G" amount="&remote;">&remote;</act></invoice></batch>
            """)
            assertRefusedForEntities(entity)
            let externalDTD = try read("""
            <?xml version="1.0"?>
            <!DOCTYPE batch SYSTEM "\(target)">
            <batch/>
            """)
            assertRefusedForEntities(externalDTD)
            let parameterEntity = try read("""
            <!DOCTYPE batch [ <!ENTITY % remote SYSTEM "\(target)"> %remote; ]>
            <batch/>
            """)
            assertRefusedForEntities(parameterEntity)
        }
        XCTAssertFalse(listener.hasPendingConnection(), "aucune connexion ne doit être tentée")
    }

    func testBillionLaughsIsRefusedQuickly() throws {
        var declarations = [#"<!ENTITY lol "lol">"#]
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            declarations.append("<!ENTITY lol\(level) \"\(String(repeating: "&\(previous);", count: 10))\">")
        }
        let started = Date()
        let outcome = try read("""
        <?xml version="1.0"?>
        <!DOCTYPE batch [
          \(declarations.joined(separator: "\n  "))
        ]>
        <batch centre="&lol9;">
          <invoice id="&lol9;" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00">&lol9;</act>
          </invoice>
        </batch>
        """)
        assertRefusedForEntities(outcome)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "refusé sans développer les entités")
    }

    func testEntityReferenceWithoutDeclarationIsRefused() throws {
        let inAttribute = try read("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00"/>
            <act code="&meg;" amount="5.00"/>
          </invoice>
        </batch>
        """)
        XCTAssertEqual(inAttribute.records.count, 1)
        XCTAssertEqual(inAttribute.failure?.issue.line, 4)
        XCTAssertTrue(inAttribute.failure?.issue.message.contains("aucune entité n'est résolue") ?? false, inAttribute.failure?.issue.message ?? "")

        let inContent = try read("""
        <batch>
          <invoice id="F1" date="2025-10-02" practitioner="10000000001" specialty="01">
            <act code="G" amount="30.00">&note;</act>
          </invoice>
        </batch>
        """)
        XCTAssertEqual(inContent.failure?.issue.line, 3)
        XCTAssertTrue(inContent.failure?.issue.message.contains("aucune entité n'est résolue") ?? false, inContent.failure?.issue.message ?? "")
    }

    // MARK: Streaming

    func testFiftyMegabyteExportIsReadThroughWithEveryAct() throws {
        let url = folder.appendingPathComponent("gros.xml")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        let invoiceTemplate = """
          <invoice id="F%07d" date="2025-10-02" time="09:30" place="cabinet" practitioner="10000000001" specialty="01">
            <patient id="1850775123456" birth-date="2021-03-04" sex="F" ald="false" mt-status="centre" mt-practitioner="10000000001"/>
            <act code="G" amount="30.00"/>
            <act code="MEG"
                 amount="5.00"/>
            <act code="DEQP003" coefficient="1" quantity="1" modifiers="" association="" amount="14.52"/>
          </invoice>

        """
        handle.write(Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch centre=\"750000001\">\n".utf8))
        var invoices = 0
        var written = 0
        var chunk = ""
        while written < 50_000_000 {
            invoices += 1
            chunk += String(format: invoiceTemplate, invoices)
            if chunk.utf8.count > 1_000_000 {
                written += chunk.utf8.count
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data((chunk + "</batch>\n").utf8))
        try handle.close()

        let reader = try XMLRecordReader(url: url, displayName: "gros.xml", profile: .standard)
        var records = 0
        var lastRecord: RawRecord?
        var others = 0
        while let event = try reader.next() {
            if case .record(let record) = event { records += 1; lastRecord = record } else { others += 1 }
        }
        XCTAssertEqual(records, invoices * 3)
        XCTAssertEqual(others, 0)
        // Each invoice takes 7 lines after the 2 header lines; the last act is the 6th line of the last invoice.
        XCTAssertEqual(lastRecord?.location.line, 2 + (invoices - 1) * 7 + 6, "lignes exactes au-delà de 65 535")
        XCTAssertEqual(lastRecord?[.invoiceID], String(format: "F%07d", invoices))
    }
}

// MARK: - Test support

/// Runs `body` with file descriptor 2 redirected to a temporary file, and returns what was written there.
private func capturingStandardError<T>(_ body: () throws -> T) throws -> (result: T, standardError: String) {
    let capture = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: capture.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: capture) }
    let captureDescriptor = open(capture.path, O_WRONLY)
    let savedDescriptor = dup(2)
    fflush(stderr)
    dup2(captureDescriptor, 2)
    let result: T
    do {
        result = try body()
    } catch {
        fflush(stderr)
        dup2(savedDescriptor, 2)
        close(savedDescriptor)
        close(captureDescriptor)
        throw error
    }
    fflush(stderr)
    dup2(savedDescriptor, 2)
    close(savedDescriptor)
    close(captureDescriptor)
    return (result, try String(contentsOf: capture, encoding: .utf8))
}

/// A TCP socket listening on 127.0.0.1, to prove that nothing tried to connect to it.
private final class LocalListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, bound == 0, listen(descriptor, 4) == 0 else {
            throw XCTSkip("impossible d'ouvrir une socket d'écoute locale")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    func hasPendingConnection() -> Bool {
        let accepted = accept(descriptor, nil, nil)
        if accepted >= 0 { close(accepted); return true }
        return false
    }
}
