import ConFiT
import ConFiTReport
import ConFiTTestSupport
import Foundation
import Testing

@Suite struct RunReportTests {
    private let temporary: TemporaryDirectory

    /// This test's folder (a suite value is made for each test); it exists, empty, when
    /// the test starts, and is removed after it.
    private var directory: URL { temporary.url }

    init() throws { temporary = try TemporaryDirectory("\(Self.self)") }

    private func metrics(
        config: JSONValue, rows: [[Double]], bankBytes: [Int], carriedBytes: [Int]? = nil, totalSeconds: Double
    ) throws -> RunMetrics {
        var metrics = RunMetrics(
            config: config, versions: SoftwareVersions(confit: "0.1.0", oneDNN: "2.6.3", swift: "6.3"))
        for (t, row) in rows.enumerated() {
            for epoch in 0..<2 {
                metrics.recordEpoch(
                    EpochRecord(
                        task: t, epoch: epoch, stage: .all, meanLoss: 2 - Double(epoch), imagesPerSecond: 50, seconds: 5
                    ))
            }
            try metrics.recordTask(
                accuracies: row, bankBytes: bankBytes[t], carriedBytes: carriedBytes?[t] ?? 0,
                wallSeconds: 10 + Double(t), evaluationSeconds: 2, imagesPerSecond: 50)
        }
        metrics.totalWallSeconds = totalSeconds
        return metrics
    }

    /// Run "A" (method confit): A_t = [0.9, 0.875, 0.85], so final 85.00 %, incremental
    /// (0.9 + 0.875 + 0.85) / 3 = 87.50 %; F = ((0.9 − 0.7) + (0.95 − 0.85)) / 2 = 15.00;
    /// BWT = ((0.7 − 0.9) + (0.85 − 0.95)) / 2 = −15.00; storage (1024 + 1024 + 2048) / 3
    /// = 1365.3 B = 1.3 KiB; carried state at most 4096 B = 4.0 KiB; 3725 s = 1 h 02 min.
    /// Run "a<b&c" (no method in its config): A_t = [0.5, 0.625, 2/3], final 66.67 %,
    /// incremental 1.791667 / 3 = 59.72 %; F = (0 + 0.25) / 2 = 12.50; BWT = (0 − 0.25) / 2
    /// = −12.50; no bytes stored or carried; 95 s = 1 min 35 s.
    private func sampleReport() throws -> RunReport {
        let a = try metrics(
            config: .object(["method": .object(["name": .string("confit")])]),
            rows: [[0.9], [0.8, 0.95], [0.7, 0.85, 1.0]], bankBytes: [1024, 1024, 2048],
            carriedBytes: [0, 4096, 2048], totalSeconds: 3725)
        let b = try metrics(
            config: .object(["model": .string("resnet18")]),
            rows: [[0.5], [0.5, 0.75], [0.5, 0.5, 1.0]], bankBytes: [0, 0, 0], totalSeconds: 95)
        return RunReport(runs: [.init(name: "A", metrics: a), .init(name: "a<b&c", metrics: b)])
    }

    /// Times no run takes (a damaged or edited metrics.json; the fuzzer's first find, which
    /// trapped converting 1e300 s to Int) and a NaN loss render as they are.
    @Test func timesBeyondAnyRunAndNaNLossesRender() throws {
        var metrics = try metrics(config: .object([:]), rows: [[0.5]], bankBytes: [0], totalSeconds: 1e300)
        metrics.recordEpoch(
            EpochRecord(task: 0, epoch: 2, stage: .all, meanLoss: .nan, imagesPerSecond: .infinity, seconds: -1e300))
        let html = RunReport(runs: [.init(name: "odd", metrics: metrics)]).html
        #expect(html.contains("<td>1e+300 s</td>"), "\(html)")
    }

    @Test func summaryTableHoldsTheHandComputedMetrics() throws {
        let html = try sampleReport().html
        #expect(
            html.contains(
                "<tr><td>A</td><td>confit</td><td>3</td><td>85.00</td><td>87.50</td><td>15.00</td><td>-15.00</td><td>1.3 KiB</td><td>4.0 KiB</td><td>1 h 02 min</td></tr>"
            ))
        #expect(
            html.contains(
                "<tr><td>a&lt;b&amp;c</td><td>a&lt;b&amp;c</td><td>3</td><td>66.67</td><td>59.72</td><td>12.50</td><td>-12.50</td><td>0 B</td><td>—</td><td>1 min 35 s</td></tr>"
            ))
    }

    @Test func pageHasEverySectionBalancedSVGAndNoExternalReference() throws {
        let html = try sampleReport().html
        for heading in [
            "Summary", "Average accuracy A<sub>t</sub>", "Accuracy matrices", "Training loss", "Storage per task",
            "Time per task",
        ] {
            #expect(html.contains("<h2>\(heading)"), "\(heading)")
        }
        // Open and close tags alternate (SVGs are never nested): A_t, colour scale, two
        // heatmaps, loss, bytes, time.
        let tags = html.matches(of: /<\/?svg[ >]/).map { $0.output.hasPrefix("</") }
        #expect(tags == Array(repeating: [false, true], count: 7).flatMap { $0 })
        #expect(!html.lowercased().contains("http"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("a<b&c"))
        // Heatmap cells print a(1, 1) = 0.95 and a(1, 1) = 0.75 of the two runs.
        #expect(html.contains(">95.0</text>") && html.contains(">75.0</text>"))
        // Loss curves mark where tasks 1 and 2 begin.
        #expect(html.contains(">task 1</text>") && html.contains(">task 2</text>"))
    }

    /// Two seeds of one configuration: a mean ± std section with the hand-computed
    /// numbers, a band under the A_t line and std on the heatmap's hover; none without a
    /// group of two (the sample report).
    @Test func runsDifferingOnlyInTheirSeedShowMeanAndStd() throws {
        func seeded(_ seed: Int64, _ rows: [[Double]]) throws -> RunReport.Run {
            let config = JSONValue.object([
                "method": .object(["name": .string("lwf")]), "training": .object(["seed": .integer(seed)]),
            ])
            return .init(
                name: "lwf-seed\(seed)",
                metrics: try metrics(config: config, rows: rows, bankBytes: [0, 0], totalSeconds: 60))
        }
        // A_1: 0.75 and 0.65: 70.00 ± 7.07 (√0.005); incremental 0.775 both; F: 0.2 and
        // 0.4: 30.00 ± 14.14; BWT: −0.2 and −0.4; a(1, 0): 0.6 and 0.5: 55.00 ± 7.07.
        let report = RunReport(runs: [try seeded(0, [[0.8], [0.6, 0.9]]), try seeded(1, [[0.9], [0.5, 0.8]])])
        let html = report.html
        #expect(html.contains("<h2>Mean ± standard deviation over seeds</h2>"))
        #expect(
            html.contains(
                "<tr title=\"lwf-seed0, lwf-seed1\"><td>lwf</td><td>2</td><td>0, 1</td><td>70.00 ± 7.07</td>"
                    + "<td>77.50 ± 0.00</td><td>30.00 ± 14.14</td><td>-30.00 ± 14.14</td><td>—</td><td>1 min 00 s</td></tr>"
            ), "\(html)")
        #expect(html.contains("<title>a(1, 0) = 55.00 ± 7.07 % (mean ± std over 2 runs)</title>"), "\(html)")
        #expect(html.contains("<polygon fill=\"#4e79a7\" fill-opacity=\"0.2\""), "no band under the A_t line")
        #expect(report.aggregates.map(\.runs) == [["lwf-seed0", "lwf-seed1"]])
        #expect(try !sampleReport().html.contains("over seeds"))
    }

    @Test func missingOrMalformedRunFolderIsNamedInTheError() throws {
        let good = directory.appendingPathComponent("good")
        try RunFolder(url: good).write(try metrics(config: .null, rows: [[1]], bankBytes: [8], totalSeconds: 1))
        let missing = directory.appendingPathComponent("missing-run")
        if let error = #expect(throws: (any Error).self, performing: { try RunReport(folders: [good, missing]) }) {
            #expect("\(error)".contains("cannot read \(missing.path)/metrics.json"), "\(error)")
        }
        let broken = directory.appendingPathComponent("broken-run")
        try RunFolder(url: broken).writeAtomically(Data("{\"accuracy_matrix\": 3}".utf8), to: "metrics.json")
        if let error = #expect(throws: (any Error).self, performing: { try RunReport(folders: [broken]) }) {
            #expect("\(error)".contains("malformed \(broken.path)/metrics.json"), "\(error)")
        }
    }

    @Test func runFolderWritesItsOwnReportNamedAfterTheFolder() throws {
        let folder = RunFolder(url: directory.appendingPathComponent("cifar-confit"))
        try folder.writeReport(try metrics(config: .null, rows: [[0.5]], bankBytes: [8], totalSeconds: 1))
        let html = try String(contentsOf: folder.url.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(
            html.contains(
                "<tr><td>cifar-confit</td><td>cifar-confit</td><td>1</td><td>50.00</td><td>50.00</td><td>—</td><td>—</td><td>8 B</td><td>—</td><td>1.0 s</td></tr>"
            ))
    }
}
