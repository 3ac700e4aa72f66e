import ConFiTEngine
import ConFiTIO

/// Why a state dict could not be loaded into a network.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case keysDiffer(missing: [String], unexpected: [String])

    public var description: String {
        switch self {
        case .shapeMismatch(let key, let expected, let found):
            "size mismatch for \(key): the model has shape \(expected), the checkpoint \(found)"
        case .keysDiffer(let missing, let unexpected):
            "state dict keys differ: missing \(missing.isEmpty ? "none" : missing.joined(separator: ", ")); "
                + "unexpected \(unexpected.isEmpty ? "none" : unexpected.joined(separator: ", "))"
        }
    }
}

/// What `loadStateDict` did with the checkpoint's keys (PyTorch's `_IncompatibleKeys`).
public struct LoadReport: Sendable, Equatable {
    public var loaded: [String] = []
    public var missing: [String] = []
    public var unexpected: [String] = []
}

extension Layer {
    /// Every parameter and buffer by state-dict name, parameters first.
    public func stateTensors() -> [(String, Tensor)] {
        namedParameters().map { ($0.0, $0.1.value) } + namedBuffers()
    }

    /// PyTorch's `state_dict()`: plain float32 copies of every parameter and buffer.
    public func stateDict() throws -> [(String, HostTensor)] {
        try stateTensors().map { ($0.0, HostTensor(shape: $0.1.shape, floats: try $0.1.toArray())) }
    }

    /// PyTorch's `load_state_dict`: copies tensors in by name. `num_batches_tracked` keys
    /// are accepted and ignored. Shape mismatches always fail; missing or unexpected keys
    /// fail when `strict`, and are reported otherwise. Nothing is written unless every
    /// tensor that would be loaded has the right shape.
    @discardableResult
    public func loadStateDict(_ tensors: [(String, HostTensor)], strict: Bool = true) throws -> LoadReport {
        let targets = Dictionary(stateTensors(), uniquingKeysWith: { first, _ in first })
        var report = LoadReport()
        var matched: [(Tensor, HostTensor)] = []
        for (key, tensor) in tensors where !key.hasSuffix("num_batches_tracked") {
            guard let target = targets[key] else { report.unexpected.append(key); continue }
            guard target.shape == tensor.shape else {
                throw StateDictError.shapeMismatch(key: key, expected: target.shape, found: tensor.shape)
            }
            matched.append((target, tensor))
            report.loaded.append(key)
        }
        let loaded = Set(report.loaded)
        report.missing = stateTensors().map(\.0).filter { !loaded.contains($0) }
        if strict && !(report.missing.isEmpty && report.unexpected.isEmpty) {
            throw StateDictError.keysDiffer(missing: report.missing, unexpected: report.unexpected)
        }
        for (target, tensor) in matched {
            let values = tensor.floats()
            values.withUnsafeBufferPointer { target.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        for (_, p) in namedParameters() { p.markChanged() }
        return report
    }
}
