import ConFiT
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// Pre-convolution trackers and Xconv recovery on the ResNet-18 code path (widths
/// 16/32/64/128) against PyTorch's float64 reference (make_fixtures.py: `track/`,
/// `shift/`, `shape/`): one training forward, one SGD step (lr 0.01), then recovery
/// through the updated weights. Tolerance 1e-4 × max |reference| per tensor.
@Suite struct XconvRecoveryTests {
    @Test func trackedAndRecoveredMeansMatchPyTorch() throws {
        let fixture = try SafeTensorsFile(contentsOf: fixture("resnet18_w16.safetensors"))
        let model = ResNet(.init(block: .basic, layers: [2, 2, 2, 2], widths: [16, 32, 64, 128], numClasses: 100))
        try model.loadStateDict(
            fixture.tensors.filter { $0.name.hasPrefix("w/") }.map { (String($0.name.dropFirst(2)), $0.tensor) })
        let pairs = try ConvolutionNormPair.pairs(in: model)
        #expect(pairs.count == 20)

        let xHost = try fixture.tensor("input/x")
        let classes = try fixture.tensor("input/classes").ints()
        let labels = try fixture.tensor("input/labels").ints().map { try #require(classes.firstIndex(of: $0)) }
        model.train()
        let logits = try model.forward(try Tensor(shape: xHost.shape, values: xHost.floats()))
        let gradient = Tensor(shape: logits.shape)
        _ = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
        let optimizer = SGD(parameters: model.namedParameters().map(\.1), learningRate: 0.01)
        optimizer.zeroGradients()
        _ = try model.backward(gradient)
        optimizer.step()

        for pair in pairs {
            let name = pair.convolutionName
            #expect(try pair.tracker.inputShape == fixture.tensor("shape/" + name).ints(), "\(name)")
            assertClose(pair.tracker.means.flatMap { $0 }, try fixture.tensor("track/" + name), "track/" + name)
            assertClose(
                try pair.tracker.recoveredMean(), try fixture.tensor("shift/" + pair.normalizationName),
                "shift/" + pair.normalizationName)
        }
        #expect(
            pairs.filter(\.tracker.isPhased).map(\.convolutionName) == [
                "conv1", "layer2.0.conv1", "layer2.0.downsample.0", "layer3.0.conv1", "layer3.0.downsample.0",
                "layer4.0.conv1", "layer4.0.downsample.0",
            ])
    }
}
