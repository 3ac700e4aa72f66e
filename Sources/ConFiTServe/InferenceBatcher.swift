import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import Foundation

/// The one queue between the HTTP handlers and the network. Handlers enqueue preprocessed
/// images; a thread of its own takes up to `maxBatch` of them — waiting at most `maxWait`
/// after the first for more, and only while more are on their way (requests being read and
/// decoded): a lone request does not wait for company that is not coming — and runs **one**
/// `SharedBackbone` forward over them, whatever their tasks. Changes to the tasks (adding,
/// removing) run on the same thread between forwards, so a forward never sees a task half
/// changed.
///
/// A thread, not a task of Swift's pool: a forward blocks for tens of milliseconds in
/// oneDNN's OpenMP team, whose thread count is set on the thread that calls it.
final class InferenceBatcher: @unchecked Sendable {
    struct Image {
        let task: String
        /// [3, S, S] floats, normalised as the network expects.
        let pixels: [Float]
        let top: Int
        let enqueued = ContinuousClock.now
        let answer: CheckedContinuation<[Prediction], any Error>
    }

    private let condition = NSCondition()
    private var waiting: [Image] = []
    /// Images on their way: a request counts one while its body is read and decoded, then
    /// one per image until each is queued.
    private var arriving = 0
    private var changes: [() -> Void] = []
    private var draining = false, finished = false, warm = false
    /// Touched only on the batcher's thread once it runs.
    private let backbone: SharedBackbone
    private let options: ServeOptions
    private let metrics: ServerMetrics
    /// The forwards' input, one buffer per shape (batch size and side), kept between batches.
    private var inputs: [[Int]: Tensor] = [:]
    /// What handlers may read without the thread: the preprocessing and the task list.
    private(set) var snapshot: Snapshot

    struct Snapshot: Sendable {
        var transform: EvalTransform
        var tasks: [TaskInfo]
    }

    struct TaskInfo: Sendable, Codable {
        let name: String
        let method: String
        let classes: [String]
        let bytes: Int

        init(_ task: ServedTask) {
            (name, method, classes, bytes) = (task.name, task.method, task.classNames, task.bytes)
        }
    }

    init(backbone: SharedBackbone, options: ServeOptions, metrics: ServerMetrics) {
        (self.backbone, self.options, self.metrics) = (backbone, options, metrics)
        snapshot = Self.snapshot(of: backbone)
        metrics.held(tasks: snapshot.tasks.count, bytes: snapshot.tasks.reduce(0) { $0 + $1.bytes })
    }

    private static func snapshot(of backbone: SharedBackbone) -> Snapshot {
        Snapshot(
            transform: backbone.transform,
            tasks: backbone.tasks.map(TaskInfo.init))
    }

    func currentSnapshot() -> Snapshot { condition.withLock { snapshot } }

    /// Whether the warm-up forwards are done (`/healthz` says ready only then).
    func isWarm() -> Bool { condition.withLock { warm } }

    /// Starts the thread that runs the forwards.
    func start() {
        let thread = Thread { [self] in
            if let threads = options.threads { Engine.shared.setThreads(threads) }
            warmUp()
            condition.withLock { warm = true }
            loop()
        }
        thread.name = "confit-batcher"
        thread.start()
    }

    /// The top classes of each image `prepare` gives (the request's body read and
    /// decoded), in order; refused whole with 503 when the queue has no room for all of them.
    /// While `prepare` runs, a forward about to start waits for these images.
    func predict(task: String, top: Int, images prepare: () async throws -> [[Float]]) async throws -> [[Prediction]] {
        condition.withLock { arriving += 1 }
        let images: [[Float]]
        do {
            images = try await prepare()
        } catch {
            condition.withLock {
                arriving -= 1
                condition.signal()
            }
            throw error
        }
        var answers: [[Prediction]] = []
        try await withThrowingTaskGroup(of: (Int, [Prediction]).self) { group in
            let admitted = condition.withLock { () -> Bool in
                guard !draining, waiting.count + images.count <= options.maxQueue else {
                    arriving -= 1
                    condition.signal()
                    return false
                }
                arriving += images.count - 1
                if images.isEmpty { condition.signal() }
                return true
            }
            guard admitted else {
                throw ServeError(.serviceUnavailable, "the queue is full; retry shortly", retryAfter: 1)
            }
            for (index, pixels) in images.enumerated() {
                group.addTask { [self] in
                    let result = try await withCheckedThrowingContinuation { continuation in
                        enqueue(Image(task: task, pixels: pixels, top: top, answer: continuation))
                    }
                    return (index, result)
                }
            }
            var byIndex = [[Prediction]](repeating: [], count: images.count)
            for try await (index, result) in group { byIndex[index] = result }
            answers = byIndex
        }
        return answers
    }

    private func enqueue(_ image: Image) {
        condition.withLock {
            waiting.append(image)
            arriving -= 1
            condition.signal()
        }
    }

    /// Runs `change` on the batcher's thread between forwards and returns its result; the
    /// task list handlers see is refreshed after it.
    func change<T: Sendable>(_ change: @escaping @Sendable (SharedBackbone) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.withLock {
                changes.append { [self] in
                    let result = Result { try change(backbone) }
                    let fresh = Self.snapshot(of: backbone)
                    condition.withLock { snapshot = fresh }
                    metrics.held(tasks: fresh.tasks.count, bytes: fresh.tasks.reduce(0) { $0 + $1.bytes })
                    continuation.resume(with: result)
                }
                condition.signal()
            }
        }
    }

    /// Stops taking new images, answers every image already queued, then ends the thread;
    /// returns when it has.
    func drain() {
        condition.withLock {
            draining = true
            condition.signal()
            while !finished { condition.wait() }
        }
    }

    /// One forward of every batch size a batch is padded to, so that no request waits for
    /// kernels to be built.
    private func warmUp() {
        guard let task = backbone.tasks.first else { return }
        let side = backbone.transform.cropSize
        for size in ServerMetrics.powersOfTwo(upTo: options.maxBatch) {
            _ = try? backbone.logits(input([], size: size, side: side), tasks: Array(repeating: task, count: size))
        }
    }

    /// `images` in rows 0… of the input buffer of `size` images, the rows after them zero.
    private func input(_ images: [Image], size: Int, side: Int) -> Tensor {
        let shape = [size, 3, side, side]
        let input = inputs[shape] ?? Tensor(shape: shape)
        inputs[shape] = input
        let plane = 3 * side * side
        for (j, image) in images.enumerated() {
            image.pixels.withUnsafeBufferPointer {
                (input.pointer + j * plane).update(from: $0.baseAddress!, count: plane)
            }
        }
        (input.pointer + images.count * plane).update(repeating: 0, count: (size - images.count) * plane)
        return input
    }

    private func loop() {
        while let (batch, pending) = nextBatch() {
            for change in pending { change() }
            if !batch.isEmpty { run(batch) }
        }
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// The next changes and images to run: blocks until there is something, then waits up
    /// to `maxWait` after the first image for the batch to fill while images are on their
    /// way. nil once drained.
    private func nextBatch() -> ([Image], [() -> Void])? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && changes.isEmpty {
            if draining { return nil }
            condition.wait()
        }
        if changes.isEmpty, waiting.count < options.maxBatch, !draining {
            let deadline = Date(timeIntervalSinceNow: Double(options.maxWaitMilliseconds) / 1000)
            while waiting.count < options.maxBatch, arriving > 0, changes.isEmpty, !draining,
                condition.wait(until: deadline)
            {}
        }
        let pending = changes
        changes = []
        let count = min(waiting.count, options.maxBatch)
        let batch = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        return (batch, pending)
    }

    /// One forward over `batch`, padded to a power of two (so that few shapes of kernels are
    /// built); answers every image, with the error when the forward fails.
    private func run(_ batch: [Image]) {
        let start = ContinuousClock.now
        let side = backbone.transform.cropSize
        var served: [ServedTask] = []
        var images: [Image] = []
        for image in batch {
            guard let task = backbone.task(named: image.task) else {
                image.answer.resume(throwing: ServeError(.notFound, "no task named \(image.task)"))
                continue
            }
            guard image.pixels.count == 3 * side * side else {
                image.answer.resume(
                    throwing: ServeError(.conflict, "the tasks' image size changed while the request waited; retry"))
                continue
            }
            served.append(task)
            images.append(image)
        }
        guard !images.isEmpty else { return }
        let size = ServerMetrics.powersOfTwo(upTo: options.maxBatch).first { $0 >= images.count } ?? images.count
        do {
            let padded = served + Array(repeating: served[0], count: size - images.count)
            let rows = try backbone.logits(input(images, size: size, side: side), tasks: padded)
            let seconds = (ContinuousClock.now - start).seconds
            metrics.batch(size: images.count, seconds: seconds, waited: images.map { start - $0.enqueued })
            for (j, image) in images.enumerated() {
                image.answer.resume(with: Result { try SharedBackbone.top(image.top, of: rows[j]) })
            }
        } catch {
            for image in images { image.answer.resume(throwing: error) }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
