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
