import Testing
import MetaTensor
import MetaTasks

/// Episodes as sequences (Santoro et al. 2016, §4.1): the image of step t with the label of
/// step t − 1, every class shown the same number of times in a shuffled order.
@Suite struct SequenceEpisodeTests {
    @Test func eachStepCarriesItsImageAndThePreviousStepsOneHotLabel() {
        let images = Tensor<Double>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let e = SequenceEpisode(images: images, labels: [2, 0, 2], classes: 3)
        #expect(e.inputs.shape == [3, 5])
        #expect(e.inputs.scalars == [1, 2, 0, 0, 0,
                                     3, 4, 0, 0, 1,
                                     5, 6, 1, 0, 0])
        #expect(e.targets == [2, 0, 2])
        #expect(e.presentations == [1, 1, 2])
    }

    static let episodes = SequenceEpisodes(source: SyntheticImageTasks(ways: 3, shots: 6, queries: 4, size: 8), classes: 3, side: 4)

    @Test func everyClassIsShownAsOftenAsTheSourceHasImagesInAShuffledOrder() {
        let e: SequenceEpisode<Float> = Self.episodes.episode(seed: 1, iteration: 0, index: 0, split: .train)
        #expect(e.steps == 30 && e.inputWidth == 16 + 3)
        for c in 0..<3 { #expect(e.targets.filter { $0 == c }.count == 10) }
        // The source's order (support, then query, each class-major) changes label 5 times; a
        // random order of 30 about 20 times.
        #expect(zip(e.targets, e.targets.dropFirst()).filter { $0 != $1 }.count > 10)
        #expect(e.presentations.max() == 10)
        for t in e.targets.indices {
            #expect(e.presentations[t] == e.targets[...t].filter { $0 == e.targets[t] }.count)
        }
    }

    @Test func episodesArePureFunctionsOfTheirCoordinates() {
        let a: SequenceEpisode<Float> = Self.episodes.episode(seed: 1, iteration: 2, index: 3, split: .train)
        let b: SequenceEpisode<Float> = Self.episodes.episode(seed: 1, iteration: 2, index: 3, split: .train)
        let c: SequenceEpisode<Float> = Self.episodes.episode(seed: 1, iteration: 2, index: 4, split: .train)
        #expect(a.inputs == b.inputs && a.targets == b.targets)
        #expect(a.targets != c.targets)
    }

    @Test func labelsArePermutedPerEpisode() {
        // The source labels its classes class-major (label 0 first); which episode label the
        // source's class 0 becomes is drawn per episode, so over 30 episodes all three occur.
        let source = SyntheticImageTasks(ways: 3, shots: 1, queries: 0, size: 4, ink: 0.5, noise: 0)
        var seen = Set<Int>()
        for i in 0..<30 {
            let task: Task<Float> = source.task(seed: 7, iteration: 0, index: UInt32(i), split: .train)
            let e: SequenceEpisode<Float> = SequenceEpisodes(source: source, classes: 3).episode(seed: 7, iteration: 0, index: UInt32(i), split: .train)
            let first = Array(task.supportInputs.scalars.prefix(16))
            for t in 0..<3 where Array(e.inputs.scalars[(t * 19)..<(t * 19 + 16)]) == first { seen.insert(e.targets[t]) }
        }
        #expect(seen == [0, 1, 2])
    }

    @Test func areaAveragingAveragesBlocksAndPreservesTheMean() {
        let x = Tensor<Double>(shape: [1, 1, 4, 4], scalars: (0..<16).map(Double.init))
        let halved = AreaAveraging.resized(x, side: 2)
        #expect(halved.scalars == [2.5, 4.5, 10.5, 12.5])
        let big = Tensor<Double>(shape: [1, 1, 28, 28], scalars: (0..<784).map { Double(($0 * 37) % 11) })
        let small = AreaAveraging.resized(big, side: 20)
        let meanBig = big.scalars.reduce(0, +) / 784, meanSmall = small.scalars.reduce(0, +) / 400
        #expect(Swift.abs(meanBig - meanSmall) < 1e-12 * meanBig)
    }
}
