import Testing
import MetaRandom
import MetaSearch

/// Sampling and mutation stay in the space; a mutation changes exactly one dimension.
@Suite struct SearchSpaceTests {
    @Test func sampledGenomesLieInTheSpace() {
        for i in 0..<500 {
            var s = RandomStream(seed: 3, iteration: UInt64(i), purpose: .testing)
            #expect(Fixtures.space.contains(Fixtures.space.sample(using: &s)))
        }
    }

    @Test func aMutationChangesExactlyOneDimensionTheOneItNamesAndStaysInRange() {
        var seen = Set<SearchDimension>()
        for i in 0..<2_000 {
            var s = RandomStream(seed: 4, iteration: UInt64(i), purpose: .testing)
            let parent = Fixtures.space.sample(using: &s)
            let (child, changed) = Fixtures.space.mutate(parent, using: &s)
            #expect(Fixtures.differences(parent, child) == [changed], "\(parent) → \(child)")
            #expect(Fixtures.space.contains(child), "\(child)")
            seen.insert(changed)
        }
        #expect(seen == Set(SearchDimension.allCases))
    }

    @Test func aMutationAtTheEdgeOfARangeStaysInside() {
        let space = SearchSpace(blocks: 2...3, filters: 16...17, kernels: [3], downsampling: ["strided"], normalization: ["none"],
                                learners: ["maml"], innerSteps: 1...1, innerLearningRate: 0.1...0.1, outerLearningRate: 0.001...0.001)
        #expect(space.variableDimensions == [.blocks, .filters])
        for i in 0..<200 {
            var s = RandomStream(seed: 5, iteration: UInt64(i), purpose: .testing)
            let parent = space.sample(using: &s)
            let (child, changed) = space.mutate(parent, using: &s)
            #expect([SearchDimension.blocks, .filters].contains(changed))
            #expect(Fixtures.differences(parent, child) == [changed])
            #expect(space.contains(child), "\(child)")
        }
    }
}
