import ConFiT
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// `confit bench`'s JSON: its keys, the configuration it reports, and a FLOP count
/// computed by hand.
@Suite struct ThroughputBenchmarkTests {
    @Test func reportHasItsKeysAndHandCountedFLOPs() throws {
        var options = ThroughputBenchmark.Options()
        (options.imageSize, options.batch, options.steps, options.warmup, options.threads) = (32, 2, 1, 0, 1)
        (options.stages, options.trackers, options.profile) = ([.eval, .mixed, .full], true, true)
        let json = try #require(
            JSONSerialization.jsonObject(with: ThroughputBenchmark.report(options)) as? [String: Any])
        #expect(
            Set(json.keys) == [
                "model", "image_size", "batch", "threads", "onednn_version", "cpu_isa", "layout",
                "forward_gflop_per_image",
                "winograd", "trackers", "eval_img_s", "eval_gflop_s", "eval_mixed_img_s", "eval_mixed_gflop_s",
                "train_full_img_s", "train_full_gflop_s",
                "profile", "peak_rss_mb",
                "processes", "gradient_bytes", "precision",
            ])
        #expect((json["processes"] as? Int) == 1)
        #expect((json["precision"] as? String) == "float32")
        #expect(
            (json["gradient_bytes"] as? Int) == 4 * 11_689_512, "torchvision's ResNet-18 parameter count, in float32")
        #expect((json["model"] as? String) == "resnet18")
        #expect((json["layout"] as? String) == "nChw16c")
        #expect((json["threads"] as? Int) == 1)
        #expect((json["trackers"] as? Int) == 20, "ResNet-18 has 20 conv → BN pairs")
        // At 32 px: conv1 16², layer1 8², layer2 4², layer3 2², layer4 1² maps; 2·MACs of
        // every convolution plus the 512 → 1000 classifier = 75,046,912 FLOPs.
        expectClose(try #require(json["forward_gflop_per_image"] as? Double), 0.075046912, tolerance: 1e-12)
        let profile = try #require(json["profile"] as? [String: [String: Double]])
        #expect(Set(profile.keys) == ["eval", "eval_mixed", "train_full"])
        #expect(profile["eval"]?["convolution forward_inference"] != nil)
        // The mixed batch's BNs run the per-image affine, not oneDNN's BN; plain eval the
        // other way round.
        #expect(profile["eval_mixed"]?["batch_normalization forward_inference"] == nil, "\(profile)")
        #expect(profile["eval_mixed"]?["per-image affine (Swift)"] != nil, "\(profile)")
        #expect(profile["eval"]?["per-image affine (Swift)"] == nil, "\(profile)")
        #expect(profile["eval"]?["batch_normalization forward_inference"] != nil, "\(profile)")
        #expect(profile["train_full"]?["convolution backward_weights"] != nil)
        #expect(profile["train_full"]?["host"] != nil)
        // The rate in GFLOP/s is the measured images per second times the hand-counted FLOPs.
        let evalImages = try #require(json["eval_img_s"] as? Double)
        expectClose(
            try #require(json["eval_gflop_s"] as? Double), evalImages * 0.075046912, tolerance: 1e-9 * evalImages)
    }
}

extension ThroughputBenchmarkTests {
    /// The mask methods' steps are measured with their hooks and leave the network as it
    /// was: no mask on a convolution, BN statistics not frozen, the weights of PackNet's
    /// step moved (it trains them) and the backbone of Piggyback's not (it trains masks).
    @Test func maskStepsRunTheirHooksAndLeaveTheNetworkAsItWas() throws {
        let network = Architecture.resnet18.make(numClasses: 10)
        let benchmark = try ThroughputBenchmark(
            network: network, batch: 2, imageSize: 32, taskClasses: 4, steps: 1, warmup: 0,
            profiler: nil)
        let conv = network.namedLayers().compactMap { $0.1 as? Conv2d }[3]
        let before = try conv.weight.value.toArray()
        _ = try benchmark.train(PiggybackStrategy())
        #expect(try conv.weight.value.toArray() == before)
        _ = try benchmark.train(PackNetStrategy())
        #expect(try conv.weight.value.toArray() != before)
        #expect(conv.weightMask == nil)
        #expect(network.namedLayers().compactMap { $0.1 as? BatchNorm2d }.allSatisfy { !$0.freezesStatistics })
    }
}
