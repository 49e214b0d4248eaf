import BillingModel
import Foundation

/// Reads the centre's practitioner roster (spec §3):
/// `practitioner_id;name;specialty;start_date;end_date`, delimiter and encoding detected as for
/// billing exports. Bad rows are reported and left out; the others make the roster.
public enum RosterReader {
    enum RosterColumn: String, CaseIterable {
        case practitionerID = "practitioner_id"
        case name
        case specialty
        case startDate = "start_date"
        case endDate = "end_date"

        /// French spellings seen in hand-made rosters, besides the contract names.
        static let aliases: [String: RosterColumn] = [
            "rpps": .practitionerID, "n° rpps": .practitionerID,
            "nom": .name, "praticien": .name,
            "spécialité": .specialty, "specialite": .specialty,
            "date_debut": .startDate, "date de début": .startDate, "début": .startDate, "arrivée": .startDate,
            "date_fin": .endDate, "date de fin": .endDate, "fin": .endDate, "départ": .endDate,
        ]

        init?(header: String) {
            let key = MappingProfile.normalizeHeader(header)
            guard let column = RosterColumn(rawValue: key) ?? RosterColumn.aliases[key] else { return nil }
            self = column
        }
    }

    /// The roster and the problems found in it (rows left out, unknown columns, a guessed encoding).
    /// Throws `UnreadableFile` when the file cannot be read or has no `practitioner_id` column.
    public static func read(url: URL, encoding: TextEncodingChoice? = nil) throws -> (Roster, [InputIssue]) {
        let fileName = url.lastPathComponent
        let source = try CSVTextSource(url: url, fileName: fileName, encoding: encoding,
                                       isKnownHeader: { RosterColumn(header: $0) != nil })
        var issues = source.takeWarnings()

        var positions: [RosterColumn: Int] = [:]
        var unknown: [String] = []
        for (position, name) in source.headerNames.enumerated() {
            let trimmed = name.trimmingCharactersInWhitespace()
            if trimmed.isEmpty { continue }
            if let column = RosterColumn(header: trimmed) {
                if positions[column] == nil { positions[column] = position }
            } else {
                unknown.append(QuotedValue.quote(trimmed))
            }
        }
        source.refuseLineBreaks(inFields: Set(positions.values))
        guard positions[.practitionerID] != nil else {
            throw UnreadableFile(InputIssue(
                file: fileName, line: source.headerLine, column: nil,
                message: "colonne practitioner_id absente de l'en-tête du registre des praticiens ; colonnes attendues : \(RosterColumn.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if !unknown.isEmpty {
            issues.append(InputIssue(file: fileName, line: source.headerLine, column: nil,
                                     message: "colonnes inconnues ignorées dans le registre : \(unknown.joined(separator: ", "))",
                                     severity: .warning))
        }
        if positions[.endDate] == nil {
            issues.append(InputIssue(file: fileName, line: source.headerLine, column: nil,
                                     message: "pas de colonne end_date : aucun départ de praticien ne pourra être vu",
                                     severity: .warning))
        }

        var entries: [RosterEntry] = []
        var firstLineByID: [String: Int] = [:]
        while let row = try source.nextRow() {
            issues.append(contentsOf: source.takeWarnings())
            switch row {
            case .problem(let issue):
                issues.append(issue)
            case .fields(let line, _, let values):
                if let entry = entry(from: values, line: line, positions: positions, fileName: fileName, issues: &issues) {
                    if let first = firstLineByID[entry.practitionerID] {
                        issues.append(InputIssue(file: fileName, line: line, column: RosterColumn.practitionerID.rawValue,
                                                 message: "praticien \(entry.practitionerID) déjà inscrit ligne \(first) : cette ligne est ignorée"))
                    } else {
                        firstLineByID[entry.practitionerID] = line
                        entries.append(entry)
                    }
                }
            }
        }
        issues.append(contentsOf: source.takeWarnings())
        return (Roster(entries), issues)
    }

    /// One roster row, or nil with its problems added to `issues`.
    private static func entry(from values: [String], line: Int, positions: [RosterColumn: Int], fileName: String,
                              issues: inout [InputIssue]) -> RosterEntry? {
        let before = issues.count
        func value(_ column: RosterColumn) -> String? {
            guard let position = positions[column], position < values.count else { return nil }
            let text = values[position].trimmingCharactersInWhitespace()
            return text.isEmpty ? nil : text
        }
        func fail(_ column: RosterColumn, _ message: String) {
            issues.append(InputIssue(file: fileName, line: line, column: column.rawValue, message: message))
        }
        func day(_ column: RosterColumn, _ what: String) -> CalendarDay? {
            guard let text = value(column) else { return nil }
            guard let parsed = CalendarDay(parsing: text) else {
                fail(column, "date invalide\(QuotedValue.inline(text)) : \(what) attendue au format AAAA-MM-JJ ou JJ/MM/AAAA, jour existant")
                return nil
            }
            return parsed
        }

        let practitionerID = value(.practitionerID)
        if let practitionerID {
            if !RPPS.isValid(practitionerID) {
                let isElevenDigits = practitionerID.count == 11 && practitionerID.allSatisfy { $0.isASCII && $0.isNumber }
                fail(.practitionerID, isElevenDigits
                     ? "numéro RPPS invalide (\(QuotedValue.describe(practitionerID))) : le dernier chiffre (clé de Luhn) ne correspond pas"
                     : "numéro RPPS invalide\(QuotedValue.inline(practitionerID)) : 11 chiffres attendus")
            }
        } else {
            fail(.practitionerID, "valeur manquante : le numéro RPPS du praticien est obligatoire")
        }

        var specialty: Specialty?
        if let text = value(.specialty) {
            specialty = Specialty(text)
            if specialty == nil { fail(.specialty, "spécialité invalide\(QuotedValue.inline(text)) : code CNAM à 1 ou 2 chiffres attendu (01 médecine générale, 24 infirmier…)") }
        }
        let startDate = day(.startDate, "la date d'arrivée")
        let endDate = day(.endDate, "la date de départ")
        if let startDate, let endDate, endDate < startDate {
            fail(.endDate, "date de départ \(endDate) antérieure à la date d'arrivée \(startDate) : la date de départ est attendue le jour de l'arrivée ou après")
        }

        guard issues.count == before, let practitionerID else { return nil }
        return RosterEntry(practitionerID: practitionerID, name: value(.name) ?? "", specialty: specialty,
                           startDate: startDate, endDate: endDate)
    }
}
