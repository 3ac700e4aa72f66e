import ConFiTEngine
import ConFiTIO

/// Why a state dict could not be loaded into a network. Lists every problem at once, so
/// one failed load tells the user everything that differs between file and model.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case incompatible(missing: [String], unexpected: [String], mismatched: [LoadReport.ShapeMismatch])

    public var description: String {
        switch self {
        case .incompatible(let missing, let unexpected, let mismatched):
            "state dict does not fit the model: missing \(Self.list(missing)); unexpected \(Self.list(unexpected)); "
                + "shape mismatches \(Self.list(mismatched.map(\.description)))"
        }
    }

    /// Up to ten items, then a count: a wrong checkpoint can differ in hundreds of keys.
    private static func list(_ items: [String]) -> String {
        guard !items.isEmpty else { return "none" }
        let shown = items.prefix(10).joined(separator: ", ")
        return items.count > 10 ? "\(shown) and \(items.count - 10) more (\(items.count) in all)" : shown
    }
}

/// What `loadStateDict` did with the checkpoint's keys (PyTorch's `_IncompatibleKeys`,
/// plus the shape mismatches PyTorch reports in its error).
public struct LoadReport: Sendable, Equatable {
    /// A key whose tensor exists in both but with different shapes.
    public struct ShapeMismatch: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var expected: [Int], found: [Int]
        public init(key: String, expected: [Int], found: [Int]) {
            (self.key, self.expected, self.found) = (key, expected, found)
        }
        public var description: String { "\(key) (model \(expected), checkpoint \(found))" }
    }

    public var loaded: [String] = []
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var mismatched: [ShapeMismatch] = []
    /// Checkpoint keys left out on purpose (`excluding`), e.g. a replaced classifier.
    public var skipped: [String] = []
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
    /// are accepted and ignored. Keys under any of `excludedPrefixes` (e.g. `"fc."`) are
    /// neither loaded nor counted missing or unexpected. Shape mismatches always fail (as
    /// in PyTorch); missing or unexpected keys fail when `strict`, and are reported
    /// otherwise. Nothing is written unless the load succeeds.
    @discardableResult
    public func loadStateDict(
        _ tensors: [(String, HostTensor)], strict: Bool = true,
        excluding excludedPrefixes: [String] = []
    ) throws -> LoadReport {
        func excluded(_ key: String) -> Bool { excludedPrefixes.contains { key.hasPrefix($0) } }
        let targets = Dictionary(stateTensors(), uniquingKeysWith: { first, _ in first })
        var report = LoadReport()
        var matched: [(Tensor, HostTensor)] = []
        for (key, tensor) in tensors where !key.hasSuffix("num_batches_tracked") {
            if excluded(key) {
                report.skipped.append(key)
                continue
            }
            guard let target = targets[key] else {
                report.unexpected.append(key)
                continue
            }
            guard target.shape == tensor.shape else {
                report.mismatched.append(.init(key: key, expected: target.shape, found: tensor.shape))
                continue
            }
            matched.append((target, tensor))
            report.loaded.append(key)
        }
        let present = Set(report.loaded + report.mismatched.map(\.key))
        report.missing = stateTensors().map(\.0).filter { !present.contains($0) && !excluded($0) }
        if !report.mismatched.isEmpty || (strict && !(report.missing.isEmpty && report.unexpected.isEmpty)) {
            throw StateDictError.incompatible(
                missing: report.missing, unexpected: report.unexpected,
                mismatched: report.mismatched)
        }
        for (target, tensor) in matched {
            let values = tensor.floats()
            values.withUnsafeBufferPointer { target.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        for (_, p) in namedParameters() { p.markChanged() }
        return report
    }
}
