/// The element types that tensor files store.
public enum DType: String, Sendable, CaseIterable {
    case float32 = "F32", float16 = "F16", bfloat16 = "BF16", float64 = "F64"
    case int64 = "I64", int32 = "I32", uint8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .uint8, .bool: 1
        }
    }
}

/// A tensor as a file holds it: a shape, an element type and the raw little-endian
/// bytes. A value type: files are read into these, converted to compute tensors by
/// the layers above, and nothing here knows about oneDNN.
public struct HostTensor: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: DType
    public var bytes: [UInt8]

    public init(shape: [Int], dtype: DType, bytes: [UInt8]) {
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }

    /// A float32 tensor holding `values` in row-major order.
    public init(shape: [Int], floats values: [Float]) {
        self.shape = shape
        self.dtype = .float32
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    /// A float64 tensor holding `values` in row-major order.
    public init(shape: [Int], doubles values: [Double]) {
        self.shape = shape
        self.dtype = .float64
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    /// An int64 tensor holding `values` in row-major order.
    public init(shape: [Int], int64s values: [Int]) {
        self.shape = shape
        self.dtype = .int64
        self.bytes = values.map(Int64.init).withUnsafeBytes { Array($0) }
    }

    /// Number of elements (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }

    /// Bytes that a tensor of this shape and dtype holds; nil for a negative dimension or
    /// when the size overflows `Int` (a lying file header, not a real tensor).
    public static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var total = dtype.size
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            total = product
        }
        return total
    }

    /// The elements converted to Float (floats widened or narrowed, integers converted).
    public func floats() -> [Float] {
        switch dtype {
        case .float32: bytes.withUnsafeBytes { raw in raw.withMemoryRebound(to: Float.self) { Array($0) } }
        case .float64: elements(Double.self) { Float($0) }
        case .float16: elements(UInt16.self) { Float(Float16(bitPattern: $0)) }
        case .bfloat16: elements(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .int64: elements(Int64.self) { Float($0) }
        case .int32: elements(Int32.self) { Float($0) }
        case .uint8, .bool: bytes.map { Float($0) }
        }
    }

    /// The elements as Double (exact for float64 and float32; integers converted).
    public func doubles() -> [Double] {
        dtype == .float64 ? elements(Double.self) { $0 } : floats().map(Double.init)
    }

    /// The elements converted to Int (integers as they are, floats truncated).
    public func ints() -> [Int] {
        switch dtype {
        case .int64: elements(Int64.self) { Int($0) }
        case .int32: elements(Int32.self) { Int($0) }
        case .uint8, .bool: bytes.map { Int($0) }
        default: floats().map { Int($0) }
        }
    }

    /// The bytes viewed as `Element`s (an Array's storage is aligned for any of them),
    /// each converted by `convert`.
    private func elements<Element, Result>(_: Element.Type, _ convert: (Element) -> Result) -> [Result] {
        bytes.withUnsafeBytes { raw in raw.withMemoryRebound(to: Element.self) { $0.map(convert) } }
    }
}
