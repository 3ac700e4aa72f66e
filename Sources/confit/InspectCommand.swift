import ArgumentParser
import ConFiTIO
import Foundation

/// `confit inspect FILE`: what a weights file holds before anything is loaded from it —
/// its format, every tensor with dtype and shape, the parameter count and the network its
/// key names match — so a user can tell whether a download fits a model.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show the format, tensors, parameter count and architecture of a weights file (safetensors or PyTorch .pth)."
    )

    @Argument(help: "A safetensors file or a PyTorch .pth/.pt checkpoint (zip or legacy format).")
    var file: String

    func run() throws {
        let contents = try TensorFile(contentsOf: URL(fileURLWithPath: file))
        print("file: \(file)")
        print("format: \(contents.format.rawValue)")
        for (key, value) in contents.metadata.sorted(by: { $0.key < $1.key }) { print("metadata: \(key) = \(value)") }
        print("tensors: \(contents.tensors.count)")
        let width = contents.tensors.map(\.name.count).max() ?? 0
        for (name, tensor) in contents.tensors {
            let padding = String(repeating: " ", count: width - name.count)
            print(
                "  \(name)\(padding)  \(tensor.dtype.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(tensor.shape)"
            )
        }
        let counts = contents.elementCounts
        print("parameters: \(counts.parameters) (plus \(counts.buffers) in BatchNorm running statistics)")
        print("architecture: \(ArchitectureRecognizer.recognize(contents.tensors.map(\.name)))")
    }
}
