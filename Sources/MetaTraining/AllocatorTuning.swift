#if canImport(Glibc)
import Glibc

/// glibc's allocator tuned for training loops.
///
/// Every meta-iteration allocates and frees the same tensors. By default glibc serves large
/// blocks with mmap and trims the heap when its top is free, so each iteration hands memory
/// back to the kernel and faults it in again (page faults and TLB flushes were ~10% of the
/// sinusoid benchmark's time). Fixed thresholds keep freed memory in the heap for reuse; the
/// resident size then stays at the run's peak, which `bench memory` shows to be flat.
public enum AllocatorTuning {
    // From <malloc.h>, which Swift's Glibc module does not import.
    static let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3

    /// Sets the thresholds (mmap 256 MiB, trim 512 MiB, top pad 16 MiB) for the rest of the
    /// process; does nothing when the C library has no `mallopt`. Call it once, early.
    public static func apply() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        _ = mallopt(topPad, 16 << 20)
    }
}
#else
public enum AllocatorTuning { public static func apply() {} }
#endif
