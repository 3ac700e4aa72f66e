import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// `SGD` with momentum and weight decay against `torch.optim.SGD` in
/// Resources/sgd_momentum.safetensors (see Resources/make_resnet_fixtures.py).
///
/// Tolerance: 1e-6 relative, since three float32 steps from the same float32 inputs as
/// PyTorch's float64 ones differ only by rounding.
@Suite struct SGDTests {
    @Test func momentumAndWeightDecayMatchPyTorch() throws {
        let url = try #require(
            Bundle.module.url(forResource: "sgd_momentum", withExtension: "safetensors", subdirectory: "Resources"))
        let fixture = try SafeTensorsFile(contentsOf: url)
        let names = ["a", "b", "c"]
        let parameters = try names.map { name in
            let initial = try fixture.tensor("init/" + name)
            return Parameter(try Tensor(shape: initial.shape, values: initial.floats()))
        }
        let optimizer = SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-2)
        for step in 0..<3 {
            // c is frozen after its first step: PyTorch skips it and keeps its momentum buffer.
            parameters[2].trainable = step == 0
            for (name, p) in zip(names, parameters) where p.trainable {
                try p.gradient.load(try fixture.tensor("grad/step\(step)/\(name)").floats())
            }
            optimizer.step()
            for (name, p) in zip(names, parameters) {
                try assertClose(
                    p.value, try fixture.tensor("param/step\(step)/\(name)"), "param/step\(step)/\(name)",
                    relative: 1e-6)
                let velocity = try #require(optimizer.velocity(of: p), "momentum/step\(step)/\(name)")
                try assertClose(
                    velocity, try fixture.tensor("momentum/step\(step)/\(name)"), "momentum/step\(step)/\(name)",
                    relative: 1e-6)
            }
        }
    }

    /// A parameter frozen from the start keeps its values even with a gradient in place,
    /// and gets no momentum buffer (so unfreezing it later starts from buf = g, as in PyTorch).
    @Test func frozenParameterIsNeitherMovedNorGivenAVelocity() throws {
        let frozen = Parameter(try Tensor(shape: [3], values: [1, -2, 3]))
        let trained = Parameter(try Tensor(shape: [3], values: [1, -2, 3]))
        frozen.trainable = false
        for p in [frozen, trained] { try p.gradient.load([0.5, 0.25, -1]) }
        let optimizer = SGD(parameters: [frozen, trained], learningRate: 0.1, momentum: 0.9, weightDecay: 1e-2)
        optimizer.step()
        optimizer.step()
        #expect(try frozen.value.toArray() == [1, -2, 3])
        #expect(optimizer.velocity(of: frozen) == nil)
        #expect(try trained.value.toArray() != [1, -2, 3])
        #expect(optimizer.velocity(of: trained) != nil)
    }
}
