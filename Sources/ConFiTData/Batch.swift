/// A batch ready for a network, as plain values so this module needs no compute engine.
///
/// `images` is NCHW float32 (`shape` = [n, 3, height, width]); `labels[i]` is the label
/// the loader was given for image i (a task's local label for `Scenario.Task` samples);
/// `sampleIDs[i]` is that image's `Sample.id`.
public struct Batch: Sendable {
    public var images: [Float]
    public var shape: [Int]
    public var labels: [Int]
    public var sampleIDs: [Int]

    public var count: Int { labels.count }

    public init(images: [Float], shape: [Int], labels: [Int], sampleIDs: [Int]) {
        (self.images, self.shape, self.labels, self.sampleIDs) = (images, shape, labels, sampleIDs)
    }
}

extension Batch {
    /// Images `rank · count/shards ..< (rank + 1) · count/shards`: this process's
    /// contiguous share of a batch split over `shards` processes (`count` divisible by it).
    public func shard(_ rank: Int, of shards: Int) -> Batch {
        guard shards > 1 else { return self }
        let size = count / shards, perImage = images.count / max(count, 1)
        let range = rank * size..<(rank + 1) * size
        return Batch(images: Array(images[range.lowerBound * perImage..<range.upperBound * perImage]),
                     shape: [size] + shape.dropFirst(), labels: Array(labels[range]), sampleIDs: Array(sampleIDs[range]))
    }
}
