import MetaTensor
import MetaAutodiff
import MetaNN

/// Vanilla policy gradient (REINFORCE, Williams 1992) as MAML's inner step for
/// reinforcement learning (Finn et al. 2017 §3.2, eq. 4 with the paper's linear baseline).
public enum PolicyGradient {
    /// The REINFORCE surrogate `−(1/n) Σᵢ log π(aᵢ|sᵢ) Âᵢ`: its gradient is the (negated)
    /// policy-gradient estimate, so a descent step on it ascends the expected return.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func surrogate<S: TensorScalar>(logLikelihoods: Variable<S>, advantages: Tensor<S>) -> Variable<S> {
        -(logLikelihoods * Variable(advantages)).mean()
    }

    /// The surrogate of a batch under the policy `parameters`.
    public static func surrogate<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, batch: PolicyBatch<S>) -> Variable<S> {
        surrogate(logLikelihoods: GaussianPolicy.logLikelihood(model: model, parameters: parameters,
                                                               observations: batch.observations, actions: batch.actions),
                  advantages: batch.advantages)
    }

    /// One inner step `φ = θ − α ∇θ surrogate(θ)` on a fixed batch. With `createGraph` the
    /// gradient is recorded, so φ is a differentiable function of θ (second-order MAML); without
    /// it the gradient is a constant (first order).
    public static func adapt<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, batch: PolicyBatch<S>,
                                              learningRate: S, createGraph: Bool) -> Parameters<Variable<S>> {
        let loss = surrogate(model: model, parameters: parameters, batch: batch)
        let g = gradients(of: loss, at: parameters, createGraph: createGraph)
        return parameters.zip(g) { $0 - $1 * learningRate }
    }
}
