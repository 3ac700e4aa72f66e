/// The accuracy matrix of a task-incremental run and the continual-learning metrics
/// derived from it (docs/methods.md, Metrics).
///
/// a(t, i) is the accuracy on task i's test set after training task t, a fraction in
/// [0, 1]; only i ≤ t is ever measured, so row t holds a(t, 0...t). Rows are appended task
/// by task and validated on the way in, so every derived metric can trust the shape.
/// Indices are 0-based; T below is the index of the last row.
///
/// Metrics that need two or more tasks (forgetting, BWT) are `nil` with fewer: a mean over
/// no tasks is undefined, and reporting 0 would claim "no forgetting" without evidence.
/// All metrics are `nil` for an empty matrix. Encoded as a plain array of rows.
public struct AccuracyMatrix: Sendable, Equatable, Codable {
    /// Row t is a(t, 0...t).
    public private(set) var rows: [[Double]] = []

    public init() {}

    /// A matrix from complete rows, validated as if appended one by one.
    public init(rows: [[Double]]) throws(AccuracyMatrixError) {
        for row in rows { try append(row: row) }
    }

    /// Number of tasks trained so far.
    public var taskCount: Int { rows.count }

    /// a(t, i); requires i ≤ t < taskCount.
    public subscript(after t: Int, task i: Int) -> Double { rows[t][i] }

    /// Appends row t = `taskCount`, which must hold t + 1 fractions in [0, 1].
    public mutating func append(row: [Double]) throws(AccuracyMatrixError) {
        let t = rows.count
        guard row.count == t + 1 else {
            throw .wrongRowLength(task: t, expected: t + 1, got: row.count)
        }
        if let i = row.firstIndex(where: { !(0...1).contains($0) }) {
            throw .outOfRange(task: t, index: i, value: row[i])
        }
        rows.append(row)
    }

    /// A_t = mean over i ≤ t of a(t, i), unweighted (every task counts once, whatever its
    /// test-set size, as the official code prints it); one value per task.
    public var averageAccuracy: [Double] { rows.map(Self.mean) }

    /// A_T, the average accuracy after the last task.
    public var finalAverageAccuracy: Double? { averageAccuracy.last }

    /// Mean over t of A_t: rewards methods that are good throughout, not only at the end.
    public var averageIncrementalAccuracy: Double? {
        rows.isEmpty ? nil : Self.mean(averageAccuracy)
    }

    /// F = mean over i < T of (max over i ≤ t < T of a(t, i) − a(T, i)): how far each old
    /// task fell from its best. Negative when old tasks improved.
    public var forgetting: Double? {
        guard let last = rows.last, rows.count > 1 else { return nil }
        let drops = (0..<last.count - 1).map { i in
            (i..<rows.count - 1).map { rows[$0][i] }.max()! - last[i]
        }
        return Self.mean(drops)
    }

    /// BWT = mean over i < T of (a(T, i) − a(i, i)): the change on each old task since it
    /// was learned. Negative means forgetting, positive means later tasks helped.
    public var backwardTransfer: Double? {
        guard let last = rows.last, rows.count > 1 else { return nil }
        return Self.mean((0..<last.count - 1).map { last[$0] - rows[$0][$0] })
    }

    public init(from decoder: any Decoder) throws {
        let rows = try decoder.singleValueContainer().decode([[Double]].self)
        do { try self.init(rows: rows) } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rows)
    }

    private static func mean(_ values: [Double]) -> Double {
        values.reduce(0, +) / Double(values.count)
    }
}
