import BillingModel
import Foundation
import XCTest

/// Foundation's file errors, as Foundation really raises them here, said in French.
final class FileErrorTextTests: XCTestCase {
    func testReadingAMissingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/export.csv"
        XCTAssertThrowsError(try Data(contentsOf: URL(fileURLWithPath: path))) { error in
            XCTAssertEqual(FileErrorText.describe(error, path: path), "fichier introuvable : \(path) ; vérifiez le chemin")
        }
    }

    func testWritingIntoAMissingFolderOrOverAFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inMissing = folder.appendingPathComponent("absent/rapport.html")
        XCTAssertThrowsError(try Data("x".utf8).write(to: inMissing, options: .atomic)) { error in
            XCTAssertEqual(FileErrorText.describe(error, path: inMissing.path, writing: true),
                           "impossible d'écrire \(inMissing.path) : le dossier n'existe pas ; créez-le ou choisissez un autre chemin")
        }
        XCTAssertThrowsError(try Data("x".utf8).write(to: folder, options: .atomic)) { error in
            let text = FileErrorText.describe(error, path: folder.path, writing: true)
            XCTAssertTrue(text.hasPrefix("impossible d'écrire \(folder.path) : "), text)
            XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
        }
    }
}
