import CDNNL
import Foundation

/// A float32 tensor: a shape, a memory layout, and 64-byte-aligned storage it owns.
///
/// A reference type, on purpose: networks allocate their activation and gradient buffers
/// once and overwrite them every step (as llm.c does), and oneDNN primitives hold raw
/// pointers into them. Copy-on-write would hide copies on exactly those hot paths, so
/// copies here are explicit (`copy(from:)`, `clone()`), and a tensor handed out by a
/// layer stays valid until that layer's next forward or backward.
public final class Tensor {
    /// Logical dimensions, outermost first (N, C, H, W for images).
    public let shape: [Int]
    /// The memory layout of `pointer`.
    public let format: TensorFormat
    /// Size of the storage in bytes; larger than `count * 4` for padded blocked layouts.
    public let byteCount: Int
    /// The storage, in `format`'s order.
    public let pointer: UnsafeMutablePointer<Float>

    var descriptor: dnnl_memory_desc_t
    let memory: dnnl_memory_t
    /// The tensor whose storage this one views, kept alive by the reference; nil if owned.
    private let base: Tensor?

    /// A zero-filled tensor of `shape` in `format`.
    public convenience init(shape: [Int], format: TensorFormat = .plain) {
        let md = memoryDescriptor(shape, format: format)
        self.init(descriptor: md, shape: shape, format: format)
    }

    /// A plain tensor holding `values` in row-major order.
    public convenience init(shape: [Int], values: [Float]) throws {
        guard shape.reduce(1, *) == values.count else {
            throw EngineError.invalidArgument(operation: "Tensor(shape:values:)", reason: "shape \(shape) holds \(shape.reduce(1, *)) elements, \(values.count) values given")
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
        self.descriptor = md
        self.base = base
        let raw: UnsafeMutableRawPointer
        if let base {
            byteCount = min(base.byteCount, max(64, dnnl_memory_desc_get_size(&md)))
            raw = UnsafeMutableRawPointer(base.pointer)
        } else {
            byteCount = max(64, dnnl_memory_desc_get_size(&md))
            raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        }
        pointer = raw.bindMemory(to: Float.self, capacity: byteCount / 4)
        var mem: dnnl_memory_t?
        precondition(dnnl_memory_create(&mem, &md, Engine.shared.handle, raw) == dnnl_success,
                     "oneDNN rejected a memory descriptor built for shape \(shape)")
        memory = mem!
    }

    deinit {
        dnnl_memory_destroy(memory)
        if base == nil { pointer.deallocate() }
    }

    /// The same storage seen as another plain shape with the same element count, such as
    /// [N, C, 1, 1] as [N, C], or OIHW weights as oneDNN's grouped GOIHW.
    public func viewed(as newShape: [Int]) throws -> Tensor {
        guard format == .plain,
              newShape.reduce(1, *) == count else {
            throw EngineError.shapeMismatch(operation: "Tensor.viewed(as:) of a plain tensor", expected: shape, found: newShape)
        }
        return Tensor(descriptor: memoryDescriptor(newShape, format: .plain), shape: newShape, format: .plain, viewing: self)
    }

    /// The first `n` images of this [N, ...] tensor, in its storage: every layout here keeps
    /// images outermost, so they are a prefix of it. The view keeps this tensor alive.
    public func batchPrefix(_ n: Int) throws -> Tensor {
        guard let batch = shape.first, (1...batch).contains(n) else {
            throw EngineError.invalidArgument(operation: "Tensor.batchPrefix", reason: "\(n) images of a tensor of shape \(shape)")
        }
        let prefix = [n] + shape.dropFirst()
        return Tensor(descriptor: memoryDescriptor(prefix, format: format), shape: prefix, format: format, viewing: self)
    }

    /// The same bytes read as `newShape` in `newFormat`; the caller vouches that this
    /// means something (e.g. an even-sized image's channel groups as NDHWC with the row
    /// parity split off, `ChannelMeanReduction`). The view keeps this tensor alive.
    func reinterpreted(as newShape: [Int], format newFormat: TensorFormat) throws -> Tensor {
        let md = memoryDescriptor(newShape, format: newFormat)
        guard dnnl_memory_desc_get_size([md]) == dnnl_memory_desc_get_size([descriptor]) else {
            throw EngineError.shapeMismatch(operation: "Tensor.reinterpreted(as:format:)", expected: shape, found: newShape)
        }
        return Tensor(descriptor: md, shape: newShape, format: newFormat, viewing: self)
    }

    /// Number of logical elements.
    public var count: Int { shape.reduce(1, *) }

    /// Sets every element (padding included) to zero.
    public func zero() { memset(pointer, 0, byteCount) }

    /// The elements in plain row-major order, whatever the layout.
    public func toArray() throws -> [Float] {
        if format == .plain { return Array(UnsafeBufferPointer(start: pointer, count: count)) }
        let plain = Tensor(shape: shape)
        try plain.copy(from: self)
        return try plain.toArray()
    }

    /// Overwrites this tensor with `source`'s elements, converting the layout if needed.
    public func copy(from source: Tensor) throws {
        guard source.shape == shape else {
            throw EngineError.shapeMismatch(operation: "Tensor.copy", expected: shape, found: source.shape)
        }
        if dnnl_memory_desc_equal(&descriptor, &source.descriptor) != 0 {
            pointer.update(from: source.pointer, count: byteCount / 4)
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
}

/// A oneDNN memory descriptor for float32 `shape` in `format`.
func memoryDescriptor(_ shape: [Int], format: TensorFormat) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let dims = shape.map(Int64.init)
    let status = dnnl_memory_desc_init_by_tag(&md, Int32(shape.count), dims, dnnl_f32, format.tag(rank: shape.count))
    precondition(status == dnnl_success, "cannot describe shape \(shape) as \(format)")
    return md
}
