import Foundation

/// A bounded first-in first-out queue between one thread that puts in and one that takes out:
/// the event batches from the reading thread to the audit's, the parts of a report's text from the
/// thread writing them to the one writing the report. `push` waits while `capacity` items wait.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken items are nil: let go at once, not kept until the queue runs empty, which a producer
    /// ahead of its consumer never lets happen (the batches taken piled up with the file's rows).
    private var items: [Element?] = []
    private var head = 0
    private var closed = false
    private let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    /// Returns how many items wait, this one counted.
    @discardableResult
    public func push(_ item: Element) -> Int {
        condition.lock()
        while items.count - head >= capacity { condition.wait() }
        items.append(item)
        let waiting = items.count - head
        condition.broadcast()
        condition.unlock()
        return waiting
    }

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, or nil once the queue is closed and every item was taken.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head].take()
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= capacity {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }
}
