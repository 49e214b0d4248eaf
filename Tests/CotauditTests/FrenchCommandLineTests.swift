import Foundation
import XCTest

/// The command line as staff and IT meet it: French usage and file errors, --version, the
/// install script, periods, duplicates, profile suggestions, the pseudonym key notice.
final class FrenchCommandLineTests: XCTestCase, RunsCotaudit {
    typealias Run = ChildProcess.Run

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cotaudit-fr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func json(_ run: Run) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stderr)
    }

    static let sample = "SampleBatches/csv/decembre-2024.csv"
    static let englishMarkers = ["The value", "is invalid", "Unknown option", "Please provide", "Missing", "Unexpected",
                                 "USAGE:", "OPTIONS:", "ARGUMENTS:", "SUBCOMMANDS:", "OVERVIEW:", "Show help", "See '",
                                 "(default:", "doesn’t exist", "doesn't exist", "NSCocoaErrorDomain", "couldn’t", "The file"]

    func assertFrench(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for marker in Self.englishMarkers {
            XCTAssertFalse(text.contains(marker), "« \(marker) » in: \(text)", file: file, line: line)
        }
    }

    func testVersionNamesTheToolAndTheRuleSet() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("cotaudit 0."), result.stdout)
        XCTAssertTrue(result.stdout.contains("jeu de règles : cotaudit-ngap-ccam 20"), result.stdout)
    }

    func testUsageErrorsAreOneFrenchLineWithWhatToDo() throws {
        let cases: [([String], String)] = [
            (["audit", Self.sample, "--format", "pdf"], "valeur « pdf » refusée pour --format ; valeurs possibles : text, json, csv, html"),
            (["audit", Self.sample, "--frmat", "json"], "option inconnue --frmat ; vouliez-vous dire --format ?"),
            (["audit", Self.sample, "--zzz"], "option inconnue --zzz"),
            (["audit", Self.sample, "--format"], "valeur manquante après --format"),
            (["check", Self.sample, "--fail-on", "maybe"], "valeur « maybe » refusée pour --fail-on ; valeurs possibles : certain, likely, "),
            (["audit"], "indiquer au moins un fichier ou dossier d'exports"),
            (["frobnicate"], "argument inattendu « frobnicate »"),
            (["audit", Self.sample, "--month", "12/2024"], "--month : mois AAAA-MM attendu"),
        ]
        for (arguments, expected) in cases {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("cotaudit --help"), result.stderr)
            assertFrench(result.stderr)
        }
    }

    func testHelpIsFrenchAndListsTheShippedProfiles() throws {
        for arguments in [["--help"], ["audit", "--help"], ["check", "--help"], ["rules", "--help"], ["help", "audit"]] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("UTILISATION :"), result.stdout)
            XCTAssertTrue(result.stdout.contains("Affiche cette aide."), result.stdout)
            assertFrench(result.stdout)
        }
        let help = try run(["audit", "--help"]).stdout
        XCTAssertTrue(help.contains("Profils livrés : export-fr"), help)
        XCTAssertTrue(help.contains("--month <AAAA-MM>"), help)
    }

    func testFileErrorsAreSaidInFrench() throws {
        let directory = try temporaryDirectory()
        let missingFolder = try run(["audit", Self.sample, "--profile", "export-fr", "-o", directory.path + "/absent/rapport.txt"])
        XCTAssertEqual(missingFolder.status, 2)
        XCTAssertTrue(missingFolder.stderr.contains("impossible d'écrire \(directory.path)/absent/rapport.txt : le dossier n'existe pas"),
                      missingFolder.stderr)
        assertFrench(missingFolder.stderr)

        let intoAFolder = try run(["audit", Self.sample, "--profile", "export-fr", "-o", directory.path])
        XCTAssertEqual(intoAFolder.status, 2)
        XCTAssertTrue(intoAFolder.stderr.contains("impossible d'écrire \(directory.path)"), intoAFolder.stderr)
        assertFrench(intoAFolder.stderr)

        let missingInput = try run(["audit", "absent.csv"])
        XCTAssertEqual(missingInput.status, 2)
        XCTAssertTrue(missingInput.stderr.contains("introuvable"), missingInput.stderr)
        assertFrench(missingInput.stderr)

        let missingRoster = try run(["audit", Self.sample, "--profile", "export-fr", "--roster", "absent.csv"])
        XCTAssertEqual(missingRoster.status, 2)
        XCTAssertTrue(missingRoster.stderr.contains("fichier introuvable"), missingRoster.stderr)
        assertFrench(missingRoster.stderr)
    }

    func testAFrenchExportWithoutProfileSuggestsIt() throws {
        let result = try run(["audit", Self.sample])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("relancez avec --profile export-fr"), result.stderr)
    }

    func testTheSampleRaisesNoWarningOnlyAnEncodingNotice() throws {
        let document = try json(run(["audit", Self.sample, "--profile", "export-fr", "--format", "json"]))
        XCTAssertEqual((document["warnings"] as? [Any])?.count, 0, "\(document["warnings"] ?? "")")
        let text = try run(["audit", Self.sample, "--profile", "export-fr"])
        XCTAssertTrue(text.stdout.contains("encodage détecté : Windows-1252"), text.stdout)
        XCTAssertFalse(text.stdout.contains("Avertissements"), text.stdout)
        XCTAssertFalse(text.stdout.contains("Commentaire"), text.stdout)
    }

    func testTheSameFileTwiceIsAuditedOnceAndSaid() throws {
        let once = try json(run(["audit", Self.sample, "--profile", "export-fr", "--format", "json"]))
        let directory = try temporaryDirectory()
        let copy = directory.appendingPathComponent("copie.csv")
        try FileManager.default.copyItem(at: CommandLineTests.root.appendingPathComponent(Self.sample), to: copy)
        let twice = try json(run(["audit", Self.sample, "SampleBatches/csv", copy.path, "--profile", "export-fr", "--format", "json"]))
        let summary = { (document: [String: Any]) in document["summary"] as? [String: Any] ?? [:] }
        XCTAssertEqual(summary(twice)["acts"] as? Int, summary(once)["acts"] as? Int)
        XCTAssertEqual(summary(twice)["files"] as? Int, 1)
        let messages = (twice["warnings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages.contains("fichier donné deux fois : audité une seule fois"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("même contenu que « ") && $0.contains("auditée une seule fois") }, "\(messages)")
    }

    func testAPeriodAuditsPartOfTheExportAndSaysWhatWasLeft() throws {
        let all = try json(run(["audit", Self.sample, "--profile", "export-fr", "--format", "json", "--as-of", "2025-01-15"]))
        let month = try json(run(["audit", Self.sample, "--profile", "export-fr", "--format", "json", "--as-of", "2025-01-15", "--month", "2024-12"]))
        let part = try json(run(["audit", Self.sample, "--profile", "export-fr", "--format", "json", "--as-of", "2025-01-15",
                                 "--from", "2024-12-10", "--to", "2024-12-15"]))
        func summary(_ document: [String: Any]) -> [String: Any] { document["summary"] as? [String: Any] ?? [:] }
        let allActs = try XCTUnwrap(summary(all)["acts"] as? Int)
        XCTAssertEqual(summary(month)["acts"] as? Int, allActs)
        XCTAssertEqual(summary(month)["acts_outside_period"] as? Int, 0)
        let partActs = try XCTUnwrap(summary(part)["acts"] as? Int)
        let outside = try XCTUnwrap(summary(part)["acts_outside_period"] as? Int)
        XCTAssertGreaterThan(partActs, 0)
        XCTAssertGreaterThan(outside, 0)
        XCTAssertEqual(partActs + outside, allActs, "every act is audited or counted outside the period")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary(part)["first_act_date"] as? String), "2024-12-10")
        XCTAssertLessThanOrEqual(try XCTUnwrap(summary(part)["last_act_date"] as? String), "2024-12-15")
        for finding in part["findings"] as? [[String: Any]] ?? [] {
            let date = try XCTUnwrap(finding["act_date"] as? String)
            XCTAssertTrue(("2024-12-10"..."2024-12-15").contains(date), date)
        }
        let text = try run(["audit", Self.sample, "--profile", "export-fr", "--from", "2024-12-10", "--to", "2024-12-15"])
        XCTAssertTrue(text.stdout.contains("Actes audités : du 10/12/2024 au 15/12/2024 ; \(outside) actes hors période non audités"), text.stdout)
        let backwards = try run(["audit", Self.sample, "--from", "2024-12-15", "--to", "2024-12-10"])
        XCTAssertEqual(backwards.status, 64)
    }

    func testCreatingThePseudonymKeyIsSaidOnce() throws {
        let directory = try temporaryDirectory()
        let key = directory.appendingPathComponent("cle/pseudonym.key")
        let arguments = ["audit", Self.sample, "--profile", "export-fr", "--format", "json", "-o", "/dev/null", "--key-file", key.path]
        let first = try run(arguments, environment: ["COTAUDIT_PSEUDONYM_KEY": nil])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("clé de pseudonymisation créée dans \(key.path)"), first.stderr)
        XCTAssertTrue(first.stderr.contains("cron"), first.stderr)
        let second = try run(arguments, environment: ["COTAUDIT_PSEUDONYM_KEY": nil])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("créée"), second.stderr)
    }

    func testCountsAgreeInNumber() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("une-ligne.csv")
        try """
        invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;mt_status;code;amount
        F1;2025-03-03;10004129838;01;172059406122953;1972-05-06;centre;G;30.00

        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try run(["audit", file.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("1 fichier, 1 acte, 1 facture, 0 ligne rejetée, 0 constat"), result.stdout)
    }

    /// The README's first commands, as written: what to install first, then the audit of the samples.
    func testTheREADMEFirstCommandsAreTheOnesThatWork() throws {
        let readme = try String(contentsOf: CommandLineTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertGreaterThanOrEqual(blocks.count, 2)
        XCTAssertTrue(blocks[0].contains("apt-get install -y libxml2-dev"), blocks[0])
        let ci = try String(contentsOf: CommandLineTests.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        XCTAssertTrue(ci.contains("libxml2-dev"), "the README installs what CI installs")
        let command = try XCTUnwrap(blocks[1].split(separator: "\n").first { $0.hasPrefix("swift run cotaudit ") })
        let arguments = command.dropFirst("swift run cotaudit ".count).split(separator: " ").map(String.init)
        let result = try run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Manque à gagner"), result.stdout)
        XCTAssertTrue(readme.contains("it takes several minutes"), "the README warns that the first build is long")
    }

    /// The script copies the binary and the rule set; the installed binary, run from elsewhere with
    /// no COTAUDIT_RULES, finds its rules in PREFIX/share/cotaudit/Rules.
    func testInstallScriptPutsTheRulesWhereTheBinaryFindsThem() throws {
        let prefix = try temporaryDirectory().appendingPathComponent("prefixe")
        let install = Process()
        install.executableURL = URL(fileURLWithPath: "/bin/bash")
        install.arguments = [CommandLineTests.root.appendingPathComponent("Scripts/install.sh").path,
                             "--prefix", prefix.path, "--binary", ChildProcess.cotaudit.path]
        install.standardOutput = FileHandle.nullDevice
        try install.run()
        install.waitUntilExit()
        XCTAssertEqual(install.terminationStatus, 0)
        let installed = prefix.appendingPathComponent("bin/cotaudit")
        let elsewhere = FileManager.default.temporaryDirectory
        let version = try run(["--version"], executable: installed, in: elsewhere, environment: ["COTAUDIT_RULES": nil])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.contains(prefix.appendingPathComponent("share/cotaudit/Rules").path), version.stdout)
        let audit = try run(["audit", CommandLineTests.root.appendingPathComponent(Self.sample).path, "--profile", "export-fr"],
                            executable: installed, in: elsewhere, environment: ["COTAUDIT_RULES": nil])
        XCTAssertEqual(audit.status, 0, audit.stderr)
        XCTAssertTrue(audit.stdout.contains("Manque à gagner"), audit.stdout)
    }

    /// The CSV a clerk opens is French; `--csv-keys` gives tools the English keys and values.
    func testCSVIsFrenchAndCSVKeysKeepsTheMachineKeys() throws {
        let base = ["audit", Self.sample, "--profile", "export-fr", "--format", "csv", "--as-of", "2025-01-15"]
        let french = try run(base)
        XCTAssertEqual(french.status, 0, french.stderr)
        let frenchLines = french.stdout.components(separatedBy: "\r\n")
        XCTAssertTrue(frenchLines[0].hasPrefix("\u{FEFF}Règle;Type;Certitude;Fichier;Ligne;N° facture;"), frenchLines[0])
        XCTAssertTrue(french.stdout.contains(";sous-cotation;certain;"), french.stdout)
        XCTAssertTrue(french.stdout.contains(";médecin traitant non déclaré;probable;"), french.stdout)
        XCTAssertTrue(french.stdout.contains("Patient régulier sans médecin traitant déclaré;"), "le titre de la règle")
        for english in ["lost_eur", "under-coding", ";likely;", "missing-mt;"] {
            XCTAssertFalse(french.stdout.contains(english), english)
        }
        let keys = try run(base + ["--csv-keys"])
        XCTAssertEqual(keys.status, 0, keys.stderr)
        XCTAssertTrue(keys.stdout.hasPrefix("\u{FEFF}rule;kind;certainty;file;line;invoice_id;act_date;practitioner_id;practitioner_name;patient_ref;code;expected_code;lost_eur;at_risk_eur;rebill_eur;obtain_eur;recoverable;message\r\n"), keys.stdout)
        XCTAssertTrue(keys.stdout.contains("missing-mt-declaration;missing-mt;likely;decembre-2024.csv;132;F2024-00096;2024-12-10;"), keys.stdout)
        XCTAssertEqual(keys.stdout.components(separatedBy: "\r\n").count, frenchLines.count, "les mêmes constats")
        let totals = try run(base + ["--csv-table", "totals", "--csv-keys", "--csv-cents"])
        XCTAssertTrue(totals.stdout.hasPrefix("\u{FEFF}section;key;name;lost_cents;possible_cents;"), totals.stdout)
        let help = try run(["audit", "--help"])
        XCTAssertTrue(help.stdout.contains("--csv-keys"), help.stdout)
    }

    /// The director's page, from the shipped rule set: rule titles, code labels, the file's headers.
    func testHTMLShowsRuleTitlesCodeLabelsAndTheFilesColumnNames() throws {
        let result = try run(["audit", Self.sample, "--profile", "export-fr", "--format", "html", "--as-of", "2025-01-15"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = result.stdout
        XCTAssertTrue(html.contains("<tr><td>Acte facturé sous le tarif en vigueur</td>"), html)
        XCTAssertTrue(html.contains("<tr><td>Patient régulier sans médecin traitant déclaré</td>"), html)
        for id in ["tariff-below-schedule", "missing-mt-declaration", "mt-practitioner-departed", "missing-md", "missing-meg"] {
            XCTAssertFalse(html.contains(id), "identifiant anglais \(id) dans la page du directeur")
        }
        XCTAssertTrue(html.contains("<td><code>FPMT</code></td><td>Forfait patientèle médecin traitant</td>"), html)
        XCTAssertTrue(html.contains("<td><code>DEQP003</code></td><td>Électrocardiographie sur au moins 12 dérivations</td>"), html)
        XCTAssertTrue(html.contains("ligne 305, colonne « Montant » : montant invalide"), html)
        XCTAssertFalse(html.contains("« amount »"), html)
        let text = try run(["audit", Self.sample, "--profile", "export-fr", "--as-of", "2025-01-15"])
        XCTAssertTrue(text.stdout.contains("ligne 305, colonne « Montant »"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Acte facturé sous le tarif en vigueur [tariff-below-schedule]"), text.stdout)
    }
}
