import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

final class CSVRecordReaderTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    private let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount"

    private func read(_ url: URL, profile: MappingProfile = .standard, encoding: TextEncodingChoice? = nil) throws -> ReadResult {
        try ReadResult(reader: CSVRecordReader(url: url, displayName: url.lastPathComponent, profile: profile, encoding: encoding))
    }

    private func unreadableIssue(_ url: URL, profile: MappingProfile = .standard, encoding: TextEncodingChoice? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) -> InputIssue? {
        do {
            _ = try CSVRecordReader(url: url, displayName: url.lastPathComponent, profile: profile, encoding: encoding)
            XCTFail("the file should be unreadable", file: file, line: line)
            return nil
        } catch let error as UnreadableFile {
            return error.issue
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: Delimiters, BOM, line endings

    /// Rows of values of every length, so that delimiters and line breaks fall at every place of
    /// the tokenizer's eight-byte words, some values quoted (a delimiter inside) or with spaces or
    /// a tab before them, LF and CRLF endings: every value reads as written, trimmed.
    func testValuesReadAsWrittenWhereverTheirDelimitersFall() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let columns: [Column] = [.invoiceID, .actDate, .practitionerID, .practitionerSpecialty, .patientID, .patientBirthDate, .code, .amount]
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-.,")
        var text = header + "\n"
        var expected: [[Column: String]] = []
        for _ in 0..<600 {
            var fields: [String] = []
            var values: [Column: String] = [:]
            for column in columns {
                let value = String((0..<next(12)).map { _ in alphabet[next(alphabet.count)] })
                switch next(8) {
                case 0:
                    fields.append("\"" + value + ";x\"")
                    values[column] = value + ";x"
                case 1:
                    fields.append(["  ", "\t", " "][next(3)] + value)
                    if !value.isEmpty { values[column] = value }
                case 2:
                    fields.append(" \"" + value + "\"")
                    if !value.isEmpty { values[column] = value }
                default:
                    fields.append(value)
                    if !value.isEmpty { values[column] = value }
                }
            }
            text += fields.joined(separator: ";") + (next(3) == 0 ? "\r\n" : "\n")
            expected.append(values)
        }
        let result = try read(folder.write("mots.csv", utf8: text))
        XCTAssertTrue(result.rejected.isEmpty, "\(result.rejected.prefix(3))")
        XCTAssertEqual(result.records.count, expected.count)
        for (index, record) in result.records.enumerated() where index < expected.count {
            XCTAssertEqual(record.fields, expected[index], "ligne \(index + 2)")
        }
    }

    func testSemicolonDelimitedUTF8WithoutBOM() throws {
        let url = try folder.write("a.csv", utf8: header + "\nF1;2024-03-05;10000000001;01;1850775123456;2021-03-04;G;30.00\n")
        let result = try read(url)
        XCTAssertEqual(result.records.count, 1)
        XCTAssertTrue(result.warnings.isEmpty)
        let record = try XCTUnwrap(result.records.first)
        XCTAssertEqual(record.location, SourceLocation(file: "a.csv", line: 2))
        XCTAssertEqual(record[.invoiceID], "F1")
        XCTAssertEqual(record[.code], "G")
        XCTAssertEqual(record[.amount], "30.00")
    }

    func testCommaDelimitedWithQuotedDecimalComma() throws {
        let text = header.replacingOccurrences(of: ";", with: ",")
            + "\nF1,05/03/2024,10000000001,01,P42,04/03/2021,G,\"26,50\"\n"
        let result = try read(try folder.write("comma.csv", utf8: text))
        XCTAssertEqual(result.records.count, 1)
        XCTAssertEqual(result.records[0][.amount], "26,50")
        XCTAssertEqual(result.records[0][.actDate], "05/03/2024")
        XCTAssertEqual(result.records[0][.patientID], "P42")
    }

    func testTabDelimited() throws {
        let text = header.replacingOccurrences(of: ";", with: "\t") + "\nF1\t2024-03-05\t10000000001\t01\tP1\t2021-03-04\tG\t30\n"
        let result = try read(try folder.write("tab.txt", utf8: text))
        XCTAssertEqual(result.records.count, 1)
        XCTAssertEqual(result.records[0][.amount], "30")
    }

    func testUTF8WithBOMAndCRLF() throws {
        let text = header + "\r\nF1;2024-03-05;10000000001;01;P1;2021-03-04;G;30\r\nF2;2024-03-06;10000000001;01;Élodie;2021-03-04;G;30\r\n"
        let url = try folder.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let result = try read(url)
        XCTAssertTrue(result.warnings.isEmpty, "\(result.warnings)")
        XCTAssertEqual(result.lines, [2, 3])
        // The BOM must not stick to the first header name, or invoice_id would go missing.
        XCTAssertEqual(result.records[0][.invoiceID], "F1")
        XCTAssertEqual(result.records[1][.patientID], "Élodie")
        XCTAssertEqual(result.records[1][.amount], "30", "no CR left at the end of the last field")
    }

    func testLoneCarriageReturnLineEndings() throws {
        let text = header + "\rF1;2024-03-05;10000000001;01;P1;2021-03-04;G;30\rF2;2024-03-06;10000000001;01;P2;2021-03-04;G;31\r"
        let result = try read(try folder.write("mac.csv", utf8: text))
        XCTAssertEqual(result.lines, [2, 3])
        XCTAssertEqual(result.records[1][.amount], "31")
    }

    // MARK: Windows-1252 and the export-fr profile

    private let frenchHeader = "N° facture;Date de l'acte;RPPS;Spécialité;NIR;Date de naissance;Lieu;Code acte;Montant"

    /// Windows-1252 seen from the first block is the usual French export: one notice, not a warning.
    func testWindows1252FileThroughExportFRProfileIsNoticedOnce() throws {
        let text = frenchHeader + "\r\n"
            + "F1;05/03/2024;10000000001;01;Élodie Hémon;04/03/2021;Téléconsultation;G;26,50\r\n"
            + "F2;06/03/2024;10000000001;01;Zoé;04/03/2021;Domicile;VG;30,00 €\r\n"
        let url = try folder.write("export-fr.csv", windows1252: text)
        let result = try read(url, profile: try TestData.exportFRProfile())

        XCTAssertEqual(result.records.count, 2)
        XCTAssertEqual(result.warnings.count, 1, "one notice for the whole file: \(result.warnings)")
        let warning = try XCTUnwrap(result.warnings.first)
        XCTAssertEqual(warning.severity, .notice)
        XCTAssertTrue(warning.message.contains("Windows-1252"), warning.message)
        XCTAssertTrue(TestData.looksFrench(warning.message), warning.message)

        let first = result.records[0]
        XCTAssertEqual(first[.actDate], "05/03/2024")
        XCTAssertEqual(first[.patientID], "Élodie Hémon")
        XCTAssertEqual(first[.place], "Téléconsultation")
        XCTAssertEqual(first[.amount], "26,50")
        XCTAssertEqual(result.records[1][.amount], "30,00 €")
    }

    func testWindows1252RecordsValidateThroughTheProfile() throws {
        let profile = try TestData.exportFRProfile()
        let practitioner = TestData.rpps("1000000000")
        let text = frenchHeader + "\r\n"
            + "F1;05/03/2024;\(practitioner);1;Élodie;04/03/2021;Téléconsultation;G;26,50\r\n"
        let result = try read(try folder.write("fr.csv", windows1252: text), profile: profile)
        var validator = TestData.validator
        validator.profile = profile
        let line = try validator.validate(XCTUnwrap(result.records.first)).get()
        XCTAssertEqual(line.place, .tele)
        XCTAssertEqual(line.amount, Cents(2650))
        XCTAssertEqual(line.actDate, CalendarDay(year: 2024, month: 3, day: 5))
        XCTAssertEqual(line.patient.birthDate, CalendarDay(year: 2021, month: 3, day: 4))
        XCTAssertEqual(line.specialty, .generalPractice)
    }

    func testForcedWindows1252GivesNoWarning() throws {
        let url = try folder.write("forced.csv", windows1252: frenchHeader + "\nF1;05/03/2024;10000000001;01;Élodie;04/03/2021;;G;26,50\n")
        let result = try read(url, profile: try TestData.exportFRProfile(), encoding: .windows1252)
        XCTAssertTrue(result.warnings.isEmpty)
        XCTAssertEqual(result.records.first?[.patientID], "Élodie")
    }

    func testForcedUTF8OnWindows1252HeaderIsUnreadable() throws {
        let url = try folder.write("wrong.csv", windows1252: frenchHeader + "\nF1;05/03/2024;10000000001;01;P;04/03/2021;;G;26,50\n")
        let issue = try XCTUnwrap(unreadableIssue(url, profile: try TestData.exportFRProfile(), encoding: .utf8))
        XCTAssertTrue(issue.message.contains("--encoding windows-1252"), issue.message)
    }

    func testWindows1252BytesAfterTheFirstChunkSwitchWithOneWarning() throws {
        // 2,000 plain ASCII rows (well past the first 64 KiB read), then accented ones.
        var text = header + "\n"
        for index in 0..<2000 { text += "F\(index);2024-03-05;10000000001;01;PATIENT-NUMBER-\(index);2021-03-04;G;30.00\n" }
        text += "F-late;2024-03-05;10000000001;01;Élodie;2021-03-04;G;30.00\n"
        text += "F-later;2024-03-05;10000000001;01;Noël;2021-03-04;G;30.00\n"
        XCTAssertGreaterThan(text.utf8.count, CSVTokenizer.chunkSize)
        let result = try read(try folder.write("late.csv", windows1252: text))
        XCTAssertEqual(result.records.count, 2002)
        XCTAssertEqual(result.warnings.count, 1)
        XCTAssertEqual(result.warnings.first?.line, 2002, "the warning points at the first row that is not UTF-8")
        XCTAssertEqual(result.records[2000][.patientID], "Élodie")
        XCTAssertEqual(result.records[2001][.patientID], "Noël")
    }

    func testWindows1252SpecialRangeIsDecoded() {
        XCTAssertEqual(FieldDecoder.windows1252String([0x80, 0x20, 0x92, 0x9C, 0xE9, 0xC9]), "€ ’œéÉ")
        XCTAssertTrue(FieldDecoder.isValidUTF8(Array("Élodie €".utf8), allowTruncatedEnd: false))
        XCTAssertFalse(FieldDecoder.isValidUTF8([0x45, 0xE9, 0x6C], allowTruncatedEnd: false))
        XCTAssertFalse(FieldDecoder.isValidUTF8([0xC0, 0x80], allowTruncatedEnd: false), "overlong")
        XCTAssertTrue(FieldDecoder.isValidUTF8([0x41, 0xC3], allowTruncatedEnd: true), "cut at a chunk end")
        XCTAssertFalse(FieldDecoder.isValidUTF8([0x41, 0xC3], allowTruncatedEnd: false))
    }

    /// The eight-bytes-at-a-time check agrees with the byte-by-byte one at every length and every
    /// position of a high byte, in arrays and in slices that start anywhere.
    func testASCIICheckAgreesByteByByte() {
        for length in 0...19 {
            let plain = [UInt8](repeating: 0x41, count: length)
            XCTAssertTrue(ASCIIText.isASCII(plain), "length \(length)")
            XCTAssertTrue(ASCIIText.isASCII(([0xE9] + plain + [0xE9])[1..<(length + 1)]), "slice of length \(length)")
            for position in 0..<length {
                for high: UInt8 in [0x80, 0xC3, 0xFF] {
                    var bytes = plain
                    bytes[position] = high
                    XCTAssertFalse(ASCIIText.isASCII(bytes), "length \(length), byte \(high) at \(position)")
                    XCTAssertFalse(ASCIIText.isASCII(([0x41] + bytes)[1...]), "slice, length \(length), at \(position)")
                }
            }
        }
        XCTAssertTrue(ASCIIText.isASCII(Array("F2025-00000001;2025-01-02".utf8).lazy.map { $0 }), "not contiguous: byte by byte")
        XCTAssertFalse(ASCIIText.isASCII(Array("Noël".utf8).lazy.map { $0 }))
    }

    // MARK: Quoting and physical lines

    func testQuotedDelimiterNewlineAndDoubledQuotesKeepPhysicalLines() throws {
        let text = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount;note\n"
            + "F1;2024-03-05;10000000001;01;P1;2021-03-04;G;30;\"note; sur\ndeux lignes\"\n"
            + "F2;2024-03-05;10000000001;01;\"Dupont \"\"Jean\"\"\";2021-03-04;G;30;\n"
            + "F3;2024-03-05;10000000001;01;P3;2021-03-04;G;30;\"trois\r\nlignes\r\nici\"\n"
            + "F4;2024-03-05;10000000001;01;P4;2021-03-04;G;30;\n"
        let result = try read(try folder.write("quoted.csv", utf8: text))
        XCTAssertTrue(result.rejected.isEmpty, "\(result.rejected)")
        XCTAssertEqual(result.lines, [2, 4, 5, 8])
        XCTAssertEqual(result.records.map(\.physicalLines), [2, 1, 3, 1])
        XCTAssertEqual(result.records[1][.patientID], "Dupont \"Jean\"")
        XCTAssertEqual(result.records[3][.invoiceID], "F4")
    }

    func testColumnsInAnyOrderAndAnyCase() throws {
        let text = "AMOUNT;Code;patient_birth_date;Patient_ID;practitioner_specialty;PRACTITIONER_ID;act_date;Invoice_ID\n"
            + "26,50;G;04/03/2021;P1;01;10000000001;05/03/2024;F1\n"
        let record = try XCTUnwrap(read(try folder.write("order.csv", utf8: text)).records.first)
        XCTAssertEqual(record[.amount], "26,50")
        XCTAssertEqual(record[.invoiceID], "F1")
        XCTAssertEqual(record[.practitionerID], "10000000001")
        XCTAssertEqual(record[.actDate], "05/03/2024")
    }

    func testUnknownColumnsGiveOneWarningNamingThem() throws {
        let text = "Remarque;" + header + ";Caisse\n"
            + "x;F1;2024-03-05;10000000001;01;P1;2021-03-04;G;30;CPAM\n"
            + "y;F2;2024-03-05;10000000001;01;P1;2021-03-04;G;30;MSA\n"
        let result = try read(try folder.write("unknown.csv", utf8: text))
        XCTAssertEqual(result.records.count, 2)
        XCTAssertEqual(result.warnings.count, 1)
        let warning = try XCTUnwrap(result.warnings.first)
        XCTAssertEqual(warning.severity, .warning)
        XCTAssertEqual(warning.line, 1)
        XCTAssertTrue(warning.message.contains("Remarque") && warning.message.contains("Caisse"), warning.message)
        XCTAssertTrue(warning.message.contains("inconnues"), warning.message)
        XCTAssertEqual(result.records[0][.invoiceID], "F1")
        XCTAssertEqual(result.records[1][.amount], "30")
    }

    func testBlankLinesAnywhereAreSkippedAndLinesStillCount() throws {
        let text = header + "\n\nF1;2024-03-05;10000000001;01;P1;2021-03-04;G;30\n   \n;;;;;;;\nF2;2024-03-05;10000000001;01;P1;2021-03-04;G;30\n\n\n\r\n"
        let result = try read(try folder.write("blank.csv", utf8: text))
        XCTAssertTrue(result.rejected.isEmpty)
        XCTAssertEqual(result.lines, [3, 6])
    }

    func testFewerFieldsLeaveColumnsAbsentAndTheValidatorNamesThem() throws {
        let text = header + "\nF1;2024-03-05;\(TestData.rpps("1000000000"));01;P1;2021-03-04\n"
        let result = try read(try folder.write("short.csv", utf8: text))
        let record = try XCTUnwrap(result.records.first)
        XCTAssertNil(record[.code])
        XCTAssertNil(record[.amount])
        guard case .failure(let rejected) = TestData.validator.validate(record) else { return XCTFail("should be rejected") }
        XCTAssertEqual(Set(rejected.issues.compactMap(\.column)), ["code", "amount"])
    }

    func testMoreFieldsThanHeaderIsRejectedButTrailingEmptyFieldsAreNot() throws {
        let text = header + "\nF1;2024-03-05;10000000001;01;P1;2021-03-04;G;26;50\nF2;2024-03-05;10000000001;01;P1;2021-03-04;G;30;;\n"
        let result = try read(try folder.write("long.csv", utf8: text))
        XCTAssertEqual(result.rejected.count, 1)
        let issue = try XCTUnwrap(result.rejected.first)
        XCTAssertEqual(issue.file, "long.csv")
        XCTAssertEqual(issue.line, 2)
        XCTAssertTrue(issue.message.contains("9 champs") && issue.message.contains("en a 8"), issue.message)
        XCTAssertEqual(result.lines, [3])
    }

    func testUnterminatedQuoteRejectsThatRowAndReadingResumes() throws {
        let text = header + "\nF1;2024-03-05;10000000001;01;P1;2021-03-04;G;30\nF2;2024-03-05;10000000001;01;\"P2;2021-03-04;G;30\nF3;x\n"
        let result = try read(try folder.write("open.csv", utf8: text))
        XCTAssertEqual(result.lines, [2, 4])
        XCTAssertEqual(result.rejected.count, 1)
        let issue = try XCTUnwrap(result.rejected.first)
        XCTAssertEqual(issue.line, 3)
        XCTAssertTrue(issue.message.contains("guillemet"), issue.message)
    }

    // MARK: Unreadable files

    func testMissingRequiredColumnMakesTheFileUnreadable() throws {
        let text = "invoice_id;act_date;practitioner_id;patient_id;patient_birth_date;code\nF1;2024-03-05;10000000001;P1;2021-03-04;G\n"
        let issue = try XCTUnwrap(unreadableIssue(try folder.write("missing.csv", utf8: text)))
        XCTAssertEqual(issue.file, "missing.csv")
        XCTAssertEqual(issue.line, 1)
        XCTAssertTrue(issue.message.contains("practitioner_specialty") && issue.message.contains("amount"), issue.message)
        XCTAssertTrue(issue.message.contains("obligatoires absentes"), issue.message)
    }

    func testBinaryFileIsNotCSV() throws {
        let url = try folder.write("classeur.csv", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x0A, 0x41, 0x42])
        let issue = try XCTUnwrap(unreadableIssue(url))
        XCTAssertTrue(issue.message.hasPrefix("n'est pas un fichier CSV"), issue.message)
    }

    func testUTF16FileIsUnreadableWithAHint() throws {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("invoice_id;amount\n".utf8).flatMap { [$0, 0] }
        let issue = try XCTUnwrap(unreadableIssue(try folder.write("unicode.csv", bytes: utf16)))
        XCTAssertTrue(issue.message.contains("UTF-16"), issue.message)
    }

    func testPlainTextIsNotCSV() throws {
        let issue = try XCTUnwrap(unreadableIssue(try folder.write("notes.txt", utf8: "Bonjour\nceci est une note\n")))
        XCTAssertTrue(issue.message.hasPrefix("n'est pas un fichier CSV"), issue.message)
    }

    func testEmptyFileIsUnreadable() throws {
        let issue = try XCTUnwrap(unreadableIssue(try folder.write("empty.csv", utf8: "\n\n")))
        XCTAssertTrue(issue.message.contains("vide"), issue.message)
    }

    func testMissingFileIsUnreadable() throws {
        let issue = try XCTUnwrap(unreadableIssue(folder.url.appendingPathComponent("absent.csv")))
        XCTAssertEqual(issue.line, 0)
        XCTAssertTrue(issue.message.contains("introuvable"), issue.message)
    }

    // MARK: Streaming

    /// ~50 MB, many chunks: rows cross chunk boundaries at every offset, including the CRLF and the
    /// doubled quote inside a quoted field.
    func testLargeFileIsReadRowByRowAcrossChunkBoundaries() throws {
        let url = folder.url.appendingPathComponent("big.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data((header + ";association;note\r\n").utf8))
        let targetBytes = 50 * 1024 * 1024
        var written = 0
        var rowCount = 0
        var batch = ""
        // Row lengths vary with the index so that chunk boundaries fall on every byte of a row.
        func code(_ index: Int) -> String { "n°\(index)" + String(repeating: "x", count: index % 13) + "; \"\"cité\"\"" }
        // The note, in a column the audit ignores, may hold a line break; the audited values may not.
        func note(_ index: Int) -> String { code(index) + "\r\nsuite" }
        while written < targetBytes {
            let row = "F\(rowCount);2024-03-05;10000000001;01;P\(rowCount % 977);2021-03-04;G;26,50;\"\(code(rowCount))\";\"\(note(rowCount))\"\r\n"
            batch += row
            rowCount += 1
            if batch.utf8.count > 1 << 20 {
                let bytes = Data(batch.utf8)
                try handle.write(contentsOf: bytes)
                written += bytes.count
                batch = ""
            }
        }
        try handle.write(contentsOf: Data(batch.utf8))
        try handle.close()

        let reader = try CSVRecordReader(url: url, displayName: "big.csv", profile: .standard)
        var count = 0
        var problems: [String] = []
        while let event = try reader.next() {
            if case .warning(let warning) = event, warning.line == 1, warning.message.contains("« note »") { continue }
            guard case .record(let record) = event else {
                problems.append("\(event)")
                continue
            }
            // Each row spans two physical lines (its note holds a CRLF).
            if record.location.line != 2 + 2 * count { problems.append("row \(count) at line \(record.location.line)") }
            if record.physicalLines != 2 { problems.append("row \(count) covers \(record.physicalLines) lines") }
            if record.fields[.association] != code(count).replacingOccurrences(of: "\"\"", with: "\"") {
                problems.append("row \(count) note \(record.fields[.association] ?? "nil")")
            }
            if record[.invoiceID] != "F\(count)" { problems.append("row \(count) invoice \(record[.invoiceID] ?? "nil")") }
            count += 1
            if problems.count > 5 { break }
        }
        XCTAssertEqual(problems, [])
        XCTAssertEqual(count, rowCount)
    }

    /// The readers find the end of a run of plain bytes eight bytes at a time (`RepeatedByte`): the
    /// CSV tokenizer the end of an unquoted value, the XML scanner the next `>`, quote or line
    /// break. From every start to every end, in buffers of every byte value (0x80 and up, the stop
    /// bytes next to each other, none at all), each must stop where a byte-by-byte search does.
    func testValueEndsFoundEightBytesAtATimeAsOneByOne() {
        var generator = SystemRandomNumberGenerator()
        var stopSets: [[UInt8]] = [UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: "|")].map { [$0, 0x0A, 0x0D] }
        stopSets.append([UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0x0A])
        stopSets.append([UInt8(ascii: "\""), 0x0A])
        for stops in stopSets {
            let patterns = stops.map(RepeatedByte.init)
            for trial in 0..<400 {
                let length = Int.random(in: 0...30, using: &generator)
                let alphabet: [UInt8] = trial % 2 == 0 ? Array(0...255) : stops + [0x41, 0x80, 0xFF, 0x00, 0x09, 0x0B, 0x3C]
                let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
                bytes.withUnsafeBufferPointer { source in
                    for start in 0...length {
                        for end in start...length {
                            let expected = source[start..<end].firstIndex(where: stops.contains) ?? end
                            let found = RepeatedByte.firstIndex(in: source, from: start, to: end, patterns[0], patterns[1],
                                                                patterns.count > 2 ? patterns[2] : nil,
                                                                patterns.count > 3 ? patterns[3] : nil)
                            XCTAssertEqual(found, expected, "\(bytes) de \(start) à \(end), arrêts \(stops)")
                        }
                    }
                }
            }
        }
    }
}
