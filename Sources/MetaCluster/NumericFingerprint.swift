import Foundation
import MetaChecksum
import MetaTensor

/// A digest of floating-point results this process computes the way training does: the C
/// library's `exp`, `log`, `tanh`, `sin`, `cos` and `pow` in Float and Double, and OpenBLAS
/// GEMM on odd shapes (edge kernels) and on one of the CNN's im2col shapes.
///
/// Two processes whose digests differ can compute different bits from the same inputs (other
/// libm, other BLAS kernels, another CPU's FMA behaviour), so a synchronous run could not be
/// bit-identical across them; the coordinator compares digests in the hello
/// (``MetaRuntime/BuildIdentity``). Deterministic for one machine, build and environment.
public enum NumericFingerprint {
    /// The digest, 32 hex digits; computed once per process.
    public static let value: String = compute()

    static func compute() -> String {
        var bytes: [UInt8] = []
        func put<T>(_ v: T) { withUnsafeBytes(of: v) { bytes += $0 } }
        for k in 0..<64 {
            let x = Double(k) * 0.173 - 5.3
            let f = Float(x)
            put(Foundation.exp(x)); put(Foundation.exp(f))
            put(Foundation.log(abs(x) + 0.01)); put(Foundation.log(abs(f) + 0.01))
            put(Foundation.tanh(x)); put(Foundation.tanh(f))
            put(Foundation.sin(x * 3.1)); put(Foundation.sin(f * 3.1))
            put(Foundation.cos(x)); put(Foundation.cos(f))
            put(Foundation.pow(abs(x) + 0.5, 0.37)); put(Foundation.pow(abs(f) + 0.5, Float(0.37)))
        }
        for (m, k, n) in [(17, 13, 11), (64, 576, 49), (5, 64, 5)] {
            let a = Tensor<Float>(shape: [m, k]) { p, count in for i in 0..<count { p[i] = Float((i * 37) % 101) / 50 - 1 } }
            let b = Tensor<Float>(shape: [k, n]) { p, count in for i in 0..<count { p[i] = Float((i * 53) % 97) / 48 - 1 } }
            Tensor.matmul(a, b).withUnsafeBufferPointer { bytes += UnsafeRawBufferPointer($0) }
        }
        return String(SHA256.hexDigest(bytes).prefix(32))
    }
}
