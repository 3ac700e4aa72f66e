/// CUB-200-2011: `images.txt` (id, path under `images/`), `image_class_labels.txt`
/// (id, 1-based class), `train_test_split.txt` (id, 1 = train), `classes.txt` (names).
enum CUB200 {
    static func load(root: String, options: DatasetOptions) throws -> ImageDataset {
        guard options.split == .standard || options.split == .official else {
            throw DataError.invalidArgument("cub200 uses its distributed split (train_test_split.txt)")
        }
        let folder = try DatasetRoot.locate(
            root, within: ["CUB_200_2011"], expected: "CUB_200_2011/ with images.txt"
        ) { DatasetRoot.exists($0, "images.txt") }
        let images = try table(folder, "images.txt")
        let labels = try table(folder, "image_class_labels.txt")
        let split = try table(folder, "train_test_split.txt")
        let classes: [String]
        if DatasetRoot.exists(folder, "classes.txt") {
            classes = try table(folder, "classes.txt").sorted { $0.key < $1.key }.map(\.value)
        } else {
            classes = Set(images.values.map { String($0.split(separator: "/").first ?? "") })
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        let labelsPath = DatasetRoot.join(folder, "image_class_labels.txt")
        var samples: [(label: Int, source: Sample.Source, isTest: Bool)] = []
        for (id, path) in images.sorted(by: { $0.key < $1.key }) {
            guard let labelText = labels[id], let label = Int(labelText) else {
                throw DataError.malformedFile(path: labelsPath, reason: "no label for image \(id)")
            }
            guard label >= 1 && label <= classes.count else {
                throw DataError.labelOutOfRange(path: labelsPath, label: label - 1, classes: classes.count)
            }
            guard let flag = split[id] else {
                throw DataError.malformedFile(
                    path: DatasetRoot.join(folder, "train_test_split.txt"), reason: "no split for image \(id)")
            }
            let file = DatasetRoot.join(DatasetRoot.join(folder, "images"), path)
            samples.append((label - 1, .file(file), flag == "0"))
        }
        return ImageDataset.assemble(name: "cub200", root: folder, classNames: classes, samples: samples, skipped: [])
    }

    /// A "<integer id> <value>" file as a dictionary keyed by the id.
    static func table(_ folder: String, _ name: String) throws -> [Int: String] {
        let path = DatasetRoot.join(folder, name)
        var rows: [Int: String] = [:]
        for line in try DatasetRoot.readText(path).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let id = Int(parts[0]) else {
                throw DataError.malformedFile(path: path, reason: "expected '<id> <value>', found '\(line)'")
            }
            rows[id] = String(parts[1])
        }
        return rows
    }
}
