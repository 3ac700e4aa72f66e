import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// One forward over images of different tasks gives each image what `confit predict` gives
/// it as its own task, to 1e-5: ConFiT (per-task BN banks with recovery, applied per image),
/// SimpleCIL (prototypes over one frozen body), fine-tuning (one network), PackNet (masks:
/// grouped by task); from a run and from exported task files.
@Suite struct SharedBackboneTests {
    /// Each test image as each of `tasks` tasks, neighbours of different tasks: (image, task)
    /// = (0, 0), (1, 1), (0, 1), (1, 2), (0, 2), (1, 0) for three.
    private static func order(_ tasks: Int) -> [(Int, Int)] {
        (0..<tasks).flatMap { t in [(0, t), (1, (t + 1) % tasks)] }
    }

    private func mixedBatch(_ backbone: SharedBackbone, tasks: Int) throws -> Tensor {
        let pixels = try ServedRun.images.map {
            try SharedBackbone.pixels(
                of: ServedRun.fixtures.bytes($0), name: $0, transform: backbone.transform,
                normalization: backbone.inputNormalization)
        }
        return try Tensor(
            shape: [2 * tasks, 3, backbone.transform.cropSize, backbone.transform.cropSize],
            values: Self.order(tasks).flatMap { pixels[$0.0] })
    }

    private func expectSame(
        _ backbone: SharedBackbone, tasks names: [String], as run: ServedRun, precision: DataType? = nil,
        tolerance: Float = 1e-5
    ) throws {
        let expected = try (0..<run.tasks).map { try run.predicted(task: $0, precision: precision) }
        let order = Self.order(run.tasks)
        let tasks = try order.map { try #require(backbone.task(named: names[$0.1])) }
        let served = try backbone.predict(try mixedBatch(backbone, tasks: run.tasks), tasks: tasks, top: 100)
            .map(ServedRun.byClass)
        for ((image, task), row) in zip(order, served) {
            let reference = expected[task][image]
            #expect(row.count == reference.count)
            let gap = zip(row, reference).map { abs($0 - $1) }.max() ?? .infinity
            #expect(gap <= tolerance, "\(run.method.name): image \(image) as task \(task): \(row) vs \(reference)")
        }
    }

    @Test(arguments: ["confit", "simplecil", "finetune", "packnet"])
    func aMixedBatchFromARunMatchesPredict(method: String) throws {
        let run = try Self.run(method)
        let backbone = try SharedBackbone(run: run.folder)
        let names = (0..<run.tasks).map(String.init)
        #expect(backbone.tasks.map(\.name) == names)
        #expect(backbone.tasks.map(\.classNames.count) == Array(repeating: 2, count: run.tasks))
        try expectSame(backbone, tasks: names, as: run)
    }

    /// In bfloat16 the mixed batch's per-image affine rounds once where oneDNN's BN does, but
    /// computes x · scale + shift instead of (x − μ) · γ/σ + β, so an activation may land one
    /// bf16 step (2⁻⁸ relative) away and the probabilities agree to 1e-2, not 1e-5; both are
    /// bf16, which the float32 answers are not.
    @Test func aMixedBatchInBFloat16MatchesPredictInBFloat16() throws {
        let run = try ServedRun.confit.get()
        let backbone = try SharedBackbone(run: run.folder, precision: .bfloat16)
        try expectSame(backbone, tasks: ["0", "1", "2"], as: run, precision: .bfloat16, tolerance: 1e-2)
        let float32 = try SharedBackbone(run: run.folder)
        let tasks = Self.order(3).map { backbone.tasks[$0.1] }
        #expect(
            try backbone.logits(try mixedBatch(backbone, tasks: 3), tasks: tasks)
                != float32.logits(try mixedBatch(float32, tasks: 3), tasks: Self.order(3).map { float32.tasks[$0.1] }),
            "the served forward ran in bfloat16")
    }

    /// The shared weights and two exported task files, under names of their own; in every
    /// design (the naive ones, `swapped` and `copies`, are the benchmark's baselines).
    @Test(arguments: ["confit", "simplecil", "packnet"], SharedBackbone.Batching.allCases)
    func aMixedBatchOfExportedTasksMatchesPredict(method: String, batching: SharedBackbone.Batching) throws {
        let run = try Self.run(method)
        let backbone = try SharedBackbone(
            weights: run.folder.appendingPathComponent(TrainingCheckpoint.fileName), model: .resnet18,
            batching: batching)
        let names = Array(["first", "second", "third"].prefix(run.tasks))
        for (task, name) in names.enumerated() {
            try backbone.add(name, TaskFile(exporting: task, fromRunIn: run.folder))
        }
        #expect(backbone.transform == EvalTransform(resizeShortSide: 32, cropSize: 32))
        try expectSame(backbone, tasks: names, as: run)
        if batching == .copies {
            // A whole ResNet-18 per task: its state dict, counted by hand from its shapes.
            #expect(backbone.tasks.allSatisfy { $0.bytes > 4 * 11_000_000 }, "\(backbone.tasks.map(\.bytes))")
        }
    }

    /// A task that does not fit — another model, other preprocessing, masks beside shared
    /// convolutions, a bank of another network — is refused and changes nothing.
    @Test func aTaskThatDoesNotFitIsRefusedAndChangesNothing() throws {
        let confit = try ServedRun.confit.get()
        let backbone = try SharedBackbone(
            weights: confit.folder.appendingPathComponent(TrainingCheckpoint.fileName), model: .resnet18)
        try backbone.add("a", TaskFile(exporting: 0, fromRunIn: confit.folder))
        let before = try backbone.predict(
            try mixedBatch(backbone, tasks: 2), tasks: Array(repeating: backbone.tasks[0], count: 4), top: 2)
        let packnet = try ServedRun.packnet.get()
        let refusals: [(TaskFile, String)] = [
            (try TaskFile(exporting: 1, fromRunIn: packnet.folder), "cannot be served beside"),
            (try Self.narrowed(TaskFile(exporting: 1, fromRunIn: confit.folder)), "shape"),
        ]
        for (file, reason) in refusals {
            if let error = #expect(throws: (any Error).self, performing: { try backbone.add("b", file) }) {
                #expect("\(error)".contains(reason), "\(error)")
            }
            #expect(backbone.tasks.map(\.name) == ["a"])
            let after = try backbone.predict(
                try mixedBatch(backbone, tasks: 2), tasks: Array(repeating: backbone.tasks[0], count: 4), top: 2)
            #expect(after == before)
        }
        #expect(backbone.remove("a"))
        #expect(!backbone.remove("a"))
        #expect(backbone.tasks.isEmpty)
    }

    /// The task file with its first BN's γ cut to half its channels.
    private static func narrowed(_ file: TaskFile) throws -> TaskFile {
        var cut = false
        let tensors = file.file.tensors.map { name, tensor in
            guard !cut, name.hasSuffix(".weight"), !name.hasPrefix("classifier"), tensor.shape.count == 1 else {
                return (name: name, tensor: tensor)
            }
            cut = true
            let half = tensor.shape[0] / 2
            return (name: name, tensor: HostTensor(shape: [half], floats: Array(tensor.floats().prefix(half))))
        }
        let bytes = try SafeTensorsFile(tensors: tensors, metadata: file.file.metadata).serialized()
        return try TaskFile(bytes: bytes, path: "narrowed")
    }

    /// Images above the pixel limit are refused from the header, naming the size.
    @Test func imagesAboveThePixelLimitAreRefusedBeforeDecoding() throws {
        for name in ServedRun.images {
            if let error = #expect(
                throws: DataError.self,
                performing: {
                    try SharedBackbone.pixels(
                        of: ServedRun.fixtures.bytes(name), name: name, transform: .standard,
                        normalization: .imageNet, maxPixels: 10)
                })
            {
                #expect("\(error)".contains("above the limit of 10"), "\(error)")
            }
        }
    }

    static func run(_ method: String) throws -> ServedRun {
        switch method {
        case "confit": try ServedRun.confit.get()
        case "simplecil": try ServedRun.simplecil.get()
        case "packnet": try ServedRun.packnet.get()
        default: try ServedRun.finetune.get()
        }
    }
}
