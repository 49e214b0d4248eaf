import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hidden temporaries named after the process that writes them (`PREFIX<pid>.tmp`), so that the
/// next run can tell those a killed process left behind from those a running one is still writing.
public enum TemporaryFiles {
    public static func name(prefix: String, pid: pid_t = getpid()) -> String {
        "\(prefix)\(pid).tmp"
    }

    /// Removes `PREFIX<pid>.tmp` files in `directory` whose process no longer exists.
    public static func removeStale(prefix: String, in directory: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(".tmp") {
            guard let pid = pid_t(entry.dropFirst(prefix.count).dropLast(4)), pid > 0 else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                unlink(directory + "/" + entry)
            }
        }
    }
}
