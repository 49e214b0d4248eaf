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

    /// Replaces `path` with `data` atomically (see `Stream`).
    static func write(_ data: Data, to path: String) throws {
        let stream = try Stream(path: path)
        stream.write(data)
        try stream.finish()
    }

    /// A report file being written, a part at a time, that replaces `path` atomically: a reader,
    /// or the next run, sees yesterday's file or today's whole file, never a part. On Linux the
    /// bytes go to an unnamed file (`O_TMPFILE`) that is given a name only once complete, so a run
    /// killed while writing leaves nothing behind; elsewhere, or where the file system has no
    /// unnamed files, a hidden temporary `.NAME.cotaudit-PID.tmp` is used, and the next run removes
    /// those of dead processes. A device or a pipe (`/dev/null`, `/dev/stdout`) is written in place.
    final class Stream {
        private let path: String
        private var descriptor: Int32 = -1
        /// Set for a regular file: the hidden temporary name, and whether the bytes are in an
        /// unnamed file (Linux) still to be linked there.
        private var temporary: String?
        private var unnamed = false
        private var failed: Int32?
        private var finished = false

        init(path: String) throws {
            self.path = path
            var existing = stat()
            let exists = stat(path, &existing) == 0
            if exists && (existing.st_mode & S_IFMT) != S_IFREG {
                descriptor = open(path, O_WRONLY | O_TRUNC)
                guard descriptor >= 0 else { throw Stream.failure(lastError(), path) }
                return
            }
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            let temporaryPrefix = ".\(url.lastPathComponent).cotaudit-"
            TemporaryFiles.removeStale(prefix: temporaryPrefix, in: directory)
            // A replaced report keeps its permissions; a new one gets the usual 0666 less the umask.
            let mode = exists ? mode_t(existing.st_mode & 0o7777) : 0o666
            let temporary = directory + "/" + TemporaryFiles.name(prefix: temporaryPrefix)
            self.temporary = temporary
            unlink(temporary)  // ours by its pid: left by an earlier process that had the same pid
            #if os(Linux)
            descriptor = open(directory, O_TMPFILE_WRONLY, mode)
            // The unnamed file is named through /proc: without it, the hidden temporary is used.
            if descriptor >= 0 && access("/proc/self/fd/\(descriptor)", F_OK) == 0 {
                unnamed = true
                if exists { fchmod(descriptor, mode) }
                return
            }
            if descriptor >= 0 { close(descriptor) }
            #endif
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
            guard descriptor >= 0 else { throw Stream.failure(lastError(), path) }
            if exists { fchmod(descriptor, mode) }
        }

        /// Writes a part; the first failure (a full disk) is kept and thrown by `finish`.
        func write(_ data: Data) { data.withUnsafeBytes(write(buffer:)) }

        func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes(write(buffer:)) }

        private func write(buffer: UnsafeRawBufferPointer) {
            guard failed == nil, !finished else { return }
            if !OutputFile.writeAll(buffer, to: descriptor) { failed = lastError() }
        }

        /// Puts the complete file in place of `path`, or throws (in French) and leaves `path` as it was.
        func finish() throws {
            guard !finished else { return }
            finished = true
            defer { close(descriptor) }
            if let failed {
                if let temporary, !unnamed { unlink(temporary) }
                throw Stream.failure(failed, path)
            }
            guard let temporary else { return }  // a device or a pipe, written in place
            guard fsync(descriptor) == 0 else {
                let reason = lastError()
                if !unnamed { unlink(temporary) }
                throw Stream.failure(reason, path)
            }
            #if os(Linux)
            // Named only now, complete; the rename then replaces the report in one step.
            if unnamed {
                guard linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) == 0 else {
                    throw Stream.failure(lastError(), path)
                }
            }
            #endif
            guard rename(temporary, path) == 0 else {
                let reason = lastError()
                unlink(temporary)
                throw Stream.failure(reason, path)
            }
        }

        deinit {
            // Abandoned (the run stopped with an error): an unnamed file vanishes with its descriptor.
            guard !finished else { return }
            close(descriptor)
            if let temporary, !unnamed { unlink(temporary) }
        }

        /// Said in French, with what to do, as every other file error staff read.
        static func failure(_ code: Int32, _ path: String) -> CommandFailure {
            CommandFailure(message: FileErrorText.describe(NSError(domain: NSPOSIXErrorDomain, code: Int(code)), path: path, writing: true),
                           status: 2)
        }
    }

    #if os(Linux)
    /// `O_TMPFILE | O_WRONLY`: Glibc's `O_TMPFILE` is a macro Swift does not import.
    /// `__O_TMPFILE` is 0o20000000 on every Linux architecture; `O_DIRECTORY` differs and is imported.
    static let O_TMPFILE_WRONLY: Int32 = 0o20000000 | O_DIRECTORY | O_WRONLY
    #endif

    static func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
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
