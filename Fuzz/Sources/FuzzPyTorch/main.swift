// Any bytes as a PyTorch .pth (zip or legacy pickle), read from a file as users give them.
import ConFiTIO
import FuzzSupport

fuzz { bytes in
    if let url = temporaryFile(bytes, suffix: ".pth") { _ = try? PyTorchCheckpoint(contentsOf: url) }
}
