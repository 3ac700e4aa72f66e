import Foundation

/// Caltech-101 as distributed: `101_ObjectCategories/<class>/image_NNNN.jpg`.
///
/// BACKGROUND_Google is not a class; class ids follow the folder names in byte order.
/// The standard split is the protocol's embedded split file (1,736 test images).
enum Caltech101 {
    static func load(root: String, options: DatasetOptions) throws -> ImageDataset {
        let folder = try DatasetRoot.locate(
            root, within: ["101_ObjectCategories", "caltech101/101_ObjectCategories"],
            expected: "101_ObjectCategories/ with one folder per class"
        ) { path in
            (path as NSString).lastPathComponent == "101_ObjectCategories" || DatasetRoot.exists(path, "Faces_easy")
        }
        let scan = try ClassFolderScan(folder: folder, excluding: ["BACKGROUND_Google"])
        let paths = scan.images.map(\.relativePath)
        let labels = scan.images.map(\.label)
        let isTest: [Bool]
        switch options.split {
        case .standard, .official:
            isTest = try SplitAssignment.fromFile(
                path: "caltech101_split.json (embedded)", contents: ProtocolResources.bytes("caltech101_split"),
                relativePaths: paths, classNames: scan.classNames)
        default:
            isTest = try SplitAssignment.assign(
                options.split, relativePaths: paths, labels: labels, classNames: scan.classNames)
        }
        return ImageDataset.assemble(
            name: "caltech101", root: folder, classNames: scan.classNames,
            samples: scan.images.indices.map { i in
                (labels[i], .file(DatasetRoot.join(folder, paths[i])), isTest[i])
            },
            skipped: scan.skipped)
    }
}
