import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// XML written to break the reader: libxml2's own words (which quote the text around an error) never
/// reach a message, element names are shown only when harmless, and a tag with a huge number of
/// attributes stops the file at once instead of stalling the run.
final class XMLHostileInputTests: XCTestCase {
    private var folder: FixtureFolder!

    override func setUpWithError() throws { folder = try FixtureFolder() }
    override func tearDown() { folder = nil }

    private let nir = TestData.nirWithKey("1850775123456")

    private func invoice(_ id: String) -> String {
        """
          <invoice id="\(id)" date="2024-10-02" practitioner="\(TestData.rpps("1000000000"))" specialty="01">
            <patient id="\(nir)" birth-date="1980-03-04"/>
            <act code="G" amount="30.00"/>
          </invoice>

        """
    }

    /// Events read before the file stopped, and the reason it stopped.
    private func read(_ text: String) throws -> (result: [ReadEvent], failure: UnreadableFile?) {
        let url = try folder.write("hostile.xml", utf8: text)
        let reader = try XMLRecordReader(url: url, displayName: "hostile.xml", profile: .standard)
        var events: [ReadEvent] = []
        do {
            while let event = try reader.next() { events.append(event) }
            return (events, nil)
        } catch let failure as UnreadableFile {
            return (events, failure)
        }
    }

    /// How many of the events are records.
    private func records(_ outcome: (result: [ReadEvent], failure: UnreadableFile?)) -> Int {
        outcome.result.filter { if case .record = $0 { return true } else { return false } }.count
    }

    private func messages(_ outcome: (result: [ReadEvent], failure: UnreadableFile?)) -> [String] {
        outcome.result.compactMap { event -> String? in
            switch event {
            case .record: return nil
            case .rejected(let issue), .warning(let issue): return issue.message
            }
        } + [outcome.failure?.issue.message].compactMap { $0 }
    }

    func testLibxml2TextIsNeverCopied() throws {
        let text = "<?xml version=\"1.0\"?>\n<batch>\n" + invoice("F1") + "  <x\(nir)>\n  </y\(nir)>\n</batch>\n"
        let outcome = try read(text)
        let failure = try XCTUnwrap(outcome.failure)
        XCTAssertTrue(failure.issue.message.contains("mal formé"), failure.issue.message)
        for message in messages(outcome) {
            XCTAssertNil(message.range(of: "[0-9]{8,}", options: .regularExpression), message)
        }
        XCTAssertEqual(records(outcome), 1)
    }

    func testUnknownElementNamedLikeANIRIsDescribed() throws {
        let text = "<?xml version=\"1.0\"?>\n<batch>\n" + invoice("F1") + "  <n\(nir)/>\n  <remarque/>\n</batch>\n"
        let all = messages(try read(text))
        XCTAssertEqual(all.count, 2, "\(all)")
        XCTAssertFalse(all[0].contains(nir), all[0])
        XCTAssertTrue(all[0].contains("16 caractères"), all[0])
        XCTAssertTrue(all[1].contains("<remarque>"), all[1])
    }

    /// An act's values of megabytes would wait in the queue between the threads: the act is refused
    /// (the others are read); an invoice's stop the file, as they would go with every act after them.
    func testElementsWithValuesPastTheCapAreRefused() throws {
        let long = String(repeating: "A", count: 5_000)
        let act = "<?xml version=\"1.0\"?>\n<batch>\n" + invoice("F1")
            + "  <invoice id=\"F2\" date=\"2024-10-02\" practitioner=\"\(TestData.rpps("1000000000"))\" specialty=\"01\">\n"
            + "    <act code=\"G\" amount=\"30.00\" modifiers=\"\(long)\"/>\n  </invoice>\n" + invoice("F3") + "</batch>\n"
        let outcome = try read(act)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(records(outcome), 2)
        let rejected = messages(outcome).filter { $0.contains("4 Kio") }
        XCTAssertEqual(rejected.count, 1, "\(messages(outcome))")
        XCTAssertTrue(rejected[0].contains("acte refusé"), rejected[0])
        XCTAssertFalse(rejected[0].contains("AAAA"), "the value is not quoted")

        let invoiceText = "<?xml version=\"1.0\"?>\n<batch>\n" + invoice("F1")
            + "  <invoice id=\"\(long)\" date=\"2024-10-02\">\n    <act code=\"G\" amount=\"30.00\"/>\n  </invoice>\n" + invoice("F3") + "</batch>\n"
        let stopped = try read(invoiceText)
        let failure = try XCTUnwrap(stopped.failure)
        XCTAssertEqual(failure.issue.line, 7)
        XCTAssertTrue(failure.issue.message.contains("4 Kio"), failure.issue.message)
        XCTAssertEqual(records(stopped), 1,
                       "the act before the invoice is kept")
    }

    /// Before, 100 000 attributes on one element took libxml2 a minute (its duplicate check is quadratic).
    func testElementWithAHundredThousandAttributesStopsTheFile() throws {
        let attributes = (0..<100_000).map { "a\($0)=\"1\"" }.joined(separator: " ")
        let text = "<?xml version=\"1.0\"?>\n<batch>\n" + invoice("F1") + "  <act \(attributes)/>\n" + invoice("F2") + "</batch>\n"
        let outcome = try read(text)
        let failure = try XCTUnwrap(outcome.failure)
        XCTAssertEqual(failure.issue.line, 7)
        XCTAssertTrue(failure.issue.message.contains("plus de 256 attributs"), failure.issue.message)
        XCTAssertEqual(records(outcome), 1,
                       "the act before the hostile tag is kept")
    }
}
