import ConFiTNN
import Foundation
import Testing

/// The ResNet-50 code path (Bottleneck blocks, layers [2, 1, 1, 1], widths 8/8/16/32) against
/// PyTorch's float64 reference in Resources/resnet_bottleneck.safetensors (see
/// Resources/make_resnet_fixtures.py), with the tolerance of `ResNetParityTests`; and the
/// state-dict layout of the full ResNet-18/34/50 against torchvision's, so that their
/// checkpoints load unchanged.
@Suite struct ResNetBottleneckParityTests {
    @Test func oneTrainingStepMatchesPyTorch() throws {
        try assertOneTrainingStepMatchesPyTorch(
            ResNet(.init(block: .bottleneck, layers: [2, 1, 1, 1], widths: [8, 8, 16, 32], numClasses: 10)),
            fixture: "resnet_bottleneck")
    }

    @Test func resnet18KeysMatchTorchvision() throws { try assertTorchvisionKeys(ResNet(.resnet18()), "resnet18") }
    @Test func resnet34KeysMatchTorchvision() throws { try assertTorchvisionKeys(ResNet(.resnet34()), "resnet34") }
    @Test func resnet50KeysMatchTorchvision() throws { try assertTorchvisionKeys(ResNet(.resnet50()), "resnet50") }

    /// `stateTensors()` lists parameters before buffers while torchvision's `state_dict()`
    /// interleaves them per module, so the names and shapes are compared as a set, and the
    /// order within parameters and within buffers exactly (optimizer state and checkpoints
    /// written in `named_parameters()` order depend on it).
    private func assertTorchvisionKeys(
        _ model: ResNet, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let url = try #require(
            Bundle.module.url(forResource: "torchvision_resnet_keys", withExtension: "json", subdirectory: "Resources"))
        let torchvision = try #require(
            try JSONDecoder().decode([String: TorchvisionKeys].self, from: Data(contentsOf: url))[name])
        let ours = model.stateTensors()
        #expect(
            ours.count == torchvision.stateDict.count, "\(name): number of state-dict keys",
            sourceLocation: sourceLocation)
        #expect(
            Dictionary(ours.map { ($0.0, $0.1.shape) }, uniquingKeysWith: { first, _ in first })
                == Dictionary(
                    torchvision.stateDict.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first }),
            "\(name): state-dict names and shapes", sourceLocation: sourceLocation)
        #expect(
            model.namedParameters().map(\.0) == torchvision.parameters, "\(name): parameter order",
            sourceLocation: sourceLocation)
        #expect(
            model.namedBuffers().map(\.0) == torchvision.buffers, "\(name): buffer order",
            sourceLocation: sourceLocation)
    }
}

/// One model's entry in torchvision_resnet_keys.json.
private struct TorchvisionKeys: Decodable {
    /// A `[name, shape]` pair of `state_dict()`.
    struct Entry: Decodable {
        var name: String, shape: [Int]

        init(from decoder: any Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            (name, shape) = (try pair.decode(String.self), try pair.decode([Int].self))
        }
    }

    var stateDict: [Entry], parameters: [String], buffers: [String]

    enum CodingKeys: String, CodingKey { case stateDict = "state_dict", parameters, buffers }
}
