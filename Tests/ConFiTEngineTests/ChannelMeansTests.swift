import ConFiTEngine
import ConFiTTestSupport
import Testing

/// `channelMeans` in every layout against means computed by hand (exact: every value is
/// a small integer or half-integer).
@Suite struct ChannelMeansTests {
    /// x[n, c, h, w] = 100·c + 12·h² + w + n on [2, 3, 3, 2]; the odd height gives the
    /// parity phases different sizes (rows {0, 2} and {1}).
    @Test func meansAndParityPhasesInEveryLayout() throws {
        var values: [Float] = []
        for n in 0..<2 {
            for c in 0..<3 { for h in 0..<3 { for w in 0..<2 { values.append(Float(100 * c + 12 * h * h + w + n)) } } }
        }
        let plain = try Tensor(shape: [2, 3, 3, 2], values: values)
        for format in [TensorFormat.plain, .channelsLast, .blocked16] {
            let x = Tensor(shape: [2, 3, 3, 2], format: format)
            try x.copy(from: plain)
            // All positions: 100c + 12·mean(0, 1, 4) + mean(w) + mean(n) = 100c + 20 + 0.5 + 0.5.
            #expect(try x.channelMeans(byParity: false) == [[21, 121, 221]], "\(format)")
            // Even rows {0, 2}: 12·2 = 24; odd row {1}: 12; even col adds 0, odd col 1; n adds 0.5.
            #expect(
                try x.channelMeans(byParity: true) == [
                    [24.5, 124.5, 224.5], [25.5, 125.5, 225.5], [12.5, 112.5, 212.5], [13.5, 113.5, 213.5],
                ], "\(format)")
        }
    }

    /// A 1-pixel-wide input leaves three phases empty: their mean is 0, not NaN.
    @Test func emptyPhasesAreZero() throws {
        let x = try Tensor(shape: [1, 2, 1, 1], values: [3, 5])
        #expect(try x.channelMeans(byParity: true) == [[3, 5], [0, 0], [0, 0], [0, 0]])
    }

    /// ChannelMeanReduction (oneDNN pooling, or the loop where pooling cannot express the
    /// phases) in every layout, on an odd height (the loop for phases) and an even one
    /// (pooling for phases, through each layout's 5-D view). x = 100·c + 12·h² + w + n as above; with H = 4 the rows
    /// average 12·mean(0, 1, 4, 9) = 42, even rows {0, 2} 24, odd rows {1, 3} 60.
    @Test func reductionMatchesHandComputedMeans() throws {
        let expected: [Int: (all: [Float], phases: [[Float]])] = [
            3: (
                [21, 121, 221],
                [[24.5, 124.5, 224.5], [25.5, 125.5, 225.5], [12.5, 112.5, 212.5], [13.5, 113.5, 213.5]]
            ),
            4: (
                [43, 143, 243],
                [[24.5, 124.5, 224.5], [25.5, 125.5, 225.5], [60.5, 160.5, 260.5], [61.5, 161.5, 261.5]]
            ),
        ]
        for (height, means) in expected {
            let shape = [2, 3, height, 2]
            var values: [Float] = []
            for n in 0..<2 {
                for c in 0..<3 {
                    for h in 0..<height { for w in 0..<2 { values.append(Float(100 * c + 12 * h * h + w + n)) } }
                }
            }
            let plain = try Tensor(shape: shape, values: values)
            for format in [TensorFormat.plain, .channelsLast, .blocked16] {
                let x = Tensor(shape: shape, format: format)
                try x.copy(from: plain)
                for _ in 0..<2 {  // the second call reuses the kernel and the input's view
                    #expect(
                        try ChannelMeanReduction(shape: shape, format: format, byParity: false)(x) == [means.all],
                        "H \(height) \(format)")
                }
                let phased = try ChannelMeanReduction(shape: shape, format: format, byParity: true)
                for _ in 0..<2 { #expect(try phased(x) == means.phases, "H \(height) \(format) phases") }
            }
        }
    }

    /// 20 channels span two nChw16c blocks, the second padded. x = c + 12·h² + w + n on
    /// [2, 20, 4, 4]: rows as above, columns
    /// average 1.5, even columns {0, 2} 1, odd {1, 3} 2; n adds 0.5.
    @Test func reductionOverSeveralChannelBlocks() throws {
        let shape = [2, 20, 4, 4]
        var values: [Float] = []
        for n in 0..<2 {
            for c in 0..<20 { for h in 0..<4 { for w in 0..<4 { values.append(Float(c + 12 * h * h + w + n)) } } }
        }
        let plain = try Tensor(shape: shape, values: values)
        let channels = (0..<20).map(Float.init)
        let phases: [[Float]] = [25.5, 26.5, 61.5, 62.5].map { base in channels.map { $0 + base } }
        for format in [TensorFormat.plain, .channelsLast, .blocked16] {
            let x = Tensor(shape: shape, format: format)
            try x.copy(from: plain)
            #expect(
                try ChannelMeanReduction(shape: shape, format: format, byParity: false)(x) == [
                    channels.map { $0 + 44 }
                ], "\(format)")
            #expect(
                try ChannelMeanReduction(shape: shape, format: format, byParity: true)(x) == phases, "\(format) phases")
        }
    }

    /// Even sizes take oneDNN's pooling in every layout (one call, no Swift loop); the
    /// phases of an odd size cannot be pooled, so they take the loop.
    @Test func parityMeansArePooledForEvenSizes() throws {
        for (height, pooled) in [(4, true), (3, false)] {
            for format in [TensorFormat.plain, .channelsLast, .blocked16] {
                let shape = [2, 20, height, 4]
                let profiler = Profiler()
                let reduction = try ChannelMeanReduction(
                    shape: shape, format: format, byParity: true, profiler: profiler)
                _ = try reduction(Tensor(shape: shape, format: format))
                #expect(
                    (profiler.calls["pooling forward_inference"] == 1) == pooled,
                    "H \(height) \(format): \(profiler.calls)")
            }
        }
    }

    @Test func reductionRefusesAnotherShapeOrLayout() throws {
        let reduction = try ChannelMeanReduction(shape: [1, 2, 2, 2], format: .channelsLast, byParity: true)
        assertShapeMismatch { _ = try reduction(Tensor(shape: [1, 2, 2, 4], format: .channelsLast)) }
        #expect(throws: (any Error).self) { try reduction(Tensor(shape: [1, 2, 2, 2])) }
    }
}
