import ArgumentParser
import ConFiTNN

/// Builds a network from its command-line name.
enum ModelFactory {
    static let names = ["resnet18", "resnet34", "resnet50"]

    static func make(_ name: String, numClasses: Int) throws -> ResNet {
        switch name {
        case "resnet18": ResNet(.resnet18(numClasses: numClasses))
        case "resnet34": ResNet(.resnet34(numClasses: numClasses))
        case "resnet50": ResNet(.resnet50(numClasses: numClasses))
        default: throw ValidationError("unknown model '\(name)': choose one of \(names.joined(separator: ", "))")
        }
    }
}
