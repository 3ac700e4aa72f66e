import ConFiT
import Foundation

/// One self-contained HTML page comparing runs: a summary table, every run's accuracy
/// matrix as a heatmap, A_t per task, training-loss curves, bank bytes and wall time per
/// task.
///
/// The page is a single string with inline CSS and SVG, no script, no font or image to
/// fetch, so it can be mailed, archived next to the run, or opened offline years later and
/// look the same. Every piece of text that comes from a run (names, config values) is
/// HTML-escaped. Tasks are numbered from 0, as in `metrics.json`.
public struct RunReport: Sendable {
    /// A run as the report shows it: its name (usually the run folder's) and its metrics.
    public struct Run: Sendable {
        public var name: String
        public var metrics: RunMetrics

        public init(name: String, metrics: RunMetrics) {
            self.name = name
            self.metrics = metrics
        }

        /// `config.method.name` as `confit train` writes it; a config without one (an
        /// older or hand-made run) falls back to the run's name.
        var method: String {
            guard case let .object(config) = metrics.config, case let .object(method)? = config["method"],
                case let .string(methodName)? = method["name"]
            else { return name }
            return methodName
        }
    }

    public var runs: [Run]
    /// The runs grouped by configuration but for the seed (`SeedAggregate.grouping`).
    public let aggregates: [SeedAggregate]

    public init(runs: [Run]) {
        self.runs = runs
        aggregates = SeedAggregate.grouping(runs.map { ($0.name, $0.metrics) })
    }

    /// Reads `metrics.json` from each run folder, naming each run after its folder. The
    /// error of the first folder that has no readable or valid `metrics.json` names it.
    public init(folders: [URL]) throws(RunFolderError) {
        var runs: [Run] = []
        for folder in folders {
            runs.append(
                Run(
                    name: folder.standardizedFileURL.lastPathComponent,
                    metrics: try RunFolder(url: folder).readMetrics()))
        }
        self.init(runs: runs)
    }

    /// Tableau 10: distinct hues in a fixed order, so a run keeps its colour across charts.
    private static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    private func color(_ index: Int) -> String { Self.palette[index % Self.palette.count] }

    public var html: String {
        let names = runs.map(\.name.htmlEscaped).joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>ConFiT report: \(names)</title>
            <style>\(Self.style)</style></head><body>
            <h1>ConFiT report</h1>
            <p class="note">Accuracies in %; forgetting and BWT in percentage points. Tasks are numbered from 0. \
            Hover over a point, bar or cell for its exact value.</p>
            \(seedSection)<h2>Summary</h2>
            \(summaryTable)
            <h2>Average accuracy A<sub>t</sub> after each task</h2>
            \(legend)\(averageAccuracyChart)
            <h2>Accuracy matrices</h2>
            \(heatmaps)
            <h2>Training loss</h2>
            \(legend)\(lossChart)
            <h2>Storage per task</h2>
            \(legend)\(bankBytesChart)
            <h2>Time per task</h2>
            \(legend)\(wallTimeChart)
            <h2>Definitions and versions</h2>
            \(definitions)
            </body></html>

            """
    }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:820px;margin:24px auto;padding:0 16px}\
        h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}\
        h3{font-size:15px;margin:20px 0 6px}\
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px}\
        th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:right}td{white-space:nowrap}th{background:#f5f5f5}\
        th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}\
        svg text{font-size:12px;fill:#333}svg text.title{font-size:13px;fill:#111}svg text.marker{font-size:11px;fill:#777}\
        .grid{stroke:#e6e6e6}.axis{stroke:#555}.boundary{stroke:#aaa;stroke-dasharray:4 3}\
        .legend{margin:4px 0}.legend span{margin-right:18px;white-space:nowrap}\
        .legend i{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;border-radius:2px}\
        .heatmaps{display:flex;flex-wrap:wrap;gap:20px 28px}figure{margin:0}figcaption{font-weight:600;margin-bottom:2px}\
        .note{color:#666;font-size:13px}dl{font-size:13px}dt{font-weight:600}dd{margin:0 0 6px 16px;color:#444}
        """

    private var legend: String {
        let items = runs.enumerated().map { k, run in
            "<span><i style=\"background:\(color(k))\"></i>\(run.name.htmlEscaped)</span>"
        }
        return "<div class=\"legend\">\(items.joined())</div>\n"
    }

    private var summaryTable: String {
        let header = [
            "run", "method", "tasks", "final avg. accuracy", "avg. incremental accuracy", "forgetting", "BWT",
            "storage per task", "carried state", "total time",
        ]
        let rows = runs.map { run in
            let accuracy = run.metrics.accuracy
            let bytes = run.metrics.bankBytesPerTask
            let cells = [
                run.name, run.method, "\(accuracy.taskCount)",
                Self.percent(accuracy.finalAverageAccuracy), Self.percent(accuracy.averageIncrementalAccuracy),
                Self.percent(accuracy.forgetting), Self.percent(accuracy.backwardTransfer),
                bytes.isEmpty ? "—" : Self.bytes(Double(bytes.reduce(0, +)) / Double(bytes.count)),
                (run.metrics.carriedBytesPerTask.max() ?? 0) == 0
                    ? "—" : Self.bytes(Double(run.metrics.carriedBytesPerTask.max()!)),
                Self.duration(run.metrics.totalWallSeconds),
            ]
            return "<tr>" + cells.map { "<td>\($0.htmlEscaped)</td>" }.joined() + "</tr>"
        }
        return "<table><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>\n" + rows.joined(separator: "\n")
            + "</table>"
    }

    /// Groups of runs that differ only in their seed: mean ± std (sample) per metric, A_t
    /// as a band, and mean accuracy matrices; absent when no group has two runs.
    private var seedSection: String {
        let groups = aggregates.filter { $0.runs.count > 1 }
        guard !groups.isEmpty else { return "" }
        let labels = groupLabels(groups)
        func cell(_ statistic: SeedAggregate.Statistic?) -> String {
            guard let statistic else { return "—" }
            return Self.percent(statistic.mean) + (statistic.std.map { " ± " + Self.percent($0) } ?? "")
        }
        let header = [
            "method", "runs", "seeds", "final avg. accuracy", "avg. incremental accuracy", "forgetting", "BWT",
            "storage per task", "mean time",
        ]
        let rows = zip(groups, labels).map { group, label in
            let cells = [
                label, "\(group.runs.count)", group.seeds.map { $0.map(String.init) ?? "?" }.joined(separator: ", "),
                cell(group.finalAverageAccuracy), cell(group.averageIncrementalAccuracy), cell(group.forgetting),
                cell(group.backwardTransfer),
                group.bankBytesPerTask.mean == 0 ? "—" : Self.bytes(group.bankBytesPerTask.mean),
                Self.duration(group.wallSeconds.mean),
            ]
            return "<tr title=\"\(group.runs.joined(separator: ", ").htmlEscaped)\">"
                + cells.map { "<td>\($0.htmlEscaped)</td>" }.joined() + "</tr>"
        }
        let table =
            "<table><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>\n" + rows.joined(separator: "\n")
            + "</table>"
        let legend =
            "<div class=\"legend\">"
            + labels.enumerated().map { k, label in
                "<span><i style=\"background:\(color(k))\"></i>\(label.htmlEscaped)</span>"
            }.joined() + "</div>\n"
        let tasks = groups.map(\.averageAccuracy.count).max() ?? 0
        let lowest = groups.flatMap { $0.averageAccuracy.map { $0.mean - ($0.std ?? 0) } }.min() ?? 1
        let chart = SVGChart(
            x: -0.5...Double(max(tasks, 1)) - 0.5, xTicks: SVGChart.integerTicks(upTo: tasks),
            xTitle: "after training task t",
            yFrom: min(90, (lowest * 10).rounded(.down) * 10), to: 100, yTitle: "A_t (%), mean ± std")
        let series = zip(groups, labels).enumerated().map { k, pair in
            let (group, label) = pair
            return SVGChart.Series(
                color: color(k),
                points: group.averageAccuracy.enumerated().map { t, a in
                    .init(
                        x: Double(t), y: a.mean * 100,
                        tooltip: "\(label), after task \(t): A = \(cell(a)) % over \(group.runs.count) runs")
                },
                band: group.averageAccuracy.enumerated().map { t, a in
                    (x: Double(t), low: (a.mean - (a.std ?? 0)) * 100, high: (a.mean + (a.std ?? 0)) * 100)
                })
        }
        let means = groups.compactMap { try? AccuracyMatrix(rows: $0.accuracy.map { $0.map(\.mean) }) }
        let scale = AccuracyHeatmap.scale(for: means)
        let figures = zip(zip(groups, labels), means).map { pair, matrix in
            let (group, label) = pair
            let heatmap = AccuracyHeatmap(
                matrix: matrix, scale: scale,
                spread: (group.accuracy.map { $0.map(\.std) }, group.runs.count))
            return
                "<figure><figcaption>\(label.htmlEscaped), mean of \(group.runs.count)</figcaption>\(heatmap.svg)</figure>"
        }
        return """
            <h2>Mean ± standard deviation over seeds</h2>
            <p class="note">Runs with the same configuration but for the seed, grouped; the standard deviation is the \
            sample one (n − 1). Hover over a row for its runs, over a cell for its spread.</p>
            \(table)
            <h3>A<sub>t</sub>: mean (line) ± std (band)</h3>
            \(legend)\(chart.lines(series, title: "average accuracy per task, mean and spread over seeds"))
            <h3>Mean accuracy matrices</h3>
            \(AccuracyHeatmap.legend(scale: scale))<div class="heatmaps">\(figures.joined(separator: "\n"))</div>

            """
    }

    /// Each group's method, with its first run's name beside it where two groups share a method.
    private func groupLabels(_ groups: [SeedAggregate]) -> [String] {
        groups.map { group in
            groups.filter { $0.method == group.method }.count > 1 ? "\(group.method) (\(group.runs[0]))" : group.method
        }
    }

    private var averageAccuracyChart: String {
        let tasks = runs.map(\.metrics.accuracy.taskCount).max() ?? 0
        let lowest = runs.flatMap(\.metrics.accuracy.averageAccuracy).min() ?? 1
        let chart = SVGChart(
            x: -0.5...Double(max(tasks, 1)) - 0.5, xTicks: SVGChart.integerTicks(upTo: tasks),
            xTitle: "after training task t",
            yFrom: min(90, (lowest * 10).rounded(.down) * 10), to: 100, yTitle: "A_t (%)")
        let series = runs.enumerated().map { k, run in
            SVGChart.Series(
                color: color(k),
                points: run.metrics.accuracy.averageAccuracy.enumerated().map { t, a in
                    .init(
                        x: Double(t), y: a * 100,
                        tooltip: "\(run.name), after task \(t): A = \(String(format: "%.2f", a * 100)) %")
                })
        }
        return chart.lines(series, title: "average accuracy per task")
    }

    private var heatmaps: String {
        let scale = AccuracyHeatmap.scale(for: runs.map(\.metrics.accuracy))
        let figures = runs.map { run in
            let body =
                run.metrics.accuracy.taskCount == 0
                ? "<p class=\"note\">no task finished yet</p>"
                : AccuracyHeatmap(matrix: run.metrics.accuracy, scale: scale).svg
            return "<figure><figcaption>\(run.name.htmlEscaped)</figcaption>\(body)</figure>"
        }
        return AccuracyHeatmap.legend(scale: scale) + "<div class=\"heatmaps\">\(figures.joined(separator: "\n"))</div>"
    }

    /// Mean training loss per epoch against the epoch's position in the whole run, with a
    /// dashed line where a task begins; runs with different schedules contribute their own
    /// boundaries.
    private var lossChart: String {
        let epochs = runs.map(\.metrics.epochs.count).max() ?? 0
        let highest = runs.flatMap { $0.metrics.epochs.map(\.meanLoss) }.filter(\.isFinite).max() ?? 1
        let chart = SVGChart(
            x: 0.5...Double(max(epochs, 1)) + 0.5,
            xTicks: SVGChart.niceTicks(1, Double(max(epochs, 1)), minimumStep: 1)
                .filter { $0.value >= 1 && $0.value <= Double(max(epochs, 1)) },
            xTitle: "epoch (counted over all tasks)", yFrom: 0, to: highest, yTitle: "mean training loss")
        var boundaries: [Double: Int] = [:]
        for run in runs {
            for (k, pair) in zip(run.metrics.epochs, run.metrics.epochs.dropFirst()).enumerated()
            where pair.0.task != pair.1.task {
                boundaries[Double(k + 1) + 0.5] = boundaries[Double(k + 1) + 0.5] ?? pair.1.task
            }
        }
        let spacing = (SVGChart.width - 80) / Double(boundaries.count + 1)
        let markers = boundaries.sorted { $0.key < $1.key }.map { x, task in
            (x: x, label: spacing >= 50 ? "task \(task)" : "\(task)")
        }
        let series = runs.enumerated().map { k, run in
            SVGChart.Series(
                color: color(k),
                points: run.metrics.epochs.enumerated().map { k, epoch in
                    .init(
                        x: Double(k + 1), y: epoch.meanLoss,
                        tooltip:
                            "\(run.name), task \(epoch.task) epoch \(epoch.epoch) (\(epoch.stage.rawValue)): loss \(String(format: "%.4f", epoch.meanLoss))"
                    )
                })
        }
        return chart.lines(series, markers: markers, title: "training loss per epoch")
    }

    private var bankBytesChart: String {
        let highest = Double(runs.flatMap(\.metrics.bankBytesPerTask).max() ?? 0)
        let (unit, divisor) =
            highest >= 1_048_576 ? ("MiB", 1_048_576.0) : highest >= 1024 ? ("KiB", 1024.0) : ("bytes", 1.0)
        return perTaskBars(
            runs.map { $0.metrics.bankBytesPerTask.map(Double.init) }, divisor: divisor, yTitle: "bank size (\(unit))",
            tooltip: { Self.bytes($0) }, title: "bank bytes per task")
    }

    private var wallTimeChart: String {
        let highest = runs.flatMap(\.metrics.wallSecondsPerTask).max() ?? 0
        let (unit, divisor) = highest >= 7200 ? ("h", 3600.0) : highest >= 120 ? ("min", 60.0) : ("s", 1.0)
        return perTaskBars(
            runs.map(\.metrics.wallSecondsPerTask), divisor: divisor, yTitle: "training + evaluation (\(unit))",
            tooltip: { Self.duration($0) }, title: "wall time per task")
    }

    /// Grouped bars of one per-task quantity, plotted in units of `divisor`.
    private func perTaskBars(
        _ values: [[Double]], divisor: Double, yTitle: String, tooltip: (Double) -> String, title: String
    ) -> String {
        let tasks = values.map(\.count).max() ?? 0
        let highest = values.joined().max() ?? 0
        let chart = SVGChart(
            x: -0.5...Double(max(tasks, 1)) - 0.5, xTicks: SVGChart.integerTicks(upTo: tasks), xTitle: "task",
            yFrom: 0, to: highest / divisor, yTitle: yTitle)
        let series = zip(runs, values).enumerated().map { k, pair in
            let (run, perTask) = pair
            return SVGChart.Series(
                color: color(k),
                points: perTask.enumerated().map { t, value in
                    .init(x: Double(t), y: value / divisor, tooltip: "\(run.name), task \(t): \(tooltip(value))")
                })
        }
        return chart.bars(series, title: title)
    }

    private var definitions: String {
        let keys = [
            "average_accuracy", "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task",
            "carried_bytes_per_task",
            "wall_seconds",
        ]
        let terms = keys.compactMap { key in
            RunMetrics.definitions[key].map { "<dt>\(key)</dt><dd>\($0.htmlEscaped)</dd>" }
        }
        let versions = runs.map { run in
            let v = run.metrics.versions
            return
                "<dt>\(run.name.htmlEscaped)</dt><dd>confit \(v.confit.htmlEscaped), oneDNN \(v.oneDNN.htmlEscaped), Swift \(v.swift.htmlEscaped)</dd>"
        }
        return "<dl>\(terms.joined())\(versions.joined())</dl>"
    }

    /// A fraction as a percentage with two decimals; "—" where the metric is undefined
    /// (forgetting and BWT with one task).
    static func percent(_ fraction: Double?) -> String {
        fraction.map { String(format: "%.2f", $0 * 100) } ?? "—"
    }

    /// Bytes in binary units, one decimal above a KiB.
    static func bytes(_ count: Double) -> String {
        if count >= 1_048_576 { return String(format: "%.1f MiB", count / 1_048_576) }
        if count >= 1024 { return String(format: "%.1f KiB", count / 1024) }
        return String(format: "%.0f B", count)
    }

    /// Seconds as "12.3 s", "4 min 05 s" or "1 h 02 min": the precision a reader of a
    /// run's duration cares about at each scale.
    /// A value no run reaches (a damaged or hand-edited file) is printed as it is.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return String(format: "%g s", seconds) }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60)
    }
}
