import BillingModel
import Crypto
import Foundation

/// Turns a patient identifier into a stable keyed pseudonym (HMAC-SHA256), so that no NIR ever
/// leaves ingest. The same key gives the same pseudonym across runs, which lets the history and the
/// front desk follow a patient without knowing who they are.
public struct Pseudonymizer: Sendable {
    private let keyBytes: Data

    public init(key: Data) {
        self.keyBytes = key
    }

    /// The environment variable that overrides the key file (CI, tests, several machines sharing one key).
    public static let environmentVariable = "COTAUDIT_PSEUDONYM_KEY"

    /// `p-` and 16 hex digits (64 bits): no collision to fear within a centre's patients.
    public func ref(for patientID: String) -> PatientRef {
        let normalized = Pseudonymizer.normalize(patientID)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(normalized.utf8), using: SymmetricKey(data: keyBytes))
        let hex = mac.prefix(8).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return PatientRef("p-" + hex)
    }

    /// A NIR with and without its key is the same patient; spaces and case do not matter.
    static func normalize(_ patientID: String) -> String {
        let compact = patientID.filter { !$0.isWhitespace }.uppercased()
        if compact.count == 15, NIR.check(compact) == .valid { return String(compact.prefix(13)) }
        return compact
    }

    /// Where the key lives when no variable is set: `$XDG_CONFIG_HOME/cotaudit/pseudonym.key`, else
    /// `~/.config/cotaudit/pseudonym.key`.
    public static func defaultKeyFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base: URL
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg)
        } else {
            base = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        }
        return base.appendingPathComponent("cotaudit").appendingPathComponent("pseudonym.key")
    }

    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The key from the environment variable when set (at least 16 characters), otherwise from the
    /// key file, created once with 32 random bytes and permissions 0600.
    public static func loadKey(keyFile: URL? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Data {
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            guard fromEnvironment.utf8.count >= 16 else {
                throw KeyError(description: "\(environmentVariable) doit contenir au moins 16 caractères")
            }
            return Data(fromEnvironment.utf8)
        }
        let file = keyFile ?? defaultKeyFile(environment: environment)
        let manager = FileManager.default
        if manager.fileExists(atPath: file.path) {
            let data = try Data(contentsOf: file)
            guard data.count >= 16 else {
                throw KeyError(description: "la clé de pseudonymisation \(file.path) est trop courte (16 octets au moins)")
            }
            return data
        }
        try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                    attributes: [.posixPermissions: 0o700])
        var generator = SystemRandomNumberGenerator()
        let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        // Created with 0600 from the start, so the key is never readable by others, even briefly.
        guard manager.createFile(atPath: file.path, contents: key, attributes: [.posixPermissions: 0o600]) else {
            throw KeyError(description: "impossible de créer la clé de pseudonymisation \(file.path)")
        }
        return key
    }
}
