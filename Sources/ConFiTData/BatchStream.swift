import Foundation

/// The batches of one epoch, in order, produced ahead by the loader's worker threads.
///
/// `next()` blocks until the next batch is ready and rethrows a decoding error at the
/// batch that hit it. Dropping the stream stops its workers after their current batch.
public final class BatchStream: Sendable {
    private let state: State
    private let loader: BatchLoader
    private let inlineDecoder: ImageDecoderBox?

    init(loader: BatchLoader, plan: [[Int]]) {
        self.loader = loader
        state = State(plan: plan, prefetch: loader.options.prefetch)
        if loader.options.workers == 0 {
            inlineDecoder = ImageDecoderBox()
            return
        }
        inlineDecoder = nil
        for _ in 0..<min(loader.options.workers, max(plan.count, 1)) {
            let state = self.state
            loader.workerCount.started()
            let thread = Thread {
                defer { loader.workerCount.finished() }
                let decoder: ImageDecoder
                do {
                    decoder = try ImageDecoder()
                } catch {
                    state.fail(error)
                    return
                }
                while let (index, positions) = state.claim() {
                    state.deliver(index, Result { try loader.makeBatch(positions, decoder: decoder) })
                }
            }
            thread.name = "confit-loader"
            thread.start()
        }
    }

    deinit { state.cancel() }

    public var count: Int { state.plan.count }

    /// The next batch, or nil after the last one.
    public func next() throws -> Batch? {
        if let box = inlineDecoder {
            guard let positions = state.claimInline() else { return nil }
            return try box.withDecoder { try loader.makeBatch(positions, decoder: $0) }
        }
        return try state.take()?.get()
    }

    /// Shared between the consumer and the workers; every field is guarded by `condition`.
    private final class State: @unchecked Sendable {
        let plan: [[Int]]
        let prefetch: Int
        private let condition = NSCondition()
        private var claimed = 0
        private var consumed = 0
        private var ready: [Int: Result<Batch, Error>] = [:]
        private var cancelled = false

        init(plan: [[Int]], prefetch: Int) {
            self.plan = plan
            self.prefetch = prefetch
        }

        /// The next batch to produce, waiting while `prefetch` batches are unconsumed.
        func claim() -> (Int, [Int])? {
            condition.lock()
            defer { condition.unlock() }
            while !cancelled && claimed < plan.count && claimed >= consumed + prefetch { condition.wait() }
            guard !cancelled, claimed < plan.count else { return nil }
            claimed += 1
            return (claimed - 1, plan[claimed - 1])
        }

        /// The next batch when the consumer produces it itself: nothing to wait for.
        func claimInline() -> [Int]? {
            condition.lock()
            defer { condition.unlock() }
            guard claimed < plan.count else { return nil }
            claimed += 1
            consumed += 1
            return plan[claimed - 1]
        }

        func deliver(_ index: Int, _ result: Result<Batch, Error>) {
            condition.lock()
            ready[index] = result
            condition.broadcast()
            condition.unlock()
        }

        func fail(_ error: Error) {
            condition.lock()
            for index in consumed..<plan.count where ready[index] == nil { ready[index] = .failure(error) }
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }

        func take() -> Result<Batch, Error>? {
            condition.lock()
            defer { condition.unlock() }
            guard consumed < plan.count else { return nil }
            while ready[consumed] == nil { condition.wait() }
            let result = ready.removeValue(forKey: consumed)
            consumed += 1
            condition.broadcast()
            return result
        }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// An `ImageDecoder` for decoding on the consumer's thread (`workers == 0`); the lock
/// keeps it correct if a stream is nevertheless consumed from several threads.
final class ImageDecoderBox: @unchecked Sendable {
    private let lock = NSLock()
    private var decoder: ImageDecoder?

    func withDecoder<T>(_ body: (ImageDecoder) throws -> T) throws -> T {
        try lock.withLock {
            if decoder == nil { decoder = try ImageDecoder() }
            guard let decoder else { throw DataError.invalidArgument("no image decoder") }
            return try body(decoder)
        }
    }
}
