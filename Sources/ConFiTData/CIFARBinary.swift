import Foundation

/// CIFAR-10 and CIFAR-100 in their binary versions (`cifar-10-batches-bin`,
/// `cifar-100-binary`): records of label byte(s) then 3,072 bytes of R, G, B planes.
/// CIFAR-100 uses the fine label (the second byte). Without a binary folder, the python
/// version is read instead (`CIFARPython`).
enum CIFARBinary {
    static let cifar10Names = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    static func load(root: String, classes: Int) throws -> ImageDataset {
        let ten = classes == 10
        guard
            let folder = try? DatasetRoot.locate(
                root, within: [ten ? "cifar-10-batches-bin" : "cifar-100-binary"],
                expected: ten ? "cifar-10-batches-bin/ with data_batch_1.bin" : "cifar-100-binary/ with train.bin",
                isDataset: { DatasetRoot.exists($0, ten ? "data_batch_1.bin" : "train.bin") })
        else {
            return try CIFARPython.load(root: root, classes: classes)
        }
        let trainFiles = ten ? (1...5).map { "data_batch_\($0).bin" } : ["train.bin"]
        let testFiles = [ten ? "test_batch.bin" : "test.bin"]
        let namesFile = DatasetRoot.join(folder, ten ? "batches.meta.txt" : "fine_label_names.txt")
        var names = ten ? cifar10Names : (0..<100).map { String($0) }
        if DatasetRoot.exists(folder, (namesFile as NSString).lastPathComponent) {
            let listed = try DatasetRoot.readText(namesFile).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard listed.count == classes else {
                throw DataError.malformedFile(
                    path: namesFile, reason: "\(listed.count) class names, expected \(classes)")
            }
            names = listed
        }
        var samples: [(label: Int, source: Sample.Source, isTest: Bool)] = []
        for (files, isTest) in [(trainFiles, false), (testFiles, true)] {
            let (store, labels) = try read(files.map { DatasetRoot.join(folder, $0) }, classes: classes)
            samples += labels.enumerated().map { ($0.element, .memory(store, index: $0.offset), isTest) }
        }
        return ImageDataset.assemble(
            name: ten ? "cifar10" : "cifar100", root: folder, classNames: names, samples: samples, skipped: [])
    }

    /// Reads record files into one HWC store and their labels.
    static func read(_ paths: [String], classes: Int) throws -> (RawImageStore, [Int]) {
        let labelBytes = classes == 10 ? 1 : 2
        let recordSize = labelBytes + 3072
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for path in paths {
            let bytes = try DatasetRoot.read(path)
            guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
                throw DataError.malformedFile(
                    path: path, reason: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte records")
            }
            pixels.reserveCapacity(pixels.count + bytes.count / recordSize * 3072)
            for start in stride(from: 0, to: bytes.count, by: recordSize) {
                let label = Int(bytes[start + labelBytes - 1])
                guard label < classes else {
                    throw DataError.labelOutOfRange(path: path, label: label, classes: classes)
                }
                labels.append(label)
                pixels += interleave(planes: bytes[(start + labelBytes)..<(start + recordSize)], count: 1)
            }
        }
        return (RawImageStore(width: 32, height: 32, channels: 3, pixels: pixels), labels)
    }

    /// `count` 32 × 32 images stored as R, G, B planes, reordered to HWC.
    static func interleave(planes: some Collection<UInt8>, count: Int) -> [UInt8] {
        let source = Array(planes)
        var out = [UInt8](repeating: 0, count: count * 3072)
        for image in 0..<count {
            let base = image * 3072
            for i in 0..<1024 {
                out[base + 3 * i] = source[base + i]
                out[base + 3 * i + 1] = source[base + 1024 + i]
                out[base + 3 * i + 2] = source[base + 2048 + i]
            }
        }
        return out
    }
}
