import Foundation

/// A file of this target's Resources, or of ConFiTNNTests' (the PyTorch fixtures are
/// committed once, there).
func fixture(_ name: String) -> URL {
    if let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources") { return url }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ConFiTNNTests/Resources/" + name)
}
