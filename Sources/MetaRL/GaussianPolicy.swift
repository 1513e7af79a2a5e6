import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom

/// A diagonal Gaussian policy: the mean is a network's output (``PolicyMLP``), the log
/// standard deviation a learned, state-independent parameter named ``logStdName`` (rllab's
/// `GaussianMLPPolicy` with `learn_std=True`, `init_std=1`, as the MAML reference code).
/// Every function is pure and differentiable in the parameters.
public enum GaussianPolicy {
    /// The parameter holding log σ, one entry per action dimension.
    public static let logStdName = "policy.logStd"

    /// The network's initial parameters (stream of `seed`, purpose `.initialization`) and
    /// log σ = 0 (σ = 1).
    public static func initialParameters<S: TensorScalar>(model: any Model, actions: Int, seed: UInt64,
                                                          as: S.Type = S.self) -> Parameters<Tensor<S>> {
        let base = model.initialParameters(seed: seed, as: S.self)
        return Parameters(Array(zip(base.names, base.values)) + [(logStdName, Tensor<S>(zeros: [actions]))])
    }

    /// log σ as `[1, actions]`.
    static func logStd<S: TensorScalar>(_ p: Parameters<Variable<S>>) -> Variable<S> {
        let v = p[logStdName]
        return v.reshaped([1, v.count])
    }

    /// log π(a | s) for each row: `[n]`, from observations `[n, d]` and actions `[n, k]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func logLikelihood<S: TensorScalar>(model: any Model, parameters p: Parameters<Variable<S>>,
                                                      observations: Tensor<S>, actions: Tensor<S>) -> Variable<S> {
        let mean = model.apply(p, Variable(observations))
        let ls = logStd(p)
        let z = (Variable(actions) - mean) * (-ls).exp()
        let k = actions.shape[1]
        let perRow = (z.squared() * S(-0.5) - ls).sum(alongAxes: [1])
        return perRow - S(Double(k) * 0.5 * Foundation.log(2 * Double.pi))
    }

    /// The mean over the rows of KL(π_old(·|s) ‖ π_p(·|s)), where π_old has means `oldMeans`
    /// `[n, k]` and log σ `oldLogStd` `[k]` (the constraint of TRPO, Schulman et al. 2015).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func meanKL<S: TensorScalar>(model: any Model, parameters p: Parameters<Variable<S>>, observations: Tensor<S>,
                                               oldMeans: Tensor<S>, oldLogStd: Tensor<S>) -> Variable<S> {
        let mean = model.apply(p, Variable(observations))
        let ls = logStd(p)
        let old = Variable(oldLogStd.reshaped([1, oldLogStd.count]))
        // log σn − log σo + (σo² + (μo − μn)²) / (2σn²) − ½, summed over action dimensions.
        let numerator = (old * S(2)).exp() + (Variable(oldMeans) - mean).squared()
        let perEntry = ls - old + numerator * (ls * S(-2)).exp() * S(0.5) - S(0.5)
        return perEntry.sum(alongAxes: [1]).mean()
    }

    /// The action means `[n, k]` at observations `[n, d]` (no graph).
    public static func means<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, observations: Tensor<S>) -> Tensor<S> {
        model.apply(parameters.map { Variable($0) }, Variable(observations)).value
    }
}
