import CDNNL

/// Copies a tensor between two memory layouts (e.g. OIHW weights into the blocked
/// layout a convolution chose), optionally adding into the destination instead of
/// overwriting it, which is how weight gradients accumulate.
public final class Reorder {
    private let primitive: Primitive

    init(
        from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, accumulate: Bool = false,
        profiler: Profiler? = nil
    ) throws {
        var src = source, dst = destination
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "reorder attribute")
        defer { dnnl_primitive_attr_destroy(attr) }
        if accumulate {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "reorder post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_sum(postOps, 1), "reorder sum post-op")
            try check(dnnl_primitive_attr_set_post_ops(attr, postOps), "reorder post-ops")
        }
        var pd: dnnl_primitive_desc_t?
        let engine = Engine.shared.handle
        try check(dnnl_reorder_primitive_desc_create(&pd, &src, engine, &dst, engine, attr), "reorder")
        primitive = try Primitive("reorder", descriptor: pd!, profiler: profiler)
    }

    /// A reorder between the layouts of two same-shaped tensors.
    public convenience init(
        from source: Tensor, to destination: Tensor, accumulate: Bool = false,
        profiler: Profiler? = nil
    ) throws {
        try expect(destination, source.shape, "reorder destination")
        try self.init(from: source.descriptor, to: destination.descriptor, accumulate: accumulate, profiler: profiler)
    }

    public func run(_ source: Tensor, _ destination: Tensor) throws {
        try primitive.execute([(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
    }
}
