// Any bytes as Fashion-MNIST's training images (an IDX file, gzipped or not) beside the
// real label and test files: loaded as a dataset, the first image through the transform.
import ConFiTData
import FuzzSupport

let companions = ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
let files = Dictionary(uniqueKeysWithValues: companions.map { ("fashion-mnist/\($0)", companion($0)) })

fuzz { bytes in
    guard let root = temporaryFolder(files.merging(["fashion-mnist/train-images-idx3-ubyte": bytes]) { $1 }),
        let dataset = try? DatasetKind.fashionMNIST.load(root: root),
        case let .memory(store, index)? = dataset.train.first?.source
    else { return }
    _ = EvalTransform(resizeShortSide: 36, cropSize: 32).apply(store.image(at: index))
}
