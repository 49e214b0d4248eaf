import AuditReport
import AuditRules
import Benchmark
import BillingIngest
import BillingModel
import Foundation

/// A synthetic month: `invoices` invoices of G (+ MEG for children), VG + MD, and nurse AMI,
/// written as a contract CSV and as XML, with a few under-coded lines so every rule path runs.
enum SyntheticBatch {
    static func rpps(_ n: Int) -> String {
        let body = String(format: "%010d", 1_000_000_000 + n)
        return body + String(RPPS.checkDigit(for: body)!)
    }

    static func write(invoices: Int, to directory: URL) throws -> (csv: URL, xml: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let csvURL = directory.appendingPathComponent("batch.csv")
        let xmlURL = directory.appendingPathComponent("batch.xml")
        FileManager.default.createFile(atPath: csvURL.path, contents: nil)
        FileManager.default.createFile(atPath: xmlURL.path, contents: nil)
        let csv = try FileHandle(forWritingTo: csvURL)
        let xml = try FileHandle(forWritingTo: xmlURL)
        defer { try? csv.close(); try? xml.close() }
        csv.write(Data("invoice_id;act_date;act_time;place;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;patient_ald;mt_status;code;coefficient;amount\n".utf8))
        xml.write(Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<batch centre=\"750000001\">\n".utf8))
        var csvChunk = ""
        var xmlChunk = ""
        for index in 0..<invoices {
            let day = CalendarDay(year: 2025, month: 3, day: 1)!.adding(days: index % 28).iso
            let practitioner = rpps(index % 8)
            let patient = "P\(String(format: "%06d", index % 20_000))"
            let birth = index % 10 == 0 ? "2022-05-01" : "1975-05-01"
            let status = index % 7 == 0 ? "none" : "centre"
            var acts: [(String, String, String)]
            switch index % 4 {
            case 0, 1: acts = [("G", "1", index % 97 == 0 ? "26.50" : "30.00")]
            case 2: acts = [("VG", "1", "30.00"), ("MD", "1", "10.00")]
            default: acts = [("G", "1", "30.00"), ("DEQP003", "1", "14.52")]
            }
            if birth == "2022-05-01" && index % 3 != 0 { acts.append(("MEG", "1", "5.00")) }
            let place = index % 4 == 2 ? "domicile" : "cabinet"
            xmlChunk += "  <invoice id=\"F\(index)\" date=\"\(day)\" time=\"10:00\" place=\"\(place)\" practitioner=\"\(practitioner)\" specialty=\"01\">\n"
            xmlChunk += "    <patient id=\"\(patient)\" birth-date=\"\(birth)\" ald=\"0\" mt-status=\"\(status)\"/>\n"
            for (code, coefficient, amount) in acts {
                csvChunk += "F\(index);\(day);10:00;\(place);\(practitioner);01;\(patient);\(birth);0;\(status);\(code);\(coefficient);\(amount.replacingOccurrences(of: ".", with: ","))\n"
                xmlChunk += "    <act code=\"\(code)\" coefficient=\"\(coefficient)\" amount=\"\(amount)\"/>\n"
            }
            xmlChunk += "  </invoice>\n"
            if csvChunk.utf8.count > 1 << 20 {
                csv.write(Data(csvChunk.utf8)); xml.write(Data(xmlChunk.utf8))
                csvChunk = ""; xmlChunk = ""
            }
        }
        csv.write(Data(csvChunk.utf8))
        xml.write(Data((xmlChunk + "</batch>\n").utf8))
        return (csvURL, xmlURL)
    }
}

let invoices = Int(ProcessInfo.processInfo.environment["COTAUDIT_BENCH_INVOICES"] ?? "") ?? 100_000
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-bench")
let (csvFile, xmlFile) = try SyntheticBatch.write(invoices: invoices, to: directory)
let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Rules")
let ruleSet = try RuleSetLoader.load(directory: rulesDirectory)
let runner = AuditRunner(ruleSet: ruleSet, pseudonymizer: Pseudonymizer(key: Data(repeating: 1, count: 32)))
let reportOptions = ReportOptions(asOf: CalendarDay(year: 2025, month: 4, day: 1)!, recoverableWindowDays: 730,
                                  recoverableWindowSource: "", centreName: nil, ruleAdvice: [:])

benchmark("audit CSV, \(invoices) invoices") {
    let (outcome, _) = runner.run(paths: [csvFile.path])
    precondition(outcome.rejectedLines == 0 && outcome.invoices == invoices)
}

benchmark("audit XML, \(invoices) invoices") {
    let (outcome, _) = runner.run(paths: [xmlFile.path])
    precondition(outcome.rejectedLines == 0 && outcome.invoices == invoices)
}

benchmark("audit CSV + JSON report, \(invoices) invoices") {
    let (outcome, _) = runner.run(paths: [csvFile.path])
    let json = JSONReport.render(outcome, totals: AuditTotals(outcome, options: reportOptions), options: reportOptions)
    precondition(!json.isEmpty)
}

Benchmark.main()
