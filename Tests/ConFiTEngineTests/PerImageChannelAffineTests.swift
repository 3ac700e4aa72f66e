import ConFiTEngine
import Testing

/// The per-image channel affine of `confit serve` against its definition computed here on
/// plain NCHW values, `y[n, c, h, w] = x[n, c, h, w] · scale[n, c] + shift[n, c]` (then
/// ReLU when fused), in every layout and element type it takes: nChw16c float32 (the vector
/// path) and everything else (the scalar path) — 20 channels, so nChw16c has a padded second
/// block. The values are multiples of 1/8 times multiples of 1/4, so every product and sum
/// is exact in float32 and the results must be equal, not close; bfloat16 rounds once.
@Suite struct PerImageChannelAffineTests {
    private let shape = [3, 20, 3, 5]

    private func expected(_ x: [Float], _ scale: [Float], _ shift: [Float], relu: Bool) -> [Float] {
        let area = shape[2] * shape[3]
        return x.indices.map { i in
            let row = i / area  // n · C + c
            let y = x[i] * scale[row] + shift[row]
            return relu ? max(y, 0) : y
        }
    }

    @Test(arguments: [TensorFormat.plain, .channelsLast, .blocked16], [DataType.float32, .bfloat16])
    func matchesItsDefinition(format: TensorFormat, dataType: DataType) throws {
        let count = shape.reduce(1, *), rows = shape[0] * shape[1]
        let x = (0..<count).map { Float(($0 * 37) % 29 - 14) / 8 }
        let scale = (0..<rows).map { Float(($0 * 7) % 13 - 6) / 4 }
        let shift = (0..<rows).map { Float(($0 * 5) % 11 - 5) / 4 }
        let (scaleTensor, shiftTensor) = (
            try Tensor(shape: [shape[0], shape[1], 1, 1], values: scale),
            try Tensor(shape: [shape[0], shape[1], 1, 1], values: shift)
        )
        for relu in [false, true] {
            let input = Tensor(shape: shape, format: format, dataType: dataType)
            try input.copy(from: try Tensor(shape: shape, values: x))
            let output = Tensor(shape: shape, format: format, dataType: dataType)
            let affine = try PerImageChannelAffine(shape: shape, format: format, dataType: dataType, fusedReLU: relu)
            try affine.run(input, scale: scaleTensor, shift: shiftTensor, into: output)
            let reference = expected(x, scale, shift, relu: relu).map {
                dataType == .bfloat16 ? BFloat16($0).float : $0
            }
            #expect(try output.toArray() == reference, "\(format) \(dataType) relu \(relu)")
            #expect(reference.contains { $0 < 0 } != relu, "the values cover both signs")
            // In place, as BatchNorm2d may run it.
            try affine.run(input, scale: scaleTensor, shift: shiftTensor, into: input)
            #expect(try input.toArray() == reference, "in place: \(format) \(dataType) relu \(relu)")
        }
    }

    /// Operands of another shape, layout or type are refused, naming what was expected.
    @Test func refusesOperandsThatDoNotFit() throws {
        let affine = try PerImageChannelAffine(shape: shape, format: .blocked16)
        let x = Tensor(shape: shape, format: .blocked16)
        let (scale, shift) = (Tensor(shape: [3, 20, 1, 1]), Tensor(shape: [3, 20, 1, 1]))
        try affine.run(x, scale: scale, shift: shift, into: x)
        #expect(throws: EngineError.self) {
            try affine.run(x, scale: Tensor(shape: [1, 20, 1, 1]), shift: shift, into: x)
        }
        #expect(throws: EngineError.self) { try affine.run(Tensor(shape: shape), scale: scale, shift: shift, into: x) }
        #expect(throws: EngineError.self) {
            try affine.run(
                Tensor(shape: shape, format: .blocked16, dataType: .bfloat16), scale: scale, shift: shift, into: x)
        }
        #expect(throws: EngineError.self) { try PerImageChannelAffine(shape: [3, 20], format: .plain) }
    }
}
