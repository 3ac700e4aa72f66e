/// MNIST and Fashion-MNIST from their IDX files (`train-images-idx3-ubyte[.gz]`, ...).
/// Images stay 1-channel in memory and are replicated to RGB by the transform.
enum MNIST {
    static let digitNames = (0..<10).map { String($0) }
    static let fashionNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    static func load(root: String, fashion: Bool) throws -> ImageDataset {
        let folder = try DatasetRoot.locate(
            root,
            within: fashion ? ["fashion-mnist", "FashionMNIST/raw", "FashionMNIST"] : ["mnist", "MNIST/raw", "MNIST"],
            expected: "train-images-idx3-ubyte[.gz] and its siblings"
        ) { path in (try? file(path, "train-images-idx3-ubyte")) != nil }
        var samples: [(label: Int, source: Sample.Source, isTest: Bool)] = []
        for (prefix, isTest) in [("train", false), ("t10k", true)] {
            let imagesPath = try file(folder, "\(prefix)-images-idx3-ubyte")
            let labelsPath = try file(folder, "\(prefix)-labels-idx1-ubyte")
            let images = try IDXFile(path: imagesPath)
            let labels = try IDXFile(path: labelsPath)
            guard images.dimensions.count == 3, images.dimensions[1] > 0, images.dimensions[2] > 0,
                labels.dimensions == [images.dimensions[0]]
            else {
                throw DataError.malformedFile(
                    path: labelsPath, reason: "labels \(labels.dimensions) do not match images \(images.dimensions)")
            }
            let store = RawImageStore(
                width: images.dimensions[2], height: images.dimensions[1], channels: 1, pixels: images.data)
            for (i, label) in labels.data.enumerated() {
                guard label < 10 else {
                    throw DataError.labelOutOfRange(path: labelsPath, label: Int(label), classes: 10)
                }
                samples.append((Int(label), .memory(store, index: i), isTest))
            }
        }
        return ImageDataset.assemble(
            name: fashion ? "fashion-mnist" : "mnist", root: folder, classNames: fashion ? fashionNames : digitNames,
            samples: samples, skipped: [])
    }

    /// The gzipped or plain file with this base name.
    static func file(_ folder: String, _ name: String) throws -> String {
        for candidate in [name + ".gz", name] where DatasetRoot.exists(folder, candidate) {
            return DatasetRoot.join(folder, candidate)
        }
        throw DataError.missingRoot(path: folder, expected: "\(name) or \(name).gz")
    }
}
