/// The ranges of the numbers that task families and architectures read from a configuration,
/// and the budgets that bound their products (see MetaConfig's `ConfigLimits`, which lists
/// every range of a configuration file and takes these from here).
public enum TaskLimits {
    /// `tasks.ways`: classes per task (Omniglot's splits bound it further).
    public static let ways: ClosedRange<Int> = 2...1_000
    /// `tasks.shots`: support examples per class (sinusoid: support points; sequences: instances per class).
    public static let shots: ClosedRange<Int> = 1...1_000
    /// `tasks.queries`: query examples per class (sinusoid: query points).
    public static let queries: ClosedRange<Int> = 1...1_000
    /// `tasks.batch`: images per task of the whole-class families (`omniglot-classes`).
    public static let classBatch: ClosedRange<Int> = 1...4_096
    /// `tasks.size`: the side of an image, in pixels.
    public static let imageSize: ClosedRange<Int> = 8...128
    /// `tasks.size` of sequence families: the side images are downscaled to (20 in Santoro et al.).
    public static let sequenceImageSize: ClosedRange<Int> = 2...128
    /// Each width in `model.hidden`, and `model.units`.
    public static let hiddenWidth: ClosedRange<Int> = 1...4_096
    /// The number of entries of `model.hidden`.
    public static let hiddenLayers: ClosedRange<Int> = 1...16
    /// `model.filters`.
    public static let filters: ClosedRange<Int> = 1...512

    /// Scalars in one task's inputs (support and query): 2²⁴, 64 MB of `Float`.
    public static let taskScalarBudget = 1 << 24
    /// Scalars in one iteration's task inputs (meta_batch tasks): 2³⁰, 4 GB of `Float`.
    public static let iterationScalarBudget = 1 << 30
    /// Parameters of a model: 2²⁷, 512 MB of `Float`.
    public static let parameterBudget = 1 << 27
    /// Characters in each part of Omniglot's split (`OmniglotSplit.v1`): an N-way task needs N of them.
    public static let omniglotSplitSizes = (train: 1_100, validation: 100, test: 423)
}
