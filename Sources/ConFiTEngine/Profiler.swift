import CDNNL
import Foundation

/// Wall time spent in each kind of oneDNN call ("convolution backward_weights",
/// "batch_normalization forward_training", "sgemm", ...), for `confit bench --profile`.
///
/// A profiler belongs to the kernels it is given to (a network's layers pass theirs on
/// through `ComputeSettings`), so two networks in one process can be profiled apart.
/// Every primitive waits for its stream before returning, so timing the call times the
/// work; kernels without a profiler pay one nil check per call.
public final class Profiler {
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var calls: [String: Int] = [:]

    public init() {}

    /// Forgets everything recorded so far (e.g. the warm-up steps of a benchmark).
    public func reset() {
        seconds = [:]
        calls = [:]
    }

    /// Runs `body`, charging its wall time to `kind` when `profiler` is not nil.
    static func measure<T>(
        _ profiler: Profiler?, _ kind: @autoclosure () -> String, _ body: () throws -> T
    ) rethrows -> T {
        guard let profiler else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let key = kind()
            profiler.seconds[key, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            profiler.calls[key, default: 0] += 1
        }
        return try body()
    }

    /// "primitive-kind propagation-kind" of a primitive descriptor, in oneDNN's own words.
    static func kind(of descriptor: dnnl_primitive_desc_t) -> String {
        var primitiveKind = dnnl_undefined_primitive
        var propagation = dnnl_prop_kind_undef
        _ = dnnl_primitive_desc_query(descriptor, dnnl_query_primitive_kind, 0, &primitiveKind)
        let name = String(cString: dnnl_prim_kind2str(primitiveKind))
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_prop_kind, 0, &propagation) == dnnl_success,
            propagation != dnnl_prop_kind_undef
        else { return name }
        return "\(name) \(String(cString: dnnl_prop_kind2str(propagation)))"
    }
}
