import ConFiTIO
import ConFiTNN
import Foundation

/// Writes the state dict of a freshly initialised ResNet-18 for `classes` classes, with
/// torchvision's key names, as a safetensors file: pre-trained-style weights for command
/// tests, small enough to make on the spot.
public func writeResNet18StateDict(classes: Int, seed: UInt64, to url: URL) throws {
    let network = ResNet(.resnet18(numClasses: classes), seed: seed)
    try SafeTensorsFile(tensors: try network.stateDict().map { (name: $0.0, tensor: $0.1) }).write(to: url)
}
