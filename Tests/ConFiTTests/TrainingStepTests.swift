import ConFiT
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// The training step that training and `confit bench` share, against PyTorch's one SGD
/// step on the ResNet-18-topology fixture (make_fixtures.py: `train/loss`, `step/`).
@Suite struct TrainingStepTests {
    @Test func oneStepMatchesPyTorch() throws {
        let fixture = try SafeTensorsFile(contentsOf: fixture("resnet18_w16.safetensors"))
        let model = ResNet(.init(block: .basic, layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], numClasses: 100))
        try model.loadStateDict(
            fixture.tensors.filter { $0.name.hasPrefix("w/") }.map { (String($0.name.dropFirst(2)), $0.tensor) })
        let x = try fixture.tensor("input/x")
        let classes = try fixture.tensor("input/classes").ints()
        let labels = try fixture.tensor("input/labels").ints().map { try #require(classes.firstIndex(of: $0)) }
        model.train()
        let step = TrainingStep(
            network: model, optimizer: SGD(parameters: model.namedParameters().map(\.1), learningRate: 0.01))
        let loss = try step(try Tensor(shape: x.shape, values: x.floats()), classes: classes, labels: labels)
        expectClose(loss, try fixture.tensor("train/loss").floats()[0], tolerance: 1e-5)
        for (name, tensor) in model.stateTensors() {
            try assertClose(tensor, try fixture.tensor("step/" + name), "step/" + name)
        }
    }

    /// A non-finite loss (here from a diverged classifier bias) comes back before backward
    /// and the update: the weights stay as they were.
    @Test func nonFiniteLossLeavesTheWeightsAlone() throws {
        let model = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 8, 8], numClasses: 3), seed: 1)
        model.fc.bias.value.pointer[0] = .nan
        model.train()
        let before = try model.stateDict().filter { !$0.0.contains("running") }
        let step = TrainingStep(
            network: model, optimizer: SGD(parameters: model.namedParameters().map(\.1), learningRate: 0.1))
        let input = try Tensor(shape: [2, 3, 16, 16], values: sampleValues(2 * 3 * 16 * 16, seed: 2))
        #expect(try step(input, classes: [0, 1], labels: [0, 1]).isNaN)
        #expect(try model.stateDict().filter { !$0.0.contains("running") }.map(\.1) == before.map(\.1))
    }
}
