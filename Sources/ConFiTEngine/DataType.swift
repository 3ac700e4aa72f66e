import CDNNL

/// The element type of a tensor's storage.
///
/// Parameters, their gradients, optimiser state, statistics and everything users read are
/// float32. Activations and their gradients may be bfloat16 — float32's exponent with 8 bits
/// of mantissa — where the CPU computes with it natively (`Engine.supportsBFloat16`):
/// half the bytes to move, and oneDNN's bf16 kernels do twice the multiply-adds per
/// instruction.
public enum DataType: String, Sendable, Hashable, CaseIterable, Codable {
    case float32
    case bfloat16 = "bf16"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: 4
        case .bfloat16: 2
        }
    }

    var dnnl: dnnl_data_type_t {
        switch self {
        case .float32: dnnl_f32
        case .bfloat16: dnnl_bf16
        }
    }

    init?(_ type: dnnl_data_type_t) {
        switch type {
        case dnnl_f32: self = .float32
        case dnnl_bf16: self = .bfloat16
        default: return nil
        }
    }
}
