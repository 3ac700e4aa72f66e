import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTData

/// The resampler and the eval transform against Pillow's `resize(BILINEAR)` output.
struct ResizeTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var width: Int, height: Int, channels: Int
        var shortSide: Int, outWidth: Int, outHeight: Int
        var description: String { name }
        enum CodingKeys: String, CodingKey {
            case name, width, height, channels
            case shortSide = "short_side", outWidth = "out_width", outHeight = "out_height"
        }
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: fixtures.path("resize/cases.json")))
        return try! JSONDecoder().decode([Case].self, from: data)
    }()

    /// Tolerance: exact (0 on uint8), since the fixed-point arithmetic is Pillow's.
    @Test(arguments: cases)
    func resizeMatchesPillowExactly(c: Case) throws {
        let input = RGBImage(
            width: c.width, height: c.height, channels: c.channels,
            pixels: try fixtures.bytes("resize/\(c.name).in.rgb"))
        let transform = EvalTransform(resizeShortSide: c.shortSide, cropSize: c.shortSide)
        let size = transform.resizedSize(width: c.width, height: c.height)
        #expect(size.width == c.outWidth && size.height == c.outHeight)
        let resampler = BilinearResampler(
            inWidth: c.width, inHeight: c.height, outWidth: c.outWidth, outHeight: c.outHeight)
        let out = resampler.resample(input, x: 0, y: 0, width: c.outWidth, height: c.outHeight)
        #expect(out.pixels == (try fixtures.bytes("resize/\(c.name).out.rgb")))
    }

    /// A window of the output (one case per pass order) equals the crop of the whole output.
    @Test(arguments: cases.filter { ["down", "very_tall"].contains($0.name) })
    func windowEqualsCropOfFullOutput(c: Case) throws {
        let input = RGBImage(
            width: c.width, height: c.height, channels: 3, pixels: try fixtures.bytes("resize/\(c.name).in.rgb"))
        let resampler = BilinearResampler(
            inWidth: c.width, inHeight: c.height, outWidth: c.outWidth, outHeight: c.outHeight)
        let full = try fixtures.bytes("resize/\(c.name).out.rgb")
        let (x, y, w, h) = (c.outWidth / 4, c.outHeight / 4, c.outWidth / 2, c.outHeight / 2)
        let window = resampler.resample(input, x: x, y: y, width: w, height: h)
        for row in 0..<h {
            let start = ((row + y) * c.outWidth + x) * 3
            #expect(Array(window.pixels[(row * w * 3)..<((row + 1) * w * 3)]) == Array(full[start..<(start + w * 3)]))
        }
    }

    /// Decode + Resize(256) + CenterCrop(224) of a 300 × 200 JPEG against Pillow, every 7th pixel.
    @Test func fullEvalTransformMatchesPillow() throws {
        let image = try ImageDecoder().decode(file: fixtures.path("photo.jpg"))
        let out = EvalTransform.standard.apply(image)
        #expect(out.width == 224 && out.height == 224 && out.channels == 3)
        let expected = try fixtures.bytes("photo_256_224_stride7.rgb")
        var sampled: [UInt8] = []
        for y in stride(from: 0, to: 224, by: 7) {
            for x in stride(from: 0, to: 224, by: 7) {
                sampled += out.pixels[((y * 224 + x) * 3)..<((y * 224 + x) * 3 + 3)]
            }
        }
        #expect(sampled == expected)
    }

    @Test func resizedSizeFollowsTorchvision() {
        let t = EvalTransform.standard
        #expect(t.resizedSize(width: 300, height: 200) == (384, 256))
        #expect(t.resizedSize(width: 200, height: 301) == (256, 385))
        #expect(t.resizedSize(width: 32, height: 32) == (256, 256))
    }

    /// Offsets round half to even, as Python's `round`; smaller images are zero-padded.
    @Test func cropOffsets() {
        #expect(EvalTransform.cropAxis(size: 225, crop: 224) == (0, 224, 0))
        #expect(EvalTransform.cropAxis(size: 227, crop: 224) == (2, 224, 0))
        #expect(EvalTransform.cropAxis(size: 384, crop: 224) == (80, 224, 0))
        #expect(EvalTransform.cropAxis(size: 5, crop: 8) == (0, 5, 1))
    }

    @Test func smallImagesArePaddedWithZeros() {
        let gray = RGBImage(width: 2, height: 2, channels: 1, pixels: [10, 10, 10, 10])
        let out = EvalTransform(resizeShortSide: 2, cropSize: 4).apply(gray)
        #expect(out.channels == 3 && out.width == 4)
        let row1 = Array(out.pixels[12..<24])
        #expect(row1 == [0, 0, 0, 10, 10, 10, 10, 10, 10, 0, 0, 0])
        #expect(out.pixels[0..<12].allSatisfy { $0 == 0 })
    }

    /// (x / 255 − mean) / std and (x − 127) / 128, hand-computed.
    @Test func normalisation() {
        let image = RGBImage(width: 2, height: 1, channels: 3, pixels: [0, 255, 127, 255, 0, 128])
        var out = [Float](repeating: 0, count: 6)
        out.withUnsafeMutableBufferPointer { Normalization.imageNet.write(image, into: $0) }
        let r0: Float = -0.485 / 0.229, r1: Float = 0.515 / 0.229
        let g0: Float = 0.544 / 0.224, g1: Float = -0.456 / 0.224
        let b0: Float = (127.0 / 255 - 0.406) / 0.225, b1: Float = (128.0 / 255 - 0.406) / 0.225
        let expected = [r0, r1, g0, g1, b0, b1]
        let worst = zip(out, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5)
        out.withUnsafeMutableBufferPointer { Normalization.efficientNetLite.write(image, into: $0) }
        let lite: [Float] = [-127.0 / 128, 1, 1, -127.0 / 128, 0, 1.0 / 128]
        #expect(out == lite)
    }
}
