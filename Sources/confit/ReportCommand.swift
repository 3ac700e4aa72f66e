import ArgumentParser
import ConFiT
import ConFiTReport
import Foundation

/// `confit report`: one self-contained HTML page comparing finished (or running) runs, to
/// open in any browser, offline, with nothing else installed; runs that differ only in
/// their seed are also shown as mean ± std.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write an HTML report (accuracy matrices, A_t, loss, storage, time; mean ± std over seeds) comparing run folders."
    )

    @Argument(
        help:
            "Run folders, each holding the metrics.json that `confit train` writes, or sweep folders holding run folders."
    )
    var runs: [String]

    @Option(help: "The HTML file to write (replaced atomically).")
    var out: String = "report.html"

    @Option(
        help: ArgumentHelp(
            "Also write the mean ± std over seeds as this JSON file and as CSV beside it (.csv).",
            valueName: "file.json"))
    var aggregate: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder") }
    }

    func run() throws {
        let folders = runs.flatMap { Self.runFolders(in: URL(fileURLWithPath: $0)) }
        let report = try RunReport(folders: folders)
        try Self.write(Data(report.html.utf8), to: URL(fileURLWithPath: out))
        print("wrote \(out) (\(folders.count) run\(folders.count == 1 ? "" : "s"))")
        if let aggregate {
            let json = URL(fileURLWithPath: aggregate)
            try Self.writeAggregates(
                report.aggregates, json: json, csv: json.deletingPathExtension().appendingPathExtension("csv"))
            print(
                "wrote \(aggregate) and its .csv (\(report.aggregates.count) group\(report.aggregates.count == 1 ? "" : "s"))"
            )
        }
    }

    /// `folder` itself when it holds `metrics.json`; else its subfolders that do (a sweep),
    /// in name order; else `folder`, so that the error names it.
    static func runFolders(in folder: URL) -> [URL] {
        let has = { (url: URL) in
            FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFolder.metricsJSON).path)
        }
        guard !has(folder) else { return [folder] }
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            .map { folder.appendingPathComponent($0) }.filter(has)
        return children.isEmpty ? [folder] : children
    }

    static func write(_ data: Data, to file: URL) throws {
        try RunFolder(url: file.deletingLastPathComponent()).writeAtomically(data, to: file.lastPathComponent)
    }

    static func writeAggregates(_ aggregates: [SeedAggregate], json: URL, csv: URL) throws {
        try write(try SeedAggregate.jsonData(aggregates), to: json)
        try write(Data(SeedAggregate.csv(aggregates).utf8), to: csv)
    }
}
