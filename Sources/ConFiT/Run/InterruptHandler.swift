import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT), SIGTERM — what batch schedulers send before they kill a job —
/// and SIGUSR1 — what `mpirun` passes on to every rank at once, and Slurm's `--signal`
/// sends ahead of a time limit — into a stop request: the run finishes its current batch,
/// writes a checkpoint and stops (`ConFiTError.interrupted`). Further signals while stopping are ignored, so a checkpoint
/// is never cut off half-written. Installing it replaces the process's handling of these
/// signals until `cancel()`; a library does not do that on its own, so the program running
/// the run creates one.
public final class InterruptHandler {
    /// The signals handled.
    public static let signals: [Int32] = [SIGINT, SIGTERM, SIGUSR1]
    private let sources: [DispatchSourceSignal]
    private let first = FirstSignal()

    /// `notice` runs on a background queue when a signal arrives, with the signal, before
    /// the request.
    public init(_ stop: StopRequest, notice: @escaping @Sendable (Int32) -> Void = { _ in }) {
        let first = first
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                first.record(number)
                notice(number)
                stop.request()
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, if any: what the program's exit status reports
    /// (128 + the signal, as a shell does: 130 for SIGINT, 143 for SIGTERM, 138 for SIGUSR1).
    public var received: Int32? { first.value }

    public func cancel() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    private final class FirstSignal: @unchecked Sendable {
        private let lock = NSLock()
        private var signal: Int32?

        func record(_ number: Int32) { lock.withLock { if signal == nil { signal = number } } }
        var value: Int32? { lock.withLock { signal } }
    }
}
