import ConFiTEngine
import Testing

/// bfloat16 storage and the kernels that read it: rounding by hand, oneDNN's conversions
/// against ours, and every Swift kernel over bf16 activations against the same kernel over
/// float32 copies of the same (bf16-representable) values — exactly equal, since both widen
/// to float32 before any arithmetic.
@Suite struct BFloat16Tests {
    /// Round to nearest, ties to even, on the 7 stored mantissa bits (ulp 2⁻⁷ at 1).
    @Test func roundingByHand() {
        #expect(BFloat16(1).bits == 0x3F80)
        #expect(BFloat16(-2).bits == 0xC000)
        #expect(BFloat16(1 + 0x1p-8).bits == 0x3F80, "a tie rounds to the even mantissa 0")
        #expect(BFloat16(1 + 3 * 0x1p-8).bits == 0x3F82, "a tie rounds to the even mantissa 2")
        #expect(BFloat16(1 + 0x1p-8 + 0x1p-12).bits == 0x3F81, "above the tie rounds up")
        #expect(BFloat16(-0.0).bits == 0x8000)
        #expect(BFloat16(.greatestFiniteMagnitude).float == .infinity)
        #expect(BFloat16(.nan).float.isNaN)
        #expect(BFloat16(3.140625).float == 3.140625, "representable values are exact")
    }

    /// A float32 → bf16 conversion by oneDNN (a reorder, here also into nChw16c) rounds as
    /// `BFloat16.init` does, and reading back gives the rounded floats.
    @Test func oneDNNConversionRoundsLikeOurs() throws {
        // Steps of 2⁻⁹ (half an ulp at 1) hit ties and both directions of rounding.
        let values: [Float] = (0..<(2 * 3 * 4 * 5)).map { (i: Int) -> Float in
            let step: Float = i % 2 == 0 ? 0x1p-9 : -3 * 0x1p-9
            return 1 + Float(i) * step + Float(i % 7)
        }
        let plain = try Tensor(shape: [2, 3, 4, 5], values: values)
        let rounded = values.map { BFloat16($0).float }
        let bf16 = try plain.converted(to: .bfloat16)
        #expect(bf16.dataType == .bfloat16)
        #expect((0..<values.count).map { bf16.bfloat16Pointer[$0].bits } == values.map { BFloat16($0).bits })
        #expect(try bf16.toArray() == rounded)
        let blocked = Tensor(shape: [2, 3, 4, 5], format: .blocked16, dataType: .bfloat16)
        try blocked.copy(from: plain)
        #expect(try blocked.toArray() == rounded)
        #expect(blocked.byteCount == 2 * 16 * 4 * 5 * 2, "2 bytes per element, channels padded to 16")
    }

    /// A kernel built for bf16 refuses float32 tensors, naming both types.
    @Test func kernelsCheckTheElementType() throws {
        let relu = try Activation(
            .relu, shape: [1, 16, 2, 2], format: .blocked16, dataType: .bfloat16, training: false)
        let x = Tensor(shape: [1, 16, 2, 2], format: .blocked16)
        #expect(throws: EngineError.dataTypeMismatch(operation: "relu input", expected: .bfloat16, found: .float32)) {
            try relu.forward(x, into: x)
        }
    }

    /// bf16-representable values: small multiples of 1/8 with a few significant bits.
    private func representable(_ shape: [Int], seed: Int) throws -> Tensor {
        let count = shape.reduce(1, *)
        return try Tensor(shape: shape, values: (0..<count).map { Float(($0 * 37 + seed * 11) % 29 - 14) / 8 })
    }

    private func both(_ plain: Tensor, _ format: TensorFormat) throws -> (float32: Tensor, bf16: Tensor) {
        let (f, b) = (
            Tensor(shape: plain.shape, format: format), Tensor(shape: plain.shape, format: format, dataType: .bfloat16)
        )
        try f.copy(from: plain)
        try b.copy(from: plain)
        return (f, b)
    }

    @Test func channelMeansOfBF16EqualThoseOfFloat32() throws {
        for format in [TensorFormat.plain, .channelsLast, .blocked16] {
            for shape in [[3, 20, 6, 4], [2, 32, 5, 3]] {
                let (f, b) = try both(try representable(shape, seed: 1), format)
                for byParity in [false, true] {
                    #expect(
                        try b.channelMeans(byParity: byParity) == f.channelMeans(byParity: byParity),
                        "\(format) \(shape)")
                    let reduction = try ChannelMeanReduction(
                        shape: shape, format: format, dataType: .bfloat16, byParity: byParity)
                    #expect(
                        try reduction(b) == f.channelMeans(byParity: byParity).map { $0.map(Float.init) },
                        "reduction, \(format) \(shape) byParity \(byParity)")
                }
            }
        }
    }

    /// EfficientNet's 5×5 depthwise shape, whose weight gradient is the Swift kernel in both
    /// types (24 channels: a padded second block).
    @Test func depthwiseWeightGradientOfBF16EqualsFloat32s() throws {
        let shape = ConvolutionShape(
            batch: 3, inChannels: 24, height: 9, width: 9, outChannels: 24, kernel: 5, stride: 2,
            padTop: 1, padLeft: 1, padBottom: 2, padRight: 2, groups: 24)
        let x = try both(try representable(shape.inputShape, seed: 2), .blocked16)
        let dy = try both(try representable(shape.outputShape, seed: 3), .blocked16)
        var gradients: [[Float]] = []
        for (type, input, outputGradient) in [(DataType.float32, x.float32, dy.float32), (.bfloat16, x.bf16, dy.bf16)] {
            let convolution = try Convolution(
                shape, source: .blocked16, destination: .blocked16, dataType: type, training: true)
            let gradient = Tensor(shape: shape.weightShape)
            try convolution.accumulateWeightGradient(input: input, outputGradient: outputGradient, into: gradient)
            gradients.append(try gradient.toArray())
        }
        #expect(gradients[1] == gradients[0])
        #expect((gradients[0].map(abs).max() ?? 0) > 1)
    }

    /// `addChannelAffine` on bf16 computes in float32 and rounds once: out = bf16(out + (b + a·x)).
    @Test func channelAffineOnBF16RoundsOnce() throws {
        let shape = [2, 20, 3, 2]
        let (outFloat, out) = try both(try representable(shape, seed: 4), .blocked16)
        let x = try both(try representable(shape, seed: 5), .blocked16)
        let scale = (0..<20).map { Float($0) * 0.37 - 3 }, shift = (0..<20).map { 0.01 * Float($0 * $0) }
        try out.addChannelAffine(of: x.bf16, scale: scale, shift: shift)
        try outFloat.addChannelAffine(of: x.float32, scale: scale, shift: shift)
        #expect(try out.toArray() == outFloat.toArray().map { BFloat16($0).float })
        #expect(throws: (any Error).self) { try out.addChannelAffine(of: x.float32, scale: scale, shift: shift) }
    }
}
