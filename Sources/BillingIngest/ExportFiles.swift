import BillingModel
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the export files a command line names and opens each with the right reader.
public enum ExportFiles {
    /// Extensions kept when a folder is expanded (compared case-insensitively). A file named on the
    /// command line is always kept, whatever its extension.
    public static let exportExtensions: Set<String> = ["csv", "txt", "xml"]

    /// The files to audit, in command-line order, folders expanded recursively and sorted by path
    /// (hidden files and folders skipped), each file once; and a problem for each path that does not exist.
    /// A file reached twice (same path, or the same bytes under another name — a copy of the export)
    /// is audited once and said, as a warning, so that its acts are not counted twice.
    public static func collect(paths: [String]) -> (files: [URL], issues: [InputIssue]) {
        let manager = FileManager.default
        var files: [URL] = []
        var seen: Set<String> = []
        var issues: [InputIssue] = []

        func add(_ url: URL) {
            let key = url.standardizedFileURL.resolvingSymlinksInPath().path
            if seen.insert(key).inserted {
                files.append(url)
            } else {
                issues.append(InputIssue(file: url.relativePath, line: 0, column: nil,
                                         message: "fichier donné deux fois : audité une seule fois", severity: .warning))
            }
        }

        var seenArguments: Set<String> = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            guard seenArguments.insert(url.standardizedFileURL.resolvingSymlinksInPath().path).inserted else {
                issues.append(InputIssue(file: path, line: 0, column: nil,
                                         message: "chemin donné deux fois : audité une seule fois", severity: .warning))
                continue
            }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                issues.append(InputIssue(file: path, line: 0, column: nil,
                                         message: "fichier ou dossier introuvable : vérifiez le chemin « \(path) »"))
                continue
            }
            guard isDirectory.boolValue else {
                add(url)
                continue
            }
            guard let enumerator = manager.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey],
                                                      options: [.skipsHiddenFiles]) else {
                issues.append(InputIssue(file: path, line: 0, column: nil, message: "dossier illisible : vérifiez les droits de lecture"))
                continue
            }
            var found: [URL] = []
            for case let candidate as URL in enumerator {
                // `.skipsHiddenFiles` is not honoured the same way on every platform: check the name too.
                let relative = candidate.path.dropFirst(url.path.count)
                if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                guard exportExtensions.contains(candidate.pathExtension.lowercased()) else { continue }
                let isRegularFile = (try? candidate.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile ?? false
                if isRegularFile { found.append(candidate) }
            }
            found.sort { $0.path < $1.path }
            if found.isEmpty {
                // Reported, not skipped silently: a gate pointed at the wrong folder must not pass on nothing.
                issues.append(InputIssue(file: path, line: 0, column: nil,
                                         message: "aucun fichier .csv, .txt ou .xml dans ce dossier (les fichiers cachés sont ignorés)"))
            }
            found.forEach(add)
        }
        return dropCopies(files, issues)
    }

    /// Files with the same bytes as an earlier one: the same export saved twice under two names.
    static func dropCopies(_ files: [URL], _ issues: [InputIssue]) -> (files: [URL], issues: [InputIssue]) {
        var firstWithDigest: [Data: URL] = [:]
        var kept: [URL] = []
        var issues = issues
        // Only files of the same size can hold the same bytes: a file whose size no other shares is
        // not read an extra time to be hashed (a whole pass over a single export, 7 % of an audit).
        let sizes = files.map(regularFileSize)
        var filesOfSize: [Int64: Int] = [:]
        for case let size? in sizes { filesOfSize[size, default: 0] += 1 }
        for (file, size) in zip(files, sizes) {
            if let size, filesOfSize[size] == 1 {
                kept.append(file)
                continue
            }
            guard let digest = contentDigest(file) else {
                kept.append(file)  // unreadable: the reader says why
                continue
            }
            if let first = firstWithDigest[digest] {
                issues.append(InputIssue(file: file.relativePath, line: 0, column: nil,
                                         message: "même contenu que « \(first.relativePath) » : copie du même export, auditée une seule fois",
                                         severity: .warning))
            } else {
                firstWithDigest[digest] = file
                kept.append(file)
            }
        }
        return (kept, issues)
    }

    /// The size of a regular file (links followed), nil for anything else or when it cannot be read.
    static func regularFileSize(_ url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// SHA-256 of the file, read in 1 MiB blocks (memory stays flat in file size).
    static func contentDigest(_ url: URL) -> Data? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try? handle.read(upToCount: 1 << 20), !block.isEmpty {
            hasher.update(data: block)
        }
        return Data(hasher.finalize())
    }

    /// The XML reader when the file says `.xml` or starts (after a BOM and blanks) with `<`, else the
    /// CSV reader. Throws `UnreadableFile` when the file cannot be opened or its header is unusable.
    public static func openReader(url: URL, displayName: String, profile: MappingProfile,
                                  encoding: TextEncodingChoice?, suggestedProfiles: [MappingProfile] = []) throws -> RecordReader {
        if url.pathExtension.lowercased() == "xml" || startsWithAngleBracket(url) {
            return try XMLRecordReader(url: url, displayName: displayName, profile: profile)
        }
        return try CSVRecordReader(url: url, displayName: displayName, profile: profile, encoding: encoding,
                                   suggestedProfiles: suggestedProfiles)
    }

    /// Whether the first non-blank byte, after a UTF-8 BOM, is `<`. Reads one small block only; a
    /// file that cannot be read is left to the CSV reader, which reports why.
    static func startsWithAngleBracket(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4096) else { return false }
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first == UInt8(ascii: "<")
    }
}
