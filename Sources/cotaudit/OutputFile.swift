import AuditReport
import BillingIngest
import BillingModel
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Report files (`-o`, `--junit`): never an input, and replaced all at once or not at all.
enum OutputFile {
    /// Refuses (exit 64) an output that is one of the inputs: the same file by device and inode,
    /// whatever the path, hard link or symbolic link that names it, or a file that a folder given
    /// as input would read as an export (the next run would audit yesterday's report).
    static func refuseInput(output: String, option: String, inputs: [String]) throws {
        let files = ExportFiles.collect(paths: inputs).files
        if let target = identity(output) {
            for file in files where identity(file.path) == target {
                throw CommandFailure(
                    message: "\(option) « \(output) » désigne un fichier d'entrée (\(file.path)) : il serait écrasé, choisir un autre fichier de sortie",
                    status: 64)
            }
        }
        let outputURL = URL(fileURLWithPath: output)
        let name = outputURL.lastPathComponent
        guard !name.hasPrefix("."), ExportFiles.exportExtensions.contains(outputURL.pathExtension.lowercased()),
              let outputFolder = realPath(outputURL.deletingLastPathComponent().path) else { return }
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue,
                  let folder = realPath(input) else { continue }
            let inside = outputFolder == folder || outputFolder.hasPrefix(folder == "/" ? "/" : folder + "/")
            // A hidden folder on the way is skipped when a folder is expanded: the report would not be read.
            let between = outputFolder.dropFirst(folder.count).split(separator: "/")
            if inside && !between.contains(where: { $0.hasPrefix(".") }) {
                throw CommandFailure(
                    message: "\(option) « \(output) » est dans le dossier d'entrée « \(input) » : le rapport y serait lu comme un export au prochain audit, l'écrire ailleurs",
                    status: 64)
            }
        }
    }

    /// Replaces `path` with `data` atomically: a reader, or the next run, sees yesterday's file or
    /// today's whole file, never a part. On Linux the bytes go to an unnamed file (`O_TMPFILE`)
    /// that is given a name only once complete, so a run killed while writing leaves nothing
    /// behind; elsewhere, or where the file system has no unnamed files, a hidden temporary
    /// `.NAME.cotaudit-PID.tmp` is used, and the next run removes those of dead processes.
    /// A device or a pipe (`/dev/null`, `/dev/stdout`) is written in place.
    static func write(_ data: Data, to path: String) throws {
        // Said in French, with what to do, as every other file error staff read.
        func failure(_ code: Int32) -> CommandFailure {
            CommandFailure(message: FileErrorText.describe(NSError(domain: NSPOSIXErrorDomain, code: Int(code)), path: path, writing: true),
                           status: 2)
        }
        var existing = stat()
        let exists = stat(path, &existing) == 0
        if exists && (existing.st_mode & S_IFMT) != S_IFREG {
            let descriptor = open(path, O_WRONLY | O_TRUNC)
            guard descriptor >= 0 else { throw failure(lastError()) }
            defer { close(descriptor) }
            guard writeAll(data, to: descriptor) else { throw failure(lastError()) }
            return
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let temporaryPrefix = ".\(name).cotaudit-"
        TemporaryFiles.removeStale(prefix: temporaryPrefix, in: directory)
        // A replaced report keeps its permissions; a new one gets the usual 0666 less the umask.
        let mode = exists ? mode_t(existing.st_mode & 0o7777) : 0o666
        let temporary = directory + "/" + TemporaryFiles.name(prefix: temporaryPrefix)
        unlink(temporary)  // ours by its pid: left by an earlier process that had the same pid
        #if os(Linux)
        let unnamed = open(directory, O_TMPFILE_WRONLY, mode)
        if unnamed >= 0 {
            defer { close(unnamed) }
            if exists { fchmod(unnamed, mode) }
            guard writeAll(data, to: unnamed), fsync(unnamed) == 0 else { throw failure(lastError()) }
            // Named only now, complete; the rename then replaces the report in one step.
            if linkat(AT_FDCWD, "/proc/self/fd/\(unnamed)", AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) == 0 {
                guard rename(temporary, path) == 0 else {
                    let reason = lastError()
                    unlink(temporary)
                    throw failure(reason)
                }
                return
            }
        }
        #endif
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw failure(lastError()) }
        if exists { fchmod(descriptor, mode) }
        let written = writeAll(data, to: descriptor) && fsync(descriptor) == 0
        let reason = lastError()
        close(descriptor)
        guard written, rename(temporary, path) == 0 else {
            let renameReason = written ? lastError() : reason
            unlink(temporary)
            throw failure(renameReason)
        }
    }

    #if os(Linux)
    /// `O_TMPFILE | O_WRONLY`: Glibc's `O_TMPFILE` is a macro Swift does not import.
    /// `__O_TMPFILE` is 0o20000000 on every Linux architecture; `O_DIRECTORY` differs and is imported.
    static let O_TMPFILE_WRONLY: Int32 = 0o20000000 | O_DIRECTORY | O_WRONLY
    #endif

    static func writeAll(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { buffer -> Bool in
            guard var pointer = buffer.baseAddress else { return true }
            var remaining = buffer.count
            while remaining > 0 {
                let count = Foundation.write(descriptor, pointer, remaining)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                pointer += count
                remaining -= count
            }
            return true
        }
    }

    /// Device and inode of what a path names (symbolic links followed), nil when it does not exist.
    static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func lastError() -> Int32 {
        errno
    }
}
