import Foundation

/// Monotonic time for timers and rates (never for results: nothing computed depends on it).
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (CLOCK_MONOTONIC).
    public static var nanoseconds: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Seconds since an arbitrary fixed point.
    public static var seconds: Double { Double(nanoseconds) / 1e9 }

    /// CPU seconds the calling thread has used (CLOCK_THREAD_CPUTIME_ID): its own work, not
    /// the time it waited or was descheduled on a loaded machine.
    public static var threadCPUSeconds: Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
