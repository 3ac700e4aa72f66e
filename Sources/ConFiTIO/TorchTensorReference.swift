/// A tensor as a PyTorch pickle describes it: a view (offset, sizes, strides, in elements)
/// into a storage whose bytes live elsewhere — in the zip archive's `data/<key>` entry or
/// after the pickles of a legacy file. Unpickling yields these; the bytes are read only for
/// the tensors that are kept.
struct TorchTensorReference {
    /// A storage named by a persistent id: its key, element type and element count, and
    /// (legacy views only) the element offset of the view into its root storage.
    struct Storage {
        var key: String
        var dtype: DType
        var count: Int
        var viewOffset: Int = 0
    }

    var storage: Storage
    var dtype: DType
    var offset: Int
    var shape: [Int]
    var strides: [Int]

    /// The tensor's elements gathered in row-major order from `storageBytes` (the root
    /// storage's bytes). Non-contiguous views (a transpose, a slice) are gathered element
    /// by element; every index is checked against the storage first.
    func hostTensor(from storageBytes: ArraySlice<UInt8>) throws(PickleError.Reason) -> HostTensor {
        let size = dtype.size
        guard shape.count == strides.count else {
            throw .invalid("tensor has \(shape.count) sizes but \(strides.count) strides")
        }
        guard let byteCount = HostTensor.byteCount(shape: shape, dtype: dtype) else {
            throw .invalid("tensor shape \(shape) is negative or too large")
        }
        guard byteCount > 0 else { return HostTensor(shape: shape, dtype: dtype, bytes: []) }
        var last = offset
        for (extent, stride) in zip(shape, strides) {
            guard stride >= 0, let step = Self.product(extent - 1, stride), let sum = Self.sum(last, step) else {
                throw .invalid("tensor strides \(strides) for shape \(shape) are negative or too large")
            }
            last = sum
        }
        guard offset >= 0, let start = Self.product(storage.viewOffset, storage.dtype.size),
            let end = Self.sum(last, 1).flatMap({ Self.product($0, size) }).flatMap({ Self.sum($0, start) }),
            end <= storageBytes.count
        else {
            throw .invalid(
                "tensor view (offset \(offset), shape \(shape), strides \(strides)) reaches past its \(storageBytes.count)-byte storage '\(storage.key)'"
            )
        }
        let base = storageBytes.startIndex + start
        var contiguousStride = 1
        var contiguous = true
        for (extent, stride) in zip(shape, strides).reversed() where extent != 1 {
            contiguous = contiguous && stride == contiguousStride
            contiguousStride *= extent
        }
        if contiguous {
            let from = base + offset * size
            return HostTensor(shape: shape, dtype: dtype, bytes: Array(storageBytes[from..<(from + byteCount)]))
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(byteCount)
        var index = [Int](repeating: 0, count: shape.count)
        var element = offset
        for _ in 0..<(byteCount / size) {
            let from = base + element * size
            bytes.append(contentsOf: storageBytes[from..<(from + size)])
            var dimension = shape.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                element += strides[dimension]
                if index[dimension] < shape[dimension] { break }
                element -= strides[dimension] * shape[dimension]
                index[dimension] = 0
                dimension -= 1
            }
        }
        return HostTensor(shape: shape, dtype: dtype, bytes: bytes)
    }

    private static func product(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    private static func sum(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }
}
