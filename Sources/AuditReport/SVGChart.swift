import BillingModel

/// Charts drawn by the tool itself as inline SVG: no script, no network, printable.
/// Pixel geometry uses Double; every amount shown comes from integer cents. No `xmlns`: inline
/// SVG in HTML does not need one, and the page then holds no http:// address at all.
enum SVGChart {
    struct Bar {
        var label: String
        var value: Cents
    }

    /// Horizontal bars, one per label, with the amount at the end of each bar and a euro axis.
    static func horizontalBars(_ bars: [Bar], title: String, width: Double = 720) -> String {
        guard !bars.isEmpty else { return "<p class=\"empty\">Aucun montant à représenter.</p>" }
        let labelWidth = 230.0
        let rowHeight = 28.0
        let top = 34.0
        let plotWidth = width - labelWidth - 110
        let height = top + Double(bars.count) * rowHeight + 36
        let maximum = niceMaximum(bars.map(\.value).max() ?? .zero)
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"\(HTML.escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<title>\(HTML.escape(title))</title>"
        svg += "<text x=\"0\" y=\"18\" class=\"chart-title\">\(HTML.escape(title))</text>"
        let axisY = top + Double(bars.count) * rowHeight
        for tick in 0...4 {
            let value = Cents(Rounding.scale(maximum.value, by: Int64(tick), dividedBy: 4))
            let x = labelWidth + plotWidth * Double(tick) / 4
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(top - 4))\" x2=\"\(f(x))\" y2=\"\(f(axisY))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(x))\" y=\"\(f(axisY + 18))\" class=\"tick\" text-anchor=\"middle\">\(HTML.escape(value.euros))</text>"
        }
        for (index, bar) in bars.enumerated() {
            let y = top + Double(index) * rowHeight
            let barWidth = maximum.value > 0 ? plotWidth * Double(bar.value.value) / Double(maximum.value) : 0
            svg += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 18))\" class=\"label\" text-anchor=\"end\">\(HTML.escape(truncate(bar.label, 32)))</text>"
            svg += "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 5))\" width=\"\(f(max(barWidth, 1)))\" height=\"\(f(rowHeight - 10))\" class=\"bar\"/>"
            svg += "<text x=\"\(f(labelWidth + barWidth + 6))\" y=\"\(f(y + 18))\" class=\"value\">\(HTML.escape(bar.value.euros))</text>"
        }
        svg += "<line x1=\"\(f(labelWidth))\" y1=\"\(f(axisY))\" x2=\"\(f(labelWidth + plotWidth))\" y2=\"\(f(axisY))\" class=\"axis\"/>"
        return svg + "</svg>"
    }

    /// Columns per month, for the trend: one column per month, amounts above, a euro axis.
    static func columns(_ bars: [Bar], title: String, width: Double = 720, height: Double = 300) -> String {
        guard !bars.isEmpty else { return "<p class=\"empty\">Aucun mois à représenter.</p>" }
        let left = 90.0
        let top = 40.0
        let bottom = 50.0
        let plotWidth = width - left - 20
        let plotHeight = height - top - bottom
        let maximum = niceMaximum(bars.map(\.value).max() ?? .zero)
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"\(HTML.escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<title>\(HTML.escape(title))</title>"
        svg += "<text x=\"0\" y=\"18\" class=\"chart-title\">\(HTML.escape(title))</text>"
        for tick in 0...4 {
            let value = Cents(Rounding.scale(maximum.value, by: Int64(tick), dividedBy: 4))
            let y = top + plotHeight - plotHeight * Double(tick) / 4
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" class=\"tick\" text-anchor=\"end\">\(HTML.escape(value.euros))</text>"
        }
        let slot = plotWidth / Double(bars.count)
        let columnWidth = min(slot * 0.6, 80)
        for (index, bar) in bars.enumerated() {
            let columnHeight = maximum.value > 0 ? plotHeight * Double(bar.value.value) / Double(maximum.value) : 0
            let x = left + slot * Double(index) + (slot - columnWidth) / 2
            let y = top + plotHeight - columnHeight
            svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(columnWidth))\" height=\"\(f(max(columnHeight, 1)))\" class=\"bar\"/>"
            svg += "<text x=\"\(f(x + columnWidth / 2))\" y=\"\(f(y - 6))\" class=\"value\" text-anchor=\"middle\">\(HTML.escape(bar.value.euros))</text>"
            svg += "<text x=\"\(f(x + columnWidth / 2))\" y=\"\(f(top + plotHeight + 20))\" class=\"label\" text-anchor=\"middle\">\(HTML.escape(bar.label))</text>"
        }
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(top + plotHeight))\" class=\"axis\"/>"
        return svg + "</svg>"
    }

    /// A round axis maximum (1, 2 or 5 × a power of ten euros) at or above the largest value; the
    /// largest value itself when no round number above it fits in `Cents`.
    static func niceMaximum(_ largest: Cents) -> Cents {
        guard largest.value > 0 else { return Cents(100) }
        var step: Int64 = 100
        while true {
            for multiple: Int64 in [1, 2, 5] {
                let (candidate, overflow) = step.multipliedReportingOverflow(by: multiple)
                if overflow { return largest }
                if candidate >= largest.value { return Cents(candidate) }
            }
            let (next, overflow) = step.multipliedReportingOverflow(by: 10)
            if overflow { return largest }
            step = next
        }
    }

    /// A coordinate with one decimal. Geometry stays within the drawing for any amount, but a
    /// non-finite or huge value must not trap in the conversion to an integer.
    static func f(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = (Swift.min(Swift.max(value, -1e12), 1e12) * 10).rounded()
        return String(Double(Int(tenths)) / 10)
    }

    static func truncate(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
