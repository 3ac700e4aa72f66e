import ConFiTTestSupport
import Testing

@testable import ConFiTData

/// Decoded pixels against Pillow's `convert("RGB")` of the same files.
struct DecoderTests {
    @Test(arguments: ["rgb.jpg", "gray.jpg", "cmyk.jpg", "palette.png", "gray.png", "rgba.png", "gray16.png"])
    func matchesPillow(name: String) throws {
        let image = try ImageDecoder().decode(file: fixtures.path("images/\(name)"))
        let size = String(decoding: try fixtures.bytes("images/\(name).txt"), as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        let expected = try fixtures.bytes("images/\(name).rgb")
        #expect([image.width, image.height] == size)
        let rgb = image.rgb()
        #expect(rgb.pixels.count == expected.count)
        let worst = zip(rgb.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst == 0, "largest difference from Pillow: \(worst)")
    }

    @Test func truncatedJPEGNamesTheFile() throws {
        let path = fixtures.path("images/truncated.jpg")
        #expect { try ImageDecoder().decode(file: path) } throws: { error in
            guard case let DataError.truncatedImage(p) = error else { return false }
            return p == path && "\(error)".contains("truncated.jpg")
        }
    }

    @Test(arguments: ["corrupt.jpg", "truncated.png", "not_an_image.jpg"])
    func unreadableImagesThrowNamingTheFile(name: String) throws {
        let path = fixtures.path("images/\(name)")
        #expect { try ImageDecoder().decode(file: path) } throws: { error in
            error is DataError && "\(error)".contains(path)
        }
    }

    @Test func missingAndEmptyFilesThrow() throws {
        #expect(throws: DataError.self) { try ImageDecoder().decode(file: "/nonexistent/x.jpg") }
        #expect(throws: DataError.self) { try ImageDecoder().decode([], path: "empty.jpg") }
    }
}
