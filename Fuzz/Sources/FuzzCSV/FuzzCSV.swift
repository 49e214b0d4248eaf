import AuditRules
import BillingIngest
import BillingModel
import Foundation
import FuzzSupport

/// The CSV reader and validator on any bytes. Fails when a non-blank physical line after the header
/// is neither in a record nor in a rejected row, or is read twice; when the audit's acts + rejected
/// lines differ from the rows read; when the plain lane (`nextPlainLine`) gives a row otherwise than
/// the general way; or when a message carries an identity value.
private let ruleSet = try! RuleSetLoader.load(directory: Fuzz.repositoryRoot.appendingPathComponent("Rules"))
private let exportFR = try! MappingProfile.load(named: "export-fr", in: Fuzz.repositoryRoot.appendingPathComponent("Rules/profiles"))
private let pseudonymizer = Pseudonymizer(key: Data(repeating: 7, count: 32))

@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv) { data, size in fuzzCSV(data!, size) }
}

func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let url = Fuzz.scratchFile("fuzz.csv", data, size)
    // The sample exports use the export-fr profile; files naming the contract columns, the standard one.
    let profile = bytes.starts(with: Array("invoice_id".utf8)) || size < 10 ? MappingProfile.standard : exportFR
    let validator = RecordValidator(pseudonymizer: pseudonymizer, profile: profile)

    let reader: CSVRecordReader
    do {
        reader = try CSVRecordReader(url: url, displayName: "fuzz.csv", profile: profile)
    } catch let unreadable as UnreadableFile {
        Fuzz.checkPrivacy(unreadable.issue.message, context: "unreadable file")
        return 0
    } catch {
        Fuzz.fail("unexpected error \(error)")
    }

    var covered: [Int] = []
    var rowsRead = 0
    var general: [Seen] = []
    do {
        while let event = try reader.next() {
            switch event {
            case .record(let record):
                rowsRead += 1
                covered += Array(record.location.line..<(record.location.line + record.physicalLines))
                let validated = validator.validate(record)
                general.append(Seen(validated))
                if case .failure(let rejected) = validated {
                    let identities = Set([record[.patientID], record[.patientBirthDate]].compactMap { $0 })
                        .filter { identity in identity.count >= 8 && identity.contains(where: \.isNumber) }
                    for issue in rejected.issues { Fuzz.checkPrivacy(issue.message, context: "row \(record.location.line)") }
                    Fuzz.checkNoEcho(identities, in: rejected.issues.map(\.message), context: "row \(record.location.line)")
                }
            case .rejected(let issue):
                rowsRead += 1
                covered.append(issue.line)
                general.append(.unreadableRow(issue))
                Fuzz.checkPrivacy(issue.message, context: "rejected row")
            case .warning(let issue):
                general.append(.warning(issue))
                Fuzz.checkPrivacy(issue.message, context: "warning")
            }
        }
    } catch let unreadable as UnreadableFile {
        Fuzz.checkPrivacy(unreadable.issue.message, context: "unreadable later")
        return 0
    } catch {
        Fuzz.fail("unexpected error \(error)")
    }

    // The same file with the plain lane first: row for row the same lines, rejections and warnings.
    do {
        let plainReader = try CSVRecordReader(url: url, displayName: "fuzz.csv", profile: profile)
        let memo = ValidationMemo()
        var plain: [Seen] = []
        while true {
            if let line = try plainReader.nextPlainLine(validator, memo: memo) {
                plain.append(.line(line))
                continue
            }
            guard let event = try plainReader.next() else { break }
            switch event {
            case .record(let record): plain.append(Seen(validator.validate(record, memo: memo)))
            case .rejected(let issue): plain.append(.unreadableRow(issue))
            case .warning(let issue): plain.append(.warning(issue))
            }
        }
        if plain != general {
            let index = zip(plain, general).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(plain.count, general.count)
            Fuzz.fail("the plain lane differs at event \(index) of \(general.count) (\(plain.count) with it)")
        }
    } catch {
        Fuzz.fail("the plain lane threw \(error) where the general way did not")
    }

    // Physical lines as the contract counts them: CR, LF and CRLF each end one.
    var lines: [Slice<UnsafeBufferPointer<UInt8>>] = []
    var start = 0
    var index = 0
    while index < size {
        let byte = bytes[index]
        if byte == 0x0A || byte == 0x0D {
            lines.append(bytes[start..<index])
            if byte == 0x0D && index + 1 < size && bytes[index + 1] == 0x0A { index += 1 }
            start = index + 1
        }
        index += 1
    }
    if start < size { lines.append(bytes[start..<size]) }

    if Set(covered).count != covered.count { Fuzz.fail("a line was read twice: \(covered)") }
    let coveredSet = Set(covered)
    if let beyond = covered.first(where: { $0 < reader.firstDataLine || $0 > lines.count }) {
        Fuzz.fail("line \(beyond) reported outside the data lines \(reader.firstDataLine)...\(lines.count)")
    }
    let layout: Set<UInt8> = [0x20, 0x09, UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "\""), 0xEF, 0xBB, 0xBF]
    for number in stride(from: reader.firstDataLine, through: lines.count, by: 1) where !coveredSet.contains(number) {
        // A line of layout only (blanks, delimiters, empty quotes) may be skipped as blank.
        if lines[number - 1].allSatisfy({ layout.contains($0) }) { continue }
        Fuzz.fail("line \(number) lost: neither audited nor rejected (covered: \(covered))")
    }

    // The whole audit on the same file: every row read is an act or a rejected line.
    var runner = AuditRunner(ruleSet: ruleSet, profile: profile, pseudonymizer: pseudonymizer)
    runner.progress = nil
    let (outcome, _) = runner.run(paths: [url.path])
    if outcome.acts + outcome.rejectedLines != rowsRead {
        Fuzz.fail("acts \(outcome.acts) + rejected \(outcome.rejectedLines) != rows read \(rowsRead)")
    }
    for issue in outcome.inputErrors + outcome.warnings { Fuzz.checkPrivacy(issue.message, context: "audit") }
    return 0
}

/// What a row or a warning gave, to compare the plain lane with the general way.
private enum Seen: Equatable {
    case line(ActLine)
    case rejectedRow([InputIssue])
    case unreadableRow(InputIssue)
    case warning(InputIssue)

    init(_ validated: Result<ActLine, RejectedRow>) {
        switch validated {
        case .success(let line): self = .line(line)
        case .failure(let rejected): self = .rejectedRow(rejected.issues)
        }
    }
}
