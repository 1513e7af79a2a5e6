import MetaNN
import MetaTasks

/// Everything that defines a meta-training run.
public struct RunConfiguration: Sendable {
    public enum Family: Sendable {
        case sinusoid(support: Int, query: Int)
        /// Random binary images of Omniglot's shapes (benchmarks).
        case syntheticImages(ways: Int, shots: Int, queries: Int, size: Int)
    }
    public enum Architecture: Sendable {
        case sineMLP(hidden: [Int])
        case omniglotCNN(ways: Int)
    }

    public var name: String
    /// Where the hyper-parameters come from.
    public var source: String
    public var algorithm: Algorithm
    public var family: Family
    public var architecture: Architecture
    public var inner: InnerLoop
    public var metaBatchSize: Int
    public var outerOptimizer: OuterOptimizer
    public var iterations: Int
    public var seed: UInt64
    public var validationInterval: Int
    public var validationTasks: Int
    public var evaluationTasks: Int
    /// Evaluation tasks are drawn from this seed, independent of the training seed.
    public var evaluationSeed: UInt64

    public var taskFamily: any TaskFamily {
        switch family {
        case let .sinusoid(k, q): return SinusoidTasks(supportPoints: k, queryPoints: q)
        case let .syntheticImages(n, k, q, size): return SyntheticImageTasks(ways: n, shots: k, queries: q, size: size)
        }
    }
    public var model: any Model {
        switch architecture {
        case let .sineMLP(hidden): return SineMLP(hidden: hidden)
        case let .omniglotCNN(ways): return ConvNet.omniglot(ways: ways)
        }
    }
    /// "mse" or "accuracy".
    public var metric: String {
        switch family {
        case .sinusoid: return "mse"
        case .syntheticImages: return "accuracy"
        }
    }

    /// The named presets, each with its paper's hyper-parameters.
    public static let presets: [String: RunConfiguration] = [
        "sine-maml": RunConfiguration(
            name: "sine-maml",
            source: "Finn et al. 2017 (MAML) §5.1: K=10, meta-batch 25, 1 inner step α=0.01, Adam β=0.001, 70,000 iterations",
            algorithm: .maml, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 1, evaluationSteps: 10, learningRate: 0.01),
            metaBatchSize: 25, outerOptimizer: .adam(learningRate: 0.001), iterations: 70_000, seed: 1,
            validationInterval: 1_000, validationTasks: 100, evaluationTasks: 600, evaluationSeed: 20_170_000),
    ]
}
