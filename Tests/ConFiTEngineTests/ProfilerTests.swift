import ConFiTEngine
import XCTest

/// The profiler charges each oneDNN call to its kind, and records nothing when off.
final class ProfilerTests: XCTestCase {
    override func tearDown() { Profiler.current = nil }

    func testChargesEachCallToItsKind() throws {
        let shape = ConvolutionShape(batch: 1, inChannels: 2, height: 4, width: 4, outChannels: 2, kernel: 3,
                                     stride: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1)
        let conv = try Convolution(shape, source: .plain, destination: .plain, training: true)
        try conv.loadWeights(filledTensor(shape.weightShape, 1))
        let (input, output) = (try filledTensor(shape.inputShape, 1), Tensor(shape: shape.outputShape))
        var c: [Float] = [0]
        let profiler = Profiler()
        Profiler.current = profiler
        try conv.forward(input, into: output)
        try conv.forward(input, into: output)
        for _ in 0..<2 { try conv.backwardData(outputGradient: output, into: Tensor(shape: shape.inputShape)) }
        try Gemm.multiply(transposeA: false, transposeB: false, m: 1, n: 1, k: 1, a: [2], lda: 1, b: [3], ldb: 1,
                          beta: 0, c: &c, ldc: 1)
        XCTAssertEqual(profiler.calls["convolution forward_training"], 2)
        // Only the first backward-data call reorders the unchanged weights into its layout.
        XCTAssertEqual(profiler.calls["convolution backward_data"], 2)
        XCTAssertEqual(profiler.calls["reorder"], 1)
        XCTAssertEqual(profiler.calls["sgemm"], 1)
        XCTAssertEqual(c, [6])
        XCTAssertEqual(Set(profiler.seconds.keys), Set(profiler.calls.keys))
        XCTAssertTrue(profiler.seconds.values.allSatisfy { $0 > 0 })
    }

    func testRecordsNothingWhenOff() throws {
        let profiler = Profiler()
        Profiler.current = profiler
        Profiler.current = nil
        var c: [Float] = [0]
        try Gemm.multiply(transposeA: false, transposeB: false, m: 1, n: 1, k: 1, a: [2], lda: 1, b: [3], ldb: 1,
                          beta: 0, c: &c, ldc: 1)
        XCTAssertTrue(profiler.calls.isEmpty)
    }
}
