// Any bytes as a split file (`--split FILE`: the classes and the test images by path) for a
// small class-per-folder dataset of real images.
import ConFiTData
import Foundation
import FuzzSupport

let photo = companion("rgb.jpg")
let images = Dictionary(uniqueKeysWithValues: ["cat/a.jpg", "cat/b.jpg", "dog/a.jpg", "dog/c.jpg"].map { ("images/\($0)", photo) })

fuzz { bytes in
    guard let root = temporaryFolder(images.merging(["split.json": bytes]) { $1 }) else { return }
    _ = try? DatasetKind.folder.load(root: root + "/images", options: DatasetOptions(split: .file(root + "/split.json")))
}
