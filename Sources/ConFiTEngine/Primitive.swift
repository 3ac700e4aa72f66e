import CDNNL

/// A oneDNN primitive together with its descriptor, created once for one set of shapes
/// and executed many times.
final class Primitive {
    let descriptor: dnnl_primitive_desc_t
    let handle: dnnl_primitive_t
    let name: String
    /// What the profiler charges this primitive's time to.
    let kind: String
    /// Where `execute` reports its time, if anywhere.
    let profiler: Profiler?

    /// Creates the primitive from an operation descriptor (`dnnl_*_desc_t`), an optional
    /// attribute and, for backward passes, the forward primitive's descriptor as a hint
    /// (whose profiler it then shares).
    convenience init<OpDesc>(
        _ name: String, _ opDesc: OpDesc, attr: dnnl_primitive_attr_t? = nil, hint: Primitive? = nil,
        profiler: Profiler? = nil
    ) throws {
        var opDesc = opDesc
        var pd: dnnl_primitive_desc_t?
        try withUnsafeMutablePointer(to: &opDesc) { op in
            try check(
                dnnl_primitive_desc_create(&pd, UnsafeRawPointer(op), attr, Engine.shared.handle, hint?.descriptor),
                "\(name): primitive descriptor")
        }
        try self.init(name, descriptor: pd!, profiler: profiler ?? hint?.profiler)
    }

    /// Wraps an already created primitive descriptor (reorders, sums), taking ownership.
    init(_ name: String, descriptor pd: dnnl_primitive_desc_t, profiler: Profiler?) throws {
        var prim: dnnl_primitive_t?
        do { try check(dnnl_primitive_create(&prim, pd), "\(name): primitive") } catch {
            dnnl_primitive_desc_destroy(pd)
            throw error
        }
        self.name = name
        self.profiler = profiler
        kind = Profiler.kind(of: pd)
        descriptor = pd
        handle = prim!
    }

    deinit {
        dnnl_primitive_destroy(handle)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// oneDNN's name for the kernel it chose, such as "jit_dw:avx512_core" or "ref:any".
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else {
            return ""
        }
        return String(cString: name)
    }

    /// The memory descriptor the primitive uses for `what` (e.g. `dnnl_query_weights_md`).
    func memoryDescriptor(_ what: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, what, index).pointee
    }

    /// Runs the primitive on the engine's stream with `(DNNL_ARG_*, tensor)` arguments.
    func execute(_ args: [(Int32, Tensor)]) throws {
        let execArgs = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        try Profiler.measure(profiler, kind) {
            try check(dnnl_primitive_execute(handle, Engine.shared.stream, Int32(execArgs.count), execArgs), name)
            try Engine.shared.wait()
        }
    }
}
