/// Which parameters train, as ConFiT's hierarchical stages select them.
public enum TrainableSelection: String, Sendable, CaseIterable, Codable {
    /// Only the classifier (the last `Linear`).
    case classifier = "fc"
    /// The classifier and every BatchNorm's γ and β.
    case classifierAndNormalization = "bn"
    /// Every parameter.
    case all = "full"
}

extension Layer {
    /// Sets every parameter's `trainable` flag according to `selection`; the classifier
    /// is the last `Linear` in the network.
    public func setTrainable(_ selection: TrainableSelection) {
        let classifier = self.classifier?.layer
        for (_, layer) in namedLayers() {
            let on: Bool =
                switch selection {
                case .all: true
                case .classifierAndNormalization: layer === classifier || layer is BatchNorm2d
                case .classifier: layer === classifier
                }
            for (_, p) in layer.ownParameters { p.trainable = on }
        }
    }
}
