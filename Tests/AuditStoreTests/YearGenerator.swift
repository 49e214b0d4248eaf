import BillingModel
import Foundation

/// A year of monthly billing exports written for the tests: general practitioners (one of them
/// gone before the year starts, still declared as médecin traitant by some patients), adults,
/// children and very old patients, C2S and AME patients, with under-billed consultations, missing
/// MEG and patients without a médecin traitant seen in different months. The same seed gives the same bytes.
struct YearGenerator {
    /// 2026: the FMT and its C2S supplement, so that the patient's cover matters.
    static let year = 2026
    var year: Int { Self.year }
    let patients: Int
    let invoicesPerMonth: Int

    static func rpps(_ tenDigits: String) -> String { tenDigits + String(RPPS.checkDigit(for: tenDigits)!) }

    static let doctors = [rpps("1000000001"), rpps("1000000002"), rpps("1000000003")]
    static let departed = rpps("1000000009")

    /// The patient seen exactly once in March and once in April, without a médecin traitant.
    static let marchAprilPatient = "PAT-MA"

    static var roster: String {
        "practitioner_id;name;specialty;start_date;end_date\n"
            + "\(doctors[0]);Dr Alice Durand;01;2015-01-01;\n"
            + "\(doctors[1]);Dr Bruno Petit;01;2018-05-01;\n"
            + "\(doctors[2]);Dr Chloé Roux;01;2020-09-01;\n"
            + "\(departed);Dr Denis Faure;01;2010-01-01;2024-12-31\n"
    }

    static let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;patient_ald;patient_coverage;mt_status;mt_practitioner_id;code;amount"

    /// A small linear congruential generator: reproducible without Foundation's randomness.
    struct Dice {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    struct Patient {
        var id: String
        var birth: String
        var ald: Bool
        var coverage: String
        var mtStatus: String
        var mtDoctor: String
    }

    func patientList() -> [Patient] {
        var dice = Dice(state: 42)
        var list: [Patient] = []
        for index in 0..<patients {
            let birth: String
            switch index % 6 {
            case 0: birth = "2021-0\(1 + dice.next(9))-1\(dice.next(9))"  // a young child: MEG
            case 1: birth = "1938-0\(1 + dice.next(9))-0\(1 + dice.next(9))"  // over 80
            default: birth = "19\(50 + dice.next(45))-1\(dice.next(3))-2\(dice.next(9))"
            }
            let status: String
            var doctor = ""
            switch index % 4 {
            case 0: status = "none"
            case 1: status = "centre"; doctor = Self.departed
            default: status = "centre"; doctor = Self.doctors[dice.next(3)]
            }
            list.append(Patient(id: String(format: "PAT-%04d", index), birth: birth, ald: index % 5 == 2,
                                coverage: index % 10 == 4 ? "c2s" : index % 10 == 8 ? "ame" : "", mtStatus: status, mtDoctor: doctor))
        }
        list.append(Patient(id: Self.marchAprilPatient, birth: "1980-06-15", ald: false, coverage: "", mtStatus: "none", mtDoctor: ""))
        return list
    }

    /// The export of one month; `corrected` is the re-export after the billing staff fixed it:
    /// the same invoices, consultations at the tariff, MEG added, declarations recorded.
    func month(_ month: Int, corrected: Bool = false) -> String {
        let list = patientList()
        var dice = Dice(state: UInt64(1000 + month))
        var lines = [Self.header]
        let monthText = month < 10 ? "0\(month)" : "\(month)"
        for number in 1...invoicesPerMonth {
            var patient = list[dice.next(list.count - 1)]
            if number == 1 && (month == 3 || month == 4) { patient = list[list.count - 1] }
            let doctor = Self.doctors[dice.next(3)]
            let day = 1 + dice.next(28)
            let date = "\(year)-\(monthText)-\(day < 10 ? "0" : "")\(day)"
            let invoice = "F\(year)\(monthText)-\(number)"
            var status = patient.mtStatus
            var mtDoctor = patient.mtDoctor
            if corrected && status == "none" && patient.id != Self.marchAprilPatient { status = "centre"; mtDoctor = doctor }
            let underBilled = dice.next(5) == 0 && !corrected
            let isChild = patient.birth.hasPrefix("2021")
            let prefix = "\(invoice);\(date);\(doctor);01;\(patient.id);\(patient.birth);\(patient.ald ? "1" : "0");\(patient.coverage);\(status);\(mtDoctor)"
            lines.append("\(prefix);G;\(underBilled ? "26.50" : "30.00")")
            if isChild && (corrected || dice.next(2) == 0) { lines.append("\(prefix);MEG;5.00") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the twelve months (`2025-01.csv` …) and the roster into `folder`.
    func write(to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.roster.write(to: folder.appendingPathComponent("roster.csv"), atomically: true, encoding: .utf8)
        return try (1...12).map { month in
            let url = folder.appendingPathComponent("exports/\(year)-\(month < 10 ? "0" : "")\(month).csv")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try self.month(month).write(to: url, atomically: true, encoding: .utf8)
            return url
        }
    }
}
