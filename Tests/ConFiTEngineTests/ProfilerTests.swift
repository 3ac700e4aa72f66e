import ConFiTEngine
import ConFiTTestSupport
import Testing

/// The profiler charges each oneDNN call to its kind, and records nothing when off.
@Suite struct ProfilerTests {
    @Test func chargesEachCallToItsKind() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 2, height: 4, width: 4, outChannels: 2, kernel: 3,
            stride: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1)
        let profiler = Profiler()
        let conv = try Convolution(shape, source: .plain, destination: .plain, training: true, profiler: profiler)
        try conv.loadWeights(filledTensor(shape.weightShape, 1))
        profiler.reset()
        let (input, output) = (try filledTensor(shape.inputShape, 1), Tensor(shape: shape.outputShape))
        var c: [Float] = [0]
        try conv.forward(input, into: output)
        try conv.forward(input, into: output)
        for _ in 0..<2 { try conv.backwardData(outputGradient: output, into: Tensor(shape: shape.inputShape)) }
        try Gemm.multiply(
            transposeA: false, transposeB: false, m: 1, n: 1, k: 1, a: [2], lda: 1, b: [3], ldb: 1,
            beta: 0, c: &c, ldc: 1, profiler: profiler)
        #expect(profiler.calls["convolution forward_training"] == 2)
        // Only the first backward-data call reorders the unchanged weights into its layout.
        #expect(profiler.calls["convolution backward_data"] == 2)
        #expect(profiler.calls["reorder"] == 1)
        #expect(profiler.calls["sgemm"] == 1)
        #expect(c == [6])
        #expect(Set(profiler.seconds.keys) == Set(profiler.calls.keys))
        #expect(profiler.seconds.values.allSatisfy { $0 > 0 })
    }

    /// A profiler hears only from the kernels given it: one without sees nothing of it.
    @Test func recordsNothingWhenOff() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernel: 1, stride: 1,
            padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1)
        let profiler = Profiler()
        let (profiled, unprofiled) = (
            try Convolution(shape, source: .plain, destination: .plain, training: false, profiler: profiler),
            try Convolution(shape, source: .plain, destination: .plain, training: false)
        )
        profiler.reset()
        let (input, output) = (try filledTensor(shape.inputShape, 1), Tensor(shape: shape.outputShape))
        try unprofiled.forward(input, into: output)
        var c: [Float] = [0]
        try Gemm.multiply(
            transposeA: false, transposeB: false, m: 1, n: 1, k: 1, a: [2], lda: 1, b: [3], ldb: 1,
            beta: 0, c: &c, ldc: 1)
        #expect(profiler.calls.isEmpty)
        try profiled.forward(input, into: output)
        #expect(profiler.calls == ["convolution forward_inference": 1])
    }
}
