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
    /// Made once: the key's padded blocks are hashed once for every pseudonym.
    private let key: MACKey
    /// Shared by copies, which share the key: a patient's rows cost one NIR check and one HMAC.
    private let cache = PatientIDCache()

    public init(key: Data) {
        self.key = MACKey(key)
    }

    /// The pseudonym of a patient identifier, or nil when it is a NIR whose key does not check
    /// (`NIR.check` gives `.badKey`). Worked out once per distinct identifier: a patient has many
    /// rows, and the NIR check and the HMAC were most of the time spent per row.
    public func checkedRef(for patientID: String) -> PatientRef? {
        checkedBits(for: patientID).map(PatientRef.init(bits:))
    }

    /// The bits of `checkedRef(for:)`.
    func checkedBits(for patientID: String) -> UInt64? {
        if let known = cache.lookup(patientID) { return known }
        let bits = workedOutBits(for: patientID)
        cache.store(patientID, bits)
        return bits
    }

    /// The bits of `checkedRef(for:)`, worked out without the shared cache: for a caller that keeps
    /// its own (`ValidationMemo`), where a patient it has not seen is nearly always one the cache
    /// has not either, and the lookup, the lock and the store were a seventh of the cost.
    func workedOutBits(for patientID: String) -> UInt64? {
        let normalized = Pseudonymizer.normalized(patientID)
        switch normalized.verdict {
        case .valid, .notNIR: return bits(normalized.bytes)
        case .badKey: return nil
        }
    }

    /// The environment variable that overrides the key file (CI, tests, several machines sharing one key).
    public static let environmentVariable = "COTAUDIT_PSEUDONYM_KEY"

    /// `p-` and 16 hex digits (64 bits): no collision to fear within a centre's patients.
    public func ref(for patientID: String) -> PatientRef { PatientRef(bits: bits(Pseudonymizer.normalized(patientID).bytes)) }

    /// The first 64 bits of the HMAC of a normalised identifier.
    private func bits(_ normalizedID: [UInt8]) -> UInt64 {
        normalizedID.withUnsafeBufferPointer(bits)
    }

    private func bits(_ normalizedID: UnsafeBufferPointer<UInt8>) -> UInt64 {
        key.mac(UnsafeRawBufferPointer(normalizedID)) { bytes in (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) } }
    }

    /// `workedOutBits(for:)` of the identifier these bytes are in UTF-8. Printable ASCII (nearly
    /// every identifier) is normalised in a buffer on the stack (`normalizeASCII`): through
    /// `normalized`, an array and a String cost 3 400 instructions a new patient.
    func workedOutBits(forUTF8 bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard Pseudonymizer.isPrintableASCII(bytes) else {
            return workedOutBits(for: String(decoding: bytes, as: UTF8.self))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { buffer in
            let (count, verdict) = Pseudonymizer.normalizeASCII(bytes, into: buffer)
            if case .badKey = verdict { return nil }
            return bits(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Printable ASCII and spaces: the identifiers `normalizeASCII` takes.
    private static func isPrintableASCII<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
        bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// `normalized` for printable ASCII, on bytes: the identifier without its spaces, in upper
    /// case, written to `buffer` (at least as long as `bytes`); a NIR with a valid key is cut to its
    /// 13 digits (with and without its key, the same patient). The count written, and what
    /// `NIR.check` says of the identifier (it too drops spaces and reads letters in upper case).
    private static func normalizeASCII(_ bytes: UnsafeBufferPointer<UInt8>,
                                       into buffer: UnsafeMutableBufferPointer<UInt8>) -> (count: Int, verdict: NIR.Verdict) {
        var count = 0
        for byte in bytes where byte != 0x20 {
            buffer[count] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
            count += 1
        }
        let verdict = NIR.check(asciiBytes: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        return (count == 15 && verdict == .valid ? 13 : count, verdict)
    }

    /// The whole HMAC-SHA256 of `message` under this key (for the test that it is the standard one).
    func mac(_ message: [UInt8]) -> [UInt8] { key.mac(message) { Array($0) } }

    /// The identifier as the HMAC takes it, in UTF-8: a NIR with and without its key is the same
    /// patient; spaces and case do not matter. A patient not in the cache costs one array, not
    /// three arrays and two Strings (a 5M-line file with 500 000 patients misses it often).
    ///
    /// With it, what `NIR.check` says of the identifier: for printable ASCII the check reads the
    /// same bytes (it too drops spaces and reads letters in upper case), so it is made once.
    static func normalized(_ patientID: String) -> (bytes: [UInt8], verdict: NIR.Verdict) {
        // Printable ASCII and spaces (nearly every identifier): the same steps on bytes.
        if isPrintableASCII(patientID.utf8) {
            var identifier = patientID
            return identifier.withUTF8 { utf8 in
                var verdict = NIR.Verdict.notNIR
                let bytes = [UInt8](unsafeUninitializedCapacity: utf8.count) { buffer, initialized in
                    (initialized, verdict) = normalizeASCII(utf8, into: buffer)
                }
                return (bytes, verdict)
            }
        }
        return (Array(normalizedText(patientID).utf8), NIR.check(patientID))
    }

    /// The general path of `normalized`, for identifiers with other characters than printable ASCII.
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

/// The HMAC key, made once. Nothing in it is changed after it is made, so sharing it between
/// threads is safe.
///
/// HMAC-SHA256 as RFC 2104 defines it, SHA-256 being swift-crypto's: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)),
/// K the key (hashed first when longer than a block) padded with zeros to a block. Both padded key
/// blocks are hashed once, here; an identifier then costs one block of each hash, where the
/// library's HMAC hashed the outer key block again for every identifier.
final class MACKey: @unchecked Sendable {
    /// SHA-256 having taken in K ⊕ ipad, and K ⊕ opad.
    private let inner: SHA256
    private let outer: SHA256

    init(_ keyBytes: Data) {
        let blockSize = 64
        var block = keyBytes.count > blockSize ? Array(SHA256.hash(data: keyBytes)) : Array(keyBytes)
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// `body` reads the 32 bytes of the HMAC of `message`.
    func mac<Value>(_ message: [UInt8], _ body: (UnsafeRawBufferPointer) -> Value) -> Value {
        message.withUnsafeBytes { mac($0, body) }
    }

    func mac<Value>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Value) -> Value {
        var innerHash = inner
        innerHash.update(bufferPointer: message)
        var outerHash = outer
        innerHash.finalize().withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize().withUnsafeBytes(body)
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
