/// A user's image set: one folder per class, or `train/` and `test/` folders that each
/// hold one folder per class (the same class names in both).
enum ImageFolder {
    static func load(root: String, options: DatasetOptions) throws -> ImageDataset {
        guard DatasetRoot.isDirectory(root) else {
            throw DataError.missingRoot(path: root, expected: "a folder holding one folder per class")
        }
        let trainFolder = DatasetRoot.join(root, "train"), testFolder = DatasetRoot.join(root, "test")
        if options.split == .standard && DatasetRoot.isDirectory(trainFolder) && DatasetRoot.isDirectory(testFolder) {
            let train = try ClassFolderScan(folder: trainFolder)
            let test = try ClassFolderScan(folder: testFolder)
            guard train.classNames == test.classNames else {
                throw DataError.splitMismatch(path: testFolder, reason: "class folders differ from \(trainFolder)")
            }
            let samples =
                train.images.map {
                    ($0.label, Sample.Source.file(DatasetRoot.join(trainFolder, $0.relativePath)), false)
                }
                + test.images.map {
                    ($0.label, Sample.Source.file(DatasetRoot.join(testFolder, $0.relativePath)), true)
                }
            return ImageDataset.assemble(
                name: "folder", root: root, classNames: train.classNames, samples: samples,
                skipped: train.skipped + test.skipped)
        }
        let scan = try ClassFolderScan(folder: root)
        let paths = scan.images.map(\.relativePath)
        let isTest = try SplitAssignment.assign(
            options.split, relativePaths: paths, labels: scan.images.map(\.label), classNames: scan.classNames)
        return ImageDataset.assemble(
            name: "folder", root: root, classNames: scan.classNames,
            samples: scan.images.indices.map { i in
                (scan.images[i].label, .file(DatasetRoot.join(root, paths[i])), isTest[i])
            },
            skipped: scan.skipped)
    }
}
