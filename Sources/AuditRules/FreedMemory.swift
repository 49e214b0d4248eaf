#if canImport(Glibc)
import Glibc
#endif

/// Hands memory the run has freed back to the system. glibc keeps freed small blocks for reuse,
/// so the per-patient state a run drops (the duplicate rule's closed days, a settled year) stayed
/// counted in its resident size: a 5M-line audit used 96 MB of heap and 152 MB of memory.
enum FreedMemory {
    /// How many invoices between two releases: each walks the heap, a few milliseconds.
    static let invoiceInterval = 65_536

    /// glibc's `malloc_trim`, looked up at run time: the Glibc module does not import `malloc.h`,
    /// and another C library simply has none (then nothing is done).
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    static func release() {
        _ = trim?(0)
    }

    /// glibc's `mallopt`, looked up the same way.
    private static let option: (@convention(c) (Int32, Int32) -> Int32)? = {
        #if canImport(Glibc)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Two malloc arenas (`M_ARENA_MAX`, -8 in glibc's `malloc.h`): one for each of the two threads
    /// of `--jobs 2`. Sharing one made the threads wait on its lock: with the reading thread
    /// allocating what the audit's thread frees, 1M XML lines made 74 000 futex calls and took 3.2 s
    /// (1.6 processors busy), against 28 000 calls and 2.4 s with two arenas, for the same peak
    /// memory (5M CSV lines 92 MB, 5M XML lines 96 MB). One arena was chosen when the reading thread
    /// still made whole invoices: a second arena then fragmented (188 MB against 134 MB at 5M lines).
    static func oneArenaPerThread() {
        _ = option?(-8, 2)
    }
}
