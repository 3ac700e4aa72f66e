import CDNNL

/// oneDNN's OpenMP thread team, lent to the few kernels written in Swift.
///
/// On two cores, a second pool of threads (Dispatch) would compete with OpenMP's workers,
/// which spin for a while after every oneDNN call; running on the same team avoids that.
enum ThreadTeam {
    /// Runs `body(thread, threads)` once on each thread of the team (the caller is thread
    /// 0) and returns when all have finished. `body` must only write memory that no other
    /// thread touches.
    static func run(_ body: (_ thread: Int, _ threads: Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var work = body
            withUnsafeMutablePointer(to: &work) { pointer in
                GOMP_parallel(
                    { raw in
                        let body = raw!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                        body(Int(omp_get_thread_num()), Int(omp_get_num_threads()))
                    }, pointer, 0, 0)
            }
        }
    }
}
