import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The output path of the real binary under careless and hostile use: huge amounts, an output
/// naming an input, a run that reads nothing, a run killed while writing, first runs at once.
final class OutputSafetyTests: XCTestCase, RunsCotaudit {
    typealias Run = ChildProcess.Run

    let header = "invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;code;coefficient;quantity;amount"

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func write(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    func cleanCSV(in directory: URL, name: String = "propre.csv") throws -> URL {
        let file = directory.appendingPathComponent(name)
        try write("\(header)\nF1;2025-03-10;10000000009;01;P1;1980-01-01;centre;G;1;1;30,00\n", to: file)
        return file
    }

    // MARK: Money

    func testNinetyThreeLinesWithFifteenDigitAmountsAreReportedInEveryFormat() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("enorme.csv")
        var text = header + "\n"
        for index in 1...93 {
            text += "F\(index);2025-03-10;10000000009;01;P\(index);1980-01-01;centre;G;999999;999;999999999999999,99\n"
        }
        try write(text, to: file)
        for arguments in [["--format", "text"], ["--format", "json"], ["--format", "csv"], ["--format", "csv", "--csv-table", "totals"],
                          ["--format", "csv", "--csv-cents"], ["--format", "html"]] {
            let result = try run(["audit", file.path, "--as-of", "2025-03-31"] + arguments)
            XCTAssertFalse(result.signalled, "\(arguments) : le processus est mort sur un signal")
            XCTAssertEqual(result.status, 0, "\(arguments) : \(result.stderr)")
            XCTAssertFalse(result.stdout.isEmpty, "\(arguments)")
        }
        let check = try run(["check", file.path, "--junit", directory.appendingPathComponent("junit.xml").path, "-o", "/dev/null"])
        XCTAssertFalse(check.signalled)
        XCTAssertTrue([0, 1].contains(check.status), "le lot est jugé, accepté ou refusé : \(check.stderr)")
    }

    // MARK: -o never an input

    func testAnOutputThatNamesAnInputIsRefusedAndTheInputKept() throws {
        let directory = try temporaryDirectory()
        let input = try cleanCSV(in: directory)
        let original = try Data(contentsOf: input)
        let hardLink = directory.appendingPathComponent("lien-dur.csv")
        try FileManager.default.linkItem(at: input, to: hardLink)
        let symbolicLink = directory.appendingPathComponent("lien.json")
        try FileManager.default.createSymbolicLink(at: symbolicLink, withDestinationURL: input)
        let sub = directory.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let cases: [[String]] = [
            ["audit", input.path, "-o", input.path],
            ["audit", input.path, "-o", directory.path + "/./propre.csv"],
            ["audit", input.path, "-o", hardLink.path],
            ["audit", input.path, "-o", symbolicLink.path],
            ["audit", directory.path, "-o", input.path, "--format", "csv"],
            ["audit", directory.path, "-o", sub.appendingPathComponent("rapport.csv").path, "--format", "csv"],
            ["check", input.path, "--junit", input.path],
            ["check", directory.path, "--junit", directory.appendingPathComponent("junit.xml").path],
        ]
        for arguments in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments) : \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("fichier d'entrée") || result.stderr.contains("dossier d'entrée"), result.stderr)
            XCTAssertEqual(try Data(contentsOf: input), original, "\(arguments) : l'entrée est intacte")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: sub.appendingPathComponent("rapport.csv").path))
        // Beside the input, under another name, or in a hidden folder of an input folder: allowed.
        let beside = directory.appendingPathComponent("rapport.json")
        XCTAssertEqual(try run(["audit", input.path, "--format", "json", "-o", beside.path]).status, 0)
        let hidden = directory.appendingPathComponent(".rapports")
        try FileManager.default.createDirectory(at: hidden, withIntermediateDirectories: true)
        XCTAssertEqual(try run(["audit", input.path, "--format", "csv", "-o", hidden.appendingPathComponent("r.csv").path]).status, 0)
    }

    // MARK: Nothing read, nothing replaced

    func testAuditExitsTwoAndKeepsYesterdaysReportWhenItsOnlyInputIsRefused() throws {
        let directory = try temporaryDirectory()
        let truncated = directory.appendingPathComponent("tronque.xml")
        try write("<?xml version=\"1.0\"?>\n<batch>\n<invoice id=\"F1\" date=\"2025-03-10\"", to: truncated)
        let noHeader = directory.appendingPathComponent("vide.csv")
        try write("", to: noHeader)
        let report = directory.appendingPathComponent("rapport.json")
        try write("{\"rapport\": \"d'hier\"}\n", to: report)
        for input in [truncated.path, noHeader.path, directory.appendingPathComponent("absent.csv").path] {
            let result = try run(["audit", input, "--format", "json", "-o", report.path])
            XCTAssertEqual(result.status, 2, "\(input) : \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("aucune entrée n'a pu être lue"), result.stderr)
            XCTAssertEqual(try String(contentsOf: report, encoding: .utf8), "{\"rapport\": \"d'hier\"}\n", "\(input) : le rapport d'hier est gardé")
            let check = try run(["check", input, "--format", "json", "-o", report.path])
            XCTAssertEqual(check.status, 2, check.stderr)
            XCTAssertEqual(try String(contentsOf: report, encoding: .utf8), "{\"rapport\": \"d'hier\"}\n")
        }
        // A file that breaks off after a whole invoice was read in part: audited, exit 0, report replaced.
        let partial = directory.appendingPathComponent("partiel.xml")
        try write("""
        <?xml version="1.0" encoding="UTF-8"?>
        <batch centre="750000001">
          <invoice id="F1" date="2025-03-10" practitioner="10000000009" specialty="01">
            <patient id="P1" birth-date="1980-01-01" mt-status="centre"/>
            <act code="G" amount="30.00"/>
          </invoice>
          <invoice id="F2" date="2025-03-1
        """, to: partial)
        let result = try run(["audit", partial.path, "--format", "json", "-o", report.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
        XCTAssertEqual((document?["summary"] as? [String: Any])?["acts"] as? Int, 1, "\(document ?? [:])")
    }

    // MARK: Killed while writing

    func testARunKilledAtAnyMomentLeavesTheOldReportOrTheNewOneAndNoTemporary() throws {
        let directory = try temporaryDirectory()
        let inputs = directory.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        var text = header + "\n"
        for index in 1...1000 {
            text += "F\(index);2025-03-10;10000000009;01;P\(index % 300);1980-01-01;centre;G;1;1;26,50\n"
        }
        try write(text, to: inputs.appendingPathComponent("lot.csv"))
        let out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let report = out.appendingPathComponent("rapport.json")
        let yesterday = "{\"rapport\": \"d'hier\"}\n"
        try write(yesterday, to: report)
        // How long a whole run takes, then kills spread over that time, the write at its end included.
        // Timed on a second run: the first, on cold caches, took so much longer that the runs
        // after it could all end before the first kill, and none was killed.
        XCTAssertEqual(try run(["audit", inputs.path, "--format", "json", "-o", report.path]).status, 0)
        let started = Date()
        XCTAssertEqual(try run(["audit", inputs.path, "--format", "json", "-o", report.path]).status, 0)
        let duration = Date().timeIntervalSince(started)
        let complete = try Data(contentsOf: report)
        try write(yesterday, to: report)
        var killed = 0
        for step in 0..<6 {
            let child = ChildProcess.process(["audit", inputs.path, "--format", "json", "-o", report.path])
            try child.run()
            usleep(useconds_t(duration * (0.2 + 0.15 * Double(step)) * 1_000_000))
            if child.isRunning {
                kill(child.processIdentifier, SIGKILL)
                killed += 1
            }
            child.waitUntilExit()
            let now = try Data(contentsOf: report)
            XCTAssertTrue(now == Data(yesterday.utf8) || now == complete, "étape \(step) : rapport tronqué (\(now.count) octets)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["rapport.json"],
                           "étape \(step) : aucun fichier temporaire laissé")
            try write(yesterday, to: report)
        }
        XCTAssertGreaterThan(killed, 0, "au moins une exécution a été tuée")
        // A temporary left by a process that no longer exists (the fallback path's name) is removed by the next run.
        let stale = out.appendingPathComponent(".rapport.json.cotaudit-\(Int32.max - 1).tmp")
        try write("{\"tronq", to: stale)
        XCTAssertEqual(try run(["audit", inputs.path, "--format", "json", "-o", report.path]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["rapport.json"])
        XCTAssertEqual(try Data(contentsOf: report), complete)
    }

    func testAReplacedReportKeepsItsPermissionsAndDevicesAreWrittenInPlace() throws {
        let directory = try temporaryDirectory()
        let input = try cleanCSV(in: directory)
        let report = directory.appendingPathComponent("rapport.txt")
        try write("hier\n", to: report)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: report.path)
        XCTAssertEqual(try run(["audit", input.path, "-o", report.path]).status, 0)
        XCTAssertTrue(try String(contentsOf: report, encoding: .utf8).contains("Audit de facturation"))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: report.path)[.posixPermissions] as? Int, 0o640)
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        let before = (info.st_mode, info.st_rdev)
        XCTAssertEqual(try run(["audit", input.path, "-o", "/dev/null"]).status, 0)
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertTrue(before == (info.st_mode, info.st_rdev), "/dev/null reste le périphérique")
    }

    // MARK: Pseudonym key

    func testFirstRunsAtOnceShareOneKeyCreatedWithOwnerOnlyPermissions() throws {
        // G billed below its tariff: a finding, so the output carries the patient's pseudonym.
        let input = try temporaryDirectory().appendingPathComponent("sous-tarif.csv")
        try write("\(header)\nF1;2025-03-10;10000000009;01;P1;1980-01-01;centre;G;1;1;26,50\n", to: input)
        for attempt in 0..<6 {
            let home = try temporaryDirectory()
            let environment: [String: String?] = ["COTAUDIT_PSEUDONYM_KEY": nil, "XDG_CONFIG_HOME": home.path]
            var children: [(Process, Pipe)] = []
            for _ in 0..<5 {
                let child = ChildProcess.process(["audit", input.path, "--format", "csv"], environment: environment)
                let pipe = Pipe()
                child.standardOutput = pipe
                child.standardError = FileHandle.nullDevice
                children.append((child, pipe))
            }
            for (child, _) in children { try child.run() }
            var outputs: Set<String> = []
            for (child, pipe) in children {
                outputs.insert(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
                child.waitUntilExit()
                XCTAssertEqual(child.terminationStatus, 0)
            }
            XCTAssertEqual(outputs.count, 1, "essai \(attempt) : les cinq exécutions ont la même clé, donc les mêmes pseudonymes")
            XCTAssertTrue(outputs.first?.contains(";p-") == true, outputs.first ?? "")
            let folder = home.appendingPathComponent("cotaudit")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["pseudonym.key"], "essai \(attempt)")
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("pseudonym.key").path)
            XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600)
            XCTAssertEqual(attributes[.size] as? Int, 32)
        }
    }

    func testAKeyOthersCanReadIsRefusedWithTheFix() throws {
        let input = try cleanCSV(in: try temporaryDirectory())
        let home = try temporaryDirectory()
        let environment: [String: String?] = ["COTAUDIT_PSEUDONYM_KEY": nil, "XDG_CONFIG_HOME": home.path]
        XCTAssertEqual(try run(["audit", input.path], environment: environment).status, 0)
        let key = home.appendingPathComponent("cotaudit/pseudonym.key")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key.path)
        let refused = try run(["audit", input.path], environment: environment)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("chmod 600 \(key.path)"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stdout.isEmpty, "aucun rapport fait avec une clé exposée")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path)
        XCTAssertEqual(try run(["audit", input.path], environment: environment).status, 0)
    }

    // MARK: Standard error

    func testControlCharactersInAPathAreEscapedOnStandardError() throws {
        let result = try run(["audit", "/nonexistent/\u{1B}[2J\u{1B}]0;titre\u{07}\r\u{9B}31m.csv"])
        XCTAssertEqual(result.status, 2)
        XCTAssertFalse(result.stderr.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) },
                       result.stderr)
        XCTAssertTrue(result.stderr.contains("\\x1B[2J\\x1B]0;titre\\x07\\x0D\\u009B31m.csv"), result.stderr)
    }
}
