import Foundation

/// A flag another thread (a signal handler) sets to ask a run to stop after its current
/// batch; the trainer polls it between batches.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func request() { lock.withLock { requested = true } }
    public var isRequested: Bool { lock.withLock { requested } }
}
