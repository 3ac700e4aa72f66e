import Foundation

/// Any named-tensor file the project reads, whatever its format: the one entry point for
/// commands that take a user's weights (`confit inspect`, loading pre-trained models), so
/// they needn't care whether the user brought safetensors or a `.pth`.
public struct TensorFile: Sendable {
    public let format: TensorFileFormat
    /// Tensors in file order (safetensors) or state-dict order (PyTorch).
    public let tensors: [(name: String, tensor: HostTensor)]
    /// The safetensors `__metadata__`; for PyTorch files, `state_dict_path` when the state
    /// dict was nested (e.g. "model").
    public let metadata: [String: String]
    public let path: String
    private let indexOfName: [String: Int]

    /// Reads the file at `url` in the format its content shows (`TensorFileFormat.sniff`).
    public init(contentsOf url: URL) throws(TensorFileError) {
        format = try TensorFileFormat.sniff(url)
        path = url.path
        switch format {
        case .safetensors:
            let file = try SafeTensorsFile(contentsOf: url)
            tensors = file.tensors
            metadata = file.metadata
        case .pytorchZip, .pytorchLegacy:
            let checkpoint = try PyTorchCheckpoint(contentsOf: url)
            tensors = checkpoint.tensors
            metadata =
                checkpoint.stateDictPath.isEmpty
                ? [:] : ["state_dict_path": checkpoint.stateDictPath.joined(separator: ".")]
        }
        indexOfName = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensor named `name`, or a `missingKey` error.
    public func tensor(_ name: String) throws(TensorFileError) -> HostTensor {
        guard let index = indexOfName[name] else { throw TensorFileError.missingKey(path: path, key: name) }
        return tensors[index].tensor
    }

    /// State-dict suffixes of BatchNorm buffers, which are not trained parameters.
    public static let bufferSuffixes = [".running_mean", ".running_var", ".num_batches_tracked"]

    /// Elements in BatchNorm buffers (`bufferSuffixes`) and in everything else.
    public var elementCounts: (parameters: Int, buffers: Int) {
        let buffers = tensors.filter { entry in Self.bufferSuffixes.contains { entry.name.hasSuffix($0) } }.reduce(0) {
            $0 + $1.tensor.count
        }
        return (tensors.reduce(0) { $0 + $1.tensor.count } - buffers, buffers)
    }
}
