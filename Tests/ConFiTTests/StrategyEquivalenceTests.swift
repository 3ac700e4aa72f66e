import ConFiT
import ConFiTEngine
import ConFiTTestSupport
import Testing

/// The six methods that were switches of one struct before they became strategies.
///
/// In one process, on any CPU: methods that train alike (ConFiT and its no-Xconv ablation;
/// no-hierarchy, task BN and fine-tuning) give the same epoch losses to the bit and the same
/// accuracy on the task just trained, and differ where their evaluation differs.
///
/// Against the numbers recorded with the switch-based code (commit c904a21, this protocol and
/// seed): every accuracy matrix exactly and every epoch's mean loss to float rounding — on the
/// CPUs they were recorded on (oneDNN's `avx512_core_bf16` and `avx512_core_amx` kernels), since
/// oneDNN picks other kernels, and sums in another order, on others. To record them for another
/// CPU, run this test there and add its ISA with the values it prints on failure.
@Suite struct StrategyEquivalenceTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    private static let hierarchicalLosses = [
        0.6967402100563049, 0.6604158679644266, 0.6583141585191091, 0.41117845972379047,
        0.1991273214419683, 0.8133538762728373, 0.559038445353508, 0.37045049170653027,
        0.13660944998264313, 0.1107915925482909,
    ]
    private static let allParameterLosses = [
        0.6207466721534729, 0.3989107708136241, 0.5074993719657263, 0.30073687930901843,
        0.17026625821987787, 0.6520010779301325, 0.36298777163028717, 0.2627379670739174,
        0.11856730158130328, 0.08519784982005756,
    ]
    private static let recorded: [(ContinualMethod, rows: [[Double]], losses: [Double])] = [
        (.confit, [[1.0], [0.84375, 1.0]], hierarchicalLosses),
        (.confitNoXconv, [[1.0], [0.59375, 1.0]], hierarchicalLosses),
        (.confitNoHier, [[1.0], [1.0, 1.0]], allParameterLosses),
        (.taskBN, [[1.0], [0.96875, 1.0]], allParameterLosses),
        (.finetune, [[1.0], [0.5, 1.0]], allParameterLosses),
        (
            .linear, [[0.625], [0.625, 0.9375]],
            [
                0.7210637331008911, 0.7081574896971384, 0.7154127756754557, 0.6926897267500559, 0.677624523639679,
                0.6474053760369619, 0.5837104121843973, 0.5325736949841181, 0.48521476487318677, 0.451391264796257,
            ]
        ),
    ]

    private static let recordedISAs: Set = ["avx512_core_bf16", "avx512_core_amx"]

    @Test func methodsThatTrainAlikeAgreeInOneProcess() throws {
        let runs = try Dictionary(
            uniqueKeysWithValues: [ContinualMethod.confit, .confitNoXconv, .confitNoHier, .taskBN, .finetune]
                .map { ($0.name, try SyntheticProtocol.run($0, in: workspaces)) })
        for group in [["confit", "confit-noxconv"], ["confit-nohier", "taskbn", "finetune"]] {
            for name in group.dropFirst() {
                #expect(runs[name]?.losses == runs[group[0]]?.losses, "\(name) trains as \(group[0]) does")
                #expect(
                    runs[name]?.rows.last?.last == runs[group[0]]?.rows.last?.last, "the task just trained, \(name)")
            }
        }
        #expect(runs["confit"]?.losses != runs["confit-nohier"]?.losses, "the hierarchy changes training")
    }

    /// Enabled where oneDNN dispatches to a kernel family the matrices were recorded with.
    @Test(
        .enabled(
            if: recordedISAs.contains(Engine.shared.cpuISA),
            "recorded on \(recordedISAs.sorted()); this CPU dispatches to \(Engine.shared.cpuISA)"))
    func strategiesReproduceTheRecordedMatrices() throws {
        for (method, rows, losses) in Self.recorded {
            let run = try SyntheticProtocol.run(method, in: workspaces)
            #expect(run.rows == rows, "\(method.name)")
            #expect(run.losses.count == losses.count, "\(method.name)")
            for (found, expected) in zip(run.losses, losses) {
                expectClose(found, expected, tolerance: 1e-5 * expected, "\(method.name)")
            }
        }
    }
}
