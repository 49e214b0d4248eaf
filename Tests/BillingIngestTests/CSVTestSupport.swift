import BillingModel
import Foundation
import XCTest
@testable import BillingIngest

/// Fixture files written as bytes into a fresh temporary folder, so each test controls the encoding
/// and line endings exactly.
final class FixtureFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ name: String, utf8 text: String) throws -> URL {
        try write(name, bytes: Array(text.utf8))
    }

    /// Encodes as Windows-1252; the fixtures only use Latin-1 letters (é, É, °) plus € and ’.
    @discardableResult
    func write(_ name: String, windows1252 text: String) throws -> URL {
        let special: [Unicode.Scalar: UInt8] = ["€": 0x80, "’": 0x92, "œ": 0x9C, "Œ": 0x8C]
        let bytes = text.unicodeScalars.map { scalar -> UInt8 in
            if let byte = special[scalar] { return byte }
            precondition(scalar.value < 0x100, "not a Windows-1252 character: \(scalar)")
            return UInt8(scalar.value)
        }
        return try write(name, bytes: bytes)
    }
}

/// Everything a reader hands over, sorted by kind.
struct ReadResult {
    var records: [RawRecord] = []
    var rejected: [InputIssue] = []
    var warnings: [InputIssue] = []
    var events: [ReadEvent] = []

    init(reader: RecordReader) throws {
        while let event = try reader.next() {
            events.append(event)
            switch event {
            case .record(let record): records.append(record)
            case .rejected(let issue): rejected.append(issue)
            case .warning(let issue): warnings.append(issue)
            }
        }
    }

    var lines: [Int] { records.map(\.location.line) }
}

enum TestData {
    /// The repository root, found from this file's place in `Tests/BillingIngestTests/`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func exportFRProfile() throws -> MappingProfile {
        try MappingProfile.load(named: "export-fr", in: repositoryRoot.appendingPathComponent("Rules/profiles"))
    }

    /// A valid RPPS built from ten digits and its Luhn digit.
    static func rpps(_ tenDigits: String) -> String {
        tenDigits + String(RPPS.checkDigit(for: tenDigits)!)
    }

    /// A 15-character NIR with its correct key (`2A`/`2B` count as 19/18).
    static func nirWithKey(_ body: String) -> String {
        let numeric = body.replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18")
        let key = 97 - Int64(numeric)! % 97
        return body + (key < 10 ? "0" : "") + String(key)
    }

    static let validator = RecordValidator(pseudonymizer: Pseudonymizer(key: Data(repeating: 7, count: 32)))

    /// Words that only a French message would hold, to tell it from an English one.
    static func looksFrench(_ message: String) -> Bool {
        let markers = ["attendu", "invalide", "obligatoire", "manquante", "inconnu", "colonne", "fichier", "ligne",
                       "négatif", "clé", "ne correspond", "guillemet", "champs", "encodage", "lu comme", "mal formé"]
        return markers.contains { message.lowercased().contains($0) }
    }
}

extension ReadResult {
    /// The physical lines each event covers: a record its whole span, a rejected row its line.
    var coveredLines: [Int] {
        events.flatMap { event -> [Int] in
            switch event {
            case .record(let record): return Array(record.location.line..<(record.location.line + record.physicalLines))
            case .rejected(let issue): return [issue.line]
            case .warning: return []
            }
        }
    }
}
