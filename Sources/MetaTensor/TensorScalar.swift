@_exported import RealModule

/// Elementwise unary kernels. `parameter` (see ``TensorScalar/unary(_:_:_:count:parameter:)``)
/// is used by `.scale`, `.shift` and `.power`.
public enum UnaryKernel: Sendable, Hashable {
    case negate, exp, log, tanh, sigmoid, relu, sqrt, abs, square, reciprocal
    /// 1 where x > 0, else 0 (the derivative mask of ReLU).
    case positiveMask
    /// x · parameter
    case scale
    /// x + parameter
    case shift
    /// x ^ parameter
    case power
}

/// Elementwise binary kernels (broadcasting is handled by strides).
public enum BinaryKernel: Sendable, Hashable {
    case add, subtract, multiply, divide, maximum, minimum
    /// 1 where a > b, else 0.
    case greater
    /// 1 where a == b, else 0.
    case equal
}

/// A floating-point scalar type that tensors can hold, together with its table of kernels.
///
/// The table is the only place where per-element loops run. Everything above it (shapes,
/// broadcasting, autodiff, layers) is generic over the scalar and dispatches here once per
/// operation, so generic code costs one witness-table call per op, never one per element.
/// `Float` and `Double` conform; both conformances forward to the same generic kernels in
/// this module, which the optimizer specialises for each type.
///
/// Contracts shared by all kernels: pointers are valid for the counts given, outputs do
/// not alias inputs unless stated, and all tensors are dense row-major.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// A short name for messages and encodings ("f32", "f64").
    static var dtypeName: String { get }

    /// `c = alpha · op(a) · op(b) + beta · c` (row-major, BLAS semantics).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y[i] = op(x[i])` for `count` elements; `y` may alias `x`.
    static func unary(_ op: UnaryKernel, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>,
                      count: Int, parameter: Self)

    /// `out[i] = op(a[i·aStrides], b[i·bStrides])` over the dense output `shape`;
    /// a stride of 0 broadcasts that dimension.
    static func binary(_ op: BinaryKernel, _ a: UnsafePointer<Self>, aStrides: [Int],
                       _ b: UnsafePointer<Self>, bStrides: [Int],
                       _ out: UnsafeMutablePointer<Self>, shape: [Int])

    /// Sums the dense tensor `x` of `shape` into `out` (of `outCount` elements, overwritten),
    /// where input index `i` lands at `Σ i_d · outStrides[d]` (0 for reduced dimensions).
    /// Accumulates in `Double`.
    static func reduceSum(_ x: UnsafePointer<Self>, shape: [Int], outStrides: [Int],
                          _ out: UnsafeMutablePointer<Self>, outCount: Int)

    /// For `x` viewed as `[outer, n, inner]`, writes the flat index into `x` of the first
    /// maximum along the middle axis for each (outer, inner) pair.
    static func argmax(_ x: UnsafePointer<Self>, outer: Int, n: Int, inner: Int,
                       _ indices: UnsafeMutablePointer<Int32>)

    /// Flat index of the maximum of each `window`×`window` window (stride `stride`, no padding)
    /// of `x` viewed as `[planes, height, width]`.
    static func maxPoolIndices(_ x: UnsafePointer<Self>, planes: Int, height: Int, width: Int,
                               window: Int, stride: Int, _ indices: UnsafeMutablePointer<Int32>)

    /// `out[i] = x[indices[i]]`.
    static func gather(_ x: UnsafePointer<Self>, _ indices: UnsafePointer<Int32>, count: Int,
                       _ out: UnsafeMutablePointer<Self>)

    /// `out` is zeroed (`outCount` elements), then `out[indices[i]] += x[i]`.
    static func scatterAdd(_ x: UnsafePointer<Self>, _ indices: UnsafePointer<Int32>, count: Int,
                           _ out: UnsafeMutablePointer<Self>, outCount: Int)

    /// Copies `x` (dense, `shape`) into `out` with its axes permuted (`out` axis d is `x` axis `perm[d]`).
    static func permute(_ x: UnsafePointer<Self>, shape: [Int], perm: [Int], _ out: UnsafeMutablePointer<Self>)

    /// Unfolds `x` (`[n, c, h, w]`) into columns `[c·kh·kw, n·oh·ow]` for convolution.
    static func im2col(_ x: UnsafePointer<Self>, _ geometry: ConvolutionGeometry, _ col: UnsafeMutablePointer<Self>)

    /// The adjoint of ``im2col(_:_:_:)``: `x` is zeroed, then every column entry is added back.
    static func col2im(_ col: UnsafePointer<Self>, _ geometry: ConvolutionGeometry, _ x: UnsafeMutablePointer<Self>)

    /// `out[i] = value` for `count` elements.
    static func fill(_ out: UnsafeMutablePointer<Self>, count: Int, value: Self)

    /// Converts to and from `Double` (used for references computed in higher precision).
    static func toDouble(_ x: UnsafePointer<Self>, _ out: UnsafeMutablePointer<Double>, count: Int)
    static func fromDouble(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Self>, count: Int)
}
