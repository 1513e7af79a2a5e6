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
    /// Bayesian learners: the prior's log σ for every weight before the first update
    /// (`inner.prior_log_sigma`; default −4, σ ≈ 0.018). Others ignore it.
    public var priorLogSigma: Double
    /// Bayesian learners: meta-learn the regression predictive's observation noise, starting
    /// from this standard deviation (`inner.learned_noise`; default nil: the tasks' known
    /// noise, fixed). Others ignore it.
    public var learnedNoise: Double?
    /// Bayesian learners: the query meta-objective is the posterior-predictive log-likelihood
    /// rather than the expected log-likelihood of the evidence lower bound
    /// (`inner.objective: predictive | expected`; default expected). Others ignore it.
    public var predictiveObjective: Bool
    /// The inner optimiser (`inner.optimizer: sgd | adam`, `inner.beta1`), for learners that take
    /// one (``Learner/takesInnerOptimizer``); SGD by default, the one every learner uses.
    public var optimizer: InnerOptimizer
    /// Support examples per inner step (`inner.batch`), for learners that take an inner optimiser;
    /// nil (the default): the whole support set every step.
    public var batchSize: Int?
    /// Bayesian learners, with ``learnedNoise``: each regression task's observation variance is
    /// the learned noise's plus a meta-learned multiple of the adapted posterior's mean squared
    /// residual on the task's support set (`inner.residual_noise`; default false: one noise for
    /// every task). Others ignore it.
    public var residualNoise: Bool
    /// Bayesian learners: precondition the inner step of the KL's mean part by the prior's
    /// variance σ² (`inner.precondition_kl`; default false: plain SGD on the whole bound).
    /// The KL's gradient with respect to a posterior mean m is (m − μ)/σ², whose curvature
    /// 1/σ² is in the thousands for a narrow prior; times σ² it is m − μ. See ``ABML``.
    /// Others ignore it.
    public var preconditionedKL: Bool
    /// Bayesian learners, with ``learnedNoise`` and ``predictiveObjective``: the regression
    /// predictive's noise is a Student-t with this many degrees of freedom, scaled by the
    /// (learned, per-task) noise, rather than a Gaussian (`inner.noise_dof`; default nil:
    /// Gaussian). See ``ABML``. Others ignore it.
    public var noiseDegreesOfFreedom: Double?
    /// Bayesian learners, with ``learnedNoise`` and ``predictiveObjective``: each query point's
    /// noise variance is the task's times 1 + e^γ · (the point's leverage relative to the
    /// support inputs), γ meta-learned (`inner.leverage_noise`; default false: one noise for
    /// every point of a task). See ``ABML``. Others ignore it.
    public var leverageNoise: Bool

    /// The default prior log σ (``priorLogSigma``).
    public static let defaultPriorLogSigma = -4.0

    public init(steps: Int, evaluationSteps: Int? = nil, learningRate: Double, firstOrder: Bool = false,
                samples: Int = 1, klWeight: Double = 1, priorLogSigma: Double = InnerLoop.defaultPriorLogSigma,
                learnedNoise: Double? = nil, predictiveObjective: Bool = false, optimizer: InnerOptimizer = .sgd,
                batchSize: Int? = nil, residualNoise: Bool = false, preconditionedKL: Bool = false,
                noiseDegreesOfFreedom: Double? = nil, leverageNoise: Bool = false) {
        self.steps = steps; self.evaluationSteps = evaluationSteps ?? steps
        self.learningRate = learningRate; self.firstOrder = firstOrder
        self.samples = samples; self.klWeight = klWeight
        self.priorLogSigma = priorLogSigma; self.learnedNoise = learnedNoise; self.predictiveObjective = predictiveObjective
        self.optimizer = optimizer; self.batchSize = batchSize
        self.residualNoise = residualNoise; self.preconditionedKL = preconditionedKL
        self.noiseDegreesOfFreedom = noiseDegreesOfFreedom; self.leverageNoise = leverageNoise
    }
}
