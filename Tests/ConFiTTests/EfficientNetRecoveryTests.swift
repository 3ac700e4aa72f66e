import ConFiT
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// Trackers and Xconv recovery through TF 'SAME' padding (asymmetric at stride 2) and
/// depthwise convolutions: the real EfficientNet-Lite0 against PyTorch's float64 reference
/// (make_effnet_fixture.py: one train forward on two Caltech images, weights unchanged).
/// Tolerance 1e-4 × max |reference| + 5e-6 per tensor: block outputs have means near zero
/// (|0.1 × mean| ~ 1e-3) while the activations averaged are of order 1, so float32's
/// ~1e-5 relative forward error shows up as ~1e-6 absolute in those means. In NHWC
/// oneDNN's batch norm rounds differently and one
/// block output's mean (β analytically, so all rounding) is 1.3e-5 off; the means taken
/// by the trackers' pooling and by a plain loop over the same activations agree on that,
/// so the absolute allowance there is 2e-5.
///
/// Enabled when the real weights are there (`EfficientNetLite0Weights`).
@Suite(.enabled(if: EfficientNetLite0Weights.isAvailable, EfficientNetLite0Weights.missing))
struct EfficientNetRecoveryTests {
    @Test func trackedAndRecoveredMeansMatchPyTorch() throws {
        let weights = try EfficientNetLite0Weights.require().tensors.map { ($0.name, $0.tensor) }
        let fixture = try SafeTensorsFile(contentsOf: fixture("effnet_lite0.safetensors"))
        // nChw16c is the layout training runs EfficientNet in; NHWC takes the other paths of
        // the trackers' channel means.
        for (format, absolute) in [(TensorFormat.channelsLast, 2e-5), (.blocked16, 5e-6)] {
            let model = EfficientNetLite0(numClasses: 1000)
            model.configure(ComputeSettings(layout: format))
            try model.loadPretrained(weights)
            try check(model, fixture, absolute: Float(absolute))
        }
    }

    private func check(_ model: EfficientNetLite0, _ fixture: SafeTensorsFile, absolute: Float) throws {
        let pairs = try ConvolutionNormPair.pairs(in: model)
        #expect(pairs.count == fixture.tensors.filter { $0.name.hasPrefix("track/") }.count)

        let x = try fixture.tensor("input/x")
        model.train()
        _ = try model.forward(try Tensor(shape: x.shape, values: x.floats()))
        for pair in pairs {
            let name = pair.convolutionName
            #expect(try pair.tracker.inputShape == fixture.tensor("shape/" + name).ints(), "\(name)")
            assertClose(
                pair.tracker.means.flatMap { $0 }, try fixture.tensor("track/" + name), "track/" + name,
                absolute: absolute)
            assertClose(
                try pair.tracker.recoveredMean(), try fixture.tensor("shift/" + pair.normalizationName),
                "shift/" + pair.normalizationName, absolute: absolute)
        }
        #expect(pairs.filter(\.tracker.isPhased).count == 5, "the stem and four stride-2 depthwise convolutions")
    }
}
