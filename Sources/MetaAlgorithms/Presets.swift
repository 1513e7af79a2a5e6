extension RunConfiguration {
    /// The named presets, each with its paper's hyper-parameters (see `source`): every
    /// registered learner's (``Learner/presets``).
    public static var presets: [String: RunConfiguration] {
        Dictionary(uniqueKeysWithValues: Learners.all.flatMap(\.presets).map { ($0.name, $0) })
    }

    /// MAML's Omniglot setups from its reference code, shared by the presets of the MAML family:
    /// `shots` queries per class; 5-way: meta-batch 32, one inner step α = 0.4 (three at
    /// evaluation); 20-way: meta-batch 16, five inner steps α = 0.1 (ten at evaluation); Adam
    /// 0.001, 60,000 iterations. The source gets the CNN's departures (``omniglotCNNDepartures``).
    static func omniglotMAMLSetup(_ algorithm: Algorithm, ways: Int, shots: Int, firstOrder: Bool = false,
                                  name: String, source: String) -> RunConfiguration {
        let fiveWay = ways == 5
        let stepScale = algorithm == .maml || algorithm == .anil ? "; " + omniglotInnerStepScale : ""
        return RunConfiguration(
            name: name, source: source + stepScale + "; " + omniglotCNNDepartures, algorithm: algorithm,
            family: .omniglot(ways: ways, shots: shots, queries: shots), architecture: .omniglotCNN(ways: ways),
            inner: fiveWay ? InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.4, firstOrder: firstOrder)
                : InnerLoop(steps: 5, evaluationSteps: 10, learningRate: 0.1, firstOrder: firstOrder),
            metaBatchSize: fiveWay ? 32 : 16, outerOptimizer: .adam(learningRate: 0.001), iterations: 60_000, validationInterval: 500)
    }

    /// The 5-way 1-shot setup of ``omniglotMAMLSetup(_:ways:shots:firstOrder:name:source:)``.
    static func omniglot5w1s(_ algorithm: Algorithm, firstOrder: Bool = false, name: String, source: String) -> RunConfiguration {
        omniglotMAMLSetup(algorithm, ways: 5, shots: 1, firstOrder: firstOrder, name: name, source: source)
    }

    /// How the inner step α of the MAML-family Omniglot presets relates to the MAML reference
    /// code's (measured: README, "the inner loss scale").
    static let omniglotInnerStepScale = "departure from the MAML reference code: the inner loss is the mean cross-entropy "
        + "over the support set, where the reference sums the per-class means (N times larger), so the reference's step "
        + "is N·α here (5-way α = 0.4 there is 2.0 here, 20-way 0.1 is 2.0); on 5-way 1-shot at 5,000 iterations α = 0.4 "
        + "gave 96.73 ± 0.74 % and α = 2.0 gave 96.33 ± 0.73 % after 3 steps, so these presets keep the reference's number on the mean loss"

    /// How the Omniglot CNN of these presets departs from the MAML reference code (stated in
    /// every preset that uses it).
    static let omniglotCNNDepartures = "departures from the MAML reference code: batch norm has a scale γ and an offset β, "
        + "both adapted in the inner loop, ε = 1e-5 (the reference: no γ, β trained in the outer loop only, ε = 1e-3); "
        + "batch norm normalises support and query with their own statistics (transductive, as the reference)"
}
