/// An 8-bit image in row-major HWC order with 1 (gray) or 3 (RGB) channels.
///
/// Decoders and transforms hand these around; the loader caches them because uint8 pixels
/// take a quarter of the memory of the float tensors the network consumes.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel count must match the shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Gray replicated into three channels, as PIL's `convert("RGB")` does; RGB unchanged.
    public func rgb() -> RGBImage {
        guard channels == 1 else { return self }
        var out = [UInt8](repeating: 0, count: pixels.count * 3)
        for i in pixels.indices {
            out[3 * i] = pixels[i]
            out[3 * i + 1] = pixels[i]
            out[3 * i + 2] = pixels[i]
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: out)
    }
}
