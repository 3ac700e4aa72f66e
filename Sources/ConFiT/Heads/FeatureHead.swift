import ConFiTEngine

/// A classifier over pooled features that is not a `Linear` layer: cosine prototypes
/// (SimpleCIL) or a random projection with ridge weights (RanPAC). A frozen-feature
/// strategy puts one into `TaskEvaluator.head`.
public protocol FeatureHead: AnyObject {
    /// Logits [N, classes] over every class id for features [N, D] (plain float32); columns
    /// of classes the head does not hold are 0.
    func logits(features: Tensor) throws -> Tensor
}
