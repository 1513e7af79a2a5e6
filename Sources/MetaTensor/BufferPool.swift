#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread caches of tensor buffers by size class, behind ``TensorStorage``.
///
/// A training iteration allocates and frees the same buffer sizes again and again; for a
/// small model the general-purpose allocator's bin searches and consolidation were about a
/// tenth of an iteration. Buffers of at least 1 KiB are rounded up to a power of two; a freed
/// one goes onto the freeing thread's stack for its class (at most ``depth`` per class and
/// ``budgetBytes`` per thread, the rest goes back to `free`), and the next allocation of that
/// class on that thread is a pop. Smaller buffers go straight to `malloc`, whose per-thread
/// cache already serves them well. A buffer may be freed on another thread than the one
/// that allocated it; it then joins that thread's cache. A thread's cache is freed when the
/// thread exits.
enum BufferPool {
    /// Buffers below this size bypass the pool.
    static let minimumShift = 10
    /// Size classes 2¹⁰ … 2²⁶ bytes (64 MiB); larger buffers bypass the pool.
    static let classCount = 17
    /// Cached buffers per class and thread.
    static let depth = 16
    /// Bytes one thread may keep cached.
    static let budgetBytes = 256 << 20

    /// One thread's cache: per class a count and `depth` slots, then the cached byte total.
    private typealias Cache = UnsafeMutablePointer<Int>
    private static let stride = depth + 1

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            guard let raw else { return }
            let cache = raw.assumingMemoryBound(to: Int.self)
            for c in 0..<BufferPool.classCount {
                let base = c * BufferPool.stride
                for i in 0..<cache[base] { free(UnsafeMutableRawPointer(bitPattern: cache[base + 1 + i])) }
            }
            cache.deallocate()
        }
        precondition(status == 0, "BufferPool: pthread_key_create failed (\(status))")
        return key
    }()

    private static var cache: Cache {
        if let raw = pthread_getspecific(key) { return raw.assumingMemoryBound(to: Int.self) }
        let cache = Cache.allocate(capacity: classCount * stride + 1)
        cache.initialize(repeating: 0, count: classCount * stride + 1)
        pthread_setspecific(key, cache)
        return cache
    }

    /// The size class of a buffer of `bytes`, or nil when it bypasses the pool.
    @inline(__always)
    private static func sizeClass(_ bytes: Int) -> Int? {
        if bytes < 1 << minimumShift { return nil }
        let shift = Int.bitWidth - (bytes - 1).leadingZeroBitCount   // ⌈log₂ bytes⌉
        let c = shift - minimumShift
        return c < classCount ? c : nil
    }

    /// Uninitialised memory for at least `bytes` bytes (16-byte aligned).
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        guard let c = sizeClass(bytes) else { return mallocOrStop(bytes) }
        let cache = self.cache, base = c * stride
        let n = cache[base]
        if n > 0 {
            cache[base] = n - 1
            cache[classCount * stride] -= 1 << (c + minimumShift)
            return UnsafeMutableRawPointer(bitPattern: cache[base + n])!
        }
        return mallocOrStop(1 << (c + minimumShift))
    }

    /// Returns memory from ``allocate(bytes:)`` of the same `bytes`.
    static func deallocate(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard let c = sizeClass(bytes) else { free(pointer); return }
        let cache = self.cache, base = c * stride, size = 1 << (c + minimumShift)
        let n = cache[base], total = classCount * stride
        if n < depth && cache[total] + size <= budgetBytes {
            cache[base + 1 + n] = Int(bitPattern: pointer)
            cache[base] = n + 1
            cache[total] += size
        } else {
            free(pointer)
        }
    }

    private static func mallocOrStop(_ bytes: Int) -> UnsafeMutableRawPointer {
        guard let p = malloc(Swift.max(bytes, 1)) else { fatalError("out of memory allocating \(bytes) bytes for a tensor") }
        return p
    }
}
