import MetaRandom

/// The random streams of a search, each keyed (search seed, candidate index, purpose).
extension RandomPurpose {
    /// A search candidate drawn at random (random search, evolution's initial population).
    public static let searchGenome = RandomPurpose("search-genome")
    /// Evolution's tournament sample and mutation.
    public static let searchEvolution = RandomPurpose("search-evolution")
    /// The training seed of a search candidate.
    public static let searchTraining = RandomPurpose("search-training")
}
