import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) into a stop request: the run finishes its current batch, writes
/// a checkpoint and stops (`ConFiTError.interrupted`). A second Ctrl-C while stopping is
/// ignored, so a checkpoint is never cut off half-written. Installing it replaces the
/// process's SIGINT handling until `cancel()`; a library does not do that on its own, so
/// the program running the run creates one.
public final class InterruptHandler {
    private let source: DispatchSourceSignal

    /// `notice` runs on a background queue when the signal arrives, before the request.
    public init(_ stop: StopRequest, notice: @escaping @Sendable () -> Void = {}) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            notice()
            stop.request()
        }
        source.resume()
    }

    public func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
