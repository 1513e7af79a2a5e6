import MetaTensor
import MetaRandom

/// Regularized ("aging") evolution, Real et al., "Regularized Evolution for Image Classifier
/// Architecture Search", AAAI 2019 (Algorithm 1): the first P candidates are drawn at random;
/// each later one samples S members of the population, mutates the fittest of the sample
/// (``SearchSpace/mutate(_:using:)``), and joins the population while the oldest member leaves.
/// The population after n results is therefore the last P of them, whatever their fitness.
///
/// Departure, for determinism: the paper's workers breed from whatever population they find.
/// Here candidate i's parent is chosen from the population after the results of candidates
/// 0 ..< ``resultsNeeded(before:)`` (all earlier ones when ``inFlight`` is 1; with k in flight,
/// the first k children after the initial population all breed from it). So the history is a
/// function of the search seed alone, however many processes train candidates, and up to
/// ``inFlight`` candidates can be trained at once.
///
/// The same rule cut into batches (``batch(containing:)``) is how a cluster trains them: B =
/// ``inFlight`` candidates at a time, each batch's parents all among the results before it, the
/// population updated in candidate-index order once a batch completes. With B = 1 this is
/// exactly the paper's sequential algorithm; with B > 1 up to B children breed from the same
/// population (the departure above). B is the configuration's `evolution.in_flight`, never the
/// number of workers, so the history is the same on 0, 1 or N workers.
///
/// Randomness: candidate i's stream is keyed (search seed, iteration i, purpose
/// ``RandomPurpose/searchGenome``) for an initial draw, (…, ``RandomPurpose/searchEvolution``)
/// for the sample and the mutation.
public struct AgingEvolution: Sendable, Equatable {
    /// P: the population's size.
    public var population: Int
    /// S: members sampled (without replacement) for each tournament, 1…P.
    public var sample: Int
    /// B, the batch size: how many candidates may be trained at once (≥ 1; 1 is the paper's
    /// sequential form). The configuration's `evolution.in_flight`.
    public var inFlight: Int

    public init(population: Int, sample: Int, inFlight: Int = 1) {
        self.population = population; self.sample = sample; self.inFlight = inFlight
    }

    /// How many results, in candidate order, candidate `index`'s genome depends on.
    public func resultsNeeded(before index: Int) -> Int {
        index < population ? 0 : max(population, index - inFlight + 1)
    }

    /// The batch of candidate indices that holds `index`: the initial population in batches of
    /// ``inFlight`` (the last one cut at P), then batches of ``inFlight`` from P on. Every
    /// candidate of a batch needs only results of candidates before the batch
    /// (``resultsNeeded(before:)`` ≤ its start), so a batch can be trained all at once.
    public func batch(containing index: Int) -> Range<Int> {
        let b = max(1, inFlight)
        if index < population {
            let start = index / b * b
            return start..<min(population, start + b)
        }
        let start = population + (index - population) / b * b
        return start..<(start + b)
    }

    /// The population after `results` (in candidate order): the last P, the oldest gone first.
    public func population<C: Collection>(after results: C) -> [C.Element] { Array(results.suffix(population)) }

    /// Candidate `index`'s genome from the results before it (at least ``resultsNeeded(before:)``
    /// of them; any further ones are ignored).
    public func genome(index: Int, results: [CandidateRecord], space: SearchSpace, seed: UInt64) -> Genome {
        require(results.count >= resultsNeeded(before: index),
                "AgingEvolution: candidate \(index) needs \(resultsNeeded(before: index)) results, got \(results.count)")
        guard index >= population else { return RandomSearch.genome(index: index, space: space, seed: seed) }
        let members = population(after: results.prefix(resultsNeeded(before: index)))
        var stream = RandomStream(seed: seed, iteration: UInt64(index), purpose: .searchEvolution)
        let picks = stream.sample(min(sample, members.count), from: members.count).map { members[$0] }
        // The fittest of the sample; among equals the youngest (the highest candidate index).
        let parent = picks.max { ($0.fitness, $0.index) < ($1.fitness, $1.index) }!
        return space.mutate(parent.genome, using: &stream).genome
    }
}
