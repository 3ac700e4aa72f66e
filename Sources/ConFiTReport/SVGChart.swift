import Foundation

/// A plot frame with linear axes, drawn as inline SVG for `RunReport`.
///
/// Hand-written SVG rather than a plotting library: the report must be one file that opens
/// anywhere with no scripts and no network, and the charts it needs (lines, grouped bars)
/// are small enough to draw directly. Colours and fonts come from the page's CSS classes,
/// so the markup stays short. Callers pick the data ranges; the frame only maps them.
struct SVGChart {
    /// One value of a series; `tooltip` becomes an SVG `<title>`, which browsers show on
    /// hover without any script.
    struct Point {
        var x: Double
        var y: Double
        var tooltip: String
    }

    /// One run's line or bars. A non-finite y (a diverged loss) leaves a gap. A line may
    /// carry a band (mean ± std over seeds), drawn translucent beneath it.
    struct Series {
        var color: String
        var points: [Point]
        var band: [(x: Double, low: Double, high: Double)] = []
    }

    typealias Tick = (value: Double, label: String)

    static let width = 720.0
    static let height = 280.0
    private static let left = 64.0, right = 16.0, top = 18.0, bottom = 44.0

    var x: ClosedRange<Double>
    var y: ClosedRange<Double>
    var xTicks: [Tick]
    var yTicks: [Tick]
    var xTitle: String
    var yTitle: String

    /// A y axis from `lower` (at most the data minimum) to `upper` on whole steps.
    init(x: ClosedRange<Double>, xTicks: [Tick], xTitle: String, yFrom lower: Double, to upper: Double, yTitle: String)
    {
        let yTicks = Self.niceTicks(lower, upper)
        self.x = x
        self.y = yTicks.first!.value...yTicks.last!.value
        self.xTicks = xTicks
        self.yTicks = yTicks
        self.xTitle = xTitle
        self.yTitle = yTitle
    }

    /// Ticks spaced 1, 2 or 5 × 10^k apart, about five of them, covering `lo...hi` and
    /// starting and ending on whole steps; labels have as many decimals as the step needs.
    /// `minimumStep` 1 keeps an epoch or task axis on integers.
    static func niceTicks(_ lo: Double, _ hi: Double, minimumStep: Double = 0) -> [Tick] {
        let span = hi > lo ? hi - lo : max(abs(hi), 1)
        let raw = max(span / 5, minimumStep)
        let magnitude = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) }!
        let low = (lo / step).rounded(.down) * step
        let count = max(1, Int(((hi - low) / step).rounded(.up)))
        let decimals = max(0, -Int(log10(step).rounded(.down)))
        return (0...count).map { k in
            let value = low + Double(k) * step
            return (value, String(format: "%.\(decimals)f", value))
        }
    }

    /// Every integer from 0 to `count` − 1 while they fit side by side, else nice ticks.
    static func integerTicks(upTo count: Int) -> [Tick] {
        let last = max(count, 1) - 1
        guard last >= 25 else { return (0...last).map { (Double($0), "\($0)") } }
        return niceTicks(0, Double(last), minimumStep: 1).filter { $0.value <= Double(last) }
    }

    func px(_ value: Double) -> Double {
        Self.left + (value - x.lowerBound) / (x.upperBound - x.lowerBound) * (Self.width - Self.left - Self.right)
    }

    func py(_ value: Double) -> Double {
        Self.height - Self.bottom
            - (value - y.lowerBound) / (y.upperBound - y.lowerBound) * (Self.height - Self.top - Self.bottom)
    }

    /// Lines with a dot per point, and dashed vertical `markers` (task boundaries) labelled
    /// at the top.
    func lines(_ series: [Series], markers: [(x: Double, label: String)] = [], title: String) -> String {
        var body = ""
        for marker in markers {
            let x = px(marker.x)
            body += Self.labelledLine(
                "boundary", from: (x, Self.top), to: (x, py(y.lowerBound)),
                label: marker.label.htmlEscaped, at: (x + 3, Self.top - 5), textAttributes: "class=\"marker\"")
        }
        for line in series where line.band.count > 1 {
            let outline =
                line.band.map { (px($0.x), py($0.high)) } + line.band.reversed().map { (px($0.x), py($0.low)) }
            let coordinates = outline.map { "\(Self.number($0.0)),\(Self.number($0.1))" }
            body +=
                "<polygon fill=\"\(line.color)\" fill-opacity=\"0.2\" stroke=\"none\" points=\"\(coordinates.joined(separator: " "))\"/>"
        }
        for line in series {
            let segments = line.points.split { !$0.y.isFinite }
            for segment in segments where segment.count > 1 {
                let coordinates = segment.map { "\(Self.number(px($0.x))),\(Self.number(py($0.y)))" }
                body +=
                    "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>"
            }
            for point in line.points where point.y.isFinite {
                body +=
                    "<circle cx=\"\(Self.number(px(point.x)))\" cy=\"\(Self.number(py(point.y)))\" r=\"3\" fill=\"\(line.color)\"><title>\(point.tooltip.htmlEscaped)</title></circle>"
            }
        }
        return frame(title: title, content: body)
    }

    /// Bars grouped by integer x (a task), one bar per series side by side; a zero value
    /// still shows as a hairline so "nothing stored" is visibly different from "no data".
    func bars(_ series: [Series], title: String) -> String {
        // Capped so that one or two tasks do not make slabs of bars.
        let group = min((px(1) - px(0)) * 0.8, 40 * Double(max(series.count, 1)))
        let barWidth = group / Double(max(series.count, 1))
        var body = ""
        for (index, bars) in series.enumerated() {
            for point in bars.points where point.y.isFinite {
                let left = px(point.x) - group / 2 + Double(index) * barWidth
                let top = min(py(max(point.y, 0)), py(0) - 1)
                body +=
                    "<rect x=\"\(Self.number(left))\" y=\"\(Self.number(top))\" width=\"\(Self.number(barWidth * 0.92))\" height=\"\(Self.number(py(0) - top))\" fill=\"\(bars.color)\"><title>\(point.tooltip.htmlEscaped)</title></rect>"
            }
        }
        return frame(title: title, content: body)
    }

    /// Grid, tick labels, axes and axis titles around `content`.
    private func frame(title: String, content: String) -> String {
        let (w, h) = (Self.number(Self.width), Self.number(Self.height))
        let (x0, x1) = (Self.number(Self.left), Self.number(Self.width - Self.right))
        let (y0, y1) = (Self.number(Self.top), Self.number(Self.height - Self.bottom))
        var svg =
            "<svg class=\"chart\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\" aria-label=\"\(title.htmlEscaped)\">"
        for tick in yTicks {
            let y = py(tick.value)
            svg += Self.labelledLine(
                "grid", from: (Self.left, y), to: (Self.width - Self.right, y), label: tick.label,
                at: (Self.left - 6, y), textAttributes: "text-anchor=\"end\" dominant-baseline=\"middle\"")
        }
        for tick in xTicks {
            let x = px(tick.value)
            let bottom = Self.height - Self.bottom
            svg += Self.labelledLine(
                "axis", from: (x, bottom), to: (x, bottom + 4), label: tick.label,
                at: (x, bottom + 17), textAttributes: "text-anchor=\"middle\"")
        }
        svg += "<line class=\"axis\" x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0)\" y2=\"\(y1)\"/>"
        svg += "<line class=\"axis\" x1=\"\(x0)\" y1=\"\(y1)\" x2=\"\(x1)\" y2=\"\(y1)\"/>"
        svg +=
            "<text class=\"title\" x=\"\(Self.number((Self.left + Self.width - Self.right) / 2))\" y=\"\(Self.number(Self.height - 6))\" text-anchor=\"middle\">\(xTitle.htmlEscaped)</text>"
        let middle = Self.number((Self.top + Self.height - Self.bottom) / 2)
        svg +=
            "<text class=\"title\" transform=\"translate(16 \(middle)) rotate(-90)\" text-anchor=\"middle\">\(yTitle.htmlEscaped)</text>"
        return svg + content + "</svg>"
    }

    /// A line and its text label: what every tick and marker is. `label` is markup.
    private static func labelledLine(
        _ lineClass: String, from start: (Double, Double), to end: (Double, Double), label: String,
        at position: (Double, Double), textAttributes: String
    ) -> String {
        "<line class=\"\(lineClass)\" x1=\"\(number(start.0))\" y1=\"\(number(start.1))\" x2=\"\(number(end.0))\" y2=\"\(number(end.1))\"/>"
            + "<text \(textAttributes) x=\"\(number(position.0))\" y=\"\(number(position.1))\">\(label)</text>"
    }

    /// SVG coordinates to 0.1 px: finer is invisible and only bloats the file.
    static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

extension String {
    /// The text with the five characters HTML gives meaning to escaped, safe both in
    /// element content and in quoted attribute values (run names come from folder names).
    var htmlEscaped: String {
        var escaped = ""
        for character in self {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
