import Foundation
import Testing

/// The README's two Caltech-101 tables, and the 20-epoch results page's, are the committed
/// runs' numbers: every accuracy, forgetting and task-agnostic cell recomputed from the
/// `metrics.json` files under benchmarks/results (read as plain JSON), rounded to the
/// cell's own digits, with the sample standard deviation (n − 1) over seeds 0, 1, 2.
@Suite struct ResultsTableTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private static let results = "benchmarks/results/caltech101-efficientnet_lite0-"

    @Test func readmeTablesAreTheCommittedRuns() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let twenty = try Self.check(table: "**The paper's 20 epochs per task**", in: readme) { method in
            ["\(Self.results)e20/\(method)-seed0.metrics.json"]
        }
        let five = try Self.check(table: "**5 epochs per task**", in: readme) { method in
            let folder = method.contains("prototypes") ? "prototypes" : "seeds"
            return (0...2).map { "\(Self.results)e5/\(folder)/\(method)-seed\($0).metrics.json" }
        }
        // Every method the tool ships is in the 5-epoch table; the 20-epoch one has the seven.
        #expect(five == 14, "rows of the 5-epoch table")
        #expect(twenty == 7, "rows of the 20-epoch table")
    }

    @Test func twentyEpochPageIsTheCommittedRuns() throws {
        let page = try String(
            contentsOf: Self.root.appendingPathComponent("\(Self.results)e20/README.md"), encoding: .utf8)
        let rows = try Self.check(table: "| seed 0 |", in: page) { ["\(Self.results)e20/\($0)-seed0.metrics.json"] }
        #expect(rows == 7)
    }

    /// Checks the table that starts at the line holding `marker`; returns its row count.
    /// A row's method is its first cell without backticks (`confit --head prototypes` is the
    /// file stem `confit-head-prototypes`); columns 1–3 are final average accuracy,
    /// forgetting and task-agnostic accuracy, each "mean" or "mean ± std", maybe in bold.
    private static func check(
        table marker: String, in text: String, files: (String) -> [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Int {
        let start = try #require(text.range(of: marker), "no table at \(marker)")
        let lines = text[start.lowerBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }.dropFirst(2)
        for line in lines {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let method = cells[0].replacingOccurrences(of: "`", with: "").replacingOccurrences(
                of: " --head ", with: "-head-")
            let runs = try files(method).map { path -> [String: Any] in
                let data = try Data(contentsOf: root.appendingPathComponent(path))
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path)")
            }
            let columns: [(Int, ([String: Any]) -> Double?)] = [
                (1, { $0["final_average_accuracy"] as? Double }), (2, { $0["forgetting"] as? Double }),
                (3, { ($0["task_agnostic"] as? [String: Any])?["final_average_accuracy"] as? Double }),
            ]
            for (column, value) in columns {
                let cell = cells[column].replacingOccurrences(of: "*", with: "")
                let numbers = cell.split(separator: " ").filter { Double($0) != nil }.map(String.init)
                guard let shown = numbers.first else { continue }  // a method without the measure
                let digits = shown.split(separator: ".").last?.count ?? 0
                let values = try runs.map { try #require(value($0), "\(method): column \(column)") }
                let mean = values.reduce(0, +) / Double(values.count)
                #expect(
                    shown == String(format: "%.\(digits)f", mean), "\(method), column \(column): \(cell)",
                    sourceLocation: sourceLocation)
                if numbers.count > 1, values.count > 1 {
                    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
                    #expect(
                        numbers[1] == String(format: "%.\(digits)f", variance.squareRoot()),
                        "\(method), column \(column) std: \(cell)", sourceLocation: sourceLocation)
                }
            }
        }
        return lines.count
    }
}
