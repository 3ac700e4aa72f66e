import ConFiTEngine
import ConFiTIO

/// A bank's tensors by name, read back into a network in two phases: every key and shape
/// is checked and its write staged, then `commit()` runs the writes. A bank of another
/// network therefore changes nothing; the error names the first key that does not fit.
struct BankReader {
    private let byName: [String: HostTensor]
    private var writes: [() throws -> Void] = []
    private(set) var read = Set<String>()

    init(_ tensors: [(name: String, tensor: HostTensor)]) {
        byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// The values under `key`, which must have `shape`.
    mutating func values(_ key: String, shape: [Int]) throws -> [Float] {
        guard let tensor = byName[key] else { throw ConFiTError.bankMismatch(key: key, reason: "missing") }
        guard tensor.shape == shape else {
            throw ConFiTError.bankMismatch(key: key, reason: "shape \(tensor.shape), expected \(shape)")
        }
        read.insert(key)
        return tensor.floats()
    }

    /// The values under `key` when the bank has it (of any shape).
    mutating func optionalValues(_ key: String) -> [Float]? {
        guard let tensor = byName[key] else { return nil }
        read.insert(key)
        return tensor.floats()
    }

    /// Checks `key` against `target`'s shape and stages loading it.
    mutating func stage(_ key: String, into target: Tensor) throws {
        let values = try values(key, shape: target.shape)
        writes.append { try target.load(values) }
    }

    /// Stages a write of the caller's, run in order with the loads.
    mutating func stage(_ write: @escaping () throws -> Void) { writes.append(write) }

    /// The keys of the bank that nothing read.
    var unread: [String] { byName.keys.filter { !read.contains($0) }.sorted() }

    /// Runs the staged writes, in order.
    func commit() throws { for write in writes { try write() } }
}
