import BillingModel
import Foundation
import Yams

/// Maps a vendor's header names and value spellings to the contract's columns (spec §1.3).
/// Profiles are YAML files in `Rules/profiles/NAME.yaml`.
public struct MappingProfile: Sendable {
    public var name: String
    public var description: String
    /// Normalised header name (see `normalizeHeader`) → column.
    public var headers: [String: Column]
    /// Column → normalised vendor value → contract value (`Domicile` → `domicile`).
    public var values: [Column: [String: String]]
    /// Normalised names of columns the vendor's export carries and the audit does not need
    /// (`Commentaire`): skipped without a warning on every run.
    public var ignoredHeaders: Set<String> = []

    public init(name: String, description: String = "", headers: [String: Column] = [:], values: [Column: [String: String]] = [:]) {
        self.name = name
        self.description = description
        self.headers = headers
        self.values = values
    }

    /// The contract's own names, with no vendor aliases.
    public static let standard = MappingProfile(name: "standard", description: "Colonnes du contrat (spec §1)")

    /// Header names are matched case-insensitively, ignoring surrounding spaces and a BOM.
    public static func normalizeHeader(_ raw: String) -> String {
        // Printable ASCII (nearly every name and value): trimmed and lowercased byte by byte, since the
        // Foundation path below cost more than the rest of reading an XML act (it runs per attribute).
        let utf8 = raw.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            guard let first = utf8.firstIndex(where: { $0 != 0x20 }) else { return "" }
            let last = utf8.lastIndex(where: { $0 != 0x20 })!
            let trimmed = utf8[first...last]
            if !trimmed.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
                return first == utf8.startIndex && last == utf8.index(before: utf8.endIndex) ? raw : String(decoding: trimmed, as: UTF8.self)
            }
            return String(decoding: trimmed.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        }
        return raw.trimmingCharactersInWhitespace().replacingOccurrences(of: "\u{FEFF}", with: "").lowercased()
    }

    /// The column a header names: the profile's aliases first, then the contract's own names.
    public func column(forHeader raw: String) -> Column? {
        let key = MappingProfile.normalizeHeader(raw)
        return headers[key] ?? Column(rawValue: key)
    }

    /// Whether the profile knows this header as one to skip.
    public func ignores(header raw: String) -> Bool {
        ignoredHeaders.contains(MappingProfile.normalizeHeader(raw))
    }

    /// Whether a header names every required column through this profile.
    public func readsAllRequiredColumns(_ headerNames: [String]) -> Bool {
        let columns = Set(headerNames.compactMap { column(forHeader: $0) })
        return Column.required.allSatisfy(columns.contains)
    }

    /// The profiles of a folder (`Rules/profiles/*.yaml`), sorted by name; unreadable ones left out.
    public static func all(in directory: URL) -> [MappingProfile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?
            .filter { $0.hasSuffix(".yaml") }.sorted() ?? []
        return names.compactMap { try? load(from: directory.appendingPathComponent($0)) }
    }

    /// The contract spelling of a vendor value, or the value unchanged.
    public func value(_ raw: String, for column: Column) -> String {
        // Most profiles map no values: no lookup (a column's name is hashed as a String) per value.
        guard !values.isEmpty, let table = values[column] else { return raw }
        return table[MappingProfile.normalizeHeader(raw)] ?? raw
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ", ligne \($0)" } ?? "") : \(message)" }
    }

    /// Loads `directory/NAME.yaml`.
    public static func load(named name: String, in directory: URL) throws -> MappingProfile {
        let url = directory.appendingPathComponent(name + ".yaml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw LoadError(file: url.path, line: nil,
                            message: "profil « \(name) » introuvable ; profils disponibles : \(known.joined(separator: ", "))")
        }
        return try load(from: url)
    }

    /// Profile file shape:
    /// ```yaml
    /// name: logiciel-fr
    /// description: Export « Date de l'acte ; N° facture ; … »
    /// columns:
    ///   act_date: ["Date de l'acte", "Date acte"]
    /// values:
    ///   place: { Domicile: domicile, Cabinet: cabinet }
    /// ignored: ["Commentaire"]   # columns read past without a warning
    /// ```
    public static func load(from url: URL) throws -> MappingProfile {
        let text = try String(contentsOf: url, encoding: .utf8)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw LoadError(file: url.lastPathComponent, line: nil, message: "YAML illisible : \(error)")
        }
        guard let root = node?.mapping else {
            throw LoadError(file: url.lastPathComponent, line: 1, message: "le profil doit être un dictionnaire (name, columns, values)")
        }
        var profile = MappingProfile(name: root["name"]?.string ?? url.deletingPathExtension().lastPathComponent)
        profile.description = root["description"]?.string ?? ""
        if let columns = root["columns"]?.mapping {
            for (key, aliases) in columns {
                guard let columnName = key.string, let column = Column(rawValue: columnName) else {
                    throw LoadError(file: url.lastPathComponent, line: key.mark.map { $0.line },
                                    message: "colonne inconnue « \(key.string ?? "?") » ; colonnes du contrat : \(Column.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let names: [String] = aliases.sequence?.compactMap(\.string) ?? aliases.string.map { [$0] } ?? []
                for alias in names { profile.headers[normalizeHeader(alias)] = column }
            }
        }
        if let ignored = root["ignored"] {
            let names: [String] = ignored.sequence?.compactMap(\.string) ?? ignored.string.map { [$0] } ?? []
            profile.ignoredHeaders = Set(names.map(normalizeHeader))
        }
        if let values = root["values"]?.mapping {
            for (key, table) in values {
                guard let columnName = key.string, let column = Column(rawValue: columnName), let entries = table.mapping else {
                    throw LoadError(file: url.lastPathComponent, line: key.mark.map { $0.line },
                                    message: "« values » attend, pour une colonne du contrat, un dictionnaire valeur → valeur du contrat")
                }
                var mapped: [String: String] = [:]
                for (vendor, standard) in entries {
                    if let vendorValue = vendor.string, let standardValue = standard.string {
                        mapped[normalizeHeader(vendorValue)] = standardValue
                    }
                }
                profile.values[column] = mapped
            }
        }
        return profile
    }
}
