import AuditRules
import BillingModel

/// How often each planted error occurs, each over the invoices (or lines) where it can occur.
/// Everything else the generator bills exactly as the rule set prices it on the act date.
public struct PlantedErrorRates: Sendable, Equatable {
    /// G and VG lines billed at last year's tariff (or 10 % below when it was not lower).
    public var tariffBelowSchedule = 0.02
    /// GP invoices with a G or VG for a child under 6 that lack the MEG.
    public var missingMEG = 0.10
    /// VG invoices without the MD.
    public var missingMD = 0.08
    /// GP consultations (G) of a patient aged 6 to 11 that carry a MEG anyway.
    public var megOverAge = 0.05
    /// G or VG of a patient aged 80 or more whose médecin traitant is not at the centre, without the MOP.
    public var missingMOP = 0.10
    /// Nurse home visits without the IFD.
    public var missingIFD = 0.05
    /// Share of patients (AME and ALD apart) with no médecin traitant declaration (`mt_status` none).
    public var noDeclaration = 0.08
    /// Invoices whose rows are all unreadable (a bad RPPS or NIR key, a date that does not exist, a
    /// negative amount).
    public var rejectedInvoice = 0.002

    public init() {}

    /// No planted error at all (every patient declared, every act billed right).
    public static let none: PlantedErrorRates = {
        var rates = PlantedErrorRates()
        rates.tariffBelowSchedule = 0; rates.missingMEG = 0; rates.missingMD = 0; rates.megOverAge = 0
        rates.missingMOP = 0; rates.missingIFD = 0; rates.noDeclaration = 0; rates.rejectedInvoice = 0
        return rates
    }()
}

/// What a generated batch holds, and how many of each planted error, next to how many times it could
/// have been planted: an audit of the batch must find exactly `planted` findings of each rule.
public struct PlantedErrors: Sendable, Equatable {
    public struct Count: Sendable, Equatable {
        /// Invoices where the error could occur (lines for `tariff-below-schedule`; for
        /// `missing-mt-declaration`, the patient-years, AME and ALD apart, with 2 or more GP invoices).
        public var opportunities = 0
        public var planted = 0

        public init() {}

        public var rate: Double { opportunities == 0 ? 0 : Double(planted) / Double(opportunities) }
    }

    public var invoices = 0
    public var lines = 0
    public var rejectedInvoices = 0
    public var rejectedLines = 0
    public var patients = 0
    public var practitioners = 0
    /// By rule id.
    public var byRule: [String: Count] = [:]

    /// The rule ids the generator plants, in the order reports list them.
    public static let rules = ["tariff-below-schedule", "missing-meg", "missing-md", "meg-over-age", "missing-mop",
                               "missing-ifd", "missing-mt-declaration"]

    public init() {}

    mutating func count(_ rule: String, planted: Bool) {
        byRule[rule, default: Count()].opportunities += 1
        if planted { byRule[rule, default: Count()].planted += 1 }
    }
}

/// One generated act line, as written.
public struct GeneratedAct: Sendable, Equatable {
    public var code: String
    /// NGAP coefficient in thousandths (1000 = 1).
    public var coefficientThousandths: Int64
    public var amountCents: Int64
}

/// One generated invoice, its fields as text so that a planted unreadable value is written as is.
public struct GeneratedInvoice: Sendable, Equatable {
    public var id: String
    public var actDate: String
    public var time: String
    public var place: Place
    public var practitionerID: String
    public var specialty: String
    public var patientID: String
    public var birthDate: String
    public var sex: Sex
    public var ald: Bool
    public var coverage: Coverage?
    public var mtStatus: MTStatus
    public var mtPractitionerID: String?
    public var acts: [GeneratedAct]
}

/// Writes realistic billing of a health centre, invoice after invoice in date order, from a seed:
/// GP consultations, home and EHPAD visits, teleconsultations, ECGs and other CCAM acts, nurse acts
/// at the practice and at home; children, the very old, ALD, C2S and AME patients; and planted errors
/// at known rates (`PlantedErrorRates`), counted in `planted`. Amounts are the rule set's tariffs on
/// the act date, so the batch stays right when the rule set changes.
///
/// Memory grows with the number of patients, never with the number of lines.
public struct BatchGenerator {
    public struct Options: Sendable {
        /// Act lines to write (the last invoice may add up to 3 more).
        public var lines: Int
        public var seed: UInt64
        /// First day of the period; acts fall on the days the centre is open (Monday to Saturday,
        /// public holidays apart).
        public var start: CalendarDay
        public var days: Int
        /// Patients of the centre; by default one for every 10 lines (never fewer than twice the lines
        /// of a day).
        public var patients: Int?
        public var rates: PlantedErrorRates

        public init(lines: Int, seed: UInt64 = 1, start: CalendarDay = CalendarDay(year: 2025, month: 1, day: 1)!,
                    days: Int = 365, patients: Int? = nil, rates: PlantedErrorRates = PlantedErrorRates()) {
            self.lines = lines
            self.seed = seed
            self.start = start
            self.days = days
            self.patients = patients
            self.rates = rates
        }
    }

    public enum SetupError: Error, CustomStringConvertible {
        case noOpenDay
        case unpriced(code: String, day: CalendarDay)

        public var description: String {
            switch self {
            case .noOpenDay: return "aucun jour ouvré dans la période"
            case .unpriced(let code, let day):
                return "le jeu de règles ne donne pas de tarif à \(code) le \(day.french) : choisir une autre période"
            }
        }
    }

    struct Patient {
        var id: String
        var birth: CalendarDay
        var birthText: String
        var sex: Sex
        var ald: Bool
        var coverage: Coverage?
        var mtStatus: MTStatus
        var usualGP: Int
        var hasNIRKey: Bool
        /// Day number of the last GP invoice: one GP encounter a day at most (no duplicate act).
        var lastGPDay = Int.min
        var gpYear = 0
        var gpInvoicesInYear = 0
        /// Visits are weighted by age: the very old come most.
        var weight: Double
    }

    public let options: Options
    public private(set) var planted = PlantedErrors()

    private var random: SeededRandom
    private let tariffs: TariffSchedule
    private let zone: String
    private var patients: [Patient] = []
    private var gps: [String] = []
    private var nurses: [String] = []
    private let openDays: [CalendarDay]
    private var dayIndex = 0
    private var invoiceNumber = 0

    public init(ruleSet: RuleSet, options: Options) throws {
        self.options = options
        tariffs = ruleSet.tariffs
        zone = ruleSet.zone
        random = SeededRandom(seed: options.seed)
        var open: [CalendarDay] = []
        for offset in 0..<max(options.days, 0) {
            let day = options.start.adding(days: offset)
            if day.isoWeekday != 7 && !ruleSet.holidays.contains(day) { open.append(day) }
        }
        guard let first = open.first, let last = open.last else { throw SetupError.noOpenDay }
        openDays = open
        for code in ["G", "VG", "MEG", "MD", "AMI", "IFD"] {
            for day in [first, last] where tariffs.value(of: code, on: day, zone: zone) == nil {
                throw SetupError.unpriced(code: code, day: day)
            }
        }
        // At least twice the lines of a day, so that a patient is never needed twice on one day.
        let patientCount = max(50, options.patients ?? options.lines / 10, 2 * options.lines / open.count + 10)
        let gpCount = max(2, patientCount / 1000)
        gps = (0..<gpCount).map { Self.rpps(1_000_100_000 + $0 * 7) }
        nurses = (0..<max(1, gpCount / 3)).map { Self.rpps(1_000_900_000 + $0 * 7) }
        patients.reserveCapacity(patientCount)
        for index in 0..<patientCount { patients.append(makePatient(index)) }
        planted.patients = patientCount
        planted.practitioners = gps.count + nurses.count
    }

    /// 10 digits and their Luhn check digit.
    static func rpps(_ body: Int) -> String {
        let text = String(body)
        return text + String(RPPS.checkDigit(for: text)!)
    }

    // MARK: Patients

    private mutating func makePatient(_ index: Int) -> Patient {
        let start = options.start
        // Children are at least 27 months old on the first day, clear of the compulsory child
        // examinations (COE) that a G would otherwise stand for.
        let band = random.unit()
        let ageDays: Int
        let weight: Double
        let aldChance: Double
        switch band {
        case ..<0.07: ageDays = random.within(27 * 31...(6 * 365 - 10)); weight = 1.0; aldChance = 0.02
        case ..<0.17: ageDays = random.within(6 * 365...18 * 365 - 1); weight = 0.6; aldChance = 0.03
        case ..<0.65: ageDays = random.within(18 * 365...65 * 365 - 1); weight = 0.8; aldChance = 0.12
        case ..<0.85: ageDays = random.within(65 * 365...80 * 365 - 1); weight = 1.5; aldChance = 0.35
        default: ageDays = random.within(80 * 365 + 20...99 * 365); weight = 2.5; aldChance = 0.5
        }
        let birth = start.adding(days: -ageDays)
        let sex: Sex = random.chance(0.5) ? .female : .male
        let aldDraw = random.chance(aldChance)
        let coverageDraw = random.unit()
        let coverage: Coverage? = coverageDraw < 0.02 ? .ame : coverageDraw < 0.12 ? .c2s : nil
        // The ALD exoneration is a status of the insured, which AME beneficiaries are not.
        let ald = aldDraw && coverage != .ame
        let statusDraw = random.unit()
        let mtStatus: MTStatus
        if coverage == .ame {
            mtStatus = .none  // AME beneficiaries do not declare a médecin traitant
        } else if ald {
            // The ALD care protocol is drawn up by the médecin traitant: a patient in ALD has one.
            mtStatus = statusDraw < 0.8 ? .centre : .elsewhere
        } else if statusDraw < options.rates.noDeclaration {
            mtStatus = .none
        } else if statusDraw < options.rates.noDeclaration + 0.12 {
            mtStatus = .elsewhere
        } else {
            mtStatus = .centre
        }
        let usualGP = random.below(gps.count)
        // Identifiers are unique by construction (the patient's index is in them): two patients never
        // share one, so no duplicate act appears by chance.
        let id: String
        var hasNIRKey = false
        if coverage == .ame {
            id = "L" + Self.padded(index, 9)
        } else {
            let order = index % 999 + 1
            let commune = (index / 999) % 999 + 1
            let departmentIndex = index / (999 * 999)
            var department = Self.departments[departmentIndex % Self.departments.count]
            if departmentIndex == 0 && random.chance(0.01) { department = random.chance(0.5) ? "2A" : "2B" }
            let body = "\(sex == .male ? 1 : 2)\(Self.padded(birth.year % 100, 2))\(Self.padded(birth.month, 2))"
                + department + Self.padded(commune, 3) + Self.padded(order, 3)
            if random.chance(0.95) {
                id = body + Self.nirKey(body)
                hasNIRKey = true
            } else {
                id = body
            }
        }
        return Patient(id: id, birth: birth, birthText: birth.iso, sex: sex, ald: ald, coverage: coverage,
                       mtStatus: mtStatus, usualGP: usualGP, hasNIRKey: hasNIRKey, weight: weight)
    }

    static let departments = ["75", "93", "94", "92", "69", "13", "59", "33", "31", "44", "67", "06", "34", "35",
                              "38", "76", "62", "57", "83", "91"]

    /// The NIR key: 97 − (the 13 characters as a number mod 97), Corsica's 2A and 2B counting as 19 and 18.
    static func nirKey(_ body: String) -> String {
        let digits = body.replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18")
        return padded(Int(97 - Int64(digits)! % 97), 2)
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // MARK: Invoices

    /// The next invoice in date order, or nil when the batch has its lines.
    public mutating func next() -> GeneratedInvoice? {
        guard planted.lines < options.lines else { return nil }
        // Spread the lines evenly over the open days: day i closes once i+1 / n of them are written.
        while dayIndex < openDays.count - 1,
              planted.lines >= Int((Int64(options.lines) * Int64(dayIndex + 1)) / Int64(openDays.count)) {
            dayIndex += 1
        }
        let day = openDays[dayIndex]
        let patientIndex = pickPatient(on: day)
        let age = patients[patientIndex].birth.completedYears(on: day)
        var invoice = random.chance(age >= 65 ? 0.35 : 0.06)
            ? nurseInvoice(patientIndex, day: day)
            : gpInvoice(patientIndex, day: day, age: age)
        plantRejection(&invoice, patientIndex: patientIndex)
        planted.invoices += 1
        planted.lines += invoice.acts.count
        return invoice
    }

    /// A patient drawn with the weight of their age who has no GP invoice yet on `day`.
    private mutating func pickPatient(on day: CalendarDay) -> Int {
        let dayNumber = day.dayNumber
        while true {
            let index = random.below(patients.count)
            guard random.unit() * 2.5 < patients[index].weight else { continue }
            if patients[index].lastGPDay != dayNumber { return index }
        }
    }

    private func price(_ code: String, _ day: CalendarDay) -> Int64? {
        tariffs.value(of: code, on: day, zone: zone)?.value
    }

    private mutating func newInvoice(_ patientIndex: Int, day: CalendarDay, practitioner: String, specialty: String,
                                     place: Place) -> GeneratedInvoice {
        invoiceNumber += 1
        let patient = patients[patientIndex]
        let minutes = 8 * 60 + 30 + 5 * random.below(133)  // 08:30 to 19:30: no out-of-hours supplement due
        return GeneratedInvoice(
            id: "F\(day.year)-\(Self.padded(invoiceNumber, 8))", actDate: day.iso,
            time: "\(Self.padded(minutes / 60, 2)):\(Self.padded(minutes % 60, 2))", place: place,
            practitionerID: practitioner, specialty: specialty, patientID: patient.id, birthDate: patient.birthText,
            sex: patient.sex, ald: patient.ald, coverage: patient.coverage, mtStatus: patient.mtStatus,
            mtPractitionerID: patient.mtStatus == .centre ? gps[patient.usualGP] : nil, acts: [])
    }

    private mutating func nurseInvoice(_ patientIndex: Int, day: CalendarDay) -> GeneratedInvoice {
        let nurse = nurses[random.below(nurses.count)]
        let age = patients[patientIndex].birth.completedYears(on: day)
        let draw = random.unit()
        let atHome = draw >= 0.45
        var invoice = newInvoice(patientIndex, day: day, practitioner: nurse, specialty: "24",
                                 place: atHome ? .domicile : .cabinet)
        func add(_ code: String, _ thousandths: Int64 = 1000) {
            let unit = Cents(price(code, day)!)
            invoice.acts.append(GeneratedAct(code: code, coefficientThousandths: thousandths,
                                             amountCents: Coefficient(thousandths: thousandths).apply(to: unit).value))
        }
        if draw < 0.75 {
            add("AMI")  // an injection or a blood sample: a single small act takes the MAU
            if price("MAU", day) != nil { add("MAU") }
        } else if draw < 0.9 || age < 75 || price("BSB", day) == nil {
            add("AMI", 2000)  // a dressing
        } else {
            add("BSB")  // daily care of a dependent patient
        }
        if atHome {
            let missing = random.chance(options.rates.missingIFD)
            if !missing { add("IFD") }
            countLater("missing-ifd", missing)
        }
        return invoice
    }

    private mutating func gpInvoice(_ patientIndex: Int, day: CalendarDay, age: Int) -> GeneratedInvoice {
        let patient = patients[patientIndex]
        let gp = random.chance(0.85) ? gps[patient.usualGP] : gps[random.below(gps.count)]
        patients[patientIndex].lastGPDay = day.dayNumber
        let draw = random.unit()
        var place = Place.cabinet
        var main = "G"
        var technical: String?
        if age >= 75 && draw < (age >= 80 ? 0.30 : 0.15) {
            main = "VG"
            place = age >= 85 && random.chance(0.3) ? .ehpad : .domicile
            // The médecin traitant's home visit of a patient of 80 or more in ALD is the long visit VL.
            if age >= 80 && patient.ald && patient.mtStatus == .centre && price("VL", day) != nil { main = "VL" }
        } else if (16...70).contains(age) && draw < 0.10 {
            main = "TCG"
            place = .tele
        } else if age >= 45 && draw < 0.14 {
            technical = "DEQP003"  // an ECG beside the consultation, at full rate
        } else if age >= 18 && draw < 0.165 {
            let ccam = patient.sex == .female && age < 65 ? (random.chance(0.7) ? "JKHD001" : "JKLD001")
                : age >= 70 ? "ALQP006" : "GLQP012"
            if price(ccam, day) != nil { main = ccam }
        }
        var invoice = newInvoice(patientIndex, day: day, practitioner: gp, specialty: "01", place: place)
        func add(_ code: String, cents: Int64) {
            invoice.acts.append(GeneratedAct(code: code, coefficientThousandths: 1000, amountCents: cents))
        }
        let consultation = main == "G" || main == "VG"
        if consultation {
            let due = price(main, day)!
            let low = random.chance(options.rates.tariffBelowSchedule)
            var billed = due
            if low {
                let lastYear = price(main, day.adding(days: -365)) ?? due
                billed = lastYear < due ? lastYear : due * 9 / 10
            }
            add(main, cents: billed)
            countLater("tariff-below-schedule", low)
        } else if main == "TCG" {
            // A teleconsultation is valued as the consultation it replaces; a rule set without TCG lists
            // the code once as unknown and keeps its line.
            add(main, cents: price("TCG", day) ?? price("G", day)!)
        } else {
            add(main, cents: price(main, day)!)
        }
        if let technical, let cents = price(technical, day) { add(technical, cents: cents) }
        if consultation && age < 6 {
            let missing = random.chance(options.rates.missingMEG)
            if !missing { add("MEG", cents: price("MEG", day)!) }
            countLater("missing-meg", missing)
        } else if main == "G" && (6...11).contains(age) {
            let wrong = random.chance(options.rates.megOverAge)
            if wrong { add("MEG", cents: price("MEG", day)!) }
            countLater("meg-over-age", wrong)
        }
        if main == "VL" { add("MD", cents: price("MD", day)!) }
        if main == "VG" {
            let missing = random.chance(options.rates.missingMD)
            if !missing { add("MD", cents: price("MD", day)!) }
            countLater("missing-md", missing)
        }
        if consultation && age >= 80 && patient.mtStatus != .centre, let mop = price("MOP", day) {
            let missing = random.chance(options.rates.missingMOP)
            if !missing { add("MOP", cents: mop) }
            countLater("missing-mop", missing)
        }
        return invoice
    }

    // MARK: Counting what was planted

    /// Planted errors are counted once the invoice is known to be readable: a rejected invoice is
    /// audited by no rule. They wait in this list until then.
    private var pending: [(rule: String, planted: Bool)] = []

    private mutating func countLater(_ rule: String, _ planted: Bool) {
        pending.append((rule, planted))
    }

    private mutating func plantRejection(_ invoice: inout GeneratedInvoice, patientIndex: Int) {
        defer { pending.removeAll(keepingCapacity: true) }
        if random.chance(options.rates.rejectedInvoice) {
            var kind = random.below(4)
            if kind == 1 && !patients[patientIndex].hasNIRKey { kind = 2 }
            switch kind {
            case 0:  // the RPPS's Luhn digit does not check
                let last = invoice.practitionerID.last!.wholeNumberValue!
                invoice.practitionerID = String(invoice.practitionerID.dropLast()) + String((last + 1) % 10)
            case 1:  // the NIR's key does not check
                let key = Int(invoice.patientID.suffix(2))!
                invoice.patientID = String(invoice.patientID.prefix(13)) + Self.padded(key % 97 + 1, 2)
            case 2:  // a day that does not exist
                invoice.actDate = "\(invoice.actDate.prefix(4))-02-30"
            default:  // a negative amount on every line
                for index in invoice.acts.indices { invoice.acts[index].amountCents = -invoice.acts[index].amountCents }
            }
            planted.rejectedInvoices += 1
            planted.rejectedLines += invoice.acts.count
            return
        }
        for (rule, wasPlanted) in pending { planted.count(rule, planted: wasPlanted) }
        if invoice.specialty == "01" { countGPInvoice(patientIndex, year: Int(invoice.actDate.prefix(4))!) }
    }

    /// `missing-mt-declaration`: a patient (AME and ALD apart: they never lack a declaration here)
    /// seen on 2 GP invoices in a year is an opportunity for that year, and a finding when the
    /// patient has no declaration.
    private mutating func countGPInvoice(_ index: Int, year: Int) {
        guard patients[index].coverage != .ame, !patients[index].ald else { return }
        if patients[index].gpYear != year {
            patients[index].gpYear = year
            patients[index].gpInvoicesInYear = 0
        }
        patients[index].gpInvoicesInYear += 1
        if patients[index].gpInvoicesInYear == 2 {
            planted.count("missing-mt-declaration", planted: patients[index].mtStatus == .none)
        }
    }
}
