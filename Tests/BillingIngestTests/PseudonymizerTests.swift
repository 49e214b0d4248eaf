@testable import BillingIngest
import BillingModel
import Crypto
import Foundation
import XCTest

final class PseudonymizerTests: XCTestCase {
    func testTheKeyFileIsCreatedOnceWithOwnerOnlyPermissions() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["HOME": home.path]
        let first = try Pseudonymizer.loadKey(environment: environment)
        let file = Pseudonymizer.defaultKeyFile(environment: environment)
        XCTAssertEqual(file.path, home.path + "/.config/cotaudit/pseudonym.key")
        let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        XCTAssertEqual(permissions, 0o600)
        XCTAssertEqual(first.count, 32)
        XCTAssertEqual(try Pseudonymizer.loadKey(environment: environment), first, "la clé est créée une fois puis relue")
    }

    func testTheEnvironmentVariableOverridesTheKeyFile() throws {
        let key = try Pseudonymizer.loadKey(environment: [Pseudonymizer.environmentVariable: "une-cle-de-test-assez-longue", "HOME": "/nonexistent"])
        XCTAssertEqual(key, Data("une-cle-de-test-assez-longue".utf8))
        XCTAssertThrowsError(try Pseudonymizer.loadKey(environment: [Pseudonymizer.environmentVariable: "court"]))
    }

    /// Pseudonyms are kept in the nightly store and compared from run to run: the HMAC worked out
    /// from the key's hashed pad blocks must be the standard one, byte for byte, for keys shorter
    /// than a block, of a block and longer (hashed first), and messages of every length around one.
    func testTheHMACIsSwiftCryptosHMACSHA256() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [16, 31, 32, 63, 64, 65, 128, 200] {
            let key = Data((0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let pseudonymizer = Pseudonymizer(key: key)
            for messageLength in [0, 1, 13, 15, 31, 55, 56, 63, 64, 65, 100, 200] {
                let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
                XCTAssertEqual(pseudonymizer.mac(message), expected, "clé de \(keyLength) octets, message de \(messageLength)")
            }
        }
    }

    func testPseudonymsAreStableKeyedAndNeverTheIdentifier() {
        let nir13 = "1850775123456"
        let number = Int64(nir13)!
        let nir15 = nir13 + String(format: "%02d", 97 - number % 97)
        let one = Pseudonymizer(key: Data(repeating: 1, count: 32))
        let other = Pseudonymizer(key: Data(repeating: 2, count: 32))
        XCTAssertEqual(one.ref(for: nir13), one.ref(for: nir15), "le même patient avec ou sans clé NIR")
        XCTAssertEqual(one.ref(for: nir15), one.ref(for: " \(nir15) "))
        XCTAssertNotEqual(one.ref(for: nir15), other.ref(for: nir15), "une autre clé donne d'autres pseudonymes")
        XCTAssertNotEqual(one.ref(for: nir15), one.ref(for: "1850775123457"))
        XCTAssertFalse(one.ref(for: nir15).value.contains("1850775"))
        XCTAssertTrue(one.ref(for: "P000123").value.hasPrefix("p-"))
        XCTAssertEqual(one.ref(for: "P000123").value.count, 18)
    }

    /// A pseudonym is held as its 64 bits: its text, its order and its equality are those of the
    /// text it stands for, and a pseudonym read back from the store is the same value.
    func testAPseudonymHeldAsBitsReadsAndSortsAsItsText() {
        let pseudonymizer = Pseudonymizer(key: Data(repeating: 7, count: 32))
        let refs = (0..<200).map { pseudonymizer.ref(for: "P\($0)") }
        for ref in refs {
            XCTAssertTrue(ref.value.hasPrefix("p-"))
            XCTAssertEqual(ref.value.count, 18)
            XCTAssertTrue(ref.value.dropFirst(2).allSatisfy { "0123456789abcdef".contains($0) })
            XCTAssertEqual(PatientRef(ref.value), ref, "relu du magasin, c'est le même patient")
            XCTAssertEqual(PatientRef(ref.value).hashValue, ref.hashValue)
        }
        XCTAssertEqual(refs.sorted().map(\.value), refs.map(\.value).sorted())
        XCTAssertEqual(PatientRef(bits: 0xAB).value, "p-00000000000000ab")
        // Any other text stays text, and sorts among the pseudonyms by its text.
        XCTAssertEqual(PatientRef("p-ABCDEF0123456789").value, "p-ABCDEF0123456789")
        XCTAssertEqual(PatientRef("p-1").value, "p-1")
        let mixed = [PatientRef("p-1"), PatientRef(bits: 5), PatientRef("p-zzz"), PatientRef(bits: .max)]
        XCTAssertEqual(mixed.sorted().map(\.value), mixed.map(\.value).sorted())
    }

    /// More distinct identifiers than the cache holds: the cache starts again and every pseudonym,
    /// and every refused NIR key, is still the same.
    /// The byte path the validation memo takes gives every identifier the pseudonym, or the bad-key
    /// verdict, of the String path.
    func testIdentifiersWorkedOutFromTheirBytesGetTheSamePseudonyms() {
        let pseudonymizer = Pseudonymizer(key: Data(repeating: 9, count: 32))
        let identifiers = ["185077512345726", "1850775123457", "185077512345727", "1 85 07 75 123 457 26", "2A50775123457",
                           "2a5077512345721", "2B50775123457", "P000123", "p000123", "P 000 123", "ÉLODIE-0001", "x", "",
                           "9850775123457", "18507751234572", "1850775123457260", "18507 75123 45726", "LOC-ÿ", "a b c d e f g h"]
        for identifier in identifiers {
            let fromBytes = Array(identifier.utf8).withUnsafeBufferPointer { pseudonymizer.workedOutBits(forUTF8: $0) }
            XCTAssertEqual(fromBytes, pseudonymizer.workedOutBits(for: identifier), "« \(identifier) »")
            XCTAssertEqual(fromBytes, pseudonymizer.checkedRef(for: identifier)?.bits, "« \(identifier) »")
        }
    }

    func testPastTheCacheCapThePseudonymsAreUnchanged() {
        let cached = Pseudonymizer(key: Data(repeating: 3, count: 32))
        let fresh = Pseudonymizer(key: Data(repeating: 3, count: 32))
        let count = 200_000 + 1_000
        for index in 0..<count { _ = cached.checkedRef(for: "ID\(index)") }
        for index in stride(from: 0, to: count, by: 997) {
            XCTAssertEqual(cached.checkedRef(for: "ID\(index)"), fresh.ref(for: "ID\(index)"))
        }
        XCTAssertNil(cached.checkedRef(for: "185077512345600"), "une clé de NIR fausse reste refusée")
        XCTAssertNil(cached.checkedRef(for: "185077512345600"))
    }
}
