import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation
import Testing

/// Loading state dicts by name: the strict report, and replacing the classifier.
/// References: the torchvision-named ResNet fixture (Resources/resnet18_w16.safetensors)
/// and the key names and element count of the real EfficientNet-Lite0 .pth as
/// `torch.load` lists them.
@Suite struct PretrainedLoadingTests {
    /// The fixture's weights (a 100-class ResNet-18 topology with widths 16…128).
    func fixtureWeights() throws -> [(String, HostTensor)] {
        let url = try #require(
            Bundle.module.url(forResource: "resnet18_w16", withExtension: "safetensors", subdirectory: "Resources"))
        return try SafeTensorsFile(contentsOf: url).tensors.filter { $0.name.hasPrefix("w/") }.map {
            (String($0.name.dropFirst(2)), $0.tensor)
        }
    }

    func smallResNet(classes: Int) -> ResNet {
        ResNet(.init(block: .basic, layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], numClasses: classes), seed: 7)
    }

    @Test func strictLoadReportsEveryMissingUnexpectedAndMismatchedKey() throws {
        var weights = try fixtureWeights()  // safetensors order: sorted by name
        weights.removeAll { $0.0 == "layer1.0.bn1.running_var" }
        weights.append(("head.weight", HostTensor(shape: [1], floats: [0])))
        let model = smallResNet(classes: 10)
        #expect(
            throws: StateDictError.incompatible(
                missing: ["layer1.0.bn1.running_var"], unexpected: ["head.weight"],
                mismatched: [
                    .init(key: "fc.bias", expected: [10], found: [100]),
                    .init(key: "fc.weight", expected: [10, 128], found: [100, 128]),
                ])
        ) { try model.loadPretrained(weights) }
        #expect(
            try model.conv1.weight.value.toArray() == smallResNet(classes: 10).conv1.weight.value.toArray(),
            "a failed load writes nothing")
        let report = try smallResNet(classes: 100).loadPretrained(weights, strict: false)
        #expect(report.missing == ["layer1.0.bn1.running_var"])
        #expect(report.unexpected == ["head.weight"])
    }

    @Test func reinitializedClassifierTakesAnyClassCount() throws {
        let weights = try fixtureWeights()
        let model = smallResNet(classes: 10)
        let report = try model.loadPretrained(weights, classifier: .reinitialize(seed: 3))
        #expect(report.skipped == ["fc.bias", "fc.weight"], "in the file's (sorted) order")
        #expect(report.missing.isEmpty && report.unexpected.isEmpty)
        let byName = Dictionary(weights, uniquingKeysWith: { first, _ in first })
        for (name, tensor) in model.stateTensors() where !name.hasPrefix("fc.") {
            #expect(try tensor.toArray() == #require(byName[name]).floats(), "\(name)")
        }
        // nn.Linear's default: U(−1/√128, 1/√128) for weight and bias, seeded.
        let bound = 1 / Float(128).squareRoot()
        let head = try model.fc.weight.value.toArray() + model.fc.bias.value.toArray()
        #expect(head.allSatisfy { abs($0) <= bound })
        #expect(head.map(abs).max()! > 0.9 * bound)
        let again = smallResNet(classes: 10)
        try again.loadPretrained(weights, classifier: .reinitialize(seed: 3))
        #expect(try again.fc.weight.value.toArray() == model.fc.weight.value.toArray())
    }

    /// The real .pth has these keys (plus one `num_batches_tracked` per BatchNorm, 49) and
    /// 4,694,073 elements in all, as `torch.load` lists them.
    @Test func efficientNetLite0HasTheWheelsKeysAndSizes() {
        let model = EfficientNetLite0()
        let names = model.stateTensors().map(\.0)
        #expect(names.prefix(3) == ["_conv_stem.weight", "_bn0.weight", "_bn0.bias"])
        #expect(names.contains("_blocks.0._depthwise_conv.weight"))
        #expect(!names.contains("_blocks.0._expand_conv.weight"), "block 0 has expansion ratio 1")
        #expect(names.contains("_blocks.15._project_conv.weight"))
        #expect(model.namedLayers().filter { $0.1 is BatchNorm2d }.count == 49)
        #expect(model.stateTensors().reduce(0) { $0 + $1.1.count } + 49 == 4_694_073)
        #expect(model.classifier?.name == "_fc")
        let skips = model.blocks.layers.compactMap { ($0 as? MBConvBlock)?.hasSkip }
        #expect(skips.enumerated().filter(\.element).map(\.offset) == [2, 4, 6, 7, 9, 10, 12, 13, 14])
    }
}
