import ArgumentParser
import ConFiTData
import ConFiTEngine
import ConFiTNN

/// A network chosen by its command-line name, with what commands need to know about it
/// besides its layers: the input normalisation its pre-trained weights expect and the
/// state-dict key of its classifier (whose shape tells a checkpoint's class count).
struct ModelFactory {
    static let names = ["resnet18", "resnet34", "resnet50", "efficientnet_lite0"]

    let name: String

    init(_ name: String) throws {
        guard Self.names.contains(name) else {
            throw ValidationError("unknown model '\(name)': choose one of \(Self.names.joined(separator: ", "))")
        }
        self.name = name
    }

    /// The activation layout measured fastest on oneDNN 2.6 for every network here: blocked
    /// nChw16c (Winograd 3×3 kernels for ResNets; for EfficientNet-Lite0 faster batch norm
    /// and 1×1 convolutions than NHWC, 37 vs 24 img/s for a full training step, once its
    /// 5×5 depthwise weight gradients run in `DepthwiseWeightGradient` rather than
    /// oneDNN's reference kernel).
    static let preferredLayout = TensorFormat.blocked16

    /// A freshly initialised network for `numClasses` classes, with `layout` (default: the
    /// preferred one) as the engine-wide activation layout.
    func make(numClasses: Int, layout: TensorFormat? = nil) -> any Layer {
        TensorFormat.activations = layout ?? Self.preferredLayout
        return switch name {
        case "resnet18": ResNet(.resnet18(numClasses: numClasses))
        case "resnet34": ResNet(.resnet34(numClasses: numClasses))
        case "resnet50": ResNet(.resnet50(numClasses: numClasses))
        default: EfficientNetLite0(numClasses: numClasses)
        }
    }

    /// torchvision's ImageNet mean/std for the ResNets; EfficientNet-Lite0's weights were
    /// trained on (pixel − 127) / 128.
    var normalization: Normalization { name == "efficientnet_lite0" ? .efficientNetLite : .imageNet }

    /// The classifier's weight key ([classes, features]) in this network's checkpoints.
    var classifierWeightKey: String { name == "efficientnet_lite0" ? "_fc.weight" : "fc.weight" }
}
