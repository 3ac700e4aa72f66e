import Foundation

/// Oxford Flowers-102: `jpg/image_NNNNN.jpg`, `imagelabels.mat` (`labels`, 1-based) and
/// `setid.mat` (`trnid`, `valid`, `tstid`). Classes are named by their 1-based label.
/// The standard split is the official ConFiT code's (stratified 80/20 by scikit-learn's
/// `train_test_split(random_state=0)`, embedded as `flowers102_split.json`); `.official`
/// is the dataset's own `setid.mat`.
enum Flowers102 {
    static func load(root: String, options: DatasetOptions) throws -> ImageDataset {
        let folder = try DatasetRoot.locate(
            root, within: ["flowers-102", "flowers102"], expected: "jpg/ and imagelabels.mat"
        ) { DatasetRoot.exists($0, "imagelabels.mat") && DatasetRoot.isDirectory(DatasetRoot.join($0, "jpg")) }
        let labelsPath = DatasetRoot.join(folder, "imagelabels.mat")
        let labelFile = try MATLABFile(bytes: DatasetRoot.read(labelsPath), path: labelsPath)
        guard let labelValues = labelFile["labels"]?.values else {
            throw DataError.malformedFile(path: labelsPath, reason: "no variable 'labels'")
        }
        if let bad = labelValues.first(where: { !($0 >= 1 && $0 <= 1e6 && $0 == $0.rounded()) }) {
            throw DataError.malformedFile(path: labelsPath, reason: "label \(bad) is not a class number 1, 2, ...")
        }
        let labels = labelValues.map { Int($0) - 1 }
        let classes = (labels.max() ?? -1) + 1
        let classNames = (1...max(classes, 1)).map { String($0) }
        let paths = labels.indices.map { String(format: "jpg/image_%05d.jpg", $0 + 1) }
        let isTest: [Bool]
        switch options.split {
        case .official:
            isTest = try officialSplit(folder: folder, count: labels.count)
        case .standard:
            isTest = try SplitAssignment.fromFile(
                path: "flowers102_split.json (embedded)", contents: ProtocolResources.bytes("flowers102_split"),
                relativePaths: paths, classNames: classNames)
        default:
            isTest = try SplitAssignment.assign(
                options.split, relativePaths: paths, labels: labels, classNames: classNames)
        }
        var skipped: [ImageDataset.SkippedFile] = []
        let jpgFolder = DatasetRoot.join(folder, "jpg")
        let expected = Set(paths.map { ($0 as NSString).lastPathComponent })
        for entry in try DatasetRoot.sortedEntries(jpgFolder) where !expected.contains(entry) {
            skipped.append(.init(path: DatasetRoot.join(jpgFolder, entry), reason: "no label in imagelabels.mat"))
        }
        return ImageDataset.assemble(
            name: "flowers102", root: folder, classNames: classNames,
            samples: labels.indices.map { i in (labels[i], .file(DatasetRoot.join(folder, paths[i])), isTest[i]) },
            skipped: skipped)
    }

    /// train = trnid ∪ valid, test = tstid (1-based image numbers).
    static func officialSplit(folder: String, count: Int) throws -> [Bool] {
        let path = DatasetRoot.join(folder, "setid.mat")
        let file = try MATLABFile(bytes: DatasetRoot.read(path), path: path)
        var isTest = [Bool](repeating: false, count: count)
        for (name, test) in [("trnid", false), ("valid", false), ("tstid", true)] {
            guard let ids = file[name]?.values else {
                throw DataError.malformedFile(path: path, reason: "no variable '\(name)'")
            }
            for id in ids {
                guard id >= 1, id <= Double(count) else {
                    throw DataError.malformedFile(path: path, reason: "\(name) lists image \(id) of \(count)")
                }
                isTest[Int(id) - 1] = test
            }
        }
        return isTest
    }
}
