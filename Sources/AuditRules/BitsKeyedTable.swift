/// A table keyed by 64-bit integers read on every invoice: pseudonyms (`PatientRef.bits`) for the
/// per-patient state, packed codes (`CodeKey`) for the tariffs and the rule gates. A `Dictionary`
/// hashed each key with SipHash (a seeded `Hasher`, some hundred cycles), where a pseudonym's bits
/// are already an HMAC's, spread evenly and beyond an export's control, and the codes come from the
/// rule set.
/// Open addressing with linear probing, at most three quarters full, doubling as it fills; a
/// removal shifts back the entries after it (no tombstones), so lookups stay short however many
/// patients come and go.
struct BitsKeyedTable<Value> {
    /// A key beside its value, in one array: a lookup of a patient among some hundred thousand
    /// reads one place in memory instead of one in each of two arrays (two cache misses).
    private struct Slot {
        var key: UInt64
        var value: Value?
    }

    private var slots: [Slot]
    private var slotBits: Int
    private(set) var count = 0

    init(slotBits: Int = 10) {
        self.slotBits = slotBits
        slots = Array(repeating: Slot(key: 0, value: nil), count: 1 << slotBits)
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
        while slots[slot].value != nil {
            if slots[slot].key == key { return (slot, true) }
            slot = (slot + 1) & mask
        }
        return (slot, false)
    }

    /// The value held for `key`, nil when none is.
    func value(for key: UInt64) -> Value? {
        let (slot, found) = find(key)
        return found ? slots[slot].value : nil
    }

    /// Holds `value` for `key`, replacing the one held.
    mutating func set(_ value: Value, for key: UInt64) {
        let (slot, found) = find(key)
        if found { slots[slot].value = value } else { insert(key, value, at: slot) }
    }

    /// Lets `body` change the value held in `slot` (from `find`), in place.
    mutating func modify<Result>(at slot: Int, _ body: (inout Value) -> Result) -> Result {
        body(&slots[slot].value!)
    }

    /// The value in `slot` (from `find`, found), and its replacement: for plain values, which a
    /// copy does not retain.
    func value(at slot: Int) -> Value { slots[slot].value! }
    mutating func replace(at slot: Int, with value: Value) { slots[slot].value = value }

    /// Adds a key not held, at the free slot `find` gave for it.
    mutating func insert(_ key: UInt64, _ value: Value, at slot: Int) {
        if (count + 1) * 4 > 3 << slotBits {
            resize(slotBits: slotBits + 1)
            insert(key, value, at: find(key).slot)
            return
        }
        slots[slot] = Slot(key: key, value: value)
        count += 1
    }

    /// Removes the entry in `slot`, moving back the entries after it that probed past it.
    mutating func remove(at slot: Int) {
        var hole = slot
        slots[hole].value = nil
        count -= 1
        var next = (hole + 1) & mask
        while slots[next].value != nil {
            let wanted = home(slots[next].key)
            // The entry moves into the hole when its first slot is not between the hole and it
            // (cyclically): its probe passed by the hole.
            let passedHole = hole <= next ? (wanted <= hole || wanted > next) : (wanted <= hole && wanted > next)
            if passedHole {
                // Swapped with the empty hole: the value moves, and is not retained and released.
                slots.swapAt(hole, next)
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
        slots.withUnsafeMutableBufferPointer { slots in
            for slot in slots.indices where slots[slot].value != nil {
                if shouldRemove(&slots[slot].value!) { dropped.append(slots[slot].key) }
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

    var allValues: [Value] { slots.compactMap(\.value) }

    private mutating func resize(slotBits newBits: Int) {
        let old = slots
        slotBits = newBits
        slots = Array(repeating: Slot(key: 0, value: nil), count: 1 << newBits)
        count = 0
        for entry in old where entry.value != nil {
            slots[find(entry.key).slot] = entry
            count += 1
        }
    }
}

extension BitsKeyedTable: Sendable where Value: Sendable {}
