import Foundation

/// Finds a dataset's own folder given either that folder or a folder containing it.
enum DatasetRoot {
    static func locate(
        _ root: String, within candidates: [String], expected: String, isDataset: (String) -> Bool
    ) throws -> String {
        for candidate in [""] + candidates {
            let path = candidate.isEmpty ? root : (root as NSString).appendingPathComponent(candidate)
            if isDirectory(path) && isDataset(path) { return path }
        }
        throw DataError.missingRoot(path: root, expected: expected)
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    static func exists(_ path: String, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name))
    }

    static func join(_ path: String, _ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Directory entries sorted by byte order (what Python's `sorted` gives), hidden ones included.
    static func sortedEntries(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted { a, b in
                a.utf8.lexicographicallyPrecedes(b.utf8)
            }
        } catch {
            throw DataError.unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DataError.unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    static func readText(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }
}
