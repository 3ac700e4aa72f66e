import Foundation

/// A one-line progress bar on standard error (task, epoch, batch, loss, images/s, ETA of
/// the epoch), redrawn in place (carriage return, then erase to the end of the line);
/// used only when standard error is a terminal.
final class ProgressBar {
    static var isUseful: Bool { isatty(STDERR_FILENO) != 0 }

    private let batchSize: Int
    private var epochStart = Date()
    private var current: (task: Int, epoch: Int) = (-1, -1)

    init(batchSize: Int) { self.batchSize = batchSize }

    func update(task: Int, epoch: Int, batch: Int, of batches: Int, loss: Float) {
        if current != (task, epoch) { (current, epochStart) = ((task, epoch), Date()) }
        let done = batch + 1, elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double(done * batchSize) / max(elapsed, 1e-9)
        let eta = Double(max(batches - done, 0)) * elapsed / Double(done)
        let width = 24, filled = batches > 0 ? width * done / batches : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = String(
            format: "\rtask %d epoch %d [%@] %d/%d loss %.4f %.1f img/s ETA %.0f s\u{1B}[K", task, epoch, bar, done,
            batches,
            loss, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
        if done >= batches { clear() }
    }

    /// Erases the bar so that the next line starts clean.
    func clear() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
