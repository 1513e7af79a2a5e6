import MetaNN
import MetaTasks

/// Everything that defines a meta-training run. A value: the same configuration and seed give
/// the same run in any process.
public struct RunConfiguration: Sendable, Equatable {
    public enum Family: Sendable, Equatable {
        case sinusoid(support: Int, query: Int)
        /// Omniglot N-way K-shot with `queries` query images per class, from the official
        /// archives in `directory` (the 90° rotations of the MAML paper as extra classes).
        case omniglot(ways: Int, shots: Int, queries: Int, directory: String)
        /// Random binary images of Omniglot's shapes (benchmarks, tests).
        case syntheticImages(ways: Int, shots: Int, queries: Int, size: Int)
    }
    public enum Architecture: Sendable, Equatable {
        case sineMLP(hidden: [Int])
        /// The MAML paper's Omniglot CNN (strided convolutions, spatial mean, linear head).
        case omniglotCNN(ways: Int)
        /// The Prototypical Networks embedding (Snell et al. 2017): four blocks of 3×3
        /// convolution (64 filters), batch norm, ReLU and 2×2 max-pooling; 64 features on 28×28.
        case protoNetEncoder
    }

    public var name: String
    /// Where the hyper-parameters come from.
    public var source: String
    public var algorithm: Algorithm
    public var family: Family
    /// Tasks for validation and the final evaluation, when they differ from training's
    /// (ProtoNets trains on 60-way episodes and is evaluated on 5-way tasks).
    public var evaluationFamily: Family?
    public var architecture: Architecture
    public var inner: InnerLoop
    public var batchNorm: BatchNormMode
    public var metaBatchSize: Int
    public var outerOptimizer: OuterOptimizer
    public var iterations: Int
    public var seed: UInt64
    public var validationInterval: Int
    public var validationTasks: Int
    public var evaluationTasks: Int
    /// Evaluation tasks are drawn from this seed, independent of the training seed.
    public var evaluationSeed: UInt64

    public init(name: String, source: String, algorithm: Algorithm, family: Family, evaluationFamily: Family? = nil,
                architecture: Architecture, inner: InnerLoop, batchNorm: BatchNormMode = .batchStatistics,
                metaBatchSize: Int, outerOptimizer: OuterOptimizer, iterations: Int, seed: UInt64 = 1,
                validationInterval: Int = 1_000, validationTasks: Int = 100, evaluationTasks: Int = 600,
                evaluationSeed: UInt64 = 20_170_000) {
        self.name = name; self.source = source; self.algorithm = algorithm; self.family = family
        self.evaluationFamily = evaluationFamily; self.architecture = architecture; self.inner = inner
        self.batchNorm = batchNorm; self.metaBatchSize = metaBatchSize; self.outerOptimizer = outerOptimizer
        self.iterations = iterations; self.seed = seed; self.validationInterval = validationInterval
        self.validationTasks = validationTasks; self.evaluationTasks = evaluationTasks; self.evaluationSeed = evaluationSeed
    }

    /// Builds a task family; loading Omniglot can fail (missing or damaged archives).
    public static func makeTaskFamily(_ family: Family) throws -> any TaskFamily {
        switch family {
        case let .sinusoid(k, q): return SinusoidTasks(supportPoints: k, queryPoints: q)
        case let .syntheticImages(n, k, q, size): return SyntheticImageTasks(ways: n, shots: k, queries: q, size: size)
        case let .omniglot(n, k, q, directory):
            return OmniglotTasks(dataset: try OmniglotDataset.shared(directory: directory), ways: n, shots: k, queries: q)
        }
    }

    public var model: any Model {
        switch architecture {
        case let .sineMLP(hidden): return SineMLP(hidden: hidden)
        case let .omniglotCNN(ways): return ConvNet.omniglot(ways: ways)
        case .protoNetEncoder:
            return ConvNet(inChannels: 1, imageSize: 28, filters: 64, ways: 1, downsampling: .maxPool, pooling: .flatten)
        }
    }

    /// "mse" or "accuracy".
    public var metric: String {
        switch family {
        case .sinusoid: return "mse"
        case .omniglot, .syntheticImages: return "accuracy"
        }
    }
}
