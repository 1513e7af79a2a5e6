import MetaNN
import MetaAlgorithms

/// One individual of the search: an encoder architecture (``ConvEncoderArchitecture``) and
/// the learner that trains it with its inner loop and outer learning rate. A value, written to
/// `candidates.jsonl` as it is; ``SearchSpace`` says which values are allowed.
public struct Genome: Sendable, Hashable, Codable {
    /// Encoder blocks.
    public var blocks: Int
    /// Filters per block.
    public var filters: Int
    /// Kernel side (odd).
    public var kernel: Int
    /// `strided` or `max-pool` (``ConvNet/Downsampling``).
    public var downsampling: String
    /// `batch-statistics` or `none` (``ConvEncoderArchitecture/Normalization``).
    public var normalization: String
    /// A registered learner's name, or `fomaml` (MAML with `first_order: true`).
    public var learner: String
    /// Inner-loop steps at meta-training.
    public var innerSteps: Int
    public var innerLearningRate: Double
    public var outerLearningRate: Double

    public init(blocks: Int, filters: Int, kernel: Int, downsampling: String, normalization: String, learner: String,
                innerSteps: Int, innerLearningRate: Double, outerLearningRate: Double) {
        self.blocks = blocks; self.filters = filters; self.kernel = kernel; self.downsampling = downsampling
        self.normalization = normalization; self.learner = learner; self.innerSteps = innerSteps
        self.innerLearningRate = innerLearningRate; self.outerLearningRate = outerLearningRate
    }

    /// The name of first-order MAML in a search space (a learner setting, not a registered learner).
    public static let firstOrderMAML = "fomaml"

    /// `base` with this genome's architecture, learner and rates: what a candidate trains.
    /// The outer optimizer keeps its kind (Adam, SGD) and takes the genome's rate; the
    /// evaluation runs at least the genome's inner steps.
    /// - Throws: ``SearchError`` when the learner is neither registered nor `fomaml`.
    public func configuration(over base: RunConfiguration) throws -> RunConfiguration {
        var c = base
        let name = learner == Self.firstOrderMAML ? LearnerID.maml.rawValue : learner
        guard let id = LearnerID(rawValue: name) else {
            throw SearchError("search space: unknown learner '\(learner)'; expected a registered learner or \(Self.firstOrderMAML)")
        }
        guard let d = ConvNet.Downsampling(rawValue: downsampling),
              let n = ConvEncoderArchitecture.Normalization(rawValue: normalization) else {
            throw SearchError("search space: unknown downsampling '\(downsampling)' or normalization '\(normalization)'")
        }
        c.algorithm = id
        c.architecture = .convEncoder(blocks: blocks, filters: filters, kernel: kernel, downsampling: d, normalization: n,
                                      ways: base.family.spec.classes ?? 1)
        c.inner.steps = innerSteps
        c.inner.evaluationSteps = max(base.inner.evaluationSteps, innerSteps)
        c.inner.learningRate = innerLearningRate
        c.inner.firstOrder = learner == Self.firstOrderMAML
        switch base.outerOptimizer {
        case .adam: c.outerOptimizer = .adam(learningRate: outerLearningRate)
        case .sgd: c.outerOptimizer = .sgd(learningRate: outerLearningRate)
        }
        return c
    }
}
