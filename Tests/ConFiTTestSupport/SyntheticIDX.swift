import ConFiTNN
import Foundation

/// A small learnable dataset in the IDX layout of (Fashion-)MNIST: image i has label
/// i mod `classes`, and class k (0…3) is a bright quadrant k over seeded noise, so
/// training follows a real signal and the same bytes come out of every test run.
public struct SyntheticIDX: Sendable {
    public var classes = 4
    public var side = 28
    /// Pixel values before noise: inside the bright quadrant, and elsewhere.
    public var bright = 160, dark = 30
    /// Noise is uniform in 0..<noise.
    public var noise = 80

    public init() {}

    /// Writes `train-*` and `t10k-*` image and label files with `trainPerClass` and
    /// `testPerClass` images of each class into `folder`.
    public func write(to folder: URL, trainPerClass: Int, testPerClass: Int) throws {
        try write(folder, prefix: "train", perClass: trainPerClass, seed: 1)
        try write(folder, prefix: "t10k", perClass: testPerClass, seed: 2)
    }

    private func write(_ folder: URL, prefix: String, perClass: Int, seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let count = classes * perClass
        var images: [UInt8] = [0, 0, 8, 3] + Self.bigEndian(count) + Self.bigEndian(side) + Self.bigEndian(side)
        var labels: [UInt8] = [0, 0, 8, 1] + Self.bigEndian(count)
        for i in 0..<count {
            let label = i % classes
            labels.append(UInt8(label))
            for y in 0..<side {
                for x in 0..<side {
                    let inBright = (y < side / 2 ? 0 : 2) + (x < side / 2 ? 0 : 1) == label
                    images.append(
                        UInt8(clamping: (inBright ? bright : dark) + Int.random(in: 0..<noise, using: &generator)))
                }
            }
        }
        try Data(images).write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
        try Data(labels).write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
    }

    private static func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * (3 - $0))) & 0xFF) } }
}
