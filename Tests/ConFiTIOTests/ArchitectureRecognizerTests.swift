import ConFiTIO
import Testing

@Suite struct ArchitectureRecognizerTests {
    /// torchvision ResNet key names for the given blocks per stage.
    static func resnet(_ blocks: [Int], bottleneck: Bool) -> [String] {
        var names = ["conv1.weight", "bn1.weight", "bn1.running_mean"]
        for (stage, count) in blocks.enumerated() {
            for block in 0..<count {
                let convs = bottleneck ? ["conv1", "conv2", "conv3"] : ["conv1", "conv2"]
                names += convs.map { "layer\(stage + 1).\(block).\($0).weight" }
                if block == 0 && stage > 0 { names.append("layer\(stage + 1).0.downsample.0.weight") }
            }
        }
        return names + ["fc.weight", "fc.bias"]
    }

    static func efficientNet(blocks: Int, squeezeExcitation: Bool) -> [String] {
        var names = ["_conv_stem.weight", "_bn0.weight"]
        for block in 0..<blocks {
            names += ["_blocks.\(block)._depthwise_conv.weight", "_blocks.\(block)._project_conv.weight"]
            if squeezeExcitation { names.append("_blocks.\(block)._se_reduce.weight") }
        }
        return names + ["_conv_head.weight", "_bn1.weight", "_fc.weight", "_fc.bias"]
    }

    @Test func recognisesResNets() {
        #expect(ArchitectureRecognizer.recognize(Self.resnet([2, 2, 2, 2], bottleneck: false)) == "resnet18")
        #expect(ArchitectureRecognizer.recognize(Self.resnet([3, 4, 6, 3], bottleneck: false)) == "resnet34")
        #expect(ArchitectureRecognizer.recognize(Self.resnet([3, 4, 6, 3], bottleneck: true)) == "resnet50")
        #expect(ArchitectureRecognizer.recognize(Self.resnet([3, 4, 23, 3], bottleneck: true)) == "unknown")
        #expect(ArchitectureRecognizer.recognize(Self.resnet([2, 2, 2, 2], bottleneck: true)) == "unknown")
    }

    @Test func recognisesEfficientNetLite0() {
        #expect(
            ArchitectureRecognizer.recognize(Self.efficientNet(blocks: 16, squeezeExcitation: false))
                == "efficientnet_lite0")
        #expect(ArchitectureRecognizer.recognize(Self.efficientNet(blocks: 16, squeezeExcitation: true)) == "unknown")
        #expect(ArchitectureRecognizer.recognize(Self.efficientNet(blocks: 18, squeezeExcitation: false)) == "unknown")
    }

    @Test func knowsNothingElse() {
        #expect(ArchitectureRecognizer.recognize([]) == "unknown")
        #expect(ArchitectureRecognizer.recognize(["fc.weight", "fc.bias"]) == "unknown")
    }
}
