extension RunConfiguration {
    /// The named presets, each with its paper's hyper-parameters (see `source`): every
    /// registered learner's (``Learner/presets``).
    public static var presets: [String: RunConfiguration] {
        Dictionary(uniqueKeysWithValues: Learners.all.flatMap(\.presets).map { ($0.name, $0) })
    }

    /// MAML's Omniglot 5-way 1-shot setup (one query per class, meta-batch 32, one inner step
    /// α = 0.4, three at evaluation, Adam 0.001, 60,000 iterations), shared by the presets of
    /// the MAML family.
    static func omniglot5w1s(_ algorithm: Algorithm, firstOrder: Bool = false, name: String, source: String) -> RunConfiguration {
        RunConfiguration(
            name: name, source: source + "; " + omniglotCNNDepartures, algorithm: algorithm,
            family: .omniglot(ways: 5, shots: 1, queries: 1), architecture: .omniglotCNN(ways: 5),
            inner: InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.4, firstOrder: firstOrder),
            metaBatchSize: 32, outerOptimizer: .adam(learningRate: 0.001), iterations: 60_000, validationInterval: 500)
    }

    /// How the Omniglot CNN of these presets departs from the MAML reference code (stated in
    /// every preset that uses it).
    static let omniglotCNNDepartures = "departures from the MAML reference code: batch norm has a scale γ and an offset β, "
        + "both adapted in the inner loop, ε = 1e-5 (the reference: no γ, β trained in the outer loop only, ε = 1e-3); "
        + "batch norm normalises support and query with their own statistics (transductive, as the reference)"
}
