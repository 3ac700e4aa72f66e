import CImageIO

/// Decodes JPEG files to RGB through libjpeg-turbo's TurboJPEG API.
///
/// TurboJPEG reports failures by return value, which Swift can handle (libjpeg's own
/// error exit longjmps). Decoding uses libjpeg's defaults (accurate integer DCT, fancy
/// upsampling), the same as PIL, so pixels match what torchvision sees. Gray JPEGs are
/// expanded by libjpeg; CMYK and YCCK JPEGs are decoded to CMYK and converted as PIL
/// does (Adobe's inverted convention). One decoder per thread: the handle is not shared.
public final class JPEGDecoder {
    private let handle: tjhandle

    public init() throws {
        guard let handle = tjInitDecompress() else {
            throw DataError.invalidArgument("TurboJPEG could not create a decompressor")
        }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    public func decode(_ bytes: [UInt8], path: String, maxPixels: Int = .max) throws -> RGBImage {
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw DataError.truncatedImage(path: path) }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            if tjDecompressHeader3(
                handle, base, UInt(buffer.count), &width, &height, &subsampling, &colorspace) != 0
            {
                throw DataError.corruptImage(path: path, reason: errorMessage())
            }
            guard width > 0, height > 0 else {
                throw DataError.corruptImage(path: path, reason: "no image dimensions in the header")
            }
            guard Int(width) * Int(height) <= maxPixels else {
                throw DataError.imageTooLarge(path: path, width: Int(width), height: Int(height), limit: maxPixels)
            }
            let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            let format = cmyk ? TJPF_CMYK : TJPF_RGB
            let channels = cmyk ? 4 : 3
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
            let status = pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(
                    handle, base, UInt(buffer.count), out.baseAddress, width, 0, height,
                    Int32(format.rawValue), 0)
            }
            if status != 0 { try classifyFailure(path: path) }
            let image = RGBImage(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
            return cmyk ? Self.rgb(fromAdobeCMYK: image) : image
        }
    }

    /// Warnings (recoverable corruption that PIL also accepts) pass, except a premature
    /// end of data, which PIL reports as a truncated file.
    private func classifyFailure(path: String) throws {
        let message = errorMessage()
        if tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) {
            if message.contains("Premature end") { throw DataError.truncatedImage(path: path) }
            return
        }
        throw DataError.corruptImage(path: path, reason: message)
    }

    private func errorMessage() -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: message)
    }

    /// PIL reads CMYK JPEGs as inverted ("CMYK;I") and converts with
    /// `nk − nk·c/255` per channel (`cmyk2rgb`, MULDIV255 rounding); the same here.
    static func rgb(fromAdobeCMYK image: RGBImage) -> RGBImage {
        let count = image.width * image.height
        var out = [UInt8](repeating: 0, count: count * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<count {
                let nk = Int(src[4 * i + 3])
                for c in 0..<3 {
                    let inverted = 255 - Int(src[4 * i + c])
                    let t = inverted * nk + 128
                    let product = ((t >> 8) + t) >> 8
                    out[3 * i + c] = UInt8(clamping: nk - product)
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, channels: 3, pixels: out)
    }
}
