import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// `confit predict --weights BASE --bank task-I.safetensors`: the shared weights of a run
/// (its `checkpoint.safetensors`, or a plain state dict) with one exported task bank and
/// its classifier rows — what a deployment keeps per task instead of a model copy.
struct BankedNetwork {
    let network: any Layer
    let classNames: [String]
    let normalization: Normalization
    let transform: EvalTransform

    init(weights: String, bank: String) throws {
        let bankFile = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: bank))
        guard let model = bankFile.metadata["model"], let classifier = bankFile.metadata["classifier"],
              let classes = bankFile.metadata["classes"]?.split(separator: ",").compactMap({ Int($0) }) else {
            throw ConFiTError.invalidConfiguration("\(bank) is not a task file written by confit export (metadata missing)")
        }
        let factory = try ModelFactory(model)
        let base = try TensorFile(contentsOf: URL(fileURLWithPath: weights)).tensors
        let stateDict = base.contains { $0.name.hasPrefix("model.") }
            ? base.filter { $0.name.hasPrefix("model.") }.map { (String($0.name.dropFirst(6)), $0.tensor) }
            : base.map { ($0.name, $0.tensor) }
        network = factory.make(numClasses: classes.count)
        try network.loadPretrained(stateDict, classifier: .reinitialize(seed: 0))
        let pairs = try ConvolutionNormPair.pairs(in: network)
        let head = bankFile.tensors.filter { $0.name.hasPrefix("classifier.") }
            .map { (classifier + "." + $0.name.dropFirst("classifier.".count), $0.tensor) }
        try network.loadStateDict(head, strict: false)
        try TaskBank(tensors: bankFile.tensors.filter { !$0.name.hasPrefix("classifier.") }.map { ($0.name, $0.tensor) })
            .restore(into: pairs)
        if bankFile.metadata["recover"] == "true" {
            for pair in pairs { try pair.normalization.runningMean.load(try pair.tracker.recoveredMean()) }
        }
        network.eval()
        classNames = bankFile.metadata["class_names"].map { $0.split(separator: "\n").map(String.init) } ?? classes.map(String.init)
        normalization = factory.normalization
        transform = EvalTransform(resizeShortSide: bankFile.metadata["resize"].flatMap(Int.init) ?? 256,
                                  cropSize: bankFile.metadata["image_size"].flatMap(Int.init) ?? 224)
    }
}
