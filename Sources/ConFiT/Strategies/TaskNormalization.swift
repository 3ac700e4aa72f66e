import ConFiTIO
import ConFiTNN

/// How the mask methods (PackNet, Piggyback) treat BatchNorm: frozen, as their official
/// code does by default (`train_nobn`: running statistics, γ and β fixed, gradients still
/// flowing through), or trained per task and kept in a `NormalizationBank` per task,
/// loaded before the task is evaluated.
final class TaskNormalization {
    let trains: Bool
    private(set) var banks: [NormalizationBank] = []
    private let prefix: String

    /// `prefix` names the banks in the checkpoint (`packnet.bn.<t>.`).
    init(trains: Bool, prefix: String) { (self.trains, self.prefix) = (trains, prefix) }

    /// Train mode, with BN frozen or training as chosen.
    func prepare(_ network: any Layer) {
        network.train()
        network.freezeNormalizationStatistics(!trains)
        for case let (_, norm as BatchNorm2d) in network.namedLayers() {
            (norm.weight.trainable, norm.bias.trainable) = (trains, trains)
        }
    }

    func taskFinished(_ network: any Layer) throws {
        if trains { banks.append(try NormalizationBank(capturing: network)) }
    }

    /// Task i's bank into the network (nothing when BN is frozen: it never changes).
    func select(task i: Int, _ network: any Layer) throws {
        guard trains else { return }
        guard banks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "\(prefix)\(i)", reason: "only \(banks.count) tasks have BN banks")
        }
        try banks[i].restore(into: network)
    }

    func bytes(task t: Int) -> Int { banks.indices.contains(t) ? banks[t].byteCount : 0 }

    var state: [(String, HostTensor)] {
        banks.enumerated().flatMap { t, bank in bank.tensors.map { ("\(prefix)\(t)." + $0.name, $0.tensor) } }
    }

    func restore(from tensors: [(String, HostTensor)]) {
        banks = []
        while case let bank = tensors.under("\(prefix)\(banks.count)."), !bank.isEmpty {
            banks.append(NormalizationBank(tensors: bank))
        }
    }
}
