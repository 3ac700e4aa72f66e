import Foundation
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4): requests by route,
/// task and status, request latency and queue time, batch sizes, images served and their
/// rate, tasks and bytes held.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let latency: DurationHistogram
    private let queueTime: DurationHistogram
    private let batchSize: ValueHistogram
    private let images: Counter
    private let imagesPerSecond: Gauge
    private let tasks: Gauge
    private let bytes: Gauge

    init(maxBatch: Int) {
        let seconds: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }
        latency = registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", "seconds", "Time from a request's arrival to its answer."),
            buckets: seconds)
        queueTime = registry.makeDurationHistogram(
            descriptor: Self.name("queue", "seconds", "Time an image waited for its batch's forward."),
            buckets: seconds)
        batchSize = registry.makeValueHistogram(
            descriptor: Self.name("batch", "size", "Images per forward."),
            buckets: Self.powersOfTwo(upTo: maxBatch).map(Double.init))
        images = registry.makeCounter(descriptor: Self.name("images", "total", "Images classified."))
        imagesPerSecond = registry.makeGauge(
            descriptor: Self.name("images", "per_second", "Images per second of the last forward, decoding excluded."))
        tasks = registry.makeGauge(descriptor: Self.name("tasks", "", "Tasks served."))
        bytes = registry.makeGauge(
            descriptor: Self.name("task", "bytes", "Bytes held for the tasks beyond the shared network."))
    }

    /// `confit_<metric>_<unit>`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "confit", metricName: metric, unitName: unit, helpText: help)
    }

    /// 1, 2, 4, ... up to and including `limit`.
    static func powersOfTwo(upTo limit: Int) -> [Int] {
        Array(sequence(first: 1) { $0 * 2 < limit ? $0 * 2 : nil }) + (limit.nonzeroBitCount == 1 ? [] : [limit])
    }

    func request(route: String, task: String?, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.name("requests", "total", "Requests answered."),
            labels: [("route", route), ("task", task ?? ""), ("status", "\(status)")]
        ).increment()
        latency.record(duration)
    }

    func batch(size: Int, seconds: Double, waited: [Duration]) {
        batchSize.record(Double(size))
        images.increment(by: Int64(size))
        imagesPerSecond.set(Double(size) / max(seconds, 1e-9))
        for wait in waited { queueTime.record(wait) }
    }

    func held(tasks count: Int, bytes total: Int) {
        tasks.set(Double(count))
        bytes.set(Double(total))
    }

    var text: String { registry.emitToString() }
}
