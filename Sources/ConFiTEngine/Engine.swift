import CDNNL

/// The process-wide oneDNN CPU engine and its stream.
///
/// One engine and one in-order stream serve the whole process: oneDNN primitives are
/// thread-safe to create, but the stream is used from the training thread only, so the
/// type is `@unchecked Sendable` on that contract. Parallelism comes from oneDNN's own
/// OpenMP threads inside each primitive, set with `setThreads`.
public final class Engine: @unchecked Sendable {
    public static let shared = Engine()

    let handle: dnnl_engine_t
    let stream: dnnl_stream_t

    private init() {
        var engine: dnnl_engine_t?
        var stream: dnnl_stream_t?
        // A CPU engine and stream cannot fail to exist on a machine that runs this code.
        precondition(dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, "oneDNN: no CPU engine")
        precondition(
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, "oneDNN: no stream"
        )
        handle = engine!
        self.stream = stream!
    }

    /// Sets the number of OpenMP threads oneDNN's primitives use.
    public func setThreads(_ count: Int) { omp_set_num_threads(Int32(max(1, count))) }

    /// The number of OpenMP threads oneDNN's primitives use.
    public var threads: Int { Int(omp_get_max_threads()) }

    /// oneDNN's version as "major.minor.patch".
    public var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The instruction set oneDNN's JIT kernels dispatch to on this CPU.
    public var cpuISA: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: "sse41"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx512_mic: "avx512_mic"
        case dnnl_cpu_isa_avx512_mic_4ops: "avx512_mic_4ops"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        default: "isa \(dnnl_get_effective_cpu_isa().rawValue)"
        }
    }

    /// Whether oneDNN computes bfloat16 natively on this CPU (AVX512-BF16 or AMX, as it
    /// dispatches — `DNNL_MAX_CPU_ISA` can lower that). Elsewhere oneDNN 2.6 emulates
    /// bfloat16 or falls back to reference kernels: correct, but slower than float32.
    public var supportsBFloat16: Bool {
        [dnnl_cpu_isa_avx512_core_bf16, dnnl_cpu_isa_avx512_core_amx].contains(dnnl_get_effective_cpu_isa())
    }

    /// Throws, saying why, unless this CPU computes `type` natively.
    public func require(_ type: DataType) throws {
        guard type == .bfloat16, !supportsBFloat16 else { return }
        throw EngineError.invalidArgument(
            operation: "bf16 precision",
            reason: "this CPU (oneDNN ISA \(cpuISA)) has no native bfloat16 arithmetic (AVX512-BF16 or AMX); "
                + "use --precision float32")
    }

    /// Blocks until every primitive submitted to the stream has finished.
    func wait() throws { try check(dnnl_stream_wait(stream), "stream wait") }
}
