import ConFiTEngine
import XCTest

/// `channelMeans` in every layout against means computed by hand (exact: every value is
/// a small integer or half-integer).
final class ChannelMeansTests: XCTestCase {
    /// x[n, c, h, w] = 100·c + 12·h² + w + n on [2, 3, 3, 2]; the odd height gives the
    /// parity phases different sizes (rows {0, 2} and {1}).
    func testMeansAndParityPhasesInEveryLayout() throws {
        var values: [Float] = []
        for n in 0..<2 { for c in 0..<3 { for h in 0..<3 { for w in 0..<2 { values.append(Float(100 * c + 12 * h * h + w + n)) } } } }
        let plain = try Tensor(shape: [2, 3, 3, 2], values: values)
        for format in [TensorFormat.plain, .channelsLast, .blocked16] {
            let x = Tensor(shape: [2, 3, 3, 2], format: format)
            try x.copy(from: plain)
            // All positions: 100c + 12·mean(0, 1, 4) + mean(w) + mean(n) = 100c + 20 + 0.5 + 0.5.
            XCTAssertEqual(try x.channelMeans(byParity: false), [[21, 121, 221]], "\(format)")
            // Even rows {0, 2}: 12·2 = 24; odd row {1}: 12; even col adds 0, odd col 1; n adds 0.5.
            XCTAssertEqual(try x.channelMeans(byParity: true),
                           [[24.5, 124.5, 224.5], [25.5, 125.5, 225.5], [12.5, 112.5, 212.5], [13.5, 113.5, 213.5]], "\(format)")
        }
    }

    /// A 1-pixel-wide input leaves three phases empty: their mean is 0, not NaN.
    func testEmptyPhasesAreZero() throws {
        let x = try Tensor(shape: [1, 2, 1, 1], values: [3, 5])
        XCTAssertEqual(try x.channelMeans(byParity: true), [[3, 5], [0, 0], [0, 0], [0, 0]])
    }
}
