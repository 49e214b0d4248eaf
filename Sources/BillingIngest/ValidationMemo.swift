import BillingModel
import CPrefetch

/// What one thread's validation learnt of the values it read last, by their bytes: a row's
/// practitioner numbers, patient identifier, specialty and code come back row after row, and each
/// cost a String, a check and, for the patient, a hash and a lock in the shared pseudonym cache.
/// Only values the validator took as they are go in (a valid RPPS, a well-formed code, a
/// specialty, a patient's pseudonym or bad NIR key), each the same function of its bytes as
/// before, so the rows validate exactly as without it. Codes, practitioners and specialties have a
/// fixed number of slots, each overwritten by the next value falling in it. Patients have a table
/// that grows with them up to a bound, then starts again empty: a patient comes back after every
/// other patient of the period, so a slot shared by two of them missed on nearly every row of a
/// file of 100 000 patients. Memory does not grow with the rows. One per thread, not locked.
public final class ValidationMemo {
    @exclusivity(unchecked) private var rppsSlots: [(key: ShortBytesKey, value: String)?]
    @exclusivity(unchecked) private var codeSlots: [(key: ShortBytesKey, value: ActCode)?]
    @exclusivity(unchecked) private var specialtySlots: [(key: ShortBytesKey, value: Specialty)?]
    /// Open addressing, linear probing, at most three quarters full: 2^patientSlotBits slots.
    @exclusivity(unchecked) private var patientSlots: [PatientSlot]
    private var patientSlotBits: Int
    private var patientCount = 0
    /// The patient of the last row: the lines of an invoice follow each other and share it (a
    /// third of the rows of a generated batch), and the table, megabytes wide, costs a cache miss.
    private var lastPatient = PatientSlot()

    /// Where `RecordValidator.validateAct` lays out an XML act's values for `plainLine`.
    let plainSpans = UnsafeMutablePointer<Int>.allocate(capacity: 2 * Column.count)

    deinit { plainSpans.deallocate() }

    private let rppsBits: Int
    private let codeBits: Int
    private let specialtyBits: Int
    private let patientBits: Int

    /// 256 practitioners and codes, 16 specialties; patients in up to 1 048 576 slots, 786 432
    /// patients (32 bytes a slot: 32 MB at most, for a federation's file). At 262 144 slots, a
    /// file of 500 000 patients emptied the table again and again, and worked out most pseudonyms
    /// anew each time: 5M lines took 6.9 s instead of 5.2 s.
    public convenience init() { self.init(patientBits: 20) }

    /// The same with room for at most 3/4 of 2^`patientBits` patients (a second memo beside a full one).
    public convenience init(patientBits: Int) { self.init(rppsBits: 8, codeBits: 8, specialtyBits: 4, patientBits: patientBits) }

    /// Tables of 2^bits slots, the patients' at most (tests make them small, to see values displace
    /// each other).
    init(rppsBits: Int, codeBits: Int, specialtyBits: Int, patientBits: Int) {
        (self.rppsBits, self.codeBits, self.specialtyBits, self.patientBits) = (rppsBits, codeBits, specialtyBits, patientBits)
        rppsSlots = Array(repeating: nil, count: 1 << rppsBits)
        codeSlots = Array(repeating: nil, count: 1 << codeBits)
        specialtySlots = Array(repeating: nil, count: 1 << specialtyBits)
        patientSlotBits = min(patientBits, 10)
        patientSlots = Array(repeating: PatientSlot(), count: 1 << patientSlotBits)
    }

    /// The number when these bytes are a valid RPPS; nil otherwise (the validator's own path then
    /// says what is wrong).
    func rpps(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 11 else { return nil }
        return Self.value(of: bytes, in: &rppsSlots, bits: rppsBits) { RPPS.isValid($0) ? $0 : nil }
    }

    /// The code these bytes are when well-formed (`ActCode(wellFormed:)`); nil otherwise.
    func code(_ bytes: UnsafeBufferPointer<UInt8>) -> ActCode? {
        Self.value(of: bytes, in: &codeSlots, bits: codeBits, ActCode.init(wellFormed:))
    }

    /// The specialty these bytes are (`Specialty.init`); nil when they are none.
    func specialty(_ bytes: UnsafeBufferPointer<UInt8>) -> Specialty? {
        Self.value(of: bytes, in: &specialtySlots, bits: specialtyBits, Specialty.init)
    }

    /// The value `make` gives the bytes' text, from the bytes' slot when it holds them, else made
    /// and kept there (a value `make` refuses is not kept).
    @inline(__always)
    private static func value<Value>(of bytes: UnsafeBufferPointer<UInt8>, in slots: inout [(key: ShortBytesKey, value: Value)?],
                                     bits: Int, _ make: (String) -> Value?) -> Value? {
        guard let key = ShortBytesKey(bytes) else { return nil }
        let slot = key.slot(bits: bits)
        if let entry = slots[slot], entry.key == key { return entry.value }
        guard let value = make(String(decoding: bytes, as: UTF8.self)) else { return nil }
        slots[slot] = (key, value)
        return value
    }

    /// `pseudonymizer.checkedRef(for:)` of the identifier these bytes are (worked out here for a
    /// patient not held, without the pseudonymizer's shared cache): `.some(nil)` for a NIR
    /// whose key does not check; nil when the bytes are too many to be held here.
    func patient(_ bytes: UnsafeBufferPointer<UInt8>, _ pseudonymizer: Pseudonymizer) -> PatientRef?? {
        guard let key = ShortBytesKey(bytes) else { return nil }
        if lastPatient.holds(key) { return .some(lastPatient.bits.map(PatientRef.init(bits:))) }
        let found = patientHeld(key, bytes, pseudonymizer)
        lastPatient = PatientSlot(key, found)
        return .some(found.map(PatientRef.init(bits:)))
    }

    /// Asks the processor for the slot of the patient of these identifier bytes, ahead of
    /// `patient`: the table, megabytes wide, is not in its caches (see `RecordStage.takeLater`).
    public func prefetchPatient(of record: RawRecord) {
        guard let slot = record.withASCIIBytes(.patientID, { ShortBytesKey($0)?.slot(bits: patientSlotBits) }) ?? nil else { return }
        patientSlots.withUnsafeBufferPointer { cotaudit_prefetch($0.baseAddress! + slot) }
    }

    /// The pseudonym's bits for the identifier (nil for a bad NIR key), from the table or worked
    /// out and kept there.
    private func patientHeld(_ key: ShortBytesKey, _ bytes: UnsafeBufferPointer<UInt8>, _ pseudonymizer: Pseudonymizer) -> UInt64? {
        let mask = (1 << patientSlotBits) - 1
        var slot = key.slot(bits: patientSlotBits)
        var probes = 0
        while !patientSlots[slot].isEmpty && probes < ValidationMemo.maxProbes {
            if patientSlots[slot].holds(key) { return patientSlots[slot].bits }
            slot = (slot + 1) & mask
            probes += 1
        }
        let bits = pseudonymizer.workedOutBits(forUTF8: bytes)
        if (patientCount + 1) * 4 > 3 << patientSlotBits {
            makeRoomForPatient()
            insertPatient(PatientSlot(key, bits))
        } else if probes < ValidationMemo.maxProbes {
            patientSlots[slot] = PatientSlot(key, bits)
            patientCount += 1
        }
        return bits
    }

    /// Slots searched for a patient, at most: the slot of an identifier is a fixed function of its
    /// bytes, and a file of identifiers made to fall in one run of slots would have each row walk
    /// the run. A patient not found within is worked out again (the same pseudonym), and kept only
    /// where it can be found.
    static let maxProbes = 32

    /// Doubles the patients' table, or empties it once at its bound.
    private func makeRoomForPatient() {
        let entries = patientSlots
        if patientSlotBits < patientBits {
            patientSlotBits += 1
            patientSlots = Array(repeating: PatientSlot(), count: 1 << patientSlotBits)
            patientCount = 0
            for entry in entries where !entry.isEmpty { insertPatient(entry) }
        } else {
            patientSlots = Array(repeating: PatientSlot(), count: 1 << patientSlotBits)
            patientCount = 0
        }
    }

    /// Puts a patient not in the table in the first free slot from its own, if one is within
    /// `maxProbes` (else the patient is not kept).
    private func insertPatient(_ entry: PatientSlot) {
        let mask = (1 << patientSlotBits) - 1
        var slot = entry.key.slot(bits: patientSlotBits)
        for _ in 0..<ValidationMemo.maxProbes {
            if patientSlots[slot].isEmpty {
                patientSlots[slot] = entry
                patientCount += 1
                return
            }
            slot = (slot + 1) & mask
        }
    }
}

/// One patient of the memo in 32 bytes: the identifier's bytes (`ShortBytesKey`, its count in a
/// byte), and the pseudonym's bits or the mark of a NIR whose key does not check. A slot of a
/// tuple of the key and an optional took 40.
struct PatientSlot {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var storedBits: UInt64 = 0
    /// The identifier's byte count, 0 for an empty slot (an identifier has at least one byte).
    private var count: UInt8 = 0
    private var hasBits = false

    init() {}

    init(_ key: ShortBytesKey, _ bits: UInt64?) {
        (low, high, count) = (key.low, key.high, UInt8(key.count))
        (storedBits, hasBits) = (bits ?? 0, bits != nil)
    }

    var isEmpty: Bool { count == 0 }
    var key: ShortBytesKey { ShortBytesKey(low: low, high: high, count: Int(count)) }
    var bits: UInt64? { hasBits ? storedBits : nil }

    func holds(_ key: ShortBytesKey) -> Bool { key.low == low && key.high == high && key.count == Int(count) }
}
