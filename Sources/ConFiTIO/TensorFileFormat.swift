import Foundation

/// The tensor file formats the project reads, told apart by content, not by extension:
/// users name PyTorch files `.pth`, `.pt`, `.bin` or `.ckpt` indiscriminately.
public enum TensorFileFormat: String, Sendable {
    case safetensors
    /// `torch.save` since PyTorch 1.6: a zip archive holding `data.pkl` and `data/<key>`.
    case pytorchZip = "pytorch-zip"
    /// `torch.save` before 1.6 (or with `_use_new_zipfile_serialization=False`): pickles
    /// followed by raw storages.
    case pytorchLegacy = "pytorch-legacy"

    /// The format of the file at `url`, from its first bytes: a zip local-file header, a
    /// pickle PROTO opcode, or otherwise a safetensors header length (whose JSON starts
    /// with `{` at byte 8, which tells it from a pickle whose first byte happens to match).
    public static func sniff(_ url: URL) throws(TensorFileError) -> TensorFileFormat {
        let prefix: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            prefix = [UInt8](try handle.read(upToCount: 9) ?? Data())
        } catch {
            throw TensorFileError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        if prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pytorchZip }
        if prefix.first == 0x80 && !(prefix.count > 8 && prefix[8] == UInt8(ascii: "{")) { return .pytorchLegacy }
        return .safetensors
    }
}
