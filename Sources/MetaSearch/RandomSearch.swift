import MetaRandom

/// Random search: candidate i is drawn from the space with the stream keyed (search seed,
/// iteration i, purpose ``RandomPurpose/searchGenome``), independent of every result. Evolution's
/// initial population is drawn the same way, so both methods start from the same P candidates.
public enum RandomSearch {
    public static func genome(index: Int, space: SearchSpace, seed: UInt64) -> Genome {
        var stream = RandomStream(seed: seed, iteration: UInt64(index), purpose: .searchGenome)
        return space.sample(using: &stream)
    }
}
