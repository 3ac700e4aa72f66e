import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// One training step of a tiny ResNet (widths 8/16/24/48: channels that pad nChw16c
/// blocks, and several blocks) on 8 fixed 16×16 images, for the data-parallel parity
/// test: the test runs it on the whole batch in one process, `MPIShardWorker` on one
/// shard per `mpirun` rank.
public enum ShardedStep {
    public static let batch = 8, side = 16
    public static let labels = [0, 1, 2, 3, 3, 2, 1, 0]

    /// The step on images `shard` of the batch, over `group` (nil: alone): the mean loss
    /// over the whole batch, every parameter's gradient (averaged over the group), every
    /// BN's running statistics after the forward, and every convolution's input means.
    public static func run(shard: Range<Int>, group: (any ProcessGroup)?) throws -> [(name: String, tensor: HostTensor)]
    {
        let network = ResNet(
            .init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 16, 24, 48], numClasses: 4), seed: 4)
        network.configure(ComputeSettings(processGroup: group))
        var means: [(name: String, tensor: HostTensor)] = []
        for case let (name, conv as Conv2d) in network.namedLayers() {
            conv.inputMeansObserver = (
                conv.stride == 2,
                { values, shape in
                    means.append(
                        (
                            "means.\(name)",
                            HostTensor(shape: [values.count, values[0].count], floats: Array(values.joined()))
                        ))
                    means.append(("shape.\(name)", HostTensor(shape: [4], int64s: shape)))
                }
            )
        }
        network.train()
        let perImage = 3 * side * side
        let images = sampleValues(batch * perImage, seed: 11)
        let input = try Tensor(
            shape: [shard.count, 3, side, side],
            values: Array(images[shard.lowerBound * perImage..<shard.upperBound * perImage]))
        let logits = try network.forward(input)
        let gradient = Tensor(shape: logits.shape)
        var loss = [
            Double(
                try CrossEntropy.loss(
                    logits: logits, classes: [0, 1, 2, 3], labels: Array(labels[shard]), gradient: gradient))
        ]
        _ = try network.backward(gradient, needsInputGradient: false)
        let parameters = network.namedParameters()
        if let group {
            try GradientAverager(group: group).average(parameters.map(\.1))
            loss = try group.allReduceSum(loss).map { $0 / Double(group.size) }
        }
        let host = { (tensor: Tensor) in HostTensor(shape: tensor.shape, floats: try tensor.toArray()) }
        return [("loss", HostTensor(shape: [1], floats: loss.map(Float.init)))]
            + (try parameters.map { ("grad.\($0.0)", try host($0.1.gradient)) })
            + (try network.namedBuffers().map { ("buffer.\($0.0)", try host($0.1)) }) + means
    }
}
