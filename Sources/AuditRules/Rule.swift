import BillingModel

/// The evaluators a rule file can name in `check:`. Each is a general mechanism; what it looks
/// for (codes, ages, places, hours, amounts) comes from the rule's data.
public enum RuleCheck: String, Sendable, CaseIterable {
    /// Each line against the tariff of its code on its date (NGAP × coefficient × quantity, CCAM ×
    /// association rate × quantity).
    case lineTariff = "line-tariff"
    /// An invoice that meets the conditions lacks the `expect` code: its tariff is lost.
    case missingCode = "missing-code"
    /// A line billed with `replaces` where `expect` applies: the difference is lost.
    case substitution
    /// A line whose code is in `codes` while the conditions hold: its amount is at risk.
    case forbiddenCode = "forbidden-code"
    /// A `codes` line billed above its scheduled amount (a TCG at the G price): the excess is at risk.
    case lineAboveTariff = "line-above-tariff"
    /// A `codes` code billed more than once on one invoice: every line after the first is at risk.
    case repeatedCode = "repeated-code"
    /// CCAM lines billed above their association rate: the excess is at risk.
    case ccamAssociation = "ccam-association"
    /// The same act billed twice for the same patient, practitioner and day on different invoices.
    case duplicateAct = "duplicate-act"
    /// A regular patient with no médecin traitant declaration (per patient and year).
    case mtDeclaration = "mt-declaration"
    /// A declaration attached to a practitioner who has left the centre (per patient and year).
    case mtDeparted = "mt-departed"
    /// An act billed by a practitioner outside their roster dates.
    case rosterDates = "roster-dates"
}

/// A range of integers, bounds optional: `{ from: 80 }`, `{ under: 6 }`, `{ from: 9, under: 11 }`.
public struct IntRange: Sendable, Equatable {
    public var from: Int?
    public var under: Int?

    public func contains(_ value: Int) -> Bool {
        if let from, value < from { return false }
        if let under, value >= under { return false }
        return true
    }
}

/// A band of time of day; `from` after `until` wraps midnight (20:00–08:00).
public struct TimeBand: Sendable, Equatable {
    public var from: TimeOfDay
    public var until: TimeOfDay

    public func contains(_ time: TimeOfDay) -> Bool {
        if from <= until { return time >= from && time < until }
        return time >= from || time < until
    }
}

/// The declarative condition vocabulary. Every field set must hold (logical and); absent fields
/// do not constrain.
public struct Conditions: Sendable {
    /// The invoice has at least one of these codes.
    public var codesAny: [String]?
    /// The invoice has every one of these codes.
    public var codesAll: [String]?
    /// The invoice has none of these codes.
    public var codesNone: [String]?
    /// Every line of the invoice has one of these codes.
    public var codesOnly: [String]?
    /// Number of act lines on the invoice whose code is in `codesAny` (all lines without it).
    public var lineCount: IntRange?
    /// Largest coefficient among the `codesAny` lines, in thousandths (1.5 → 1500).
    public var maxCoefficientThousandths: Int64?
    public var specialty: [String]?
    public var place: [Place]?
    /// Age in completed years on the act date.
    public var age: IntRange?
    /// Age in completed months on the act date.
    public var ageMonths: IntRange?
    /// Age in days on the act date (the 8th-day examination).
    public var ageDays: IntRange?
    public var ald: Bool?
    /// The export's médecin traitant status; `unknown` matches an empty status.
    public var mtStatus: [String]?
    /// The patient's cover: `c2s`, `ame`, or `ordinary` (an empty `patient_coverage`).
    public var coverage: [String]?
    /// Number of CCAM technical acts on the invoice (supplements and complementary acts apart).
    public var ccamActs: IntRange?
    /// A consultation or visit billed with a CCAM technical act that has no consultation cumul
    /// (CCAM general provisions III-3 A derogation, tariffs/ccam.yaml `consultation_cumul`) that day.
    public var technicalActWithoutCumul: Bool?
    /// The invoice has no code of these tariff categories (`consultation`, `visit`…).
    public var categoriesNone: [String]?
    /// ISO weekdays, 1 Monday … 7 Sunday.
    public var weekday: [Int]?
    public var time: TimeBand?
    public var publicHoliday: Bool?
    /// Night band, Sunday or public holiday (the hours of the permanence des soins).
    public var outOfHours: TimeBand?
    public var dateFrom: CalendarDay?
    public var dateUntil: CalendarDay?
    /// At least one of these condition sets holds (age windows, Sunday or public holiday).
    public var anyOf: [Conditions]?
    /// None of these condition sets holds (a COE outside all three of its age windows).
    public var noneOf: [Conditions]?

    public init() {}

    /// The `coverage` value that matches a patient with ordinary cover (empty `patient_coverage`).
    public static let ordinaryCoverage = "ordinary"

    /// Every code named in the condition, nested ones included, for `rules validate`.
    public var codes: [String] {
        (codesAny ?? []) + (codesAll ?? []) + (codesNone ?? []) + (codesOnly ?? [])
            + (anyOf ?? []).flatMap(\.codes) + (noneOf ?? []).flatMap(\.codes)
    }
}

/// One example invoice from a rule file, and what the rule must say about it.
public struct RuleExample: Sendable {
    public struct Act: Sendable {
        public var code: String
        public var amount: Cents
        public var coefficient: Coefficient
        public var quantity: Int
        public var modifiers: String
        /// CCAM association code as the export states it (`4`), if any.
        public var association: String? = nil
    }

    public var name: String
    public var date: CalendarDay
    public var time: TimeOfDay?
    public var place: Place
    public var specialty: Specialty
    public var practitionerID: String?
    public var birthDate: CalendarDay
    public var ald: Bool
    public var mtStatus: MTStatus?
    public var mtPractitionerID: String?
    public var coverage: Coverage?
    public var acts: [Act]
    /// How many identical invoices (other dates a week apart) the example stands for: the
    /// patient-year rules need several encounters.
    public var repeatInvoices: Int
    /// Days between the repeated invoices (0: the same day, for duplicates).
    public var intervalDays: Int
    /// Roster lines the example needs (mt-departed, roster-dates).
    public var roster: [RosterEntry]
    /// Expected lost cents (trigger examples); nil when only the trigger matters.
    public var lostCents: Cents?
    public var atRiskCents: Cents?
    public var line: Int
}

/// A rule as loaded from its file.
public struct Rule: Sendable {
    public var id: String
    public var kind: FindingKind
    public var certainty: Certainty
    public var check: RuleCheck
    public var title: String
    /// One line, French: what the rule says.
    public var explanation: String
    /// French: what to change in practice.
    public var advice: String
    /// French message template for a finding; see `MessageTemplate`.
    public var message: String
    public var source: String
    public var when: Conditions
    /// The code the finding says to bill (missing-code, substitution), or nil.
    public var expect: String?
    /// Codes the finding points at (the line it is anchored to) or that are replaced or forbidden.
    public var codes: [String]
    /// mt-declaration: how many invoices in a calendar year make a regular patient.
    public var minInvoices: Int
    public var triggering: [RuleExample]
    public var nonTriggering: [RuleExample]
    public var file: String
    /// Line in the file where each code the rule names appears, for error messages.
    public var codeLines: [String: Int] = [:]
}

/// How the médecin traitant forfait is chosen for a patient: the year's scheme (FPMT until 2025,
/// FMT from 2026), the age in completed years on 31 December and the ALD flag.
public struct ForfaitCategory: Sendable {
    /// The forfait's name (`FPMT`, `FMT`): the code findings say to obtain.
    public var scheme: String
    /// Calendar years the category applies to (`{ under: 2026 }`, `{ from: 2026 }`).
    public var years: IntRange
    public var code: String
    public var age: IntRange
    public var ald: Bool
    public var label: String
}

/// An amount added to the forfait for a cover (`FMT-C2S`: + 10 € per C2S patient from 2026).
public struct ForfaitSupplement: Sendable {
    public var years: IntRange
    public var code: String
    public var coverage: Coverage
    public var label: String
}

/// The whole rule set, loaded and checked.
public struct RuleSet: Sendable {
    public var name: String
    public var version: String
    public var zone: String
    public var zones: [String]
    public var recoverableWindowDays: Int
    public var recoverableWindowSource: String
    public var holidays: PublicHolidays
    public var forfaits: [ForfaitCategory]
    public var forfaitSupplements: [ForfaitSupplement] = []
    /// The forfait schemes' French names (`FPMT` → « Forfait patientèle médecin traitant »).
    public var forfaitSchemeLabels: [String: String] = [:]
    public var tariffs: TariffSchedule
    public var rules: [Rule]
    public var directory: String

    public func rule(_ id: String) -> Rule? { rules.first { $0.id == id } }

    /// Every code the rule set names in French: tariff codes by their label, forfait schemes by
    /// theirs. A label that only repeats the code is left out.
    public var codeLabels: [String: String] {
        var labels = forfaitSchemeLabels
        for (code, entry) in tariffs.entries where entry.label != code && !entry.label.isEmpty { labels[code] = entry.label }
        return labels
    }

    /// The forfait category of a patient for `year`, from the age in completed years on 31 December
    /// of that year (the nightly store keeps that age, never the birth date).
    public func forfait(ageAtYearEnd age: Int, ald: Bool, year: Int) -> ForfaitCategory? {
        forfaits.first { $0.years.contains(year) && $0.ald == ald && $0.age.contains(age) }
    }

    /// The supplements a patient's cover adds to the forfait of `year`.
    public func forfaitSupplements(coverage: Coverage?, year: Int) -> [ForfaitSupplement] {
        guard let coverage else { return [] }
        return forfaitSupplements.filter { $0.coverage == coverage && $0.years.contains(year) }
    }
}
