import ConFiTEngine

/// A classifier over pooled features that is not a `Linear` layer: cosine prototypes
/// (SimpleCIL) or a random projection with ridge weights (RanPAC). A frozen-feature
/// strategy puts one into `TaskEvaluator.head`.
public protocol FeatureHead: AnyObject {
    /// Logits [N, classes] over every class id for features [N, D] (plain float32); columns
    /// of classes the head does not hold are 0.
    func logits(features: Tensor) throws -> Tensor
    /// Bytes the head holds per class (a prototype, a row of ridge weights): what serving a
    /// task of k classes costs on top of what the tasks share.
    var bytesPerClass: Int { get }
}
