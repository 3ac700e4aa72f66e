import Foundation

/// Transformed uint8 images kept in memory across epochs, keyed by `Sample.id`.
///
/// Training revisits every image each epoch, so once the cache is full nothing is
/// evicted: replacing an entry costs a decode now to save one later, never a win under
/// uniform shuffling. Use one cache per dataset and transform. Shared by loader threads,
/// so every access takes the lock.
public final class ImageCache: @unchecked Sendable {
    public let budgetBytes: Int
    private let lock = NSLock()
    private var images: [Int: RGBImage] = [:]
    private var bytes = 0

    public init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    public func image(for id: Int) -> RGBImage? {
        lock.withLock { images[id] }
    }

    /// Stores the image if it fits in what is left of the budget.
    public func insert(_ image: RGBImage, for id: Int) {
        lock.withLock {
            guard images[id] == nil, bytes + image.pixels.count <= budgetBytes else { return }
            images[id] = image
            bytes += image.pixels.count
        }
    }

    public var storedBytes: Int { lock.withLock { bytes } }
    public var count: Int { lock.withLock { images.count } }
}
