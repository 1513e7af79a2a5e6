import CZeroMQ

/// A ZeroMQ context: the I/O threads every socket of the process shares.
///
/// Lifetime contract: every ``ZMQSocket`` holds a strong reference to its context, and the
/// context is terminated only when the last reference goes, so `zmq_ctx_term` never waits for
/// a socket that is still open (which would block forever). Contexts are thread-safe.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A context with `ioThreads` background I/O threads (one is plenty below ~1 GB/s).
    public init(ioThreads: Int32 = 1) {
        guard let h = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: out of memory or file descriptors") }
        handle = h
        zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads)
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// The linked libzmq's version as (major, minor, patch).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    /// Whether libzmq was built with CURVE security.
    public static var hasCurve: Bool { zmq_has("curve") != 0 }
}
