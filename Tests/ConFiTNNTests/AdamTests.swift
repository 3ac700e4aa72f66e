import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// `Adam` against `torch.optim.Adam` in Resources/adam.safetensors (see
/// Resources/make_adam_fixture.py): four steps, weight decay, one parameter frozen for two
/// of them (PyTorch skips it and keeps its step count), and the state a checkpoint holds.
///
/// Tolerance: 1e-5 relative: float32 steps from the same float32 inputs as PyTorch's
/// float64 ones; the division by √v + ε amplifies rounding a little more than SGD's update.
@Suite struct AdamTests {
    private let names = ["a", "b", "c"]

    @Test func stepsMatchPyTorch() throws {
        let fixture = try Self.fixture()
        let parameters = try names.map { Parameter(try Self.tensor(fixture, "init/" + $0)) }
        let optimizer = Adam(parameters: parameters, learningRate: 0.01, weightDecay: 1e-2)
        for step in 0..<4 {
            parameters[2].trainable = step == 0 || step == 3
            for (name, p) in zip(names, parameters) where p.trainable {
                try p.gradient.load(try fixture.tensor("grad/step\(step)/\(name)").floats())
            }
            optimizer.step()
            for (name, p) in zip(names, parameters) {
                try assertClose(
                    p.value, try fixture.tensor("param/step\(step)/\(name)"), "param/step\(step)/\(name)",
                    relative: 1e-5)
                let state = try optimizer.state(of: p)
                for moment in ["exp_avg", "exp_avg_sq"] {
                    let values = try #require(state[moment], "\(moment)/step\(step)/\(name)")
                    try assertClose(
                        try Tensor(shape: values.shape, values: values.floats()),
                        try fixture.tensor("\(moment)/step\(step)/\(name)"), "\(moment)/step\(step)/\(name)",
                        relative: 1e-5)
                }
            }
        }
        #expect(try optimizer.state(of: parameters[2])["step"]?.floats() == [2], "c stepped twice")
        #expect(try optimizer.state(of: parameters[0])["step"]?.floats() == [4])
    }

    /// Two steps, the state moved into a fresh optimizer, two more: the same values as four
    /// steps in one optimizer, bit for bit (what resuming a run relies on).
    @Test func stateRoundTripContinuesExactly() throws {
        let fixture = try Self.fixture()
        let make = { try self.names.map { Parameter(try Self.tensor(fixture, "init/" + $0)) } }
        let (straight, resumed) = (try make(), try make())
        let first = Adam(parameters: straight, learningRate: 0.01, weightDecay: 1e-2)
        var second = Adam(parameters: resumed, learningRate: 0.01, weightDecay: 1e-2)
        for step in 0..<4 {
            if step == 2 {
                let moved = Adam(parameters: resumed, learningRate: 0.01, weightDecay: 1e-2)
                for p in resumed { try moved.setState(try second.state(of: p), of: p) }
                second = moved
            }
            for (name, (p, q)) in zip(names, zip(straight, resumed)) where name != "c" || step == 0 {
                let gradient = try fixture.tensor("grad/step\(step)/\(name)").floats()
                try p.gradient.load(gradient)
                try q.gradient.load(gradient)
            }
            for p in straight + resumed { p.trainable = p !== straight[2] && p !== resumed[2] || step == 0 }
            first.step()
            second.step()
        }
        for (p, q) in zip(straight, resumed) { #expect(try p.value.toArray() == q.value.toArray()) }
    }

    private static func fixture() throws -> SafeTensorsFile {
        let url = try #require(
            Bundle.module.url(forResource: "adam", withExtension: "safetensors", subdirectory: "Resources"))
        return try SafeTensorsFile(contentsOf: url)
    }

    private static func tensor(_ fixture: SafeTensorsFile, _ name: String) throws -> Tensor {
        let t = try fixture.tensor(name)
        return try Tensor(shape: t.shape, values: t.floats())
    }
}
