import Foundation
import MetaRandom

/// The values each ``Genome`` dimension may take, as `search.yaml` writes them: integer
/// ranges (blocks, filters, inner steps; uniform), lists of choices (kernel, downsampling,
/// normalization, learner; uniform) and log-uniform ranges (the two learning rates).
///
/// The default is the space of issue 18: 2–5 blocks of 16–128 filters, 3×3 or 5×5 kernels,
/// stride or max-pool, batch norm or none; MAML, first-order MAML, ANIL, Meta-SGD, Reptile and
/// Prototypical Networks; 1–5 inner steps, inner rate 0.01–1, outer rate 10⁻⁴–10⁻².
public struct SearchSpace: Sendable, Equatable {
    public var blocks: ClosedRange<Int>
    public var filters: ClosedRange<Int>
    public var kernels: [Int]
    public var downsampling: [String]
    public var normalization: [String]
    public var learners: [String]
    public var innerSteps: ClosedRange<Int>
    public var innerLearningRate: ClosedRange<Double>
    public var outerLearningRate: ClosedRange<Double>

    public init(blocks: ClosedRange<Int> = 2...5, filters: ClosedRange<Int> = 16...128, kernels: [Int] = [3, 5],
                downsampling: [String] = ["strided", "max-pool"], normalization: [String] = ["batch-statistics", "none"],
                learners: [String] = SearchSpace.supportedLearners, innerSteps: ClosedRange<Int> = 1...5,
                innerLearningRate: ClosedRange<Double> = 0.01...1, outerLearningRate: ClosedRange<Double> = 0.0001...0.01) {
        self.blocks = blocks; self.filters = filters; self.kernels = kernels; self.downsampling = downsampling
        self.normalization = normalization; self.learners = learners; self.innerSteps = innerSteps
        self.innerLearningRate = innerLearningRate; self.outerLearningRate = outerLearningRate
    }

    /// The learners a search may choose: the support/query learners that train the encoder
    /// through its head or its features (the relation network needs its own module, the
    /// sequence learners other tasks, pre-training is not meta-learning).
    public static let supportedLearners = ["maml", Genome.firstOrderMAML, "anil", "metasgd", "reptile", "protonet"]

    /// How many values `dimension` can take (`.max` for the continuous rates with a non-empty interval).
    public func count(_ dimension: SearchDimension) -> Int {
        switch dimension {
        case .blocks: return blocks.count
        case .filters: return filters.count
        case .kernel: return kernels.count
        case .downsampling: return downsampling.count
        case .normalization: return normalization.count
        case .learner: return learners.count
        case .innerSteps: return innerSteps.count
        case .innerLearningRate: return innerLearningRate.lowerBound < innerLearningRate.upperBound ? .max : 1
        case .outerLearningRate: return outerLearningRate.lowerBound < outerLearningRate.upperBound ? .max : 1
        }
    }

    /// The dimensions a mutation can change (more than one value), in ``SearchDimension`` order.
    public var variableDimensions: [SearchDimension] { SearchDimension.allCases.filter { count($0) > 1 } }

    /// Whether every dimension of `genome` lies in this space.
    public func contains(_ g: Genome) -> Bool {
        blocks.contains(g.blocks) && filters.contains(g.filters) && kernels.contains(g.kernel)
            && downsampling.contains(g.downsampling) && normalization.contains(g.normalization) && learners.contains(g.learner)
            && innerSteps.contains(g.innerSteps) && innerLearningRate.contains(g.innerLearningRate)
            && outerLearningRate.contains(g.outerLearningRate)
    }

    /// A genome drawn uniformly (log-uniformly for the rates), dimension by dimension in
    /// ``SearchDimension`` order, from `stream`.
    public func sample(using stream: inout RandomStream) -> Genome {
        Genome(blocks: Self.draw(blocks, &stream), filters: Self.draw(filters, &stream),
               kernel: kernels[stream.nextInt(below: kernels.count)],
               downsampling: downsampling[stream.nextInt(below: downsampling.count)],
               normalization: normalization[stream.nextInt(below: normalization.count)],
               learner: learners[stream.nextInt(below: learners.count)],
               innerSteps: Self.draw(innerSteps, &stream),
               innerLearningRate: Self.logUniform(innerLearningRate, &stream),
               outerLearningRate: Self.logUniform(outerLearningRate, &stream))
    }

    static func draw(_ range: ClosedRange<Int>, _ stream: inout RandomStream) -> Int {
        range.lowerBound + stream.nextInt(below: range.count)
    }

    /// Log-uniform in `range`, clamped into it (exp∘log may round a hair outside).
    static func logUniform(_ range: ClosedRange<Double>, _ stream: inout RandomStream) -> Double {
        guard range.lowerBound < range.upperBound else { return range.lowerBound }
        let x = Foundation.exp(stream.uniform(Foundation.log(range.lowerBound), Foundation.log(range.upperBound)))
        return min(max(x, range.lowerBound), range.upperBound)
    }
}
