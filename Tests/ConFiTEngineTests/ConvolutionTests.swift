import ConFiTEngine
import ConFiTTestSupport
import Testing

/// Convolution forward, backward-data and backward-weights against hand-computed values
/// and against `DirectConvolution`, a 7-loop reference in Double written here.
///
/// Tolerance: 1e-5 absolute. Inputs are multiples of 1/8 (or small integers), so every
/// expected value is exact in float32.
@Suite struct ConvolutionTests {
    // MARK: Hand-computed cases

    /// 3×3 input 1…9, 2×2 kernel [[1, 2], [3, 4]], no padding: each output is the
    /// window dotted with the kernel, e.g. 1·1 + 2·2 + 4·3 + 5·4 = 37.
    @Test func forwardTwoByTwoKernel() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernel: 2,
            stride: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1)
        let conv = try Convolution(shape, source: .plain, destination: .plain, training: false)
        try conv.loadWeights(makeTensor([1, 1, 2, 2], [1, 2, 3, 4]))
        let output = Tensor(shape: [1, 1, 2, 2])
        try conv.forward(makeTensor([1, 1, 3, 3], (1...9).map(Float.init)), into: output)
        try assertValues(output, [37, 47, 67, 77], accuracy: 1e-5)
    }

    /// TF 'SAME' for stride 2 on a 4×4 input: pad top 0, left 0, bottom 1, right 1.
    /// Input 1…16, 3×3 kernel of ones; windows start at rows/cols 0 and 2, and the second
    /// window sticks out by one zero row/column at the bottom/right.
    @Test func strideTwoAsymmetricPaddingByHand() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 3,
            stride: 2, padTop: 0, padLeft: 0, padBottom: 1, padRight: 1, groups: 1)
        for format in activationFormats {
            let conv = try Convolution(shape, source: format, destination: format, training: true)
            let weights = try filledTensor([1, 1, 3, 3], 1)
            try conv.loadWeights(weights)
            let input = try makeTensor([1, 1, 4, 4], (1...16).map(Float.init), format)
            let output = Tensor(shape: [1, 1, 2, 2], format: format)
            try conv.forward(input, into: output)
            // [1+2+3+5+6+7+9+10+11, 3+4+7+8+11+12, 9+10+11+13+14+15, 11+12+15+16]
            try assertValues(output, [54, 45, 72, 54], accuracy: 1e-5, "forward \(format)")

            // With an all-ones output gradient, each input's gradient counts the windows
            // covering it: rows and columns 0, 1, 3 are in one window, 2 in both.
            let outputGradient = try filledTensor([1, 1, 2, 2], 1, format)
            let inputGradient = try filledTensor([1, 1, 4, 4], 9, format)
            try conv.backwardData(outputGradient: outputGradient, into: inputGradient)
            try assertValues(
                inputGradient,
                [
                    1, 1, 2, 1,
                    1, 1, 2, 1,
                    2, 2, 4, 2,
                    1, 1, 2, 1,
                ], accuracy: 1e-5, "backward data \(format)")

            // ∂W[kh, kw] = Σ over the 4 outputs of x[2·oh + kh, 2·ow + kw] (zero past the
            // edge), e.g. ∂W[0, 0] = 1 + 3 + 9 + 11. Added to the 100 already there, twice.
            let expected: [Double] = [24, 28, 14, 40, 44, 22, 20, 22, 11]
            let weightGradient = try filledTensor([1, 1, 3, 3], 100)
            try conv.accumulateWeightGradient(input: input, outputGradient: outputGradient, into: weightGradient)
            try assertValues(weightGradient, expected.map { 100 + $0 }, accuracy: 1e-5, "weights \(format)")
            try conv.accumulateWeightGradient(input: input, outputGradient: outputGradient, into: weightGradient)
            try assertValues(weightGradient, expected.map { 100 + 2 * $0 }, accuracy: 1e-5, "weights twice \(format)")
        }
    }

    /// Depthwise (groups = channels = 2), 3×3, pad 1: channel 0's kernel is the identity
    /// (centre 1), channel 1's picks 2 × the bottom-right neighbour. Channels must not mix.
    @Test func depthwiseByHand() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 2, height: 3, width: 3, outChannels: 2, kernel: 3,
            stride: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2)
        for format in activationFormats {
            let conv = try Convolution(shape, source: format, destination: format, training: false)
            var weights = [Float](repeating: 0, count: 18)
            (weights[4], weights[9 + 8]) = (1, 2)
            try conv.loadWeights(makeTensor([2, 1, 3, 3], weights))
            let input = try makeTensor([1, 2, 3, 3], (1...9).map(Float.init) + (1...9).map { -Float($0) }, format)
            let output = Tensor(shape: [1, 2, 3, 3], format: format)
            try conv.forward(input, into: output)
            try assertValues(
                output,
                [
                    1, 2, 3, 4, 5, 6, 7, 8, 9,
                    -10, -12, 0, -16, -18, 0, 0, 0, 0,
                ], accuracy: 1e-5, "\(format)")
        }
    }

    /// Two groups of a 1×1 convolution from 4 to 2 channels: output 0 sees only input
    /// channels 0–1 (weights 2, 3), output 1 only channels 2–3 (weights −1, 5).
    @Test func groupedOneByOneByHand() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 4, height: 1, width: 2, outChannels: 2, kernel: 1,
            stride: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 2)
        let conv = try Convolution(shape, source: .blocked16, destination: .blocked16, training: false)
        try conv.loadWeights(makeTensor([2, 2, 1, 1], [2, 3, -1, 5]))
        let input = try makeTensor([1, 4, 1, 2], [1, 2, 10, 20, 100, 200, 1000, 2000], .blocked16)
        let output = Tensor(shape: [1, 2, 1, 2], format: .blocked16)
        try conv.forward(input, into: output)
        try assertValues(output, [2 + 30, 4 + 60, -100 + 5000, -200 + 10000], accuracy: 1e-5)
    }

    // MARK: Against the direct reference, in every layout

    @Test func threeByThreeStrideOne() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 5, height: 5, width: 5, kernel: 3, stride: 1, padding: (1, 1, 1, 1))
    }

    @Test func threeByThreeStrideTwoSymmetricPadding() throws {
        try checkAllLayouts(
            inChannels: 5, outChannels: 3, height: 7, width: 6, kernel: 3, stride: 2, padding: (1, 1, 1, 1))
    }

    @Test func threeByThreeStrideTwoSamePadding() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 5, height: 6, width: 6, kernel: 3, stride: 2, padding: (0, 0, 1, 1))
    }

    @Test func asymmetricPaddingStrideOne() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 3, height: 5, width: 4, kernel: 3, stride: 1, padding: (1, 0, 0, 2))
    }

    @Test func depthwiseStrideTwoSamePadding() throws {
        try checkAllLayouts(
            inChannels: 5, outChannels: 5, height: 6, width: 6, kernel: 3, stride: 2, padding: (0, 0, 1, 1), groups: 5)
    }

    @Test func depthwiseStrideOne() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 3, height: 4, width: 5, kernel: 3, stride: 1, padding: (1, 1, 1, 1), groups: 3)
    }

    @Test func depthwiseWithChannelMultiplier() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 6, height: 4, width: 4, kernel: 3, stride: 1, padding: (1, 1, 1, 1), groups: 3)
    }

    /// EfficientNet's 5×5 depthwise shapes, whose weight gradients oneDNN 2.6 leaves to
    /// slow kernels and `DepthwiseWeightGradient` computes instead: 24 channels (a padded
    /// second block in nChw16c; oneDNN's kernel in NHWC) and 32 (the Swift kernel in both).
    @Test func fiveByFiveDepthwiseStrideOne() throws {
        for channels in [24, 32] {
            try checkAllLayouts(
                inChannels: channels, outChannels: channels, height: 9, width: 7, kernel: 5, stride: 1,
                padding: (2, 2, 2, 2), groups: channels)
        }
    }

    @Test func fiveByFiveDepthwiseStrideTwoSamePadding() throws {
        try checkAllLayouts(
            inChannels: 32, outChannels: 32, height: 8, width: 11, kernel: 5, stride: 2,
            padding: (1, 2, 2, 2), groups: 32)
    }

    /// Maps smaller than the filter's reach, as EfficientNet's last stages see them at 32 px
    /// (2×2 into a stride-2 5×5 with TF 'SAME' padding, 1×1 and 2×2 into stride-1 ones):
    /// filter columns that fall wholly into the padding must add nothing. Integer division
    /// rounding towards zero (for stride 2) once let them read past the row — into the next
    /// row, or past the tensor's end for the last channel group, so runs at 32 px differed
    /// from run to run.
    @Test func fiveByFiveDepthwiseOnMapsSmallerThanTheFilter() throws {
        for (side, stride, padding) in [
            (2, 2, (1, 1, 2, 2)), (1, 1, (2, 2, 2, 2)), (2, 1, (2, 2, 2, 2)), (3, 2, (2, 2, 2, 2)),
        ] {
            try checkAllLayouts(
                inChannels: 32, outChannels: 32, height: side, width: side, kernel: 5, stride: stride,
                padding: padding, groups: 32)
        }
    }

    /// The Swift kernel takes exactly the depthwise shapes oneDNN has no depthwise kernel
    /// for: 5×5 in nChw16c, and not 3×3, which oneDNN's jit_dw handles.
    @Test func depthwiseWeightGradientKernelChoice() throws {
        for (kernel, expectSwift) in [(5, true), (3, false)] {
            let shape = ConvolutionShape(
                batch: 2, inChannels: 16, height: 6, width: 6, outChannels: 16, kernel: kernel,
                stride: 1, padTop: kernel / 2, padLeft: kernel / 2, padBottom: kernel / 2,
                padRight: kernel / 2, groups: 16)
            let profiler = Profiler()
            let conv = try Convolution(
                shape, source: .blocked16, destination: .blocked16, training: true, profiler: profiler)
            try conv.accumulateWeightGradient(
                input: Tensor(shape: shape.inputShape, format: .blocked16),
                outputGradient: Tensor(shape: shape.outputShape, format: .blocked16),
                into: Tensor(shape: shape.weightShape))
            #expect(
                (profiler.calls["convolution backward_weights (depthwise, Swift)"] != nil) == expectSwift,
                "\(kernel)×\(kernel): \(profiler.calls)")
        }
    }

    @Test func twoGroups() throws {
        try checkAllLayouts(
            inChannels: 4, outChannels: 6, height: 4, width: 4, kernel: 3, stride: 1, padding: (1, 1, 1, 1), groups: 2)
    }

    @Test func oneByOneStrideOne() throws {
        try checkAllLayouts(
            inChannels: 5, outChannels: 3, height: 4, width: 4, kernel: 1, stride: 1, padding: (0, 0, 0, 0))
    }

    @Test func oneByOneStrideTwo() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 5, height: 5, width: 5, kernel: 1, stride: 2, padding: (0, 0, 0, 0))
    }

    @Test func sevenBySevenStrideTwoStem() throws {
        try checkAllLayouts(
            inChannels: 3, outChannels: 5, height: 8, width: 8, kernel: 7, stride: 2, padding: (3, 3, 3, 3))
    }

    @Test func differentSourceAndDestinationLayouts() throws {
        let shape = ConvolutionShape(
            batch: 2, inChannels: 3, height: 5, width: 5, outChannels: 5, kernel: 3,
            stride: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1)
        try check(shape, source: .plain, destination: .blocked16)
        try check(shape, source: .channelsLast, destination: .plain)
    }

    // MARK: Weights and errors

    /// The convolution works on its own copy of the weights: changing the OIHW tensor has
    /// no effect until `loadWeights` is called again, and then forward and backward-data
    /// both use the new weights.
    @Test func loadWeightsCopiesTheWeights() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 1, height: 1, width: 3, outChannels: 1, kernel: 1,
            stride: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1)
        let conv = try Convolution(shape, source: .plain, destination: .plain, training: true)
        let weights = try makeTensor([1, 1, 1, 1], [2])
        try conv.loadWeights(weights)
        let input = try makeTensor([1, 1, 1, 3], [1, 2, 3])
        let output = Tensor(shape: [1, 1, 1, 3])
        let inputGradient = Tensor(shape: [1, 1, 1, 3])
        let outputGradient = try makeTensor([1, 1, 1, 3], [1, 0, 2])
        try conv.backwardData(outputGradient: outputGradient, into: inputGradient)
        try assertValues(inputGradient, [2, 0, 4], accuracy: 1e-5, "backward data before reloading")
        weights.pointer[0] = -3
        try conv.forward(input, into: output)
        try assertValues(output, [2, 4, 6], accuracy: 1e-5, "before reloading")
        try conv.loadWeights(weights)
        try conv.forward(input, into: output)
        try assertValues(output, [-3, -6, -9], accuracy: 1e-5, "after reloading")
        try conv.backwardData(outputGradient: outputGradient, into: inputGradient)
        try assertValues(inputGradient, [-3, 0, -6], accuracy: 1e-5, "backward data after reloading")
    }

    @Test func errors() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 2, height: 3, width: 3, outChannels: 2, kernel: 3,
            stride: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1)
        let conv = try Convolution(shape, source: .plain, destination: .plain, training: false)
        assertShapeMismatch { try conv.loadWeights(Tensor(shape: [2, 2, 1, 1])) }
        try conv.loadWeights(Tensor(shape: [2, 2, 3, 3]))
        assertShapeMismatch { try conv.forward(Tensor(shape: [1, 2, 4, 3]), into: Tensor(shape: [1, 2, 3, 3])) }
        assertShapeMismatch { try conv.forward(Tensor(shape: [1, 2, 3, 3]), into: Tensor(shape: [1, 3, 3, 3])) }
        assertInvalidArgument {
            try conv.backwardData(outputGradient: Tensor(shape: [1, 2, 3, 3]), into: Tensor(shape: [1, 2, 3, 3]))
        }
        assertInvalidArgument {
            try conv.accumulateWeightGradient(
                input: Tensor(shape: [1, 2, 3, 3]), outputGradient: Tensor(shape: [1, 2, 3, 3]),
                into: Tensor(shape: [2, 2, 3, 3]))
        }
        var grouped = shape
        (grouped.inChannels, grouped.groups) = (3, 2)
        assertInvalidArgument { _ = try Convolution(grouped, source: .plain, destination: .plain, training: false) }
        var tooSmall = shape
        (tooSmall.padTop, tooSmall.padBottom, tooSmall.height) = (0, 0, 2)
        assertInvalidArgument { _ = try Convolution(tooSmall, source: .plain, destination: .plain, training: false) }
    }

    /// Activations are described by their layout as well as their shape; a tensor in a
    /// layout other than the one the convolution was built for must be refused, not read
    /// with the wrong strides.
    @Test func refusesActivationsInAnotherLayout() throws {
        let shape = ConvolutionShape(
            batch: 1, inChannels: 3, height: 2, width: 2, outChannels: 3, kernel: 1,
            stride: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1)
        let conv = try Convolution(shape, source: .channelsLast, destination: .channelsLast, training: false)
        try conv.loadWeights(Tensor(shape: [3, 3, 1, 1]))
        #expect(throws: (any Error).self) {
            try conv.forward(Tensor(shape: [1, 3, 2, 2]), into: Tensor(shape: [1, 3, 2, 2], format: .channelsLast))
        }
    }

    // MARK: Helpers

    private func checkAllLayouts(
        inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, stride: Int,
        padding: (top: Int, left: Int, bottom: Int, right: Int), groups: Int = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let shape = ConvolutionShape(
            batch: 2, inChannels: inChannels, height: height, width: width, outChannels: outChannels,
            kernel: kernel, stride: stride, padTop: padding.top, padLeft: padding.left,
            padBottom: padding.bottom, padRight: padding.right, groups: groups)
        for format in activationFormats {
            try check(shape, source: format, destination: format, sourceLocation: sourceLocation)
        }
    }

    /// Forward, backward-data (overwriting a non-zero tensor) and weight-gradient
    /// accumulation (onto 0.5 everywhere) against `DirectConvolution`.
    private func check(
        _ shape: ConvolutionShape, source: TensorFormat, destination: TensorFormat,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let what = "\(shape) \(source)→\(destination)"
        let reference = DirectConvolution(shape: shape)
        let x = sampleValues(shape.inputShape.reduce(1, *), seed: 1)
        let w = sampleValues(shape.weightShape.reduce(1, *), seed: 2)
        let dy = sampleValues(shape.outputShape.reduce(1, *), seed: 3)
        let conv = try Convolution(shape, source: source, destination: destination, training: true)
        try conv.loadWeights(makeTensor(shape.weightShape, w))
        let input = try makeTensor(shape.inputShape, x, source)
        let output = try filledTensor(shape.outputShape, 7, destination)
        try conv.forward(input, into: output)
        try assertValues(
            output, reference.forward(x, w), accuracy: 1e-5, "\(what) forward", sourceLocation: sourceLocation)

        let outputGradient = try makeTensor(shape.outputShape, dy, destination)
        let inputGradient = try filledTensor(shape.inputShape, 7, source)
        try conv.backwardData(outputGradient: outputGradient, into: inputGradient)
        try assertValues(
            inputGradient, reference.inputGradient(dy, w), accuracy: 1e-5, "\(what) backward data",
            sourceLocation: sourceLocation)

        let weightGradient = try filledTensor(shape.weightShape, 0.5)
        try conv.accumulateWeightGradient(input: input, outputGradient: outputGradient, into: weightGradient)
        try assertValues(
            weightGradient, reference.weightGradient(x, dy).map { $0 + 0.5 }, accuracy: 1e-5,
            "\(what) weight gradient", sourceLocation: sourceLocation)
    }
}

/// Direct convolution over plain NCHW activations and OIHW weights, accumulated in Double.
struct DirectConvolution {
    let shape: ConvolutionShape

    /// Calls `body(inputIndex, weightIndex, outputIndex)` for every multiply-add of the
    /// forward pass that does not fall on padding.
    private func forEachTap(_ body: (Int, Int, Int) -> Void) {
        let s = shape
        let (inPerGroup, outPerGroup) = (s.inChannels / s.groups, s.outChannels / s.groups)
        for n in 0..<s.batch {
            for o in 0..<s.outChannels {
                for oh in 0..<s.outHeight {
                    for ow in 0..<s.outWidth {
                        for ci in 0..<inPerGroup {
                            for kh in 0..<s.kernel {
                                for kw in 0..<s.kernel {
                                    let (h, w) = (oh * s.stride - s.padTop + kh, ow * s.stride - s.padLeft + kw)
                                    guard (0..<s.height).contains(h), (0..<s.width).contains(w) else { continue }
                                    let c = o / outPerGroup * inPerGroup + ci
                                    body(
                                        ((n * s.inChannels + c) * s.height + h) * s.width + w,
                                        ((o * inPerGroup + ci) * s.kernel + kh) * s.kernel + kw,
                                        ((n * s.outChannels + o) * s.outHeight + oh) * s.outWidth + ow)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func forward(_ x: [Float], _ w: [Float]) -> [Double] {
        var y = [Double](repeating: 0, count: shape.outputShape.reduce(1, *))
        forEachTap { xi, wi, yi in y[yi] += Double(x[xi]) * Double(w[wi]) }
        return y
    }

    func inputGradient(_ dy: [Float], _ w: [Float]) -> [Double] {
        var dx = [Double](repeating: 0, count: shape.inputShape.reduce(1, *))
        forEachTap { xi, wi, yi in dx[xi] += Double(dy[yi]) * Double(w[wi]) }
        return dx
    }

    func weightGradient(_ x: [Float], _ dy: [Float]) -> [Double] {
        var dw = [Double](repeating: 0, count: shape.weightShape.reduce(1, *))
        forEachTap { xi, wi, yi in dw[wi] += Double(x[xi]) * Double(dy[yi]) }
        return dw
    }
}
