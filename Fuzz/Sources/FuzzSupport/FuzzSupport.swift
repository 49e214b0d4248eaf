import BillingModel
@_exported import CFuzzDriver
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What every target shares: the input written to a scratch file (the readers read files), and the
/// checks that make a target fail, which libFuzzer then reports with the input that broke them.
public enum Fuzz {
    /// The repository root, from this file's place in `Fuzz/Sources/FuzzSupport/`.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static let scratchFolder: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("cotaudit-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// Writes the input to a scratch file named `name` (one per process, rewritten for each input).
    public static func scratchFile(_ name: String, _ data: UnsafePointer<UInt8>, _ size: Int) -> URL {
        let url = scratchFolder.appendingPathComponent(name)
        try! Data(bytes: data, count: size).write(to: url)
        return url
    }

    public static func scratchFolderURL() -> URL { scratchFolder }

    /// Runs libFuzzer on `target`: the body of each target's entry point (SwiftPM links an executable
    /// with its module's own entry point, so libFuzzer's `main` is not used).
    public static func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                           _ target: @escaping @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, target)
    }

    /// Stops the process with the broken invariant: libFuzzer saves the input as a crash artifact.
    public static func fail(_ what: String) -> Never {
        FileHandle.standardError.write(Data("INVARIANT BROKEN: \(what)\n".utf8))
        abort()
    }

    /// A message must never carry what could identify a patient: a run of 8 or more digits (NIR, RPPS,
    /// phone) or anything shaped like a date. Checked independently of the tool's own sanitizer.
    public static func checkPrivacy(_ message: String, context: String) {
        var digits = 0
        for scalar in message.unicodeScalars {
            if ("0"..."9").contains(scalar) {
                digits += 1
                if digits >= 8 { fail("\(context): run of 8+ digits in message: \(message)") }
            } else {
                digits = 0
            }
        }
        if looksLikeADate(message) { fail("\(context): date-shaped text in message: \(message)") }
    }

    /// `d{1,4} sep d{1,2} sep d{1,4}` with sep in `-`, `/`, `.`: 1954-02-30, 30/02/1954, 3.2.54.
    static func looksLikeADate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        func digitRun(from start: Int) -> Int {
            var end = start
            while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
            return end - start
        }
        var index = 0
        while index < scalars.count {
            let first = digitRun(from: index)
            guard first > 0 else { index += 1; continue }
            defer { index += first }
            if index > 0, ("0"..."9").contains(scalars[index - 1]) { continue }
            var cursor = index + first
            guard first <= 4, cursor < scalars.count, "-/.".unicodeScalars.contains(scalars[cursor]) else { continue }
            let separator = scalars[cursor]
            cursor += 1
            let second = digitRun(from: cursor)
            guard (1...2).contains(second) else { continue }
            cursor += second
            guard cursor < scalars.count, scalars[cursor] == separator else { continue }
            let third = digitRun(from: cursor + 1)
            if (1...4).contains(third) { return true }
        }
        return false
    }

    /// Every identity value seen in the records (patient id, birth date) long enough to be told apart
    /// from ordinary words must be absent from every message.
    public static func checkNoEcho(_ identities: Set<String>, in messages: [String], context: String) {
        for identity in identities where identity.count >= 6 {
            // Byte for byte: Foundation's `contains` stops the process on a needle holding NULs.
            for message in messages where QuotedValue.holds(message, identity) {
                fail("\(context): identity value «\(identity)» echoed in: \(message)")
            }
        }
    }
}
