/// Equal-sized 8-bit images held in memory, as CIFAR and MNIST ship them.
///
/// A reference type so the 60,000 samples of a split share one buffer instead of
/// copying it; immutable after loading, hence safe to share across loader threads.
public final class RawImageStore: Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let count: Int
    let pixels: [UInt8]

    /// `pixels` holds `count` images, each HWC.
    init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.count = pixels.count / (width * height * channels)
        self.pixels = pixels
    }

    public func image(at index: Int) -> RGBImage {
        let size = width * height * channels
        return RGBImage(
            width: width, height: height, channels: channels,
            pixels: Array(pixels[(index * size)..<((index + 1) * size)]))
    }
}
