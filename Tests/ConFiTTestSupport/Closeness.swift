import ConFiTEngine
import ConFiTIO
import XCTest

/// Asserts max |actual − expected| ≤ `relative` · max |expected| + `absolute`: the
/// tolerance of every comparison with the PyTorch fixtures (float32 against a float64
/// reference through many layers).
public func assertClose(
    _ actual: [Float], _ expected: HostTensor, _ name: String, relative: Float = 1e-4, absolute: Float = 1e-7,
    file: StaticString = #filePath, line: UInt = #line
) {
    let e = expected.floats()
    XCTAssertEqual(actual.count, e.count, name, file: file, line: line)
    let scale = e.map(abs).max() ?? 0
    let error = zip(actual, e).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(
        error, relative * scale + absolute, "\(name): max error \(error), max magnitude \(scale)",
        file: file, line: line)
}

/// The same for a tensor, which must also have the expected shape.
public func assertClose(
    _ actual: Tensor, _ expected: HostTensor, _ name: String, relative: Float = 1e-4, absolute: Float = 1e-7,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    XCTAssertEqual(actual.shape, expected.shape, name, file: file, line: line)
    assertClose(try actual.toArray(), expected, name, relative: relative, absolute: absolute, file: file, line: line)
}
