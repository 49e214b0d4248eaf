/// A table keyed by 64-bit integers read on every invoice: pseudonyms (`PatientRef.bits`) for the
/// per-patient state, packed codes (`CodeKey`) for the tariffs and the rule gates. A `Dictionary`
/// hashed each key with SipHash (a seeded `Hasher`, some hundred cycles), where a pseudonym's bits
/// are already an HMAC's, spread evenly and beyond an export's control, and the codes come from the
/// rule set.
/// Open addressing with linear probing, at most three quarters full, doubling as it fills; a
/// removal shifts back the entries after it (no tombstones), so lookups stay short however many
/// patients come and go.
struct BitsKeyedTable<Value> {
    private var keys: [UInt64]
    private var values: [Value?]
    private var slotBits: Int
    private(set) var count = 0

    init(slotBits: Int = 10) {
        self.slotBits = slotBits
        keys = Array(repeating: 0, count: 1 << slotBits)
        values = Array(repeating: nil, count: 1 << slotBits)
    }

    private var mask: Int { (1 << slotBits) - 1 }

    /// The key's first slot: its bits mixed once more (Fibonacci hashing: the product's top bits
    /// depend on every bit of the key), so that keys alike in their low bytes, as packed codes and
    /// the tests' small keys are, spread too.
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - slotBits))
    }

    /// The key's slot when held; else the free slot where it would go.
    func find(_ key: UInt64) -> (slot: Int, found: Bool) {
        var slot = home(key)
        while values[slot] != nil {
            if keys[slot] == key { return (slot, true) }
            slot = (slot + 1) & mask
        }
        return (slot, false)
    }

    /// The value held for `key`, nil when none is.
    func value(for key: UInt64) -> Value? {
        let (slot, found) = find(key)
        return found ? values[slot] : nil
    }

    /// Holds `value` for `key`, replacing the one held.
    mutating func set(_ value: Value, for key: UInt64) {
        let (slot, found) = find(key)
        if found { values[slot] = value } else { insert(key, value, at: slot) }
    }

    /// Lets `body` change the value held in `slot` (from `find`), in place.
    mutating func modify<Result>(at slot: Int, _ body: (inout Value) -> Result) -> Result {
        body(&values[slot]!)
    }

    /// The value in `slot` (from `find`, found), and its replacement: for plain values, which a
    /// copy does not retain.
    func value(at slot: Int) -> Value { values[slot]! }
    mutating func replace(at slot: Int, with value: Value) { values[slot] = value }

    /// Adds a key not held, at the free slot `find` gave for it.
    mutating func insert(_ key: UInt64, _ value: Value, at slot: Int) {
        if (count + 1) * 4 > 3 << slotBits {
            resize(slotBits: slotBits + 1)
            insert(key, value, at: find(key).slot)
            return
        }
        keys[slot] = key
        values[slot] = value
        count += 1
    }

    /// Removes the entry in `slot`, moving back the entries after it that probed past it.
    mutating func remove(at slot: Int) {
        var hole = slot
        values[hole] = nil
        count -= 1
        var next = (hole + 1) & mask
        while values[next] != nil {
            let wanted = home(keys[next])
            // The entry moves into the hole when its first slot is not between the hole and it
            // (cyclically): its probe passed by the hole.
            let passedHole = hole <= next ? (wanted <= hole || wanted > next) : (wanted <= hole && wanted > next)
            if passedHole {
                // Swapped with the empty hole: the value moves, and is not retained and released.
                keys[hole] = keys[next]
                values.swapAt(hole, next)
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    /// Removes every entry `shouldRemove` picks, then gives back the slots of a table left an
    /// eighth full. `shouldRemove` reads each value in place (a copy of each retained and released
    /// its references, for every patient held at every sweep); it must not change it.
    mutating func removeAll(where shouldRemove: (inout Value) -> Bool) {
        var dropped: [UInt64] = []
        let keys = self.keys
        values.withUnsafeMutableBufferPointer { values in
            for slot in values.indices where values[slot] != nil {
                if shouldRemove(&values[slot]!) { dropped.append(keys[slot]) }
            }
        }
        for key in dropped {
            let (slot, found) = find(key)
            if found { remove(at: slot) }
        }
        // Shrunk to at most three eighths full, so that the next entries do not double it again.
        guard slotBits > 10, count * 8 < 1 << slotBits else { return }
        var fitting = 10
        while count * 8 > 3 << fitting { fitting += 1 }
        if fitting < slotBits { resize(slotBits: fitting) }
    }

    var allValues: [Value] { values.compactMap { $0 } }

    private mutating func resize(slotBits newBits: Int) {
        let (oldKeys, oldValues) = (keys, values)
        slotBits = newBits
        keys = Array(repeating: 0, count: 1 << newBits)
        values = Array(repeating: nil, count: 1 << newBits)
        count = 0
        for slot in oldValues.indices {
            guard let value = oldValues[slot] else { continue }
            let free = find(oldKeys[slot]).slot
            keys[free] = oldKeys[slot]
            values[free] = value
            count += 1
        }
    }
}

extension BitsKeyedTable: Sendable where Value: Sendable {}
