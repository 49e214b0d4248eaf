import AuditRules
import BillingIngest
import BillingModel
import Foundation
import FuzzSupport

/// The XML reader and validator on any bytes: no crash, no identity value in any message, every
/// reported line inside the file, and every act read is audited or rejected.
private let ruleSet = try! RuleSetLoader.load(directory: Fuzz.repositoryRoot.appendingPathComponent("Rules"))
private let pseudonymizer = Pseudonymizer(key: Data(repeating: 7, count: 32))

@_cdecl("FuzzXML_main")
public func fuzzXMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv) { data, size in fuzzXML(data!, size) }
}

func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = Fuzz.scratchFile("fuzz.xml", data, size)
    let validator = RecordValidator(pseudonymizer: pseudonymizer)
    let memo = ValidationMemo()
    let lineCount = UnsafeBufferPointer(start: data, count: size).filter { $0 == 0x0A }.count + 1
    var rowsRead = 0
    do {
        let reader = try XMLRecordReader(url: url, displayName: "fuzz.xml", profile: .standard)
        while let event = try reader.next() {
            switch event {
            case .record(let record):
                rowsRead += 1
                if record.location.line < 1 || record.location.line > lineCount {
                    Fuzz.fail("act at line \(record.location.line) outside 1...\(lineCount)")
                }
                let validated = validator.validate(record)
                // The plain lane (`validateAct`) must give every act exactly what the general way gives.
                switch (validated, validator.validateAct(record, memo: memo)) {
                case (.success(let general), .success(let plain)) where general == plain: break
                case (.failure(let general), .failure(let plain)) where general.issues == plain.issues: break
                default: Fuzz.fail("the plain lane differs for the act at line \(record.location.line)")
                }
                if case .failure(let rejected) = validated {
                    let identities = Set([record[.patientID], record[.patientBirthDate]].compactMap { $0 })
                        .filter { identity in identity.count >= 8 && identity.contains(where: \.isNumber) }
                    for issue in rejected.issues { Fuzz.checkPrivacy(issue.message, context: "act \(record.location.line)") }
                    Fuzz.checkNoEcho(identities, in: rejected.issues.map(\.message), context: "act \(record.location.line)")
                }
            case .rejected(let issue):
                rowsRead += 1
                Fuzz.checkPrivacy(issue.message, context: "rejected act")
            case .warning(let issue):
                Fuzz.checkPrivacy(issue.message, context: "warning")
            }
        }
    } catch let unreadable as UnreadableFile {
        Fuzz.checkPrivacy(unreadable.issue.message, context: "unreadable")
    } catch {
        Fuzz.fail("unexpected error \(error)")
    }

    let runner = AuditRunner(ruleSet: ruleSet, pseudonymizer: pseudonymizer)
    let (outcome, _) = runner.run(paths: [url.path])
    if outcome.acts + outcome.rejectedLines != rowsRead {
        Fuzz.fail("acts \(outcome.acts) + rejected \(outcome.rejectedLines) != acts read \(rowsRead)")
    }
    for issue in outcome.inputErrors + outcome.warnings { Fuzz.checkPrivacy(issue.message, context: "audit") }
    return 0
}
