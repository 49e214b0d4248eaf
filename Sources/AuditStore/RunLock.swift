import Foundation

/// One nightly run at a time on a store: an exclusive `flock` on `STORE.lock`, which the kernel
/// releases when the process ends, even by SIGKILL, so a killed run never leaves a stale lock.
public final class RunLock {
    private let descriptor: Int32

    /// Waits at most `seconds` for the lock, then throws the French message.
    public init(storePath: String, waitSeconds: Double) throws {
        let path = storePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw AuditStore.Failure(description: "impossible d'ouvrir le verrou \(path) : \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(max(waitSeconds, 0))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(descriptor)
                throw AuditStore.Failure(description: "un autre audit de nuit travaille sur la base de suivi \(storePath) depuis plus de \(Int(waitSeconds)) s : abandon sans rien modifier ; relancez quand il sera terminé")
            }
            usleep(100_000)
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
