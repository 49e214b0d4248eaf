import AuditReport
import Foundation
import XCTest

/// The director's page of the sample month, made by the real binary and laid out by a real
/// browser: headless Chromium prints it to PDF (page count, A4, what each page holds) and lays it
/// out at the A4 widths to find what would overflow or wrap one word per line.
///
/// `.ci/run` installs Chromium and poppler-utils (pdfinfo, pdftotext) from Debian's packages and
/// sets COTAUDIT_REQUIRE_BROWSER=1, so that a missing tool fails these tests there; elsewhere a
/// missing tool skips them with the command that installs it.
final class HTMLPrintTests: XCTestCase {
    typealias Run = CommandLineTests.Run

    /// The limit for one month of `SampleBatches/`.
    static let maximumPages = 4
    /// A4 at 96 CSS pixels per inch: 210 mm.
    static let a4Width = 794
    /// What the page's margins leave of the A4 width, in CSS pixels: the width the print layout has.
    static var printableWidth: Int {
        Int((210.0 - 2 * Double(HTMLReport.pageMarginMillimetres)) * 96 / 25.4)
    }

    var requireBrowser: Bool { ProcessInfo.processInfo.environment["COTAUDIT_REQUIRE_BROWSER"] == "1" }

    func need(_ available: Bool, _ install: String) throws {
        guard !available else { return }
        if requireBrowser {
            XCTFail("outil absent en CI : \(install)")
            throw XCTSkip("outil absent")
        }
        throw XCTSkip("outil absent : \(install) (.ci/run l'installe)")
    }

    /// The first of `names` found on the PATH.
    func onPath(_ names: [String]) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in names {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    func chromium() throws -> String {
        let path = onPath(["chromium", "chromium-browser"])
        try need(path != nil, "apt-get install chromium fonts-dejavu-core")
        return path!
    }

    /// Runs headless Chromium with its own profile folder (two runs at once do not share a lock),
    /// stopped after two minutes rather than hanging the suite.
    func runChromium(_ arguments: [String], in folder: URL) throws -> Run {
        let browser = try chromium()
        let profile = folder.appendingPathComponent("profil-\(UUID().uuidString)")
        let result = try ChildProcess.run(
            ["120", browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--user-data-dir=\(profile.path)"] + arguments, onPath: "timeout")
        XCTAssertNotEqual(result.status, 124, "Chromium arrêté après 2 minutes")
        return result
    }

    /// The README's sample month, as the director receives it.
    func renderSample(in folder: URL) throws -> URL {
        let html = folder.appendingPathComponent("rapport.html")
        let result = try ChildProcess.run(["audit", "SampleBatches/csv", "--profile", "export-fr",
                                               "--roster", "SampleBatches/roster.csv", "--as-of", "2025-01-15",
                                               "--centre", "Centre de santé des Lilas (exemple)",
                                               "--format", "html", "-o", html.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return html
    }

    func printToPDF(_ html: URL, in folder: URL) throws -> URL {
        let pdf = folder.appendingPathComponent("rapport.pdf")
        let result = try runChromium(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", html.absoluteString], in: folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: pdf.path), "pas de PDF : \(result.stderr.suffix(2000))")
        return pdf
    }

    /// The page objects of a PDF (`/Type /Page`, not the `/Type /Pages` tree), as Chromium writes
    /// them uncompressed.
    static func pageObjects(in pdf: Data) -> Int {
        let text = String(decoding: pdf, as: Unicode.ASCII.self)
        let pattern = try! NSRegularExpression(pattern: "/Type\\s*/Page(?![A-Za-z])")
        return pattern.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
    }

    func testTheSampleMonthPrintsOnAtMostFourA4Pages() throws {
        let folder = try CommandLineTests.temporaryDirectory()
        let pdf = try printToPDF(try renderSample(in: folder), in: folder)
        let data = try Data(contentsOf: pdf)
        let pages = Self.pageObjects(in: data)
        XCTAssertGreaterThanOrEqual(pages, 1, "aucune page trouvée dans le PDF")
        XCTAssertLessThanOrEqual(pages, Self.maximumPages, "le mois des échantillons tient sur \(Self.maximumPages) pages A4 au plus")
        // Every page is A4 (595 × 842 points), as `@page` asks.
        let text = String(decoding: data, as: Unicode.ASCII.self)
        let boxes = try NSRegularExpression(pattern: "/MediaBox\\s*\\[\\s*0 0 ([0-9.]+) ([0-9.]+)\\s*\\]")
            .matches(in: text, range: NSRange(text.startIndex..., in: text))
            .compactMap { match -> (Double, Double)? in
                guard let width = Range(match.range(at: 1), in: text), let height = Range(match.range(at: 2), in: text) else { return nil }
                return (Double(text[width]) ?? 0, Double(text[height]) ?? 0)
            }
        XCTAssertEqual(boxes.count, pages)
        for (width, height) in boxes {
            XCTAssertEqual(width, 595.3, accuracy: 1, "largeur A4")
            XCTAssertEqual(height, 841.9, accuracy: 1, "hauteur A4")
        }
        // poppler's own count, where it is installed, agrees with ours.
        if let pdfinfo = onPath(["pdfinfo"]) {
            let info = try ChildProcess.run([pdf.path], onPath: pdfinfo)
            let counted = info.stdout.split(separator: "\n").first { $0.hasPrefix("Pages:") }
                .flatMap { Int($0.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) }
            XCTAssertEqual(counted, pages, info.stdout)
        }
    }

    /// The text of each printed page, as pdftotext reads it, its whitespace made single spaces
    /// (a caption wrapped on two lines reads as one).
    func printedPages() throws -> [String] {
        let folder = try CommandLineTests.temporaryDirectory()
        let pdf = try printToPDF(try renderSample(in: folder), in: folder)
        let pdftotext = onPath(["pdftotext"])
        try need(pdftotext != nil, "apt-get install poppler-utils")
        let result = try ChildProcess.run(["-enc", "UTF-8", pdf.path, "-"], onPath: pdftotext!)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\u{0C}", omittingEmptySubsequences: false).map {
            $0.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
    }

    func testCardsAndSectionsAreNotCutByAPageBreak() throws {
        let pages = try printedPages()
        func page(of text: String, file: StaticString = #filePath, line: UInt = #line) -> Int? {
            let index = pages.firstIndex { $0.contains(text) }
            XCTAssertNotNil(index, "« \(text) » absent du PDF", file: file, line: line)
            return index
        }
        // The headline cards all on the first page.
        for caption in ["manque à gagner (certain et probable)", "à refacturer (erreurs de facturation)",
                        "dont encore facturable", "à obtenir (déclarations de médecin traitant",
                        "à vérifier (pistes possibles)", "montants à risque (sur-cotation)",
                        "part du chiffre d'affaires perdue"] {
            XCTAssertEqual(page(of: caption), 0, "carte « \(caption) » hors de la première page")
        }
        // A heading on the page of what it introduces, down to the end of a chart and its table
        // (the last practitioner has no bar: she is only in the table).
        let sections: [(heading: String, end: String)] = [
            ("Manque à gagner par praticien", "Élodie Garnier"),
            ("Manque à gagner par acte", "Visite longue et très complexe du médecin traitant au domicile"),
            ("Les règles qui coûtent le plus", "Ce qu'il faut changer"),
            ("Patients à qui proposer une déclaration", "Patient (pseudonyme)"),
            ("Méthode", "aucun NIR, nom ou date de naissance"),
        ]
        for (heading, end) in sections {
            let start = page(of: heading)
            XCTAssertNotNil(start)
            XCTAssertEqual(start, page(of: end), "« \(heading) » coupé de « \(end) » par un saut de page")
        }
    }

    /// Measures the page laid out at `width` CSS pixels: an inline script, added to a copy for the
    /// test only (the report itself has none), lists the elements that reach past the viewport and
    /// the table cells of four words or more that hold fewer than two words a line, and writes that
    /// into the title, which `--dump-dom` gives back.
    func layout(_ html: String, width: Int, in folder: URL) throws -> (width: Int, overflow: [String], narrow: [String]) {
        let page = folder.appendingPathComponent("mesure-\(width).html")
        XCTAssertTrue(html.contains("</body>"))
        try html.replacingOccurrences(of: "</body>", with: Self.measure + "</body>").write(to: page, atomically: true, encoding: .utf8)
        let result = try runChromium(["--hide-scrollbars", "--window-size=\(width),1123", "--virtual-time-budget=5000",
                                      "--dump-dom", page.absoluteString], in: folder)
        let title = try XCTUnwrap(result.stdout.range(of: "<title>MESURE ").flatMap { start in
            result.stdout[start.upperBound...].range(of: "</title>").map { String(result.stdout[start.upperBound..<$0.lowerBound]) }
        }, "le script de mesure n'a rien écrit : \(result.stderr.suffix(2000))")
        let json = try XCTUnwrap(title.removingPercentEncoding)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return (object["width"] as? Int ?? -1, object["overflow"] as? [String] ?? ["?"], object["narrow"] as? [String] ?? ["?"])
    }

    func testNothingOverflowsAndNoColumnWrapsOneWordPerLineAtA4Widths() throws {
        let folder = try CommandLineTests.temporaryDirectory()
        let html = try String(contentsOf: try renderSample(in: folder), encoding: .utf8)
        // On screen at the width of an A4 sheet.
        let screen = try layout(html, width: Self.a4Width, in: folder)
        XCTAssertEqual(screen.width, Self.a4Width, "la mesure n'a pas eu la largeur demandée")
        XCTAssertEqual(screen.overflow, [], "déborde à \(Self.a4Width) px")
        XCTAssertEqual(screen.narrow, [], "un mot par ligne à \(Self.a4Width) px")
        // As printed: the print rules applied at the width the page's margins leave.
        XCTAssertTrue(html.contains("@media print"))
        let print = try layout(html.replacingOccurrences(of: "@media print", with: "@media all"), width: Self.printableWidth, in: folder)
        XCTAssertEqual(print.width, Self.printableWidth, "la mesure n'a pas eu la largeur demandée")
        XCTAssertEqual(print.overflow, [], "déborde sur A4 (\(Self.printableWidth) px imprimables)")
        XCTAssertEqual(print.narrow, [], "un mot par ligne sur A4")
        // The measure finds what it looks for: at half that width the tables overflow.
        let narrow = try layout(html, width: 500, in: folder)
        XCTAssertFalse(narrow.overflow.isEmpty, "la mesure ne voit pas un débordement certain")
    }

    /// One month of acts: no month-by-month chart, said in a line (the page's only charts are
    /// the practitioners' and the acts').
    func testTheSampleMonthHasNoTrendChart() throws {
        let folder = try CommandLineTests.temporaryDirectory()
        let html = try String(contentsOf: try renderSample(in: folder), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2)
        XCTAssertFalse(html.contains("par mois d&#39;acte"))
        XCTAssertTrue(html.contains("Les actes audités tiennent dans un seul mois"))
    }

    static let measure = """
    <script>
    window.addEventListener('load', function () {
      var root = document.documentElement, width = root.clientWidth, overflow = [], narrow = [];
      if (root.scrollWidth > width) overflow.push('page ' + root.scrollWidth + ' px');
      document.querySelectorAll('body *').forEach(function (element) {
        var box = element.getBoundingClientRect();
        if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
          overflow.push(element.tagName + ' ' + Math.round(box.left) + '–' + Math.round(box.right) + ' px : ' + (element.textContent || '').trim().slice(0, 40));
        }
      });
      document.querySelectorAll('td, th').forEach(function (cell) {
        var words = cell.textContent.trim().split(/\\s+/).filter(Boolean).length;
        if (words < 4) return;
        // Lines: the distinct tops of the cell's text boxes (a code in another font is a px off).
        var tops = [], walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), node;
        while ((node = walker.nextNode())) {
          var range = document.createRange();
          range.selectNodeContents(node);
          Array.prototype.forEach.call(range.getClientRects(), function (box) { if (box.width > 0) tops.push(box.top); });
        }
        tops.sort(function (a, b) { return a - b; });
        var lines = tops.length ? 1 : 0;
        for (var i = 1; i < tops.length; i++) if (tops[i] - tops[i - 1] > 6) lines++;
        if (lines > 0 && words / lines < 2) narrow.push(words + ' mots sur ' + lines + ' lignes : ' + cell.textContent.trim().slice(0, 40));
      });
      document.title = 'MESURE ' + encodeURIComponent(JSON.stringify({ width: width, overflow: overflow, narrow: narrow }));
    });
    </script>
    """
}
