import MetaTensor
import MetaRandom

/// How a parameter tensor is filled at the start of training. The fan-in scaled schemes use
/// `fanIn = inputs · receptive field` and `fanOut = outputs · receptive field`.
public enum Initializer: Sendable, Hashable {
    case zeros
    case ones
    case constant(Double)
    /// U(−a, a) with a = √(6 / (fanIn + fanOut)) (Glorot & Bengio 2010; "xavier" in the MAML code).
    case glorotUniform
    /// N(0, 2 / fanIn) (He et al. 2015).
    case heNormal
    /// U(−a, a) with a = √(6 / fanIn).
    case heUniform
    /// N(0, 1 / fanIn) (LeCun).
    case lecunNormal
    /// Normal with this standard deviation, redrawn beyond two deviations.
    case truncatedNormal(standardDeviation: Double)
    case uniform(low: Double, high: Double)

    /// A tensor of `shape` drawn from `stream`.
    public func make<S: TensorScalar>(_ shape: [Int], fanIn: Int, fanOut: Int, using stream: inout RandomStream) -> Tensor<S> {
        switch self {
        case .zeros: return Tensor(zeros: shape)
        case .ones: return Tensor(repeating: 1, shape: shape)
        case let .constant(c): return Tensor(repeating: S(c), shape: shape)
        case .glorotUniform:
            let a = (6 / Double(fanIn + fanOut)).squareRoot()
            return stream.uniformTensor(shape, low: -a, high: a)
        case .heNormal: return stream.normalTensor(shape, standardDeviation: (2 / Double(fanIn)).squareRoot())
        case .heUniform:
            let a = (6 / Double(fanIn)).squareRoot()
            return stream.uniformTensor(shape, low: -a, high: a)
        case .lecunNormal: return stream.normalTensor(shape, standardDeviation: (1 / Double(fanIn)).squareRoot())
        case let .truncatedNormal(sd): return stream.truncatedNormalTensor(shape, standardDeviation: sd)
        case let .uniform(low, high): return stream.uniformTensor(shape, low: low, high: high)
        }
    }
}
