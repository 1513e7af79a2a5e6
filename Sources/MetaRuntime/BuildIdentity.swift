/// What a process must share with the coordinator for its meta-gradients to be bit-identical:
/// the same build, the same BLAS kernels and the same floating-point results.
///
/// Sent in every hello. Two processes of the same build can still compute different bits when
/// OpenBLAS picks other kernels (another CPU model) or the C library's `exp`/`log`/`sin`
/// differ (another distribution): the build id cannot see either, so the hello also carries the
/// kernel family and a numeric fingerprint, a digest of a few libm and GEMM results computed
/// at start-up (`MetaCluster`'s `NumericFingerprint`). In synchronous mode the coordinator
/// rejects a worker whose identity differs, naming the difference, unless mixed builds are
/// allowed (then results are still correct, but no longer bit-identical across worker counts).
public struct BuildIdentity: Sendable, Equatable, Hashable {
    /// The program and its version (e.g. `metatrain 0.5.0 swift-6`); at most ``maxFieldBytes``.
    public var buildID: String
    /// The BLAS kernel family in use (OpenBLAS core name, e.g. `Haswell`); at most ``maxFieldBytes``.
    public var blasKernel: String
    /// A hex digest of libm and GEMM results on fixed inputs; at most ``maxFieldBytes``.
    public var fingerprint: String

    /// The longest any field may be on the wire (a hello with a longer one does not decode).
    public static let maxFieldBytes = 256

    /// Each field is clipped to ``maxFieldBytes`` bytes of UTF-8.
    public init(buildID: String, blasKernel: String = "", fingerprint: String = "") {
        self.buildID = clipped(buildID, maxBytes: Self.maxFieldBytes)
        self.blasKernel = clipped(blasKernel, maxBytes: Self.maxFieldBytes)
        self.fingerprint = clipped(fingerprint, maxBytes: Self.maxFieldBytes)
    }

    /// The first difference between a worker's identity (`self`) and the coordinator's, as a
    /// sentence for the reject text and the logs; nil when they are the same.
    public func difference(from coordinator: BuildIdentity) -> String? {
        if buildID != coordinator.buildID {
            return "the worker runs build '\(buildID)', the coordinator '\(coordinator.buildID)'"
        }
        if blasKernel != coordinator.blasKernel {
            return "the worker uses BLAS kernels '\(blasKernel)', the coordinator '\(coordinator.blasKernel)' "
                + "(set OPENBLAS_CORETYPE to the same value on every machine)"
        }
        if fingerprint != coordinator.fingerprint {
            return "the worker's numeric fingerprint \(fingerprint.prefix(16)) differs from the coordinator's "
                + "\(coordinator.fingerprint.prefix(16)) (its libm or GEMM results differ: another C library or CPU)"
        }
        return nil
    }
}
