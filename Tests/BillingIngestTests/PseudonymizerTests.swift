import BillingIngest
import BillingModel
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
}
