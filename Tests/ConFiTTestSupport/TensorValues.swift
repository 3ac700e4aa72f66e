import ConFiTEngine
import Testing

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

/// Expects that `tensor`, read in plain row-major order, equals `expected` within
/// `accuracy` (absolute) element by element; reports the first mismatch.
public func assertValues(
    _ tensor: Tensor, _ expected: [Double], accuracy: Double, _ message: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let actual = try tensor.toArray()
    guard actual.count == expected.count else {
        Issue.record(
            "\(message): \(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    if let i = actual.indices.first(where: { !(abs(Double(actual[$0]) - expected[$0]) <= accuracy) }) {
        Issue.record(
            "\(message): element \(i) is \(actual[i]), expected \(expected[i]) ± \(accuracy)",
            sourceLocation: sourceLocation)
    }
}

/// Expects that `body` throws `EngineError.shapeMismatch`.
public func assertShapeMismatch(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    expectEngineError(body, "a shape mismatch", sourceLocation: sourceLocation) {
        guard case .shapeMismatch = $0 else { return false }
        return true
    }
}

/// Expects that `body` throws `EngineError.invalidArgument`.
public func assertInvalidArgument(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    expectEngineError(body, "an invalid argument", sourceLocation: sourceLocation) {
        guard case .invalidArgument = $0 else { return false }
        return true
    }
}

/// Expects that `body` throws an error, and that it is an `EngineError` of the kind
/// `matches` accepts (`kind` names it in the failure).
private func expectEngineError(
    _ body: () throws -> Void, _ kind: String, sourceLocation: SourceLocation, matches: (EngineError) -> Bool
) {
    guard let error = #expect(throws: (any Error).self, sourceLocation: sourceLocation, performing: body) else {
        return
    }
    if !((error as? EngineError).map(matches) ?? false) {
        Issue.record("expected \(kind), got \(error)", sourceLocation: sourceLocation)
    }
}

/// The three activation layouts every kernel must handle.
public let activationFormats: [TensorFormat] = [.plain, .channelsLast, .blocked16]
