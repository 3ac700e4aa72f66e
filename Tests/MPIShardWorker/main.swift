import ConFiTEngine
import ConFiTIO
import ConFiTTestSupport
import Foundation

// Under `mpirun -np N`: `ShardedStep` on this rank's contiguous shard of the batch, with
// BN statistics, input means and gradients shared over the ranks; rank 0 writes the
// results to the safetensors file named by the first argument.
guard CommandLine.arguments.count == 2, let group = MPIProcessGroup.launched, ShardedStep.batch % group.size == 0 else {
    FileHandle.standardError.write(
        Data("usage: mpirun -np N MPIShardWorker OUT.safetensors (N dividing \(ShardedStep.batch))\n".utf8))
    exit(2)
}
let shard = ShardedStep.batch / group.size
do {
    let results = try ShardedStep.run(shard: group.rank * shard..<(group.rank + 1) * shard, group: group)
    if group.rank == 0 {
        try SafeTensorsFile(tensors: results).write(to: URL(fileURLWithPath: CommandLine.arguments[1]))
    }
} catch {
    FileHandle.standardError.write(Data("rank \(group.rank): \(error)\n".utf8))
    exit(1)
}
