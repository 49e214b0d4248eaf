import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// The plain lane (`CSVRecordReader.nextPlainLine`) splits and validates a plain row in one go. It
/// must give, row for row, what the general way gives (`next()` then `RecordValidator.validate`),
/// and leave every other row to it: rows with quotes, line breaks of every kind, non-ASCII bytes,
/// values to trim or translate, misspelt or out of bounds, too many or too few fields, rows cut by
/// the end of a chunk, a last row without a line break.
final class PlainRowLaneTests: XCTestCase {
    private let folder = try! FixtureFolder()
    private let pseudonymizer = Pseudonymizer(key: Data(repeating: 7, count: 32))

    private enum Seen: Equatable {
        case line(ActLine)
        case rejectedRow([InputIssue])
        case unreadableRow(InputIssue)
        case warning(InputIssue)
        case unreadableFile(InputIssue)
    }

    /// What the file gives the general way, what it gives with the plain lane first, and how many
    /// rows the plain lane took.
    private func bothWays(_ url: URL, profile: MappingProfile) throws -> (general: [Seen], plain: [Seen], plainRows: Int) {
        let validator = RecordValidator(pseudonymizer: pseudonymizer, profile: profile)
        func read(plainLane: Bool) throws -> ([Seen], Int) {
            var seen: [Seen] = []
            var plainRows = 0
            let memo = ValidationMemo()
            let reader: CSVRecordReader
            do {
                reader = try CSVRecordReader(url: url, displayName: url.lastPathComponent, profile: profile)
            } catch let unreadable as UnreadableFile {
                return ([.unreadableFile(unreadable.issue)], 0)
            }
            do {
                while true {
                    if plainLane, let line = try reader.nextPlainLine(validator, memo: memo) {
                        seen.append(.line(line))
                        plainRows += 1
                        continue
                    }
                    guard let event = try reader.next() else { break }
                    switch event {
                    case .record(let record):
                        switch validator.validate(record, memo: memo) {
                        case .success(let line): seen.append(.line(line))
                        case .failure(let rejected): seen.append(.rejectedRow(rejected.issues))
                        }
                    case .rejected(let issue): seen.append(.unreadableRow(issue))
                    case .warning(let issue): seen.append(.warning(issue))
                    }
                }
            } catch let unreadable as UnreadableFile {
                seen.append(.unreadableFile(unreadable.issue))
            }
            return (seen, plainRows)
        }
        let (general, _) = try read(plainLane: false)
        let (plain, plainRows) = try read(plainLane: true)
        return (general, plain, plainRows)
    }

    private static let header = "invoice_id;act_date;act_time;place;practitioner_id;practitioner_specialty;patient_id;"
        + "patient_birth_date;patient_sex;patient_ald;patient_coverage;mt_status;mt_practitioner_id;code;coefficient;"
        + "quantity;modifiers;association;amount"

    /// A valid row, with one column's value replaced.
    private static func row(_ invoice: String, _ replacing: [Int: String] = [:]) -> String {
        var values = [invoice, "2025-01-02", "15:35", "cabinet", "10001000008", "01", "201067500171983", "2001-06-04", "F",
                      "0", "", "centre", "10001000008", "G", "1", "1", "", "", "30,00"]
        for (index, value) in replacing { values[index] = value }
        return values.joined(separator: ";")
    }

    /// Rows the plain lane takes and rows it must leave to the general way.
    private static let variants: [[Int: String]] = [
        [:], [2: ""], [3: ""], [8: ""], [9: ""], [11: ""], [12: ""], [14: ""], [15: ""],
        [3: "TELE"], [3: "Domicile"], [3: "bureau"], [3: " cabinet"], [3: "cabinet "],
        [2: "9:30"], [2: "25:00"], [2: "23:59"],
        [1: "02/01/2025"], [1: "2025-02-30"], [1: "1999-12-31"], [1: "2100-01-01"], [1: "2025-1-2"],
        [7: "2025-01-03"], [7: "1879-12-31"], [7: "04/06/2001"],
        [4: "10001000007"], [4: "1000100000"], [4: ""], [12: "10001000007"], [12: "abc"],
        [5: "1"], [5: "24"], [5: "x"], [5: "123"], [5: ""],
        [6: "201067500171984"], [6: "P000002"], [6: "p-0123456789abcdef"], [6: "12345678901234567890"], [6: ""],
        [8: "m"], [8: "H"], [8: "2"], [8: "X"],
        [9: "oui"], [9: "Yes"], [9: "N"], [9: "peut-etre"],
        [10: "c2s"], [10: "AME"], [10: "css"],
        [11: "elsewhere"], [11: "NONE"], [11: "ailleurs"],
        [13: "g"], [13: "DEQP003"], [13: "MEG"], [13: "1G"], [13: "TOOLONGCODE"], [13: ""],
        [14: "1,5"], [14: "0"], [14: "100"], [14: "100,001"], [14: "-1"],
        [15: "0"], [15: "999"], [15: "1000"], [15: "2"],
        [16: "af"], [16: "A,F"], [16: "a+f"], [16: "A F"], [16: ","], [16: "A-F"], [16: "é"],
        [17: "1"], [17: "x y"],
        [18: "30.5"], [18: "30,555"], [18: "-5,00"], [18: "10000,01"], [18: "10000,00"], [18: ""], [18: "0"],
        [0: ""], [0: " F1"], [0: "F1\u{7F}"], [0: "F\u{7F}1"], [0: "F\"1"], [0: "\"F1\""],
        [17: String(repeating: "a", count: 5_000)],
        [17: "\u{01}"], [17: "\tx"], [17: "naïve"],
    ]

    private func assertSameBothWays(_ url: URL, profile: MappingProfile = .standard,
                                    file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let (general, plain, plainRows) = try bothWays(url, profile: profile)
        XCTAssertEqual(plain.count, general.count, "as many rows and warnings both ways", file: file, line: line)
        for (index, (left, right)) in zip(general, plain).enumerated() where left != right {
            XCTFail("event \(index) differs: general \(left), plain lane \(right)", file: file, line: line)
            break
        }
        return plainRows
    }

    func testEveryVariantGivesTheSameWithAndWithoutThePlainLane() throws {
        // Every variant with each line break, many times over: more than a chunk (64 Kio), so rows
        // are cut at the end of one, at every place in a row.
        for (name, lineBreak) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
            var lines = [Self.header]
            for round in 0..<10 {
                for (index, variant) in Self.variants.enumerated() {
                    lines.append(Self.row("F\(round)-\(index)", variant))
                }
                lines.append(";;;;")
                lines.append("   ")
                lines.append("")
                lines.append(Self.row("F\(round)-extra") + ";;")
                lines.append(Self.row("F\(round)-extra2") + ";x")
                lines.append(Self.row("F\(round)-short").split(separator: ";").dropLast().joined(separator: ";"))
                lines.append(Self.row("F\(round)-quoted", [17: "\"a\nb\""]))
                lines.append(Self.row("F\(round)-mixed") + "\r\n" + Self.row("F\(round)-after"))
            }
            var text = lines.joined(separator: lineBreak)
            let withBreak = try folder.write("plain-\(name).csv", utf8: text + lineBreak)
            let plainRows = try assertSameBothWays(withBreak)
            XCTAssertGreaterThan(plainRows, 8 * 30, "the plain lane takes the plain rows (\(name))")
            XCTAssertGreaterThan((try Data(contentsOf: withBreak)).count, 2 * CSVTokenizer.chunkSize)
            // The last row without a line break, and a file switching to Windows-1252 half way.
            _ = try assertSameBothWays(try folder.write("plain-\(name)-open.csv", utf8: text))
            text += lineBreak + Self.row("F-latin", [17: "caf\u{E9}"]) + lineBreak + Self.row("F-after")
            var bytes = Array(text.utf8)
            if let accent = bytes.firstIndex(of: 0xC3) { bytes.replaceSubrange(accent...(accent + 1), with: [0xE9]) }
            _ = try assertSameBothWays(try folder.write("plain-\(name)-1252.csv", bytes: bytes))
        }
    }

    func testOtherDelimitersAndColumnOrders() throws {
        let columns = Self.header.split(separator: ";").map(String.init)
        let order = Array(columns.indices.reversed())
        for delimiter in [",", "\t"] {
            var lines = [order.map { columns[$0] }.joined(separator: delimiter) + delimiter + "note"]
            for (index, variant) in Self.variants.enumerated() where !(variant.values.first ?? "").contains(",") {
                // Decimal points: a comma would split the value.
                let values = Self.row("F\(index)", variant).split(separator: ";", omittingEmptySubsequences: false)
                    .map { delimiter == "," ? $0.replacingOccurrences(of: ",", with: ".") : String($0) }
                lines.append(order.map { values[$0] }.joined(separator: delimiter) + delimiter + "libre")
            }
            let url = try folder.write("plain-\(delimiter == "," ? "comma" : "tab").csv", utf8: lines.joined(separator: "\n") + "\n")
            XCTAssertGreaterThan(try assertSameBothWays(url), 20)
        }
    }

    func testAProfileThatTranslatesValuesLeavesThemToTheGeneralWay() throws {
        let profile = try TestData.exportFRProfile()
        let header = "N° facture;Date de l'acte;Heure;Lieu;RPPS;Spécialité;NIR;Date de naissance;Sexe;ALD;Couverture;"
            + "Médecin traitant;RPPS MT;Code acte;Coef;Qté;Modificateurs;Association;Montant;Commentaire"
        var lines = [header]
        for (index, variant) in Self.variants.enumerated() {
            lines.append(Self.row("F\(index)", variant) + ";")
            var translated = variant
            translated[3] = index % 2 == 0 ? "Cabinet" : "Visite"
            lines.append(Self.row("T\(index)", translated) + ";vu")
            lines.append(Self.row("E\(index)", variant.merging([3: "", 8: "", 10: "", 11: ""]) { $1 }) + ";")
        }
        let url = try folder.write("plain-fr.csv", utf8: lines.joined(separator: "\n") + "\n")
        let plainRows = try assertSameBothWays(url, profile: profile)
        XCTAssertGreaterThan(plainRows, 20, "rows without a translated value take the plain lane")
    }

    /// XML acts take the same plain lane once read (`RecordValidator.validateAct`): every variant,
    /// as attributes of the invoice, the patient or the act, must validate as `validate` does.
    func testXMLActsValidateAsTheGeneralWay() throws {
        let attributes: [(element: String, name: String)] = [
            ("invoice", "id"), ("invoice", "date"), ("invoice", "time"), ("invoice", "place"), ("invoice", "practitioner"),
            ("invoice", "specialty"), ("patient", "id"), ("patient", "birth-date"), ("patient", "sex"), ("patient", "ald"),
            ("patient", "coverage"), ("patient", "mt-status"), ("patient", "mt-practitioner"), ("act", "code"),
            ("act", "coefficient"), ("act", "quantity"), ("act", "modifiers"), ("act", "association"), ("act", "amount"),
        ]
        func escaped(_ value: String) -> String {
            value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\t", with: "&#9;")
        }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch centre=\"750000001\">\n"
        // XML 1.0 has no place for the other control bytes: those variants are CSV's only. An act
        // past the reader's cap on values is refused before validation (`XMLHostileInputTests`).
        let variants = Self.variants.filter {
            $0.values.allSatisfy { $0.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\t" } }
                && $0.values.allSatisfy { $0.utf8.count < XMLRecordReader.maxRecordValueBytes / 2 }
        }
        for (index, variant) in variants.enumerated() {
            let values = Self.row("X\(index)", variant).split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            func element(_ name: String, givenEmpty: String? = nil) -> String {
                attributes.indices.filter { attributes[$0].element == name && !values[$0].isEmpty && attributes[$0].name != givenEmpty }
                    .map { " \(attributes[$0].name)=\"\(escaped(values[$0]))\"" }.joined()
                    + (givenEmpty.map { " \($0)=\"\"" } ?? "")
            }
            xml += "<invoice\(element("invoice"))>\n<patient\(element("patient"))/>\n<act\(element("act"))/>\n"
            // An act with an attribute given empty.
            xml += "<act\(element("act", givenEmpty: index % 2 == 0 ? "modifiers" : "coefficient"))/>\n</invoice>\n"
        }
        xml += "</batch>\n"
        let url = try folder.write("plain.xml", utf8: xml)
        let validator = RecordValidator(pseudonymizer: pseudonymizer)
        let reader = try XMLRecordReader(url: url, displayName: "plain.xml", profile: .standard)
        let (generalMemo, plainMemo) = (ValidationMemo(), ValidationMemo())
        var acts = 0
        var plainActs = 0
        while let event = try reader.next() {
            guard case .record(let record) = event else { continue }
            acts += 1
            let general = validator.validate(record, memo: generalMemo)
            let plain = validator.validateAct(record, memo: plainMemo)
            if record.withPlainValues(plainMemo.plainSpans, { validator.plainLine($0, location: record.location, memo: plainMemo) }) != nil {
                plainActs += 1
            }
            switch (general, plain) {
            case (.success(let left), .success(let right)): XCTAssertEqual(left, right, "act at \(record.location)")
            case (.failure(let left), .failure(let right)): XCTAssertEqual(left.issues, right.issues, "act at \(record.location)")
            default: XCTFail("act at \(record.location): \(general) against \(plain)")
            }
        }
        XCTAssertEqual(acts, 2 * variants.count)
        XCTAssertGreaterThan(plainActs, 40, "the plain lane takes most acts")
    }
}
