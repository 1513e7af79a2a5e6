/// The inner-loop (adaptation) settings of a gradient-based meta-learner.
public struct InnerLoop: Sendable, Hashable {
    /// SGD steps on the support set during meta-training.
    public var steps: Int
    /// SGD steps at evaluation (MAML's Omniglot runs use 1 at training and 3 at evaluation).
    public var evaluationSteps: Int
    /// The inner learning rate α.
    public var learningRate: Double
    /// Drop the second-order term: the inner gradients are treated as constants.
    public var firstOrder: Bool
    /// Posterior samples per task for Bayesian learners (``ABML``): the Monte Carlo samples of
    /// each expected log-likelihood and of the predictive distribution. Others ignore it.
    public var samples: Int
    /// The weight of the KL term of Bayesian learners' evidence lower bound (1: the ELBO
    /// itself, see ``ABML``). Others ignore it.
    public var klWeight: Double

    public init(steps: Int, evaluationSteps: Int? = nil, learningRate: Double, firstOrder: Bool = false,
                samples: Int = 1, klWeight: Double = 1) {
        self.steps = steps; self.evaluationSteps = evaluationSteps ?? steps
        self.learningRate = learningRate; self.firstOrder = firstOrder
        self.samples = samples; self.klWeight = klWeight
    }
}
