import ConFiTIO

/// CIFAR-10 and CIFAR-100 in the python version torchvision downloads
/// (`cifar-10-batches-py/data_batch_N`, `cifar-100-python/train`, `test`, `meta`): pickled
/// dicts holding a uint8 `data` array (N × 3072, R, G, B planes) and label lists, read with
/// `PickleMachine` and a numpy-only resolver.
enum CIFARPython {
    static func load(root: String, classes: Int) throws -> ImageDataset {
        let ten = classes == 10
        let folder = try DatasetRoot.locate(
            root, within: [ten ? "cifar-10-batches-py" : "cifar-100-python"],
            expected: ten
                ? "cifar-10-batches-bin/ (data_batch_1.bin) or cifar-10-batches-py/ (data_batch_1)"
                : "cifar-100-binary/ (train.bin) or cifar-100-python/ (train, meta)"
        ) {
            DatasetRoot.exists($0, ten ? "data_batch_1" : "train")
                && DatasetRoot.exists($0, ten ? "batches.meta" : "meta")
        }
        let metaPath = DatasetRoot.join(folder, ten ? "batches.meta" : "meta")
        let meta = try dictionary(metaPath)
        guard let names = meta[ten ? "label_names" : "fine_label_names"]?.elements?.compactMap(\.text),
            names.count == classes
        else { throw DataError.malformedFile(path: metaPath, reason: "expected \(classes) class names") }
        let splits = [
            (ten ? (1...5).map { "data_batch_\($0)" } : ["train"], false), ([ten ? "test_batch" : "test"], true),
        ]
        var samples: [(label: Int, source: Sample.Source, isTest: Bool)] = []
        for (files, isTest) in splits {
            var pixels: [UInt8] = [], labels: [Int] = []
            for file in files {
                let path = DatasetRoot.join(folder, file)
                let batch = try dictionary(path)
                guard case let .object(object)? = batch["data"], let array = object as? NumPyPickleResolver.Array,
                    array.shape.count == 2, array.shape[1] == 3072,
                    let batchLabels = batch[ten ? "labels" : "fine_labels"]?.elements?.compactMap(\.integer),
                    batchLabels.count == array.shape[0]
                else {
                    throw DataError.malformedFile(path: path, reason: "expected a 'data' array N × 3072 and N labels")
                }
                if let bad = batchLabels.first(where: { !(0..<classes).contains($0) }) {
                    throw DataError.labelOutOfRange(path: path, label: bad, classes: classes)
                }
                pixels += CIFARBinary.interleave(planes: array.bytes, count: array.shape[0])
                labels += batchLabels
            }
            let store = RawImageStore(width: 32, height: 32, channels: 3, pixels: pixels)
            samples += labels.enumerated().map { ($0.element, .memory(store, index: $0.offset), isTest) }
        }
        return ImageDataset.assemble(
            name: ten ? "cifar10" : "cifar100", root: folder, classNames: names, samples: samples, skipped: [])
    }

    static func dictionary(_ path: String) throws -> PickleDict {
        let value: PickleValue
        do {
            value = try PickleMachine.load(DatasetRoot.read(path), resolver: NumPyPickleResolver()).value
        } catch let error as PickleError {
            throw DataError.malformedFile(path: path, reason: error.description)
        }
        guard case let .dict(dictionary) = value else {
            throw DataError.malformedFile(path: path, reason: "expected a pickled dict, found \(value.kindName)")
        }
        return dictionary
    }
}
