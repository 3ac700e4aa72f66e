import ConFiTEngine
import ConFiTTestSupport
import Testing

/// Tensor layouts, copies, views, reorders and their errors. Layout checks read the raw
/// storage at offsets computed here from the layouts' definitions.
///
/// Tolerance: none; every check is exact (copies and reorders do no arithmetic, and the
/// accumulating reorder adds small integers).
@Suite struct TensorTests {
    private let shape = [2, 5, 3, 2]  // N, C, H, W; C = 5 leaves 11 padding channels in nChw16c
    private var values: [Float] { (0..<60).map(Float.init) }

    @Test func channelsLastStorage() throws {
        let nhwc = try makeTensor(shape, values, .channelsLast)
        #expect(nhwc.format == .channelsLast)
        for n in 0..<2 {
            for c in 0..<5 {
                for h in 0..<3 {
                    for w in 0..<2 {
                        #expect(nhwc.pointer[((n * 3 + h) * 2 + w) * 5 + c] == values[((n * 5 + c) * 3 + h) * 2 + w])
                    }
                }
            }
        }
    }

    @Test func blocked16StorageIsZeroPadded() throws {
        let blocked = try makeTensor(shape, values, .blocked16)
        #expect(blocked.byteCount == 2 * 16 * 3 * 2 * 4)
        for n in 0..<2 {
            for c in 0..<16 {
                for h in 0..<3 {
                    for w in 0..<2 {
                        #expect(
                            blocked.pointer[((n * 3 + h) * 2 + w) * 16 + c]
                                == (c < 5 ? values[((n * 5 + c) * 3 + h) * 2 + w] : 0))
                    }
                }
            }
        }
    }

    @Test func roundTripThroughEveryLayout() throws {
        let plain = try makeTensor(shape, values)
        let nhwc = Tensor(shape: shape, format: .channelsLast)
        let blocked = Tensor(shape: shape, format: .blocked16)
        let back = Tensor(shape: shape)
        try nhwc.copy(from: plain)
        try blocked.copy(from: nhwc)
        try back.copy(from: blocked)
        #expect(try back.toArray() == values)
        #expect(try nhwc.toArray() == values)
        #expect(try blocked.toArray() == values)
    }

    @Test func cloneOwnsItsStorage() throws {
        for format in activationFormats {
            let original = try makeTensor(shape, values, format)
            let clone = try original.clone()
            #expect(clone.format == format)
            #expect(clone.shape == shape)
            original.zero()
            #expect(try clone.toArray() == values, "\(format)")
            #expect(try original.toArray() == [Float](repeating: 0, count: 60), "\(format)")
        }
    }

    @Test func viewSharesStorage() throws {
        let tensor = try makeTensor([2, 3, 1, 1], [1, 2, 3, 4, 5, 6])
        let view = try tensor.viewed(as: [2, 3])
        #expect(view.shape == [2, 3])
        #expect(try view.toArray() == [1, 2, 3, 4, 5, 6])
        view.pointer[4] = -5
        #expect(try tensor.toArray() == [1, 2, 3, 4, -5, 6])
        assertShapeMismatch { _ = try tensor.viewed(as: [7]) }
        assertShapeMismatch { _ = try Tensor(shape: self.shape, format: .channelsLast).viewed(as: [60]) }
    }

    /// The first image of a two-image tensor, in every layout: its own elements, in the
    /// same storage, half the bytes.
    @Test func batchPrefixViewsTheFirstImages() throws {
        for format in [TensorFormat.plain, .channelsLast, .blocked16] {
            let tensor = try makeTensor(shape, values, format)
            let first = try tensor.batchPrefix(1)
            #expect(first.shape == [1, 5, 3, 2])
            #expect(first.pointer == tensor.pointer)
            #expect(first.byteCount * 2 == tensor.byteCount, "\(format)")
            #expect(try first.toArray() == Array(values[0..<30]), "\(format)")
            first.zero()
            #expect(
                try tensor.toArray() == [Float](repeating: 0, count: 30) + values[30...],
                "zeroing the view leaves image 1")
        }
        #expect(throws: (any Error).self) { try Tensor(shape: shape).batchPrefix(3) }
        #expect(throws: (any Error).self) { try Tensor(shape: shape).batchPrefix(0) }
    }

    @Test func reorderAccumulates() throws {
        let source = try makeTensor(shape, values, .blocked16)
        let destination = try filledTensor(shape, 100, .channelsLast)
        try Reorder(from: source, to: destination, accumulate: true).run(source, destination)
        #expect(try destination.toArray() == values.map { $0 + 100 })
        try Reorder(from: source, to: destination).run(source, destination)
        #expect(try destination.toArray() == values)
    }

    @Test func errors() throws {
        assertInvalidArgument { _ = try Tensor(shape: [2, 3], values: [1, 2, 3]) }
        assertShapeMismatch { try Tensor(shape: [2, 3]).copy(from: Tensor(shape: [3, 2])) }
        assertShapeMismatch {
            try Tensor(shape: [1, 5, 3, 2], format: .blocked16).copy(from: Tensor(shape: [1, 5, 2, 3]))
        }
        assertShapeMismatch { _ = try Reorder(from: Tensor(shape: [2, 3]), to: Tensor(shape: [6])) }
    }
}
