// Any bytes as a run's metrics.json (what `confit report` and `--resume` read: the
// configuration with its class order, the accuracy matrix, epochs): decoded, then rendered
// as a report.
import ConFiT
import ConFiTReport
import Foundation
import FuzzSupport

fuzz { bytes in
    guard let metrics = try? RunMetrics.decode(from: Data(bytes)) else { return }
    _ = RunReport(runs: [.init(name: "input", metrics: metrics)]).html
}
