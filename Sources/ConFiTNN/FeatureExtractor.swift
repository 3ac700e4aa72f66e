import ConFiTEngine

/// A network whose classifier is its last layer, over globally pooled features: what the
/// frozen-feature methods (prototypes, ridge and LDA heads) classify from.
public protocol FeatureExtractor: Layer {
    /// The input of the classifier for `input`: plain float32 [N, features], in whatever
    /// mode the network is (the frozen-feature methods use eval mode).
    func features(_ input: Tensor) throws -> Tensor
}
