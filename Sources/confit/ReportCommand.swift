import ArgumentParser
import ConFiT
import ConFiTReport
import Foundation

/// `confit report`: one self-contained HTML page comparing finished (or running) runs, to
/// open in any browser, offline, with nothing else installed.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report (accuracy matrices, A_t, loss, storage, time) comparing run folders.")

    @Argument(help: "Run folders, each holding the metrics.json that `confit train` writes.")
    var runs: [String]

    @Option(help: "The HTML file to write (replaced atomically).")
    var out: String = "report.html"

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder") }
    }

    func run() throws {
        let report = try RunReport(folders: runs.map { URL(fileURLWithPath: $0) })
        let destination = URL(fileURLWithPath: out)
        try RunFolder(url: destination.deletingLastPathComponent())
            .writeAtomically(Data(report.html.utf8), to: destination.lastPathComponent)
        print("wrote \(out) (\(runs.count) run\(runs.count == 1 ? "" : "s"))")
    }
}
