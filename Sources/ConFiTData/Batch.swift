/// A batch ready for a network, as plain values so this module needs no compute engine.
///
/// `images` is NCHW float32 (`shape` = [n, 3, height, width]); `labels[i]` is the label
/// the loader was given for image i (a task's local label for `Scenario.Task` samples);
/// `sampleIDs[i]` is that image's `Sample.id`; `unreadable` counts the images of the
/// batch's plan left out because they could not be decoded (`skipUnreadable`).
public struct Batch: Sendable {
    public var images: [Float]
    public var shape: [Int]
    public var labels: [Int]
    public var sampleIDs: [Int]
    public var unreadable: Int

    public var count: Int { labels.count }

    public init(images: [Float], shape: [Int], labels: [Int], sampleIDs: [Int], unreadable: Int = 0) {
        (self.images, self.shape, self.labels, self.sampleIDs, self.unreadable) = (
            images, shape, labels, sampleIDs, unreadable
        )
    }
}

extension Batch {
    /// The first `n` images (all when the batch has fewer).
    public func prefix(_ n: Int) -> Batch {
        guard n < count else { return self }
        let perImage = images.count / max(count, 1)
        return Batch(
            images: Array(images[0..<n * perImage]), shape: [n] + shape.dropFirst(), labels: Array(labels[0..<n]),
            sampleIDs: Array(sampleIDs[0..<n]), unreadable: unreadable)
    }
}
