/// A bfloat16 number: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 stored
/// mantissa bits), the element of bfloat16 activations.
public struct BFloat16: Hashable, Sendable {
    public var bits: UInt16

    /// `value` rounded to the nearest bfloat16, ties to even (as oneDNN and PyTorch round);
    /// NaN stays NaN.
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            self.bits = UInt16(bits >> 16) | 0x40
        } else {
            self.bits = UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        }
    }

    /// The exact float32 value.
    public var float: Float { Float(bitPattern: UInt32(bits) << 16) }
}

/// An element type that Swift kernels over activations read as float32 and write back:
/// `Float` itself, and `BFloat16`, widened exactly and narrowed with rounding.
protocol ActivationElement {
    init(_ value: Float)
    var float: Float { get }
    /// 16 consecutive elements as floats, from any alignment.
    static func widen16(_ pointer: UnsafePointer<Self>) -> SIMD16<Float>
    /// 8 consecutive elements as floats, from any alignment.
    static func widen8(_ pointer: UnsafePointer<Self>) -> SIMD8<Float>
}

extension Float: ActivationElement {
    var float: Float { self }

    @inline(__always) static func widen16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) static func widen8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension BFloat16: ActivationElement {
    // Element by element: LLVM turns these loops into vector unpacks, while Swift's generic
    // SIMD conversions (`init(truncatingIfNeeded:)`) are an out-of-line call per vector.
    @inline(__always) static func widen16(_ pointer: UnsafePointer<BFloat16>) -> SIMD16<Float> {
        var floats = SIMD16<Float>()
        for k in 0..<16 { floats[k] = pointer[k].float }
        return floats
    }

    @inline(__always) static func widen8(_ pointer: UnsafePointer<BFloat16>) -> SIMD8<Float> {
        var floats = SIMD8<Float>()
        for k in 0..<8 { floats[k] = pointer[k].float }
        return floats
    }
}
