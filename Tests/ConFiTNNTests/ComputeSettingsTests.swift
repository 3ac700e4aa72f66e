import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Testing

/// Layout, Winograd and the profiler are settings of a network, not of the process: two
/// networks side by side keep their own, and compute the same function.
@Suite struct ComputeSettingsTests {
    @Test func twoNetworksInOneProcessKeepTheirOwnSettings() throws {
        let profiler = Profiler()
        let blocked = ResNet(
            .init(block: .basic, layers: [1, 1, 1, 1], widths: [16, 16, 32, 32], numClasses: 5), seed: 3)
        let plain = ResNet(
            .init(block: .basic, layers: [1, 1, 1, 1], widths: [16, 16, 32, 32], numClasses: 5), seed: 3)
        blocked.configure(ComputeSettings(layout: .blocked16, winograd: true, profiler: profiler))
        plain.configure(ComputeSettings(layout: .plain, winograd: false))
        let input = try makeTensor([2, 3, 24, 24], sampleValues(2 * 3 * 24 * 24, seed: 1))
        for network in [blocked, plain] { network.eval() }

        #expect(try blocked.conv1.forward(input).format == .blocked16)
        #expect(try plain.conv1.forward(input).format == .plain)
        profiler.reset()
        let expected = try plain.forward(input).toArray()
        #expect(profiler.calls.isEmpty, "the plain network reports to no profiler: \(profiler.calls)")
        let logits = try blocked.forward(input).toArray()
        #expect(profiler.calls["convolution forward_inference", default: 0] > 0)
        let scale = expected.map(abs).max() ?? 0
        for (a, b) in zip(logits, expected) { expectClose(a, b, tolerance: 1e-4 * scale) }

        // Reconfiguring drops the kernels built for the old settings.
        blocked.configure(ComputeSettings(layout: .channelsLast))
        #expect(try blocked.conv1.forward(input).format == .channelsLast)
    }

    /// `Architecture.make` hands its settings to every layer that builds kernels.
    @Test func architectureConfiguresEveryLayer() throws {
        let network = Architecture.efficientNetLite0.make(
            numClasses: 3, settings: ComputeSettings(layout: .channelsLast, winograd: false))
        let configurable = network.namedLayers().compactMap { $0.1 as? ComputeConfigurable }
        #expect(configurable.count > 100)
        #expect(configurable.allSatisfy { $0.settings.layout == .channelsLast && !$0.settings.winograd })
        #expect(network.classifier?.name == Architecture.efficientNetLite0.classifierName)
        #expect(Architecture.resnet18.make(numClasses: 3).classifier?.name == Architecture.resnet18.classifierName)
    }
}
