/// French wording shared by the renderers and the nightly store's output.
public enum FrenchText {
    /// `1 acte`, `0 acte`, `2 actes`: French puts 0 and 1 in the singular.
    public static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(number) \(number < 2 ? singular : plural ?? pluralize(singular))"
    }

    /// Every word of a short noun group takes an « s » (`ligne rejetée` → `lignes rejetées`).
    public static func pluralize(_ group: String) -> String {
        group.split(separator: " ").map { word in
            word.hasSuffix("s") || word.hasSuffix("x") ? String(word) : word + "s"
        }.joined(separator: " ")
    }

    /// The line of counts under a report's title: files, acts, invoices, rejected lines, findings.
    static func counts(files: Int, acts: Int, invoices: Int, rejected: Int, findings: Int) -> String {
        [count(files, "fichier"), count(acts, "acte"), count(invoices, "facture"),
         count(rejected, "ligne rejetée"), count(findings, "constat")].joined(separator: ", ")
    }
}
