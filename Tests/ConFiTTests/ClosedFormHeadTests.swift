import ConFiT
import ConFiTEngine
import ConFiTIO
import Foundation
import Testing

/// The closed-form heads against float64 NumPy written the way the official code computes
/// them (Resources/closed_form_fixtures.safetensors, made by make_closed_form_fixtures.py):
/// SimpleCIL's prototypes and cosine logits, RanPAC's choice of λ, ridge weights and logits,
/// FSA's LDA weights and biases — over two tasks of features.
struct ClosedFormHeadTests {
    let golden: SafeTensorsFile
    let tasks = [[2, 0], [1, 3]]

    init() throws { golden = try SafeTensorsFile(contentsOf: fixture("closed_form_fixtures.safetensors")) }

    func features(_ t: Int) throws -> FeatureSet {
        let values = try golden.tensor("features/task\(t)")
        return FeatureSet(
            dimension: values.shape[1], values: values.floats(), labels: try golden.tensor("labels/task\(t)").ints())
    }

    func tensor(_ name: String) throws -> Tensor {
        let host = try golden.tensor(name)
        return try Tensor(shape: host.shape, values: host.floats())
    }

    /// |a − b| ≤ tolerance · max(1, |b|) for every element.
    func expectClose(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)")
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): worst relative difference \(worst)")
    }

    @Test func prototypesAndCosineLogits() throws {
        let head = PrototypeHead(classes: 4, dimension: 6)
        var prototypes = [Float](repeating: 0, count: 24)
        for t in 0..<2 {
            let means = try features(t).classMeans(tasks[t])
            for (row, c) in tasks[t].enumerated() {
                prototypes.replaceSubrange((c * 6)..<(c * 6 + 6), with: means[(row * 6)..<(row * 6 + 6)])
                head.setPrototype(c, means[(row * 6)..<(row * 6 + 6)])
            }
        }
        expectClose(prototypes, try golden.tensor("simplecil/prototypes").floats(), 1e-6, "prototypes")
        expectClose(
            try head.logits(features: try tensor("query")).toArray(), try golden.tensor("simplecil/logits").floats(),
            1e-5,
            "cosine logits")
    }

    @Test func ridgeChoiceWeightsAndLogits() throws {
        let projection = try golden.tensor("ranpac/projection").floats()
        let head = RandomProjectionHead(classes: 4, dimension: 6, projection: projection)
        var regression = RidgeRegression(width: 8, classes: 4)
        for t in 0..<2 {
            let set = try features(t)
            let h = try set.values.withUnsafeBufferPointer { try head.hidden($0.baseAddress!, count: set.count) }.map {
                Double($0)
            }
            let (ridge, losses) = try RidgeRegression.selectRidge(
                h, width: 8, local: set.labels.map { tasks[t].firstIndex(of: $0)! },
                columns: 2)
            #expect(ridge == (try golden.tensor("ranpac/ridge/task\(t)").doubles()[0]))
            let expected = try golden.tensor("ranpac/losses/task\(t)").doubles()
            // h is float32 here (oneDNN's sgemm) and float64 in the fixture.
            for (loss, reference) in zip(losses, expected) {
                #expect(abs(loss - reference) <= 1e-6 * max(1e-3, reference))
            }
            regression.accumulate(h, labels: set.labels)
            head.weights = try regression.weights(ridge: ridge).map { Float($0) }
            expectClose(head.weights, try golden.tensor("ranpac/weights/task\(t)").floats(), 1e-5, "Wo after task \(t)")
        }
        expectClose(
            try head.logits(features: try tensor("query")).toArray(), try golden.tensor("ranpac/logits").floats(), 1e-5,
            "RanPAC logits")
    }

    @Test func ldaWeightsAndBiases() throws {
        var lda = LinearDiscriminant(dimension: 6, classes: 4)
        for t in 0..<2 {
            lda.accumulate(try features(t))
            let (weights, bias) = try lda.head(for: tasks[...t].flatMap { $0 })
            expectClose(
                weights, try golden.tensor("fsa/weights/task\(t)").floats(), 1e-5, "LDA weights after task \(t)")
            expectClose(bias, try golden.tensor("fsa/bias/task\(t)").floats(), 1e-5, "LDA biases after task \(t)")
        }
    }

    @Test func notPositiveDefiniteIsAnErrorNotACrash() {
        #expect(throws: EngineError.self) {
            try LinearAlgebra.solvePositiveDefinite([1, 2, 2, 1], [1, 1], n: 2, columns: 1, operation: "test")
        }
    }

    @Test func negativeProjectionWidthIsRefused() {
        #expect(throws: ConFiTError.self) { try RanPACStrategy.Options(dimension: -1).validate() }
    }
}
