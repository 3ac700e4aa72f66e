import Foundation

/// What each path of the temporary folder holds now, so unchanged files are not rewritten.
nonisolated(unsafe) private var written: [String: [UInt8]] = [:]

/// A per-process temporary folder holding `files` (relative path → bytes), for readers that
/// take a dataset's folder: the input under test goes into one file, valid copies of the
/// real files into the others, so the reader gets past its first check. Only files whose
/// bytes changed since the last call are written (the companions once).
public func temporaryFolder(_ files: [String: [UInt8]]) -> String? {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("confit-fuzz-\(getpid())")
    for (path, bytes) in files where written[path] != bytes {
        let url = root.appendingPathComponent(path)
        guard (try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true))
            != nil, (try? Data(bytes).write(to: url)) != nil
        else { return nil }
        written[path] = bytes
    }
    return root.path
}

/// A valid file to put beside the input, from the folder `scripts/fuzz` names in
/// FUZZ_COMPANIONS (libFuzzer owns the command line); empty when it is missing.
public func companion(_ name: String) -> [UInt8] {
    let folder = ProcessInfo.processInfo.environment["FUZZ_COMPANIONS"] ?? "."
    return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(name)))) ?? []
}
