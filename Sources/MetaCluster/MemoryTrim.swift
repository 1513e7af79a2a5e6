#if canImport(Glibc)
import Glibc
#endif

/// Hands memory freed after a flood back to the kernel.
///
/// The training loop keeps freed memory in glibc's heaps on purpose (see the executable's
/// allocator tuning: re-faulting tensors every iteration costs ~10%). Messages a hostile or
/// broken peer sends are freed as soon as they are refused, but that memory would then stay
/// resident at the flood's peak. So once a burst of refused traffic has been quiet for
/// ``quietSeconds``, the coordinator calls `malloc_trim(0)`, which returns the free pages of
/// every arena; the next iteration re-faults what it needs (a few milliseconds, once). Some
/// floods leave no trace in the counters (connections that said hello and went silent, then
/// closed: libzmq frees their buffers without telling anyone), so it also trims every
/// ``periodSeconds`` (about 10–20 ms of page faults a minute for the coordinator).
struct MemoryTrim {
    static let quietSeconds = 1.0
    static let periodSeconds = 60.0
    private var lastRefused = 0
    private var lastChange: Double?
    private var lastTrim: Double?

    /// Call every loop pass with the run's refused-message count; trims once a burst ended,
    /// and once a period.
    mutating func update(refused: Int, now: Double) {
        if lastTrim == nil { lastTrim = now }
        if refused != lastRefused {
            lastRefused = refused
            lastChange = now
        } else if let since = lastChange, now - since >= Self.quietSeconds {
            lastChange = nil
            lastTrim = now
            Self.trim()
        } else if let last = lastTrim, now - last >= Self.periodSeconds {
            lastTrim = now
            Self.trim()
        }
    }

    static func trim() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
