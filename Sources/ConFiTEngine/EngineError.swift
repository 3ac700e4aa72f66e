import CDNNL

/// Errors raised by the compute engine. Each says which operation failed and why.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// oneDNN refused or failed an operation (`status` is its `dnnl_status_t` name).
    case dnnl(operation: String, status: String)
    /// A tensor did not have the shape an operation needs.
    case shapeMismatch(operation: String, expected: [Int], found: [Int])
    /// A tensor was not in the memory layout the operation was built for.
    case layoutMismatch(operation: String, expected: TensorFormat, found: TensorFormat)
    /// A tensor did not hold the element type the operation was built for.
    case dataTypeMismatch(operation: String, expected: DataType, found: DataType)
    /// A value the operation cannot accept (e.g. a label outside the task's classes).
    case invalidArgument(operation: String, reason: String)
    /// MPI refused or failed a call (its error string).
    case mpi(operation: String, message: String)

    public var description: String {
        switch self {
        case .dnnl(let op, let status): "oneDNN failed in \(op): \(status)"
        case .shapeMismatch(let op, let expected, let found):
            "\(op): expected shape \(expected), found \(found)"
        case .layoutMismatch(let op, let expected, let found):
            "\(op): expected layout \(expected.rawValue), found \(found.rawValue)"
        case .dataTypeMismatch(let op, let expected, let found):
            "\(op): expected \(expected.rawValue) elements, found \(found.rawValue)"
        case .invalidArgument(let op, let reason): "\(op): \(reason)"
        case .mpi(let op, let message): "MPI failed in \(op): \(message)"
        }
    }
}

/// Throws `EngineError.dnnl` unless `status` is success.
@inline(__always)
func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
    guard status == dnnl_success else {
        throw EngineError.dnnl(operation: operation(), status: statusName(status))
    }
}

private func statusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_out_of_memory: "out of memory"
    case dnnl_invalid_arguments: "invalid arguments"
    case dnnl_unimplemented: "unimplemented (no kernel for these shapes/formats)"
    case dnnl_runtime_error: "runtime error"
    default: "status \(status.rawValue)"
    }
}

/// Throws unless `tensor` has `shape` (and `format` and `dataType`, when given), naming `what`.
func expect(
    _ tensor: Tensor, _ shape: [Int], _ what: String, format: TensorFormat? = nil, dataType: DataType? = nil
) throws {
    guard tensor.shape == shape else {
        throw EngineError.shapeMismatch(operation: what, expected: shape, found: tensor.shape)
    }
    if let format, tensor.format != format {
        throw EngineError.layoutMismatch(operation: what, expected: format, found: tensor.format)
    }
    if let dataType, tensor.dataType != dataType {
        throw EngineError.dataTypeMismatch(operation: what, expected: dataType, found: tensor.dataType)
    }
}
