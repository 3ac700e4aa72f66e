import ConFiT
import Foundation

/// An accuracy matrix drawn as a lower-triangular grid of coloured cells, each with its
/// accuracy in percent printed on it: row t is "after training task t", column i is
/// "task i", so forgetting reads as a column fading downwards.
///
/// All heatmaps of a report share one colour `scale` (the lowest accuracy of any run, in
/// whole tens of percent, up to 100 %): accuracies cluster near the top, so a fixed
/// 0–100 % scale would paint every cell the same, while a per-run scale would make
/// equal colours mean different numbers in neighbouring heatmaps.
struct AccuracyHeatmap {
    var matrix: AccuracyMatrix
    /// Accuracy fractions mapped to the ends of the colour ramp.
    var scale: ClosedRange<Double>
    /// For a matrix of means over seeds: each cell's standard deviation and the number of
    /// runs, shown on hover.
    var spread: (std: [[Double?]], runs: Int)? = nil

    /// Viridis at five stops: perceptually ordered, and readable in greyscale and by
    /// colour-blind readers.
    private static let ramp: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x3b, 0x52, 0x8b), (0x21, 0x91, 0x8c), (0x5e, 0xc9, 0x62), (0xfd, 0xe7, 0x25),
    ]

    /// The scale shared by `matrices`: from the lowest accuracy, rounded down to 10 %
    /// and at most 90 %, to 100 %.
    static func scale(for matrices: [AccuracyMatrix]) -> ClosedRange<Double> {
        let lowest = matrices.flatMap { $0.rows.joined() }.min() ?? 0
        return min(0.9, (lowest * 10).rounded(.down) / 10)...1
    }

    var svg: String {
        let n = matrix.taskCount
        let cell = min(56, max(26, (440 / Double(n)).rounded(.down)))
        let font = cell >= 40 ? 12.0 : 10.0
        let (left, top) = (58.0, 34.0)
        // Tall enough for the rotated row title even with one or two tasks.
        let size = (left + cell * Double(n) + 4, max(top + cell * Double(n) + 4, 150))
        var svg =
            "<svg class=\"heatmap\" viewBox=\"0 0 \(SVGChart.number(size.0)) \(SVGChart.number(size.1))\" width=\"\(SVGChart.number(size.0))\" height=\"\(SVGChart.number(size.1))\" role=\"img\" aria-label=\"accuracy matrix\">"
        svg += "<text class=\"title\" x=\"\(SVGChart.number(left))\" y=\"11\">task i →</text>"
        svg +=
            "<text class=\"title\" transform=\"translate(11 \(SVGChart.number(top))) rotate(90)\">after task t →</text>"
        for k in 0..<n {
            let centre = Double(k) * cell + cell / 2
            svg +=
                "<text x=\"\(SVGChart.number(left + centre))\" y=\"\(SVGChart.number(top - 6))\" text-anchor=\"middle\">\(k)</text>"
            svg +=
                "<text x=\"\(SVGChart.number(left - 6))\" y=\"\(SVGChart.number(top + centre))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(k)</text>"
        }
        for (t, row) in matrix.rows.enumerated() {
            for (i, accuracy) in row.enumerated() {
                let (fill, ink) = color(accuracy)
                let (x, y) = (left + Double(i) * cell, top + Double(t) * cell)
                svg +=
                    "<rect x=\"\(SVGChart.number(x))\" y=\"\(SVGChart.number(y))\" width=\"\(SVGChart.number(cell - 1))\" height=\"\(SVGChart.number(cell - 1))\" fill=\"\(fill)\"><title>\(tooltip(t, i, accuracy))</title></rect>"
                svg +=
                    "<text x=\"\(SVGChart.number(x + cell / 2))\" y=\"\(SVGChart.number(y + cell / 2))\" text-anchor=\"middle\" dominant-baseline=\"central\" font-size=\"\(SVGChart.number(font))\" style=\"fill:\(ink)\">\(String(format: "%.1f", accuracy * 100))</text>"
            }
        }
        return svg + "</svg>"
    }

    private func tooltip(_ t: Int, _ i: Int, _ accuracy: Double) -> String {
        let value = String(format: "%.2f", accuracy * 100)
        guard let spread else { return "a(\(t), \(i)) = \(value) %" }
        let std = spread.std[t][i].map { String(format: " ± %.2f", $0 * 100) } ?? ""
        return "a(\(t), \(i)) = \(value)\(std) % (mean ± std over \(spread.runs) runs)"
    }

    /// A horizontal bar showing the colour ramp over `scale`, labelled in percent.
    static func legend(scale: ClosedRange<Double>) -> String {
        let stops = ramp.enumerated().map { k, rgb in
            "<stop offset=\"\(k * 100 / (ramp.count - 1))%\" stop-color=\"\(hex(rgb))\"/>"
        }
        return
            "<svg class=\"scale\" viewBox=\"0 0 320 34\" width=\"320\" height=\"34\" role=\"img\" aria-label=\"colour scale\">"
            + "<defs><linearGradient id=\"accuracy-ramp\">\(stops.joined())</linearGradient></defs>"
            + "<rect x=\"40\" y=\"4\" width=\"220\" height=\"12\" fill=\"url(#accuracy-ramp)\"/>"
            + "<text x=\"34\" y=\"14\" text-anchor=\"end\">\(String(format: "%.0f", scale.lowerBound * 100)) %</text>"
            + "<text x=\"266\" y=\"14\">\(String(format: "%.0f", scale.upperBound * 100)) %</text>"
            + "<text x=\"150\" y=\"30\" text-anchor=\"middle\">accuracy</text></svg>"
    }

    /// The cell colour for `accuracy` and a text colour that stays legible on it.
    private func color(_ accuracy: Double) -> (fill: String, ink: String) {
        let width = scale.upperBound - scale.lowerBound
        let position = min(1, max(0, (accuracy - scale.lowerBound) / width)) * Double(Self.ramp.count - 1)
        let k = min(Int(position), Self.ramp.count - 2)
        let f = position - Double(k)
        let (a, b) = (Self.ramp[k], Self.ramp[k + 1])
        let rgb = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
        let luminance = (0.2126 * rgb.0 + 0.7152 * rgb.1 + 0.0722 * rgb.2) / 255
        return (Self.hex(rgb), luminance < 0.45 ? "#fff" : "#111")
    }

    private static func hex(_ rgb: (Double, Double, Double)) -> String {
        String(format: "#%02x%02x%02x", Int(rgb.0.rounded()), Int(rgb.1.rounded()), Int(rgb.2.rounded()))
    }
}
