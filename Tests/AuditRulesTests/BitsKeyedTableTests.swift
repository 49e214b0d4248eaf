@testable import AuditRules
import XCTest

/// The duplicate rule's patient table against a `Dictionary` doing the same: random insertions,
/// changes and removals, among keys few enough to collide, then sweeps that empty most of it.
final class BitsKeyedTableTests: XCTestCase {
    func testRandomOperationsLeaveTheSameEntriesAsADictionary() {
        var generator = SeededGenerator(seed: 7)
        var table = BitsKeyedTable<Int>()
        var reference: [UInt64: Int] = [:]
        // Keys from a small range collide in their first slots and wrap round the table's end.
        for step in 0..<60_000 {
            let key = UInt64.random(in: 0..<3_000, using: &generator) &* (step % 3 == 0 ? 1 : 0x1_0000_0001)
            let (slot, found) = table.find(key)
            XCTAssertEqual(found, reference[key] != nil, "step \(step): key \(key) found")
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where found:
                table.remove(at: slot)
                reference[key] = nil
            case 1 where found:
                table.modify(at: slot) { $0 += 1 }
                reference[key]! += 1
            default:
                if !found {
                    table.insert(key, step, at: slot)
                    reference[key] = step
                }
            }
            XCTAssertEqual(table.count, reference.count)
            if step % 10_000 == 9_999 {
                table.removeAll { $0 % 4 != 0 }
                reference = reference.filter { $0.value % 4 == 0 }
            }
        }
        for (key, value) in reference {
            let (slot, found) = table.find(key)
            XCTAssertTrue(found, "key \(key) kept")
            XCTAssertEqual(table.modify(at: slot) { $0 }, value)
        }
        XCTAssertEqual(table.allValues.sorted(), reference.values.sorted())
    }

    func testASweepThatEmptiesTheTableGivesBackItsSlots() {
        var table = BitsKeyedTable<Int>()
        for key in 0..<100_000 as Range<UInt64> { table.insert(key, Int(key), at: table.find(key).slot) }
        table.removeAll { $0 >= 10 }
        XCTAssertEqual(table.count, 10)
        for key in 0..<10 as Range<UInt64> { XCTAssertTrue(table.find(key).found) }
        XCTAssertFalse(table.find(10).found)
        // Filled again after shrinking.
        for key in 10..<5_000 as Range<UInt64> { table.insert(key, Int(key), at: table.find(key).slot) }
        XCTAssertEqual(table.allValues.sorted(), Array(0..<5_000))
    }
}

/// SplitMix64, for a sequence the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
