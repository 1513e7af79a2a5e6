import MetaTensor
import MetaRandom

extension SearchSpace {
    /// `parent` with exactly one dimension changed to another value of this space (Real et
    /// al. 2019's mutation: one random change): the dimension uniform among
    /// ``variableDimensions``, the new value uniform among the others (log-uniform for the rates,
    /// drawn again in the measure-zero case that it repeats the old one).
    ///
    /// - Precondition: `parent` lies in the space and the space has a variable dimension
    ///   (``SearchConfiguration`` checks both).
    public func mutate(_ parent: Genome, using stream: inout RandomStream) -> (genome: Genome, changed: SearchDimension) {
        let dimensions = variableDimensions
        require(!dimensions.isEmpty && contains(parent), "SearchSpace.mutate: a parent outside the space, or no dimension to change")
        let d = dimensions[stream.nextInt(below: dimensions.count)]
        var g = parent
        func other(_ range: ClosedRange<Int>, _ old: Int) -> Int {
            let k = stream.nextInt(below: range.count - 1)
            let v = range.lowerBound + k
            return v >= old ? v + 1 : v
        }
        func otherChoice<T: Equatable>(_ list: [T], _ old: T) -> T {
            let i = list.firstIndex(of: old)!
            let k = stream.nextInt(below: list.count - 1)
            return list[k >= i ? k + 1 : k]
        }
        func otherRate(_ range: ClosedRange<Double>, _ old: Double) -> Double {
            var v = old
            while v == old { v = Self.logUniform(range, &stream) }
            return v
        }
        switch d {
        case .blocks: g.blocks = other(blocks, g.blocks)
        case .filters: g.filters = other(filters, g.filters)
        case .kernel: g.kernel = otherChoice(kernels, g.kernel)
        case .downsampling: g.downsampling = otherChoice(downsampling, g.downsampling)
        case .normalization: g.normalization = otherChoice(normalization, g.normalization)
        case .learner: g.learner = otherChoice(learners, g.learner)
        case .innerSteps: g.innerSteps = other(innerSteps, g.innerSteps)
        case .innerLearningRate: g.innerLearningRate = otherRate(innerLearningRate, g.innerLearningRate)
        case .outerLearningRate: g.outerLearningRate = otherRate(outerLearningRate, g.outerLearningRate)
        }
        return (g, d)
    }
}
