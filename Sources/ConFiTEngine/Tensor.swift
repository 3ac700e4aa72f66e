import CDNNL
import Foundation

/// A tensor: a shape, a memory layout, an element type, and 64-byte-aligned storage it owns.
///
/// A reference type, on purpose: networks allocate their activation and gradient buffers
/// once and overwrite them every step (as llm.c does), and oneDNN primitives hold raw
/// pointers into them. Copy-on-write would hide copies on exactly those hot paths, so
/// copies here are explicit (`copy(from:)`, `clone()`), and a tensor handed out by a
/// layer stays valid until that layer's next forward or backward.
public final class Tensor {
    /// Logical dimensions, outermost first (N, C, H, W for images).
    public let shape: [Int]
    /// The memory layout of `bytes`.
    public let format: TensorFormat
    /// The element type of the storage.
    public let dataType: DataType
    /// Size of the storage in bytes; larger than `count * dataType.size` for padded blocked layouts.
    public let byteCount: Int
    /// The storage, in `format`'s order.
    public let bytes: UnsafeMutableRawPointer

    /// The storage of a float32 tensor as floats.
    public var pointer: UnsafeMutablePointer<Float> {
        precondition(dataType == .float32, "float elements of a \(dataType) tensor")
        return bytes.assumingMemoryBound(to: Float.self)
    }

    /// The storage of a bfloat16 tensor as its elements.
    public var bfloat16Pointer: UnsafeMutablePointer<BFloat16> {
        precondition(dataType == .bfloat16, "bfloat16 elements of a \(dataType) tensor")
        return bytes.assumingMemoryBound(to: BFloat16.self)
    }

    var descriptor: dnnl_memory_desc_t
    let memory: dnnl_memory_t
    /// The tensor whose storage this one views, kept alive by the reference; nil if owned.
    private let base: Tensor?

    /// A zero-filled tensor of `shape` in `format`.
    public convenience init(shape: [Int], format: TensorFormat = .plain, dataType: DataType = .float32) {
        let md = memoryDescriptor(shape, format: format, dataType: dataType)
        self.init(descriptor: md, shape: shape, format: format)
    }

    /// A plain tensor holding `values` in row-major order.
    public convenience init(shape: [Int], values: [Float]) throws {
        guard shape.reduce(1, *) == values.count else {
            throw EngineError.invalidArgument(
                operation: "Tensor(shape:values:)",
                reason: "shape \(shape) holds \(shape.reduce(1, *)) elements, \(values.count) values given")
        }
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A zero-filled tensor laid out as a oneDNN primitive asked for.
    convenience init(descriptor md: dnnl_memory_desc_t) {
        let rank = Int(md.ndims)
        let shape = withUnsafeBytes(of: md.dims) { raw in
            (0..<rank).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
        self.init(descriptor: md, shape: shape, format: .native)
    }

    private init(descriptor md: dnnl_memory_desc_t, shape: [Int], format: TensorFormat, viewing base: Tensor? = nil) {
        var md = md
        self.shape = shape
        self.format = format
        // Workspaces (batch norm's ReLU mask, max pooling's indices) are u8 or s32: storage only
        // oneDNN reads, labelled float32 for want of a type of their own.
        self.dataType = DataType(md.data_type) ?? .float32
        self.descriptor = md
        self.base = base
        let raw: UnsafeMutableRawPointer
        if let base {
            byteCount = min(base.byteCount, max(64, dnnl_memory_desc_get_size(&md)))
            raw = base.bytes
        } else {
            byteCount = max(64, dnnl_memory_desc_get_size(&md))
            raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        }
        bytes = raw
        var mem: dnnl_memory_t?
        precondition(
            dnnl_memory_create(&mem, &md, Engine.shared.handle, raw) == dnnl_success,
            "oneDNN rejected a memory descriptor built for shape \(shape)")
        memory = mem!
    }

    deinit {
        dnnl_memory_destroy(memory)
        if base == nil { bytes.deallocate() }
    }

    /// The same storage seen as another plain shape with the same element count, such as
    /// [N, C, 1, 1] as [N, C], or OIHW weights as oneDNN's grouped GOIHW.
    public func viewed(as newShape: [Int]) throws -> Tensor {
        guard format == .plain,
            newShape.reduce(1, *) == count
        else {
            throw EngineError.shapeMismatch(
                operation: "Tensor.viewed(as:) of a plain tensor", expected: shape, found: newShape)
        }
        return Tensor(
            descriptor: memoryDescriptor(newShape, format: .plain, dataType: dataType), shape: newShape, format: .plain,
            viewing: self)
    }

    /// The first `n` images of this [N, ...] tensor, in its storage: every layout here keeps
    /// images outermost, so they are a prefix of it. The view keeps this tensor alive.
    public func batchPrefix(_ n: Int) throws -> Tensor {
        guard let batch = shape.first, (1...batch).contains(n) else {
            throw EngineError.invalidArgument(
                operation: "Tensor.batchPrefix", reason: "\(n) images of a tensor of shape \(shape)")
        }
        let prefix = [n] + shape.dropFirst()
        return Tensor(
            descriptor: memoryDescriptor(prefix, format: format, dataType: dataType), shape: prefix, format: format,
            viewing: self)
    }

    /// The same bytes read as `newShape` in `newFormat`; the caller vouches that this
    /// means something (e.g. an even-sized image's channel groups as NDHWC with the row
    /// parity split off, `ChannelMeanReduction`). The view keeps this tensor alive.
    func reinterpreted(as newShape: [Int], format newFormat: TensorFormat) throws -> Tensor {
        let md = memoryDescriptor(newShape, format: newFormat, dataType: dataType)
        guard dnnl_memory_desc_get_size([md]) == dnnl_memory_desc_get_size([descriptor]) else {
            throw EngineError.shapeMismatch(
                operation: "Tensor.reinterpreted(as:format:)", expected: shape, found: newShape)
        }
        return Tensor(descriptor: md, shape: newShape, format: newFormat, viewing: self)
    }

    /// Number of logical elements.
    public var count: Int { shape.reduce(1, *) }

    /// Sets every element (padding included) to zero.
    public func zero() { memset(bytes, 0, byteCount) }

    /// The elements in plain row-major order as floats, whatever the layout and type.
    public func toArray() throws -> [Float] {
        if format == .plain, dataType == .float32 { return Array(UnsafeBufferPointer(start: pointer, count: count)) }
        let plain = Tensor(shape: shape)
        try plain.copy(from: self)
        return try plain.toArray()
    }

    /// Overwrites this tensor with `source`'s elements, converting the layout and the element
    /// type if needed (float32 to bfloat16 rounds to nearest even).
    public func copy(from source: Tensor) throws {
        guard source.shape == shape else {
            throw EngineError.shapeMismatch(operation: "Tensor.copy", expected: shape, found: source.shape)
        }
        if dnnl_memory_desc_equal(&descriptor, &source.descriptor) != 0 {
            bytes.copyMemory(from: source.bytes, byteCount: byteCount)
        } else {
            try Reorder(from: source.descriptor, to: descriptor).run(source, self)
        }
    }

    /// A new tensor with the same shape, layout and elements.
    public func clone() throws -> Tensor {
        let copy = Tensor(descriptor: descriptor, shape: shape, format: format)
        try copy.copy(from: self)
        return copy
    }

    /// A new tensor with the same shape, layout and elements, stored as `type`.
    public func converted(to type: DataType) throws -> Tensor {
        let copy = Tensor(shape: shape, format: format == .native ? .plain : format, dataType: type)
        try copy.copy(from: self)
        return copy
    }
}

/// A oneDNN memory descriptor for `shape` in `format`, of `dataType` elements.
func memoryDescriptor(_ shape: [Int], format: TensorFormat, dataType: DataType = .float32) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let dims = shape.map(Int64.init)
    let status = dnnl_memory_desc_init_by_tag(
        &md, Int32(shape.count), dims, dataType.dnnl, format.tag(rank: shape.count))
    precondition(status == dnnl_success, "cannot describe shape \(shape) as \(format) \(dataType)")
    return md
}
