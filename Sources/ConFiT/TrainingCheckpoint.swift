import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// Everything a run needs to continue exactly where it stopped, as one safetensors file:
/// the network's state dict (`model.`), the current trackers and BN values (`current.`),
/// every finished task's bank (`bank.<t>.`), the optimizer's momentum buffers
/// (`optimizer.`), and the position in `__metadata__`. Shuffling needs no saved RNG state:
/// an epoch's batch order depends only on the seed, the task and the epoch.
public struct TrainingCheckpoint {
    public static let fileName = "checkpoint.safetensors"

    public var position: TrainingPosition
    public var file: SafeTensorsFile

    /// Snapshot of `trainer` about to continue at `position`, with the totals of the
    /// epoch so far when that is part-way through one.
    init(_ trainer: ContinualTrainer, position: TrainingPosition, optimizer: SGD?, epochProgress: EpochProgress? = nil) throws {
        self.position = position
        var tensors = try trainer.network.stateDict().map { ("model." + $0.0, $0.1) }
        tensors += try TaskBank(capturing: trainer.pairs).tensors.map { ("current." + $0.name, $0.tensor) }
        for (t, bank) in trainer.banks.enumerated() { tensors += bank.tensors.map { ("bank.\(t)." + $0.name, $0.tensor) } }
        if let optimizer {
            for (name, p) in trainer.network.namedParameters() {
                if let v = optimizer.velocity(of: p) { tensors.append(("optimizer." + name, HostTensor(shape: v.shape, floats: try v.toArray()))) }
            }
        }
        var metadata = ["format": "confit-checkpoint-1", "task": "\(position.task)", "epoch": "\(position.epoch)",
                        "batch": "\(position.batch)", "banks": "\(trainer.banks.count)"]
        if let epochProgress { metadata["epoch_progress"] = String(decoding: try JSONEncoder().encode(epochProgress), as: UTF8.self) }
        file = SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Reads a checkpoint written by `write(to:)`.
    public init(contentsOf url: URL) throws {
        file = try SafeTensorsFile(contentsOf: url)
        guard file.metadata["format"] == "confit-checkpoint-1",
              let task = file.metadata["task"].flatMap(Int.init), let epoch = file.metadata["epoch"].flatMap(Int.init),
              let batch = file.metadata["batch"].flatMap(Int.init) else {
            throw ConFiTError.invalidConfiguration("\(url.path) is not a confit checkpoint (no position in its metadata)")
        }
        position = TrainingPosition(task: task, epoch: epoch, batch: batch)
    }

    /// Adds a string to the file's metadata (the CLI stores the metrics so far there, so
    /// they always agree with the tensors).
    public mutating func attach(_ key: String, _ value: String) {
        var metadata = file.metadata
        metadata[key] = value
        file = SafeTensorsFile(tensors: file.tensors, metadata: metadata)
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves a
    /// half-written checkpoint behind.
    public func write(to url: URL) throws { try file.write(to: url) }

    /// The file's bytes, for writers of their own (`RunFolder.writeAtomically`).
    public func serialized() throws -> Data { Data(try file.serialized()) }

    /// Task `task`'s bank and the classifier rows of its `classes` as one small file:
    /// everything that task needs besides the shared weights. `classifier` is the
    /// classifier's state-dict prefix (`fc`, `_fc`).
    public func exportTask(_ task: Int, classes: [Int], classifier: String) throws -> SafeTensorsFile {
        let bank = tensors("bank.\(task).")
        guard !bank.isEmpty else { throw ConFiTError.bankMismatch(key: "bank.\(task)", reason: "the checkpoint holds no bank for this task") }
        let weight = try file.tensor("model.\(classifier).weight"), bias = try file.tensor("model.\(classifier).bias")
        guard weight.shape.count == 2, let top = classes.max(), top < weight.shape[0], classes.allSatisfy({ $0 >= 0 }) else {
            throw ConFiTError.bankMismatch(key: "model.\(classifier).weight", reason: "shape \(weight.shape) has no rows for classes \(classes)")
        }
        let features = weight.shape[1]
        let (rows, biases) = (weight.floats(), bias.floats())
        let head: [(String, HostTensor)] = [
            ("classifier.weight", HostTensor(shape: [classes.count, features], floats: classes.flatMap { rows[($0 * features)..<(($0 + 1) * features)] })),
            ("classifier.bias", HostTensor(shape: [classes.count], floats: classes.map { biases[$0] })),
        ]
        let metadata = ["task": "\(task)", "classes": classes.map(String.init).joined(separator: ","), "classifier": classifier]
        return SafeTensorsFile(tensors: (bank + head).map { (name: $0.0, tensor: $0.1) }, metadata: metadata)
    }

    /// The tensors under `prefix`, with it removed.
    func tensors(_ prefix: String) -> [(String, HostTensor)] {
        file.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
    }

    /// The totals of the epoch the checkpoint stopped in, if it stopped part-way.
    var epochProgress: EpochProgress? {
        file.metadata["epoch_progress"].flatMap { try? JSONDecoder().decode(EpochProgress.self, from: Data($0.utf8)) }
    }

    /// The number of banks stored.
    var bankCount: Int { file.metadata["banks"].flatMap(Int.init) ?? 0 }
}
