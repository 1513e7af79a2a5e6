import MetaTensor
import MetaNN
import MetaOptim

/// The optimizer of the outer (meta) update.
public enum OuterOptimizer: Sendable, Hashable {
    /// Adam (Kingma & Ba 2015) with this learning rate: MAML, Meta-SGD, ANIL, ProtoNets.
    case adam(learningRate: Double)
    /// Plain SGD: Reptile's interpolation θ ← θ − ε(θ − φ) with meta step size ε.
    case sgd(learningRate: Double)

    /// The optimizer state, whichever optimizer it is.
    public enum State<S: TensorScalar>: Sendable, Equatable {
        case adam(Adam<S>.State)
        case sgd(SGD<S>.State)
    }

    public var learningRate: Double {
        switch self { case let .adam(lr), let .sgd(lr): return lr }
    }

    /// The same optimizer with another learning rate (its state carries over).
    public func withLearningRate(_ rate: Double) -> OuterOptimizer {
        switch self {
        case .adam: return .adam(learningRate: rate)
        case .sgd: return .sgd(learningRate: rate)
        }
    }

    public func initialState<S: TensorScalar>(for parameters: Parameters<Tensor<S>>) -> State<S> {
        switch self {
        case let .adam(lr): return .adam(Adam<S>(learningRate: S(lr)).initialState(for: parameters))
        case let .sgd(lr): return .sgd(SGD<S>(learningRate: S(lr)).initialState(for: parameters))
        }
    }

    public func update<S: TensorScalar>(_ parameters: Parameters<Tensor<S>>, gradients: Parameters<Tensor<S>>,
                                        state: State<S>) -> (Parameters<Tensor<S>>, State<S>) {
        switch (self, state) {
        case let (.adam(lr), .adam(s)):
            let (p, n) = Adam<S>(learningRate: S(lr)).update(parameters, gradients: gradients, state: s)
            return (p, .adam(n))
        case let (.sgd(lr), .sgd(s)):
            let (p, n) = SGD<S>(learningRate: S(lr)).update(parameters, gradients: gradients, state: s)
            return (p, .sgd(n))
        default:
            fatalError("outer optimizer \(self) was given another optimizer's state")
        }
    }
}
