import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// The ResNet-18 code path (widths 16/32/64/128) against PyTorch's float64 reference in
/// Resources/resnet18_w16.safetensors (see ../shared/fixtures/make_fixtures.py): train
/// logits, loss, every gradient, the state after one SGD step, and eval logits.
///
/// Tolerance: max |ours − PyTorch| ≤ 1e-4 × max |PyTorch| per tensor (float32 against a
/// float64 reference through ~20 layers).
@Suite struct ResNetParityTests {
    @Test func oneTrainingStepMatchesPyTorch() throws {
        try assertOneTrainingStepMatchesPyTorch(
            ResNet(.init(block: .basic, layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], numClasses: 100)),
            fixture: "resnet18_w16")
    }
}

/// Loads the fixture's `w/` weights into `model`, then checks against PyTorch: train-mode
/// logits, the restricted loss, every gradient, every parameter and buffer after one SGD
/// step (lr 0.01), and eval logits, each with `assertClose`'s tolerance.
func assertOneTrainingStepMatchesPyTorch(
    _ model: ResNet, fixture name: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Resources"))
    let fixture = try SafeTensorsFile(contentsOf: url)
    let weights = fixture.tensors.filter { $0.name.hasPrefix("w/") }.map { (String($0.name.dropFirst(2)), $0.tensor) }
    try model.loadStateDict(weights)

    let xHost = try fixture.tensor("input/x")
    let x = try Tensor(shape: xHost.shape, values: xHost.floats())
    let classes = try fixture.tensor("input/classes").ints()
    let labels = try fixture.tensor("input/labels").ints().map { try #require(classes.firstIndex(of: $0)) }

    model.train()
    let logits = try model.forward(x)
    try assertClose(logits, try fixture.tensor("train/logits"), "train/logits", sourceLocation: sourceLocation)
    let gradient = Tensor(shape: logits.shape)
    let loss = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
    expectClose(loss, try fixture.tensor("train/loss").floats()[0], tolerance: 1e-5, sourceLocation: sourceLocation)

    let optimizer = SGD(parameters: model.namedParameters().map(\.1), learningRate: 0.01)
    optimizer.zeroGradients()
    _ = try model.backward(gradient)
    for (name, p) in model.namedParameters() {
        try assertClose(p.gradient, try fixture.tensor("grad/" + name), "grad/" + name, sourceLocation: sourceLocation)
    }
    optimizer.step()
    for (name, tensor) in model.stateTensors() {
        try assertClose(tensor, try fixture.tensor("step/" + name), "step/" + name, sourceLocation: sourceLocation)
    }
    model.eval()
    try assertClose(
        try model.forward(x), try fixture.tensor("eval/logits"), "eval/logits", sourceLocation: sourceLocation)
}
