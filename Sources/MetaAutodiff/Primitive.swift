import MetaTensor

/// The operations that the graph records. Every differentiable function in metatrain lowers
/// to these; their forward kernels live in `MetaTensor` and their derivative rules, all of
/// them, in `DerivativeRules.swift`.
///
/// The set is closed under differentiation: each rule is written in these same primitives,
/// which is what lets a gradient be differentiated again (second-order MAML). For example the
/// two backward passes of convolution are primitives of their own, and each one's rule is
/// expressed with convolution and the other backward pass.
public enum Primitive<Scalar: TensorScalar>: Equatable, Sendable {
    /// A differentiable input (parameters, or anything a gradient is taken with respect to).
    case leaf
    case unary(UnaryKernel, parameter: Double)
    /// Elementwise with broadcasting.
    case binary(BinaryKernel)
    /// Sum over the axes that the target shape broadcasts.
    case sumToShape([Int])
    case broadcast(to: [Int])
    case reshape([Int])
    case permute([Int])
    case matmul(transposeA: Bool, transposeB: Bool)
    case conv2d(stride: Int, padding: Int)
    case conv2dBackwardInput(inputShape: [Int], stride: Int, padding: Int)
    case conv2dBackwardFilter(filterShape: [Int], stride: Int, padding: Int)
    /// `y.flat[i] = x.flat[indices[i]]` (max-pooling, reduce-max, embedding lookup).
    case gather(indices: [Int32], shape: [Int])
    /// The adjoint of `gather`: a zero tensor of `shape` with `x.flat[i]` added at `indices[i]`.
    case scatterAdd(indices: [Int32], shape: [Int])
    case slice(axis: Int, start: Int, length: Int)
    /// The adjoint of `slice`: zeros of `size` along `axis`, with the input at `start`.
    case embed(axis: Int, start: Int, size: Int)
    case concatenate(axis: Int)

    /// Evaluates the primitive on the inputs' values.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(_ inputs: [Variable<Scalar>]) -> Tensor<Scalar> {
        if case .concatenate(let a) = self { return Tensor.concatenate(inputs.map { $0.value }, axis: a) }
        let x0 = inputs[0].value
        let x = (x0, inputs.count > 1 ? inputs[1].value : x0)
        switch self {
        case .leaf: return x.0
        case let .unary(op, p): return x.0.map(op, parameter: Scalar(p))
        case let .binary(op): return Tensor.zip(op, x.0, x.1)
        case let .sumToShape(s): return x.0.sum(toShape: s)
        case let .broadcast(s): return x.0.broadcast(to: s)
        case let .reshape(s): return x.0.reshaped(s)
        case let .permute(p): return x.0.permuted(p)
        case let .matmul(ta, tb): return Tensor.matmul(x.0, x.1, transposeA: ta, transposeB: tb)
        case let .conv2d(s, p): return Tensor.conv2d(x.0, x.1, stride: s, padding: p)
        case let .conv2dBackwardInput(shape, s, p):
            return Tensor.conv2dBackwardInput(x.0, x.1, inputShape: shape, stride: s, padding: p)
        case let .conv2dBackwardFilter(shape, s, p):
            return Tensor.conv2dBackwardFilter(x.0, x.1, filterShape: shape, stride: s, padding: p)
        case let .gather(i, s): return x.0.gather(flatIndices: i, shape: s)
        case let .scatterAdd(i, s): return x.0.scatterAdd(flatIndices: i, shape: s)
        case let .slice(a, s, l): return x.0.slice(axis: a, start: s, length: l)
        case let .embed(a, s, n): return x.0.embedded(axis: a, start: s, size: n)
        case .concatenate: fatalError("handled above")
        }
    }
}
