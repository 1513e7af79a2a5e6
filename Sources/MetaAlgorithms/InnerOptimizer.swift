/// The optimiser of an inner loop that takes one (``Learner/takesInnerOptimizer``: Reptile),
/// stepping at ``InnerLoop/learningRate`` on mini-batches of ``InnerLoop/batchSize`` examples.
public enum InnerOptimizer: Sendable, Hashable {
    /// θ ← θ − α g.
    case sgd
    /// Adam (Kingma & Ba 2015) with this β₁ (β₂ = 0.999, ε = 1e-8), its moments starting at zero
    /// for each task. Reptile's scripts use β₁ = 0 (Nichol et al. 2018, `supervised-reptile`),
    /// which makes each step α g / (√v̂ + ε): a step normalised by the gradients' running RMS.
    case adam(beta1: Double)
}
