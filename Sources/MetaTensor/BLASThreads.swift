import CBLAS

/// OpenBLAS's thread pool size. metatrain defaults to one thread per process: worker
/// processes are the unit of parallelism, and on small GEMMs extra threads only add overhead.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for every later call (process-wide).
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
