import Foundation

/// Reads an image file and decodes it by its signature (not its extension) to RGB.
///
/// Holds a TurboJPEG handle, so it belongs to one thread; each loader worker owns one.
public final class ImageDecoder {
    private let jpeg: JPEGDecoder

    public init() throws { jpeg = try JPEGDecoder() }

    public func decode(file path: String) throws -> RGBImage {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DataError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        return try decode(bytes, path: path)
    }

    /// Decodes `bytes` (named `path` in errors); an image of more than `maxPixels` pixels is
    /// refused from its header, before its pixels are allocated.
    public func decode(_ bytes: [UInt8], path: String, maxPixels: Int = .max) throws -> RGBImage {
        if bytes.starts(with: [0xFF, 0xD8]) { return try jpeg.decode(bytes, path: path, maxPixels: maxPixels) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            return try PNGDecoder.decode(bytes, path: path, maxPixels: maxPixels)
        }
        if bytes.isEmpty { throw DataError.truncatedImage(path: path) }
        throw DataError.unsupportedImage(path: path, reason: "neither a JPEG nor a PNG signature")
    }
}
