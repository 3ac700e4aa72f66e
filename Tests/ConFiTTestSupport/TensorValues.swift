import ConFiTEngine
import XCTest

/// Deterministic test values: multiples of 1/8 in [-1, 1]. Products of two are multiples
/// of 1/64, so the small sums these tests form are exact in float32 and in any order.
public func sampleValues(_ count: Int, seed: Int) -> [Float] {
    (0..<count).map { Float(($0 * 37 + seed * 11) % 17 - 8) / 8 }
}

/// `count` distinct values (a permutation of 0..<count, shifted to be centred on zero),
/// for max pooling where ties would make the argmax ambiguous.
public func distinctValues(_ count: Int, seed: Int) -> [Float] {
    (0..<count).map { Float(($0 * 7919 + seed) % count) - Float(count / 2) }
}

/// A tensor of `shape` in `format` holding `values` in plain row-major order.
public func makeTensor(_ shape: [Int], _ values: [Float], _ format: TensorFormat = .plain) throws -> Tensor {
    let plain = try Tensor(shape: shape, values: values)
    guard format != .plain else { return plain }
    let tensor = Tensor(shape: shape, format: format)
    try tensor.copy(from: plain)
    return tensor
}

/// A tensor of `shape` in `format` with every element equal to `value`.
public func filledTensor(_ shape: [Int], _ value: Float, _ format: TensorFormat = .plain) throws -> Tensor {
    try makeTensor(shape, [Float](repeating: value, count: shape.reduce(1, *)), format)
}

/// Asserts that `tensor`, read in plain row-major order, equals `expected` within
/// `accuracy` (absolute) element by element; reports the first mismatch.
public func assertValues(
    _ tensor: Tensor, _ expected: [Double], accuracy: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let actual = try tensor.toArray()
    guard actual.count == expected.count else {
        return XCTFail("\(message): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
    }
    if let i = actual.indices.first(where: { !(abs(Double(actual[$0]) - expected[$0]) <= accuracy) }) {
        XCTFail(
            "\(message): element \(i) is \(actual[i]), expected \(expected[i]) ± \(accuracy)", file: file, line: line)
    }
}

/// Asserts that `body` throws `EngineError.shapeMismatch`.
public func assertShapeMismatch(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case EngineError.shapeMismatch = error else {
            return XCTFail("expected a shape mismatch, got \(error)", file: file, line: line)
        }
    }
}

/// Asserts that `body` throws `EngineError.invalidArgument`.
public func assertInvalidArgument(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case EngineError.invalidArgument = error else {
            return XCTFail("expected an invalid argument, got \(error)", file: file, line: line)
        }
    }
}

/// The three activation layouts every kernel must handle.
public let activationFormats: [TensorFormat] = [.plain, .channelsLast, .blocked16]
