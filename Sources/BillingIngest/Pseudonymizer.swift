import BillingModel
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a patient identifier into a stable keyed pseudonym (HMAC-SHA256), so that no NIR ever
/// leaves ingest. The same key gives the same pseudonym across runs, which lets the history and the
/// front desk follow a patient without knowing who they are.
public struct Pseudonymizer: Sendable {
    private let keyBytes: Data
    /// Made once: a `SymmetricKey` per pseudonym cost as much as the HMAC.
    private let key: MACKey
    /// Shared by copies, which share the key: a patient's rows cost one NIR check and one HMAC.
    private let cache = PatientIDCache()

    public init(key: Data) {
        self.keyBytes = key
        self.key = MACKey(SymmetricKey(data: key))
    }

    /// The pseudonym of a patient identifier, or nil when it is a NIR whose key does not check
    /// (`NIR.check` gives `.badKey`). Worked out once per distinct identifier: a patient has many
    /// rows, and the NIR check and the HMAC were most of the time spent per row.
    public func checkedRef(for patientID: String) -> PatientRef? {
        if let known = cache.lookup(patientID) { return known.map(PatientRef.init(bits:)) }
        let bits: UInt64?
        switch NIR.check(patientID) {
        case .valid, .notNIR: bits = self.bits(for: patientID)
        case .badKey: bits = nil
        }
        cache.store(patientID, bits)
        return bits.map(PatientRef.init(bits:))
    }

    /// The environment variable that overrides the key file (CI, tests, several machines sharing one key).
    public static let environmentVariable = "COTAUDIT_PSEUDONYM_KEY"

    /// `p-` and 16 hex digits (64 bits): no collision to fear within a centre's patients.
    public func ref(for patientID: String) -> PatientRef { PatientRef(bits: bits(for: patientID)) }

    /// The first 64 bits of the HMAC of the normalised identifier.
    private func bits(for patientID: String) -> UInt64 {
        var hmac = key.keyed
        hmac.update(data: Pseudonymizer.normalizedBytes(patientID))
        let mac = hmac.finalize()
        return mac.withUnsafeBytes { bytes in (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) } }
    }

    /// The identifier as the HMAC takes it, in UTF-8: a NIR with and without its key is the same
    /// patient; spaces and case do not matter. A patient not in the cache costs one array, not
    /// three arrays and two Strings (a 5M-line file with 500 000 patients misses it often).
    static func normalizedBytes(_ patientID: String) -> [UInt8] {
        // Printable ASCII and spaces (nearly every identifier): the same steps on bytes.
        if patientID.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(patientID.utf8.count)
            for byte in patientID.utf8 where byte != 0x20 { bytes.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte) }
            if bytes.count == 15, NIR.check(String(decoding: bytes, as: UTF8.self)) == .valid { bytes.removeLast(2) }
            return bytes
        }
        return Array(normalizedText(patientID).utf8)
    }

    /// The general path of `normalizedBytes`, for identifiers with other characters than printable ASCII.
    private static func normalizedText(_ patientID: String) -> String {
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
    /// key file. The file is created once, atomically: the key is written to a temporary created
    /// with 0600 (`O_CREAT | O_EXCL`, so never readable by others, even briefly), then hard-linked to
    /// its name, which fails if another run made the key first; that run's key is then used. A key
    /// file other users can read or write is refused: pseudonyms made with it could be reversed.
    public static func loadKey(keyFile: URL? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Data {
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            guard fromEnvironment.utf8.count >= 16 else {
                throw KeyError(description: "\(environmentVariable) doit contenir au moins 16 caractères")
            }
            return Data(fromEnvironment.utf8)
        }
        let file = keyFile ?? defaultKeyFile(environment: environment)
        if let key = try readKey(file) { return key }
        let directory = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyError(description: "impossible de créer le dossier de la clé de pseudonymisation \(directory.path) : \(error.localizedDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let prefix = "." + file.lastPathComponent + "."
        TemporaryFiles.removeStale(prefix: prefix, in: directory.path)
        let temporary = directory.appendingPathComponent(TemporaryFiles.name(prefix: prefix)).path
        unlink(temporary)  // ours by its pid: left by an earlier process that had the same pid
        func failure(_ step: String) -> KeyError {
            KeyError(description: "impossible de créer la clé de pseudonymisation \(file.path) (\(step) : \(String(cString: strerror(errno))))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw failure("création") }
        let written = key.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == key.count && fsync(descriptor) == 0
        close(descriptor)
        defer { unlink(temporary) }
        guard written else { throw failure("écriture") }
        if link(temporary, file.path) == 0 { return key }
        guard errno == EEXIST, let winner = try readKey(file) else { throw failure("mise en place") }
        return winner
    }

    /// The key in `file`, nil when there is none yet.
    static func readKey(_ file: URL) throws -> Data? {
        let descriptor = open(file.path, O_RDONLY)
        if descriptor < 0 && errno == ENOENT { return nil }
        guard descriptor >= 0 else {
            throw KeyError(description: "clé de pseudonymisation \(file.path) illisible : \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw KeyError(description: "clé de pseudonymisation \(file.path) illisible : \(String(cString: strerror(errno)))")
        }
        let permissions = Int(info.st_mode) & 0o777
        guard permissions & 0o077 == 0 else {
            throw KeyError(description: "la clé de pseudonymisation \(file.path) est accessible à d'autres utilisateurs (droits \(String(permissions, radix: 8))) : la protéger avec « chmod 600 \(file.path) », puis relancer")
        }
        let data = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readDataToEndOfFile()
        guard data.count >= 16 else {
            throw KeyError(description: "la clé de pseudonymisation \(file.path) est trop courte (16 octets au moins)")
        }
        return data
    }
}

/// The HMAC key, made once. `SymmetricKey` is not marked Sendable; this one is never changed after
/// it is made, so sharing it between threads is safe.
final class MACKey: @unchecked Sendable {
    let key: SymmetricKey
    /// An HMAC that has taken in the key and nothing else: copied (a value) for each identifier, it
    /// skips hashing the key's two padded blocks again, two thirds of a pseudonym's cost.
    let keyed: HMAC<SHA256>
    init(_ key: SymmetricKey) {
        self.key = key
        keyed = HMAC<SHA256>(key: key)
    }
}

/// Identifier → the pseudonym's bits (nil for a bad NIR key), for the patients seen lately. Bounded
/// by patients and by a cap: when it is full it starts again empty, so that a federation's 500 000
/// patients or a hostile file of made-up identifiers cost at most 8 MB here (2¹⁸ slots of a
/// 16-byte identifier and 16 bytes of bits), and an identifier not found is worked out again, with
/// the same result. Locked: a validator may be shared by threads.
final class PatientIDCache: @unchecked Sendable {
    /// Three quarters of 2¹⁸: the most a Dictionary holds before doubling to 2¹⁹ slots.
    static let capacity = 196_608
    private var entries: [String: UInt64?] = [:]
    private let lock = NSLock()

    /// `.some(nil)`: known to be a NIR with a bad key; nil: not known.
    func lookup(_ patientID: String) -> UInt64?? {
        lock.lock()
        defer { lock.unlock() }
        return entries[patientID]
    }

    func store(_ patientID: String, _ bits: UInt64?) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= PatientIDCache.capacity { entries.removeAll(keepingCapacity: true) }
        entries[patientID] = .some(bits)
    }
}
