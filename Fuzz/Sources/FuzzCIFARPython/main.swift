// Any bytes as CIFAR-10's python-version test batch (a pickle) beside the real metadata and
// training batches, and as CIFAR-100's metadata beside its real batches: loaded as datasets.
import ConFiTData
import FuzzSupport

let tenNames = ["batches.meta"] + (1...5).map { "data_batch_\($0)" }
let tenFiles = Dictionary(uniqueKeysWithValues: tenNames.map { ("cifar-10-batches-py/\($0)", companion("cifar-10-batches-py/\($0)")) })
let hundredFiles = Dictionary(uniqueKeysWithValues: ["train", "test"].map { ("cifar-100-python/\($0)", companion("cifar-100-python/\($0)")) })

fuzz { bytes in
    for (kind, files, name) in [(DatasetKind.cifar10, tenFiles, "cifar-10-batches-py/test_batch"), (.cifar100, hundredFiles, "cifar-100-python/meta")] {
        guard let root = temporaryFolder(files.merging([name: bytes]) { $1 }),
            let dataset = try? kind.load(root: root),
            case let .memory(store, index)? = dataset.test.first?.source
        else { continue }
        _ = EvalTransform(resizeShortSide: 36, cropSize: 32).apply(store.image(at: index))
    }
}
