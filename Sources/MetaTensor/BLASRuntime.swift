import CBLAS

/// OpenBLAS's process-wide settings.
///
/// Threads: metatrain defaults to one per process; worker processes are the unit of
/// parallelism, and on the small GEMMs of few-shot models extra threads only add overhead.
///
/// Kernels: OpenBLAS picks its kernels when the library loads, from the CPU model. On
/// virtual machines that report a generic model ("Intel Xeon Processor") it falls back to
/// `Prescott` (SSE3) kernels, 3–5× slower than what the CPU supports. ``recommendedCoreType(cpuFlags:)``
/// names the right kernels from the CPU's feature flags; the `metatrain` tool applies it by
/// setting `OPENBLAS_CORETYPE` and re-executing itself once.
public enum BLASRuntime {
    /// Sets the number of threads OpenBLAS uses for every later call.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS selected (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The best OpenBLAS 0.3 core type for a CPU with these feature flags (as listed in
    /// /proc/cpuinfo), or nil when there is nothing better than the generic kernels.
    public static func recommendedCoreType(cpuFlags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        if cpuFlags.contains("avx") { return "SandyBridge" }
        return nil
    }
}
