import ConFiTEngine

/// How one network's layers build and run their oneDNN kernels: the layout and element
/// type of its 4-D activations, whether 3×3 convolutions may use Winograd, and the
/// profiler that its kernels report to.
///
/// A setting of the network, not of the process: `Layer.configure(_:)` hands it to every
/// layer below, so two networks in one process can use different layouts or be profiled
/// apart. The defaults are the fastest measured for every network here.
public struct ComputeSettings {
    /// The layout of activations between layers. nChw16c: oneDNN 2.6's Winograd kernels
    /// need it, and its batch norm and 1×1 convolutions are faster in it than in NHWC.
    public var layout: TensorFormat
    /// The element type of activations and their gradients between the first convolution
    /// and the global pooling. bfloat16 is mixed precision: weights, their gradients and
    /// updates, BN's γ, β and statistics, ConFiT's trackers and recovery, the classifier,
    /// logits and loss all stay float32; convolutions read a bfloat16 copy of the weights.
    public var precision: DataType
    /// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions where oneDNN has it.
    public var winograd: Bool
    /// Where the kernels report their time (`confit bench --profile`); nil: nowhere.
    public var profiler: Profiler?
    /// The processes whose batch shards together make each batch (data parallelism): batch
    /// norms in training compute their statistics, and convolutions the input means they
    /// report, over all of them. nil, or a group of one: this process's batch alone.
    public var processGroup: (any ProcessGroup)?

    public init(
        layout: TensorFormat = .blocked16, precision: DataType = .float32, winograd: Bool = true,
        profiler: Profiler? = nil, processGroup: (any ProcessGroup)? = nil
    ) {
        (self.layout, self.precision, self.winograd) = (layout, precision, winograd)
        (self.profiler, self.processGroup) = (profiler, processGroup)
    }

    /// The group when it has more than one process: what layers synchronise over.
    var sharedWith: (any ProcessGroup)? { (processGroup?.size ?? 1) > 1 ? processGroup : nil }
}

/// A layer that builds oneDNN kernels and so takes its network's `ComputeSettings`.
/// Changing the settings drops the kernels built so far.
public protocol ComputeConfigurable: AnyObject {
    var settings: ComputeSettings { get set }
}

extension Layer {
    /// Gives `settings` to this layer and every layer below it.
    public func configure(_ settings: ComputeSettings) {
        for (_, layer) in namedLayers() { (layer as? ComputeConfigurable)?.settings = settings }
    }
}

extension Layer {
    /// Makes every layer below share its training statistics over `group` (nil: this
    /// process alone), keeping their other settings.
    public func shareStatistics(over group: (any ProcessGroup)?) {
        for case let (_, layer as ComputeConfigurable) in namedLayers() { layer.settings.processGroup = group }
    }
}
