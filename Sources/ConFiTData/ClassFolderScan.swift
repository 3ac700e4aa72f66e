import Foundation

/// The images of a one-folder-per-class tree: class names in byte order, images in
/// byte order within each class, everything else reported as skipped.
struct ClassFolderScan {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    var classNames: [String] = []
    /// Path relative to the scanned folder ("class/file.jpg") and class id.
    var images: [(relativePath: String, label: Int)] = []
    var skipped: [ImageDataset.SkippedFile] = []

    init(folder: String, excluding excluded: Set<String> = []) throws {
        for entry in try DatasetRoot.sortedEntries(folder) {
            let path = DatasetRoot.join(folder, entry)
            if excluded.contains(entry) {
                skipped.append(.init(path: path, reason: "excluded: not a class"))
                continue
            }
            guard DatasetRoot.isDirectory(path) else {
                skipped.append(.init(path: path, reason: "not a class folder"))
                continue
            }
            let label = classNames.count
            classNames.append(entry)
            var found = 0
            for file in try DatasetRoot.sortedEntries(path) {
                let filePath = DatasetRoot.join(path, file)
                let ext = (file as NSString).pathExtension.lowercased()
                if Self.imageExtensions.contains(ext) && !file.hasPrefix(".") && !DatasetRoot.isDirectory(filePath) {
                    images.append(("\(entry)/\(file)", label))
                    found += 1
                } else {
                    skipped.append(.init(path: filePath, reason: "not a .jpg, .jpeg or .png file"))
                }
            }
            if found == 0 { throw DataError.emptyClass(folder: path) }
        }
        if classNames.isEmpty { throw DataError.missingRoot(path: folder, expected: "one sub-folder per class") }
    }
}
