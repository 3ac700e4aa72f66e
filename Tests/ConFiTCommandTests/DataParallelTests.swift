import ConFiTIO
import ConFiTTestSupport
import Foundation
import XCTest

/// Data parallelism over Open MPI: `mpirun -np 2` (loopback, one thread per rank), each
/// rank training on half of a batch with synchronised batch norms, shared convolution
/// input means and averaged gradients, against one process with the whole batch.
final class DataParallelTests: TemporaryDirectoryTestCase {
    /// `mpirun` as root (CI containers) needs Open MPI's two consent variables.
    private func mpirun(_ ranks: Int, _ program: String, _ arguments: [String]) throws -> ConfitProcess {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
        let worker = try ConfitProcess.executable(program).path
        let child = try ConfitProcess.run(["-np", "\(ranks)", "--oversubscribe", "--bind-to", "none", "-x", "OMP_NUM_THREADS=1",
                                           worker] + arguments, logs: directory, program: try ConfitProcess.onPath("mpirun"), timeout: 300)
        return child
    }

    /// Loss within 1e-6, gradients within 1e-4 of their largest magnitude, BN running
    /// statistics and the convolutions' input means within 1e-5 relative: float32 sums in
    /// another order (per shard, then across ranks), nothing else.
    func testTwoRanksComputeTheWholeBatchStep() throws {
        let out = directory.appendingPathComponent("ranks.safetensors")
        let run = try mpirun(2, "MPIShardWorker", [out.path])
        run.assertExited(with: 0)
        let sharded = Dictionary(uniqueKeysWithValues: try SafeTensorsFile(contentsOf: out).tensors.map { ($0.name, $0.tensor) })
        let whole = try ShardedStep.run(shard: 0..<ShardedStep.batch, group: nil)
        XCTAssertEqual(Set(sharded.keys), Set(whole.map(\.name)))
        for (name, expected) in whole {
            let actual = try XCTUnwrap(sharded[name], name)
            XCTAssertEqual(actual.shape, expected.shape, name)
            if name.hasPrefix("shape.") {
                XCTAssertEqual(actual.ints(), expected.ints(), "\(name): the whole batch's shape")
            } else {
                let (relative, absolute): (Float, Float) = name.hasPrefix("grad.") ? (1e-4, 1e-7) : (1e-5, 1e-7)
                assertClose(actual.floats(), expected, name, relative: relative, absolute: absolute)
            }
        }
        XCTAssertEqual(whole.filter { $0.name.hasPrefix("buffer.") && $0.name.hasSuffix("running_var") }.count, 12,
                       "every BN's statistics compared")
    }
}
