import Foundation

/// A tiny dataset in Fashion-MNIST's distributed layout (uncompressed IDX files) whose
/// classes are learnable — class k (0…3) is a bright 14×14 quadrant k over seeded noise —
/// so training follows a real signal and the same files come out of every test run.
enum SyntheticFashionMNIST {
    static let classes = 4

    /// Writes `train-*` and `t10k-*` files with `trainPerClass` / `testPerClass` images of
    /// each class into `folder`.
    static func write(to folder: URL, trainPerClass: Int, testPerClass: Int) throws {
        try write(folder, prefix: "train", perClass: trainPerClass, seed: 1)
        try write(folder, prefix: "t10k", perClass: testPerClass, seed: 2)
    }

    private static func write(_ folder: URL, prefix: String, perClass: Int, seed: UInt64) throws {
        var generator = SplitMix(seed: seed)
        let (count, side) = (classes * perClass, 28)
        var images: [UInt8] = [0, 0, 8, 3] + bigEndian(count) + bigEndian(side) + bigEndian(side)
        var labels: [UInt8] = [0, 0, 8, 1] + bigEndian(count)
        for i in 0..<count {
            let label = i % classes
            labels.append(UInt8(label))
            for y in 0..<side {
                for x in 0..<side {
                    let bright = (y < side / 2 ? 0 : 2) + (x < side / 2 ? 0 : 1) == label
                    images.append(UInt8((bright ? 160 : 30) + Int(generator.next() % 80)))
                }
            }
        }
        try Data(images).write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
        try Data(labels).write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
    }

    private static func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * (3 - $0))) & 0xFF) } }

    /// SplitMix64: the noise must not depend on the platform's random source.
    private struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
