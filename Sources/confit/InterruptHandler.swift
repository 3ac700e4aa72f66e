import ConFiT
import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) into a stop request: the run finishes its current batch, writes
/// a checkpoint and exits with a message saying how to resume. A second Ctrl-C while
/// stopping is ignored, so a checkpoint is never cut off half-written.
final class InterruptHandler {
    private let source: DispatchSourceSignal

    init(_ stop: StopRequest) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("\ninterrupted: finishing the current batch, then checkpointing\n".utf8))
            stop.request()
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
