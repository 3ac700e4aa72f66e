import CImageIO

/// Decodes PNG files to 8-bit RGB through libpng's simplified API.
///
/// The simplified API returns errors instead of longjmp-ing. Palette, gray and 16-bit
/// images are expanded by libpng; 16-bit samples are treated as sRGB-encoded (not
/// linear) so the reduction to 8 bits is a plain rescale. Alpha is dropped without
/// compositing, as PIL's `convert("RGB")` does.
public enum PNGDecoder {
    public static func decode(_ bytes: [UInt8], path: String, maxPixels: Int = .max) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let began = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else { throw failure(image, path: path) }
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        let width = Int(image.width), height = Int(image.height)
        guard width * height <= maxPixels else {
            throw DataError.imageTooLarge(path: path, width: width, height: height, limit: maxPixels)
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let finished = rgba.withUnsafeMutableBytes { out in
            png_image_finish_read(&image, nil, out.baseAddress, Int32(width * 4), nil)
        }
        guard finished != 0 else { throw failure(image, path: path) }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: rgb)
    }

    private static func failure(_ image: png_image, path: String) -> DataError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if message.contains("EOF") || message.contains("truncated") || message.contains("Not enough") {
            return .truncatedImage(path: path)
        }
        return .corruptImage(path: path, reason: message)
    }
}
