import CMPI
import Foundation

/// The processes `mpirun` started (Open MPI's `MPI_COMM_WORLD`). MPI is initialised once
/// per process, on first use, and finalised when the process exits, as MPI requires.
public final class MPIProcessGroup: ProcessGroup, Sendable {
    public let rank: Int
    public let size: Int

    /// The group of this process when `mpirun` (or `srun`) launched it — Open MPI says so
    /// in `OMPI_COMM_WORLD_SIZE` — else nil: a process started alone never initialises MPI.
    public static let launched: MPIProcessGroup? = {
        guard ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        return try? MPIProcessGroup()
    }()

    private init() throws(EngineError) {
        var provided: Int32 = 0
        // Collectives come from one thread at a time (the training loop's).
        try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided), "MPI_Init_thread")
        atexit { MPI_Finalize() }
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(confit_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(confit_mpi_comm_world(), &size), "MPI_Comm_size")
        (self.rank, self.size) = (Int(rank), Int(size))
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(EngineError) {
        try Self.check(
            MPI_Allreduce(
                confit_mpi_in_place(), values.baseAddress, Int32(values.count), confit_mpi_float(),
                confit_mpi_sum(), confit_mpi_comm_world()), "MPI_Allreduce of \(values.count) floats")
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws(EngineError) {
        try Self.check(
            MPI_Allreduce(
                confit_mpi_in_place(), values.baseAddress, Int32(values.count), confit_mpi_double(),
                confit_mpi_sum(), confit_mpi_comm_world()), "MPI_Allreduce of \(values.count) doubles")
    }

    public func allGather(_ values: [Double]) throws(EngineError) -> [Double] {
        var gathered = [Double](repeating: 0, count: values.count * size)
        let status = values.withUnsafeBufferPointer { source in
            gathered.withUnsafeMutableBufferPointer { target in
                MPI_Allgather(
                    source.baseAddress, Int32(values.count), confit_mpi_double(), target.baseAddress,
                    Int32(values.count), confit_mpi_double(), confit_mpi_comm_world())
            }
        }
        try Self.check(status, "MPI_Allgather of \(values.count) doubles")
        return gathered
    }

    private static func check(_ status: Int32, _ call: String) throws(EngineError) {
        guard status != MPI_SUCCESS else { return }
        var length: Int32 = 0
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        MPI_Error_string(status, &text, &length)
        throw .mpi(
            operation: call,
            message: String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
