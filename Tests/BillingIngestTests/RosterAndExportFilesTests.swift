import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

final class RosterReaderTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    func testGoodRowsMakeTheRosterAndBadRowsAreReported() throws {
        let doctor = TestData.rpps("1000000000")
        let nurse = TestData.rpps("1000000001")
        let departed = TestData.rpps("1000000002")
        let badKey = String(doctor.dropLast()) + String((doctor.last!.wholeNumberValue! + 1) % 10)
        let text = """
        practitioner_id;name;specialty;start_date;end_date
        \(doctor);Dr Élodie Martin;01;2019-01-01;
        \(nurse);"Durand; Paul";24;01/09/2020;

        \(departed);Dr Noël;1;2015-05-01;31/12/2023
        \(badKey);Dr Faux;01;2019-01-01;
        \(TestData.rpps("1000000003"));Dr Date;01;2024-02-30;
        \(TestData.rpps("1000000004"));Dr Inverse;01;2024-01-01;2023-01-01
        ;Sans numéro;01;;
        \(doctor);Doublon;01;2019-01-01;

        """
        let url = try folder.write("praticiens.csv", windows1252: text)
        let (roster, issues) = try RosterReader.read(url: url)

        XCTAssertEqual(Set(roster.entries.keys), [doctor, nurse, departed])
        XCTAssertEqual(roster.name(of: doctor), "Dr Élodie Martin")
        XCTAssertEqual(roster.name(of: nurse), "Durand; Paul")
        XCTAssertEqual(roster[nurse]?.startDate, CalendarDay(year: 2020, month: 9, day: 1))
        XCTAssertEqual(roster[departed]?.specialty, .generalPractice)
        XCTAssertEqual(roster[departed]?.endDate, CalendarDay(year: 2023, month: 12, day: 31))
        XCTAssertNil(roster[doctor]?.endDate)

        let notices = issues.filter { $0.severity == .notice }
        XCTAssertEqual(notices.count, 1, "the Windows-1252 notice: \(notices)")
        let errors = issues.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.line), [6, 7, 8, 9, 10])
        XCTAssertEqual(errors.map(\.column), ["practitioner_id", "start_date", "end_date", "practitioner_id", "practitioner_id"])
        for error in errors {
            XCTAssertEqual(error.file, "praticiens.csv")
            XCTAssertTrue(TestData.looksFrench(error.message) || error.message.contains("déjà inscrit"), error.message)
        }
        XCTAssertTrue(errors[0].message.contains("clé de Luhn"), errors[0].message)
        XCTAssertTrue(errors[1].message.contains("AAAA-MM-JJ"), errors[1].message)
        XCTAssertTrue(errors[2].message.contains("antérieure"), errors[2].message)
        XCTAssertTrue(errors[3].message.contains("obligatoire"), errors[3].message)
        XCTAssertTrue(errors[4].message.contains("déjà inscrit ligne 2"), errors[4].message)
    }

    func testCommaDelimitedRosterInAnyOrder() throws {
        let doctor = TestData.rpps("2000000000")
        let url = try folder.write("roster.csv", utf8: "end_date,name,practitioner_id\r\n2024-06-30,Dr A,\(doctor)\r\n")
        let (roster, issues) = try RosterReader.read(url: url)
        XCTAssertTrue(issues.isEmpty, "\(issues)")
        XCTAssertEqual(roster[doctor]?.endDate, CalendarDay(year: 2024, month: 6, day: 30))
        XCTAssertEqual(roster[doctor]?.isActive(on: CalendarDay(year: 2024, month: 7, day: 1)!), false)
    }

    func testRosterWithoutPractitionerColumnIsUnreadable() throws {
        let url = try folder.write("roster.csv", utf8: "name;specialty\nDr A;01\n")
        XCTAssertThrowsError(try RosterReader.read(url: url)) { error in
            let issue = (error as? UnreadableFile)?.issue
            XCTAssertEqual(issue?.line, 1)
            XCTAssertTrue(issue?.message.contains("practitioner_id") ?? false, "\(String(describing: issue))")
        }
    }
}

final class ExportFilesTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    func testFoldersAreExpandedSortedWithoutHiddenOrForeignFiles() throws {
        try folder.write("exports/b.csv", utf8: "b")
        try folder.write("exports/a.CSV", utf8: "a")
        try folder.write("exports/sub/c.xml", utf8: "<batch/>")
        try folder.write("exports/sub/d.txt", utf8: "d")
        try folder.write("exports/notes.pdf", utf8: "x")
        try folder.write("exports/.cache.csv", utf8: "x")
        try folder.write("exports/.hidden/e.csv", utf8: "x")
        let single = try folder.write("single.dat", utf8: "s")
        let exports = folder.url.appendingPathComponent("exports").path
        let missing = folder.url.appendingPathComponent("absent").path

        let empty = folder.url.appendingPathComponent("vide")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try folder.write("vide/.DS_Store", utf8: "x")

        let (files, issues) = ExportFiles.collect(paths: [single.path, exports, missing, exports, empty.path])

        let names = files.map { String($0.path.dropFirst(folder.url.path.count + 1)) }
        XCTAssertEqual(names, ["single.dat", "exports/a.CSV", "exports/b.csv", "exports/sub/c.xml", "exports/sub/d.txt"])
        let errors = issues.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.file), [missing, empty.path])
        XCTAssertEqual(errors.map(\.line), [0, 0])
        XCTAssertTrue(errors[0].message.contains("introuvable"), errors[0].message)
        XCTAssertTrue(errors[1].message.contains("aucun fichier"), errors[1].message)
        // The folder given twice is said once, as a warning, not audited twice.
        XCTAssertEqual(issues.filter { $0.severity == .warning }.map(\.message), ["chemin donné deux fois : audité une seule fois"])
    }

    func testAFileReachedTwiceOrCopiedIsKeptOnceAndSaid() throws {
        let first = try folder.write("exports/decembre.csv", utf8: "invoice_id\nF1\n")
        try folder.write("sauvegarde/decembre (copie).csv", utf8: "invoice_id\nF1\n")
        try folder.write("exports/janvier.csv", utf8: "invoice_id\nF2\n")
        let (files, issues) = ExportFiles.collect(paths: [first.path, folder.url.appendingPathComponent("exports").path,
                                                          folder.url.appendingPathComponent("sauvegarde").path])
        XCTAssertEqual(files.map(\.lastPathComponent), ["decembre.csv", "janvier.csv"])
        XCTAssertEqual(issues.map(\.severity), [.warning, .warning])
        XCTAssertEqual(issues[0].message, "fichier donné deux fois : audité une seule fois")
        XCTAssertTrue(issues[1].message.hasPrefix("même contenu que « "), issues[1].message)
        XCTAssertTrue(issues[1].file.hasSuffix("decembre (copie).csv"), issues[1].file)
    }

    func testOpenReaderChoosesCSVForACSVFile() throws {
        let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount"
        let url = try folder.write("a.txt", utf8: header + "\nF1;2024-03-05;10000000001;01;P1;2021-03-04;G;30\n")
        let reader = try ExportFiles.openReader(url: url, displayName: "a.txt", profile: .standard, encoding: nil)
        XCTAssertTrue(reader is CSVRecordReader)
        XCTAssertEqual(try ReadResult(reader: reader).records.count, 1)
    }

    func testOpenReaderChoosesXMLByExtensionOrFirstByte() throws {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch centre=\"750000001\"></batch>\n"
        let byExtension = try folder.write("octobre.XML", utf8: xml)
        let byContent = try folder.write("octobre.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(("\n" + xml).utf8))
        for url in [byExtension, byContent] {
            let reader = try ExportFiles.openReader(url: url, displayName: url.lastPathComponent, profile: .standard, encoding: nil)
            XCTAssertTrue(reader is XMLRecordReader, "\(url.lastPathComponent) → \(type(of: reader))")
        }
    }

    func testXMLIsRecognisedByItsFirstByte() throws {
        XCTAssertTrue(ExportFiles.startsWithAngleBracket(try folder.write("a.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("\n  <?xml version=\"1.0\"?><batch/>".utf8))))
        XCTAssertTrue(ExportFiles.startsWithAngleBracket(try folder.write("b.dat", utf8: "<batch/>")))
        XCTAssertFalse(ExportFiles.startsWithAngleBracket(try folder.write("c.csv", utf8: "invoice_id;<b>\n")))
        XCTAssertFalse(ExportFiles.startsWithAngleBracket(folder.url.appendingPathComponent("absent.csv")))
    }
}
