import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// Everything a run needs to continue exactly where it stopped, as one safetensors file:
/// the network's state dict (`model.`), the current trackers and BN values (`current.`),
/// the strategy's state under its own prefix (ConFiT: every finished task's bank,
/// `bank.<t>.`; EWC: `ewc.`; LwF: `lwf.`), the optimizer's state per parameter
/// (`optimizer.<parameter>.<momentum_buffer|exp_avg|...>`), and the position in `__metadata__`. Shuffling needs no saved RNG state:
/// an epoch's batch order depends only on the seed, the task and the epoch.
public struct TrainingCheckpoint {
    public static let fileName = "checkpoint.safetensors"
    /// The checkpoint before the last, kept beside it: a run whose last checkpoint is
    /// damaged resumes from this one once it is moved over `fileName`.
    public static let previousFileName = "checkpoint.previous.safetensors"
    /// The metadata key of the CRC-32 of everything else in the file (`SafeTensorsFile.checksum`).
    public static let checksumKey = "checksum_crc32"
    /// The metadata key of the run's metrics so far (JSON), stored with the tensors so the
    /// two always agree.
    public static let metricsKey = "metrics"

    public var position: TrainingPosition
    public var file: SafeTensorsFile

    /// Where each part lives in the file; this type writes and reads all of them.
    static let modelPrefix = "model.", currentPrefix = "current.", optimizerPrefix = "optimizer."

    /// Snapshot of `trainer` about to continue at `position`, with the totals of the
    /// epoch so far when that is part-way through one.
    init(
        _ trainer: ContinualTrainer, position: TrainingPosition,
        optimizer: (any Optimizer, names: [(String, Parameter)])?,
        epochProgress: EpochProgress? = nil
    ) throws {
        self.position = position
        var tensors = try trainer.network.stateDict().map { (Self.modelPrefix + $0.0, $0.1) }
        tensors += try TaskBank(capturing: trainer.pairs).tensors.map { (Self.currentPrefix + $0.name, $0.tensor) }
        tensors += try trainer.strategy.state()
        if let (optimizer, names) = optimizer {
            for (name, p) in names {
                tensors += try optimizer.state(of: p).sorted { $0.key < $1.key }
                    .map { (Self.optimizerPrefix + "\(name).\($0.key)", $0.value) }
            }
        }
        var metadata = [
            "format": "confit-checkpoint-1", "task": "\(position.task)", "epoch": "\(position.epoch)",
            "batch": "\(position.batch)",
        ]
        if let epochProgress {
            metadata["epoch_progress"] = String(decoding: try JSONEncoder().encode(epochProgress), as: UTF8.self)
        }
        file = SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Reads a checkpoint written by `write(to:)` or `serialized()`, checking its checksum
    /// (checkpoints written before checksums have none, and are read as they are): a
    /// damaged or truncated file is `ConFiTError.damagedCheckpoint`.
    public init(contentsOf url: URL) throws {
        let kept = url.deletingLastPathComponent().appendingPathComponent(Self.previousFileName)
        let previous =
            url.lastPathComponent != Self.previousFileName && FileManager.default.fileExists(atPath: kept.path)
            ? kept.path : nil
        do { file = try SafeTensorsFile(contentsOf: url) } catch {
            throw ConFiTError.damagedCheckpoint(path: url.path, reason: "\(error)", previous: previous)
        }
        if let stored = file.metadata[Self.checksumKey] {
            let computed = String(format: "%08x", file.checksum(excluding: Self.checksumKey))
            guard stored == computed else {
                throw ConFiTError.damagedCheckpoint(
                    path: url.path, reason: "checksum \(computed), written as \(stored)", previous: previous)
            }
        }
        guard file.metadata["format"] == "confit-checkpoint-1",
            let task = file.metadata["task"].flatMap(Int.init), let epoch = file.metadata["epoch"].flatMap(Int.init),
            let batch = file.metadata["batch"].flatMap(Int.init)
        else {
            throw ConFiTError.invalidConfiguration(
                "\(url.path) is not a confit checkpoint (no position in its metadata)")
        }
        position = TrainingPosition(task: task, epoch: epoch, batch: batch)
    }

    /// The network's state dict.
    public var modelStateDict: [(String, HostTensor)] { tensors(Self.modelPrefix) }

    /// The trackers' means and BN values of the network as it stood (the task in training).
    var currentBank: TaskBank { TaskBank(tensors: tensors(Self.currentPrefix)) }

    /// Every tensor by its name: strategies pick their own (`ContinualStrategy.restore(from:)`).
    var allTensors: [(String, HostTensor)] { file.tensors.map { ($0.name, $0.tensor) } }

    /// Whether the checkpoint holds optimizer state (one written inside a task).
    var hasOptimizerState: Bool { file.tensors.contains { $0.name.hasPrefix(Self.optimizerPrefix) } }

    /// One tensor of the network's state dict (`fc.weight`).
    func modelTensor(_ name: String) throws -> HostTensor { try file.tensor(Self.modelPrefix + name) }

    /// Puts the optimizer state `init` stored back into `optimizer`. Checkpoints from before
    /// optimizers other than SGD hold a momentum buffer under the parameter's bare name,
    /// which is read as such.
    func restoreOptimizer(_ optimizer: (any Optimizer, names: [(String, Parameter)])) throws {
        let stored = tensors(Self.optimizerPrefix)
        let legacy = Dictionary(stored, uniquingKeysWith: { a, _ in a })
        for (name, p) in optimizer.names {
            var state = Dictionary(stored.under(name + "."), uniquingKeysWith: { a, _ in a })
            if let buffer = legacy[name] { state["momentum_buffer"] = buffer }
            if !state.isEmpty { try optimizer.0.setState(state, of: p) }
        }
    }

    /// Adds a string to the file's metadata (a run stores its metrics there).
    public mutating func attach(_ key: String, _ value: String) {
        var metadata = file.metadata
        metadata[key] = value
        file = SafeTensorsFile(tensors: file.tensors, metadata: metadata)
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves a
    /// half-written checkpoint behind.
    public func write(to url: URL) throws { try sealed.write(to: url) }

    /// The file's bytes, checksum included, for writers of their own (`RunFolder.writeAtomically`).
    public func serialized() throws -> Data { Data(try sealed.serialized()) }

    /// The file with the checksum of its current contents.
    private var sealed: SafeTensorsFile {
        var metadata = file.metadata
        metadata[Self.checksumKey] = String(format: "%08x", file.checksum(excluding: Self.checksumKey))
        return SafeTensorsFile(tensors: file.tensors, metadata: metadata)
    }

    /// The tensors under `prefix`, with it removed.
    private func tensors(_ prefix: String) -> [(String, HostTensor)] { allTensors.under(prefix) }

    /// The checkpoint of the run in `folder`, with the metrics and configuration it holds;
    /// an error that names the folder when it holds none.
    static func last(ofRunIn folder: URL) throws -> (TrainingCheckpoint, RunMetrics, RunConfiguration) {
        let file = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ConFiTError.invalidConfiguration(
                "\(folder.path) holds no \(fileName): "
                    + "not a run folder, or the run stopped before its first checkpoint")
        }
        let checkpoint = try TrainingCheckpoint(contentsOf: file)
        let metrics = try checkpoint.metrics(path: file.path)
        return (checkpoint, metrics, try metrics.config.decode(as: RunConfiguration.self))
    }

    /// The run's metrics as `ContinualRun` stored them; `path` names the file in errors.
    private func metrics(path: String) throws -> RunMetrics {
        guard let saved = file.metadata[Self.metricsKey] else {
            throw ConFiTError.invalidConfiguration("the checkpoint \(path) holds no metrics")
        }
        do { return try RunMetrics.decode(from: Data(saved.utf8)) } catch {
            throw ConFiTError.invalidConfiguration("the checkpoint \(path) holds unreadable metrics: \(error)")
        }
    }

    /// The totals of the epoch the checkpoint stopped in, if it stopped part-way.
    var epochProgress: EpochProgress? {
        file.metadata["epoch_progress"].flatMap { try? JSONDecoder().decode(EpochProgress.self, from: Data($0.utf8)) }
    }
}
