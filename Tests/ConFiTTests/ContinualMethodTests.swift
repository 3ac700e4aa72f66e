import ConFiT
import ConFiTTestSupport
import Foundation
import Testing

/// How a run records its method: a name plus the hyper-parameters the method has, read
/// back into the same method; configurations written before strategies still resume.
@Suite struct ContinualMethodTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    private func roundTrip(_ method: ContinualMethod) throws -> ContinualMethod {
        try JSONDecoder().decode(ContinualMethod.self, from: JSONEncoder().encode(method))
    }

    @Test func everyMethodRoundTripsWithItsHyperParameters() throws {
        let tuned: [ContinualMethod] = [
            .lwf(.init(lambda: 0.5, temperature: 3)), .ewc(.init(lambda: 100, alpha: 0.25)),
            .packnet(.init(prune: 0.5, retrainEpochs: 3, trainsNormalization: true)),
            .piggyback(.init(learningRate: 1e-3, maskScale: 0.02, threshold: 0.01, trainsNormalization: true)),
            .ranpac(.init(dimension: 0)),
        ]
        for method in ContinualMethod.all + tuned {
            #expect(try roundTrip(method) == method, "\(method.name)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(
            String(
                decoding: try encoder.encode(ContinualMethod.lwf(.init(lambda: 0.5, temperature: 3))), as: UTF8.self)
                == #"{"lambda":0.5,"name":"lwf","temperature":3}"#)
        #expect(String(decoding: try encoder.encode(ContinualMethod.confit), as: UTF8.self) == #"{"name":"confit"}"#)
        #expect(
            String(decoding: try encoder.encode(ContinualMethod.packnet(.init())), as: UTF8.self)
                == #"{"name":"packnet","prune":0.75,"train_bn":false}"#,
            "the retraining epochs follow --epochs unless given")
        #expect(
            String(decoding: try encoder.encode(ContinualMethod.ranpac(.init())), as: UTF8.self)
                == #"{"name":"ranpac","ranpac_dim":10000}"#)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(ContinualMethod.self, from: Data(#"{"name":"ranpac","ranpac_dim":-5}"#.utf8))
        }
    }

    /// The JSON that runs wrote when methods were switches (session 5's metrics.json).
    @Test func configurationsFromBeforeStrategiesDecode() throws {
        let old =
            #"{"backboneInEvalMode":false,"name":"confit-nohier","recoversRunningMeans":true,"schedule":"all","usesTaskBanks":true}"#
        #expect(try JSONDecoder().decode(ContinualMethod.self, from: Data(old.utf8)) == .confitNoHier)
        #expect(try JSONDecoder().decode(ContinualMethod.self, from: Data(#"{"name":"ewc"}"#.utf8)) == .ewc(.init()))
    }

    /// Ranges are the library's: a configuration file out of range is refused on reading, and
    /// a strategy made by hand when its trainer is made.
    @Test func hyperParametersOutOfRangeAreRefusedByTheLibrary() throws {
        for json in [
            #"{"name":"ewc","alpha":2}"#, #"{"name":"lwf","temperature":0}"#, #"{"name":"packnet","prune":1}"#,
            #"{"name":"piggyback","learning_rate":-1}"#, #"{"name":"ranpac","ranpac_dim":-5}"#,
        ] {
            #expect(throws: (any Error).self, "\(json)") {
                try JSONDecoder().decode(ContinualMethod.self, from: Data(json.utf8))
            }
        }
        if let error = #expect(
            throws: (any Error).self,
            performing: { try SyntheticProtocol.makeTrainer(.ewc(.init(lambda: -1)), in: workspaces) })
        {
            #expect("\(error)".contains("EWC's λ must be finite and ≥ 0, not -1") == true, "\(error)")
        }
    }

    @Test func unknownNamesAreRefusedWithTheChoices() {
        if let error = #expect(throws: (any Error).self, performing: { try ContinualMethod.named("icarl") }) {
            #expect(
                "\(error)"
                    == "unknown method 'icarl': choose one of confit, confit-noxconv, confit-nohier, taskbn, finetune, linear, lwf, ewc, packnet, piggyback, simplecil, ranpac, fsa"
            )
        }
    }

    @Test func strategiesCarryTheMethodsNames() {
        for method in ContinualMethod.all { #expect(method.makeStrategy().name == method.name) }
    }
}
