import ConFiTEngine
import ConFiTIO
import Testing

/// Expects max |actual − expected| ≤ `relative` · max |expected| + `absolute`: the
/// tolerance of every comparison with the PyTorch fixtures (float32 against a float64
/// reference through many layers).
public func assertClose(
    _ actual: [Float], _ expected: HostTensor, _ name: String, relative: Float = 1e-4, absolute: Float = 1e-7,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let e = expected.floats()
    #expect(actual.count == e.count, "\(name)", sourceLocation: sourceLocation)
    let scale = e.map(abs).max() ?? 0
    let error = zip(actual, e).map { abs($0 - $1) }.max() ?? 0
    #expect(
        error <= relative * scale + absolute, "\(name): max error \(error), max magnitude \(scale)",
        sourceLocation: sourceLocation)
}

/// The same for a tensor, which must also have the expected shape.
public func assertClose(
    _ actual: Tensor, _ expected: HostTensor, _ name: String, relative: Float = 1e-4, absolute: Float = 1e-7,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(actual.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
    assertClose(
        try actual.toArray(), expected, name, relative: relative, absolute: absolute, sourceLocation: sourceLocation)
}

/// Expects |actual − expected| ≤ `tolerance` (or the two equal, for infinities), with both
/// values in the failure's message.
public func expectClose<T: FloatingPoint>(
    _ actual: T, _ expected: T, tolerance: T, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let close = actual == expected || abs(actual - expected) <= tolerance
    #expect(
        close, "\(actual) is not within \(tolerance) of \(expected)\(comment.map { ": \($0)" } ?? "")",
        sourceLocation: sourceLocation)
}
