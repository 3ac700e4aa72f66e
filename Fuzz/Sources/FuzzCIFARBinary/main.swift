// Any bytes as every record file of CIFAR-10's and CIFAR-100's binary versions: loaded as
// datasets, the first image of each through the transform.
import ConFiTData
import FuzzSupport

fuzz { bytes in
    let ten = (1...5).map { "cifar-10-batches-bin/data_batch_\($0).bin" } + ["cifar-10-batches-bin/test_batch.bin"]
    let hundred = ["cifar-100-binary/train.bin", "cifar-100-binary/test.bin"]
    for (kind, names) in [(DatasetKind.cifar10, ten), (.cifar100, hundred)] {
        guard let root = temporaryFolder(Dictionary(uniqueKeysWithValues: names.map { ($0, bytes) })),
            let dataset = try? kind.load(root: root),
            case let .memory(store, index)? = dataset.test.first?.source
        else { continue }
        _ = EvalTransform(resizeShortSide: 36, cropSize: 32).apply(store.image(at: index))
    }
}
