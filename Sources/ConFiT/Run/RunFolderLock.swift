import Foundation

/// An exclusive lock on a run folder, held while a run writes into it: a second run into
/// the same folder — a resume started twice, a new run over a running one — refuses to
/// start instead of writing the same checkpoint.
///
/// It is an advisory `flock` on `<folder>/.lock`, which the kernel releases when the
/// process ends however it ends (SIGKILL included), so a crash never leaves a stale lock.
/// The file holds the holder's process id, for the error message.
public final class RunFolderLock {
    public static let fileName = ".lock"
    private let descriptor: Int32

    /// Takes the lock of `folder` (created if missing), or throws `RunFolderError.inUse`.
    init(_ folder: URL) throws(RunFolderError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path: folder.path, reason: "\(error.localizedDescription)")
        }
        let path = folder.appendingPathComponent(Self.fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            throw .inUse(
                path: folder.path,
                holder: holder.map { $0.isEmpty ? "unknown process" : "process \($0)" } ?? "unknown process")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
