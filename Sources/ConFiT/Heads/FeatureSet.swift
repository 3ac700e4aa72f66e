/// Pooled features of a set of images with their dataset class ids: what the closed-form
/// heads are fitted on, computed once per image with the backbone in eval mode.
public struct FeatureSet: Sendable, Equatable {
    /// Row-major [count, dimension].
    public var values: [Float] = []
    public var labels: [Int] = []
    public var dimension: Int

    public init(dimension: Int, values: [Float] = [], labels: [Int] = []) {
        (self.dimension, self.values, self.labels) = (dimension, values, labels)
    }

    public var count: Int { labels.count }

    /// Row i.
    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dimension)..<((i + 1) * dimension)] }

    /// The mean feature of each class in `classes`, row-major [classes.count, dimension],
    /// in float64 sums; a class without images is an error naming it.
    public func classMeans(_ classes: [Int]) throws -> [Float] {
        var sums = [Double](repeating: 0, count: classes.count * dimension),
            counts = [Int](repeating: 0, count: classes.count)
        let position = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        for (i, label) in labels.enumerated() {
            guard let c = position[label] else { continue }
            counts[c] += 1
            for (j, v) in row(i).enumerated() { sums[c * dimension + j] += Double(v) }
        }
        if let empty = counts.firstIndex(of: 0) {
            throw ConFiTError.invalidConfiguration(
                "class \(classes[empty]) has no training image to compute its mean feature from")
        }
        return sums.enumerated().map { Float($1 / Double(counts[$0 / dimension])) }
    }
}
