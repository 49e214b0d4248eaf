import Foundation

/// The byte and span arrays of XML acts' records, handed back once validated so that the reader
/// fills them again. With two threads the reader allocated each act's two arrays and the audit's
/// thread freed them: glibc took the reader's arena lock for each free, and the threads woke each
/// other on it (a tenth of the XML reading thread at 1M lines). Taken and given back a batch at a
/// time, under one lock; at most `capacity` pairs are kept, so memory stays bounded.
public final class RecordStoragePool: @unchecked Sendable {
    public typealias Storage = (bytes: [UInt8], spans: [Int])

    public static let shared = RecordStoragePool()

    /// Some 600 bytes a pair (2.4 MB); a pair grown by long values, up to `largestKeptBytes` more.
    static let capacity = 4_096
    /// A pair whose byte array grew past this (an act with values of kilobytes) is not kept: the
    /// pool holds arrays with their room, and a file of acts with long values must not fill it
    /// with megabytes.
    static let largestKeptBytes = 4_096

    private let lock = NSLock()
    private var spare: [Storage] = []

    /// Keeps what fits of `returned`, which is left empty. Pairs are moved one by one (`popLast`),
    /// not copied by range: a copy retained both arrays of each pair and the emptying released
    /// them, atomic counts on both threads for every act. Their order does not matter.
    public func giveBack(_ returned: inout [Storage]) {
        lock.lock()
        while spare.count < RecordStoragePool.capacity, let pair = returned.popLast() {
            if pair.bytes.capacity <= RecordStoragePool.largestKeptBytes { spare.append(pair) }
        }
        lock.unlock()
        returned.removeAll(keepingCapacity: true)
    }

    /// Pairs kept (for the tests).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return spare.count
    }

    /// Moves up to `count` pairs into `stash`, one by one (see `giveBack`).
    func take(into stash: inout [Storage], upTo count: Int) {
        lock.lock()
        var taken = 0
        while taken < count, let pair = spare.popLast() {
            stash.append(pair)
            taken += 1
        }
        lock.unlock()
    }
}
