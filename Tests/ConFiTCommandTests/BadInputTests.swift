import ConFiTTestSupport
import Foundation
import XCTest

/// Wrong paths and broken files end `confit` with an error that names the path and a
/// non-zero status, never a crash (a Swift trap dies by a signal and prints "Fatal error").
final class BadInputTests: TemporaryDirectoryTestCase {
    private var folder: URL { directory }

    func testTrainWithMissingDatasetRoot() throws {
        let missing = folder.appendingPathComponent("no-such-dataset").path
        let out = folder.appendingPathComponent("run")
        try assertCleanFailure(["train", "--preset", "fashion-mnist", "--root", missing, "--model", "resnet18", "--out", out.path],
                               naming: missing)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a run folder was created for a run that never started")
    }

    func testInspectGarbageAndTruncatedFiles() throws {
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        try Data((0..<256).map { UInt8(($0 * 37 + 11) % 256) }).write(to: garbage)
        try assertCleanFailure(["inspect", garbage.path], naming: garbage.path)

        // A valid header whose tensor data is cut short.
        let header = Data(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        let truncated = folder.appendingPathComponent("truncated.safetensors")
        try (Data((0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }) + header + Data(count: 10)).write(to: truncated)
        try assertCleanFailure(["inspect", truncated.path], naming: truncated.path)

        try assertCleanFailure(["inspect", folder.appendingPathComponent("absent.pth").path],
                               naming: folder.appendingPathComponent("absent.pth").path)
    }

    func testResumeWithoutCheckpoint() throws {
        let empty = folder.appendingPathComponent("empty-run")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertCleanFailure(["train", "--resume", empty.path], naming: empty.path)

        // A checkpoint torn by something other than confit's atomic writes.
        try Data(repeating: 0x7B, count: 100).write(to: empty.appendingPathComponent("checkpoint.safetensors"))
        try assertCleanFailure(["train", "--resume", empty.path], naming: empty.path)
    }

    /// Runs `confit arguments...` and asserts it failed cleanly with `path` on stderr.
    private func assertCleanFailure(_ arguments: [String], naming path: String,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let child = try ConfitProcess.run(arguments, logs: folder, timeout: 60)
        XCTAssertEqual(child.terminationReason, .exit, "killed by signal \(child.terminationStatus)\n\(child.transcript)", file: file, line: line)
        XCTAssertNotEqual(child.terminationStatus, 0, child.transcript, file: file, line: line)
        XCTAssertTrue(child.standardError.contains(path), "stderr does not name \(path)\n\(child.transcript)", file: file, line: line)
        XCTAssertFalse(child.standardError.contains("Fatal error"), child.transcript, file: file, line: line)
    }
}
