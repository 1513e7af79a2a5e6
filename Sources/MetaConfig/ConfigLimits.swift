import MetaAlgorithms

/// The range of every number in a run configuration, and the budgets that bound their products.
///
/// Why ranges at all: every size the run allocates is a product of these numbers (a task's
/// inputs are ways × (shots + queries) × size² scalars, an iteration's are meta_batch times
/// that, a sine MLP has Σ (inᵢ + 1)·outᵢ parameters), task indices are `UInt32`, and
/// iterations are counted in `Int`. Unchecked, a typo such as `shots: 9223372036854775807`
/// overflows one of those products and aborts the process far from the key that caused it.
/// Each range is generous (well beyond the papers' settings: Omniglot 20-way, 60-way ProtoNet
/// episodes, 100k iterations) yet small enough that no product of in-range values can overflow;
/// the budgets then refuse combinations that would allocate absurd amounts (gigabytes per task).
///
/// The README's "Configuration files" section lists the same table; the command-line overrides
/// (`--iterations`, `--seed`, `--eval-tasks`, `eval --tasks/--steps`) use the same ranges.
public enum ConfigLimits {
    /// `seed` and `evaluation.seed` (written to YAML as decimal integers that must read back).
    public static let seed: ClosedRange<Int> = 0...Int.max
    /// `iterations` (and `--iterations`); also the largest iteration or optimizer step a checkpoint may hold.
    public static let iterations: ClosedRange<Int> = 1...100_000_000
    /// `meta_batch`: tasks per outer step.
    public static let metaBatch: ClosedRange<Int> = 1...10_000
    /// `tasks.ways`: classes per task (Omniglot's splits bound it further, see ``omniglotSplitSizes``).
    public static let ways = TaskLimits.ways
    /// `tasks.shots`: support examples per class (sinusoid: support points).
    public static let shots = TaskLimits.shots
    /// `tasks.queries`: query examples per class (sinusoid: query points).
    public static let queries = TaskLimits.queries
    /// `tasks.batch`: images per task of `omniglot-classes`.
    public static let classBatch = TaskLimits.classBatch
    /// `tasks.size`: the side of a synthetic image, in pixels.
    public static let imageSize = TaskLimits.imageSize
    /// Each width in `model.hidden`.
    public static let hiddenWidth = TaskLimits.hiddenWidth
    /// The number of entries of `model.hidden`.
    public static let hiddenLayers = TaskLimits.hiddenLayers
    /// `inner.steps` and `inner.evaluation_steps` (and `eval --steps`).
    public static let innerSteps: ClosedRange<Int> = 0...1_000
    /// `validation.interval`.
    public static let validationInterval: ClosedRange<Int> = 1...100_000_000
    /// `validation.tasks`.
    public static let validationTasks: ClosedRange<Int> = 1...100_000
    /// `evaluation.tasks` (and `--eval-tasks`; `eval --tasks` needs at least 2 for a confidence interval).
    public static let evaluationTasks: ClosedRange<Int> = 1...100_000
    /// `inner.learning_rate`: 0 is allowed (ProtoNets and pretraining have no inner loop).
    public static let innerLearningRate: ClosedRange<Double> = 0...1_000
    /// `inner.samples`: posterior samples per task (Bayesian learners).
    public static let posteriorSamples: ClosedRange<Int> = 1...1_000
    /// `inner.kl_weight`: the KL term's weight (Bayesian learners).
    public static let klWeight: ClosedRange<Double> = 0...1_000_000
    /// `inner.prior_log_sigma`: the prior's initial log σ (Bayesian learners; e⁻²⁰ to e⁵).
    public static let priorLogSigma: ClosedRange<Double> = -20...5
    /// `inner.learned_noise`: the learned observation noise's initial standard deviation (exclusive of 0).
    public static let learnedNoise: ClosedRange<Double> = 0...1_000
    /// `inner.noise_dof`: the Student-t noise's degrees of freedom (Bayesian learners).
    public static let noiseDegreesOfFreedom: ClosedRange<Double> = 1...1_000_000
    /// `outer.learning_rate`: must be greater than 0.
    public static let outerLearningRate: ClosedRange<Double> = 0...1_000
    /// `inner.beta1`: Adam's β₁ (the inner optimiser), below 1.
    public static let adamBeta1: ClosedRange<Double> = 0...0.999_999
    /// `inner.batch`: support examples per inner step.
    public static let innerBatch: ClosedRange<Int> = 1...100_000
    /// `es.sigma`: the evolution-strategy perturbation scale (exclusive of 0).
    public static let perturbationScale: ClosedRange<Double> = 0...100

    /// Scalars in one task's inputs (support and query): 2²⁴, 64 MB of `Float`.
    public static let taskScalarBudget = TaskLimits.taskScalarBudget
    /// Scalars in one iteration's task inputs (meta_batch tasks): 2³⁰, 4 GB of `Float`.
    public static let iterationScalarBudget = TaskLimits.iterationScalarBudget
    /// Parameters of a model: 2²⁷, 512 MB of `Float`.
    public static let parameterBudget = TaskLimits.parameterBudget

    /// Characters in each part of Omniglot's split (`OmniglotSplit.v1`): an N-way task needs N of them.
    public static let omniglotSplitSizes = TaskLimits.omniglotSplitSizes

    /// `"<key> must be between <lower> and <upper>, got <value>"`, the one line every range check prints.
    public static func outOfRange(_ key: String, _ range: ClosedRange<Int>, got value: String) -> ConfigError {
        ConfigError("config key '\(key)' must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }

    /// Throws ``outOfRange(_:_:got:)`` unless `range` holds `value`.
    public static func check(_ key: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else { throw outOfRange(key, range, got: String(value)) }
    }
}
