import MetaTasks

extension RunConfiguration {
    /// Where presets look for the Omniglot archives unless told otherwise: the environment
    /// variable METATRAIN_OMNIGLOT_DIR, else `data/omniglot` under the working directory.
    public static var defaultOmniglotDirectory: String { OmniglotDataset.directory(default: "data/omniglot") }

    /// The named presets, each with its paper's hyper-parameters (see `source`).
    public static var presets: [String: RunConfiguration] {
        let omniglot = defaultOmniglotDirectory
        func omniglot5(_ algorithm: Algorithm, firstOrder: Bool = false, name: String, source: String) -> RunConfiguration {
            RunConfiguration(
                name: name, source: source, algorithm: algorithm,
                family: .omniglot(ways: 5, shots: 1, queries: 1, directory: omniglot), architecture: .omniglotCNN(ways: 5),
                inner: InnerLoop(steps: 1, evaluationSteps: 3, learningRate: 0.4, firstOrder: firstOrder),
                metaBatchSize: 32, outerOptimizer: .adam(learningRate: 0.001), iterations: 60_000, validationInterval: 500)
        }
        let list: [RunConfiguration] = [
            RunConfiguration(
                name: "sine-maml",
                source: "Finn et al. 2017 (MAML) §5.1: K=10, meta-batch 25, 1 inner step α=0.01, Adam 0.001, 70,000 iterations",
                algorithm: .maml, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
                inner: InnerLoop(steps: 1, evaluationSteps: 10, learningRate: 0.01),
                metaBatchSize: 25, outerOptimizer: .adam(learningRate: 0.001), iterations: 70_000),
            omniglot5(.maml, name: "omniglot-5w1s-maml",
                      source: "Finn et al. 2017 and its reference code: 5-way 1-shot, one query per class, meta-batch 32, "
                          + "1 inner step α=0.4 (3 at evaluation), Adam 0.001, 60,000 iterations"),
            omniglot5(.maml, firstOrder: true, name: "omniglot-5w1s-fomaml",
                      source: "Finn et al. 2017 §5.2 first-order approximation, otherwise as omniglot-5w1s-maml"),
            omniglot5(.metaSGD, name: "omniglot-5w1s-metasgd",
                      source: "Li et al. 2017 (Meta-SGD): the MAML network and task setup, rates drawn from [0.005, 0.1], "
                          + "one inner step, Adam 0.001, meta-batch 32, 60,000 iterations"),
            omniglot5(.anil, name: "omniglot-5w1s-anil",
                      source: "Raghu et al. 2020 (ANIL): MAML's setup (α=0.4, 1 step, 3 at evaluation, meta-batch 32, Adam 0.001) "
                          + "with the inner loop on the head only"),
            RunConfiguration(
                name: "omniglot-5w1s-reptile",
                source: "Nichol et al. 2018 (Reptile) Omniglot 5-way 1-shot: 5 inner steps, meta-batch 5, outer step size 1.0, "
                    + "100,000 iterations, 50 steps at evaluation; departures: the inner loop is plain SGD α=0.4 on the whole "
                    + "support set (the paper: Adam β1=0, lr 0.001, mini-batches of 10) and the outer step is not annealed",
                algorithm: .reptile, family: .omniglot(ways: 5, shots: 1, queries: 1, directory: omniglot),
                architecture: .omniglotCNN(ways: 5), inner: InnerLoop(steps: 5, evaluationSteps: 50, learningRate: 0.4),
                metaBatchSize: 5, outerOptimizer: .sgd(learningRate: 1.0), iterations: 100_000, validationInterval: 1_000),
            RunConfiguration(
                name: "omniglot-5w1s-protonet",
                source: "Snell et al. 2017 (Prototypical Networks): 60-way 1-shot training episodes with 5 queries per class, "
                    + "the 4-block max-pool embedding (64 features), Adam 0.001, evaluated on 5-way 1-shot; "
                    + "departure: no learning-rate halving every 2,000 episodes",
                algorithm: .protoNet, family: .omniglot(ways: 60, shots: 1, queries: 5, directory: omniglot),
                evaluationFamily: .omniglot(ways: 5, shots: 1, queries: 1, directory: omniglot),
                architecture: .protoNetEncoder, inner: InnerLoop(steps: 0, evaluationSteps: 0, learningRate: 0),
                metaBatchSize: 1, outerOptimizer: .adam(learningRate: 0.001), iterations: 20_000, validationInterval: 500),
            RunConfiguration(
                name: "omniglot-20w1s-maml",
                source: "Finn et al. 2017 and its reference code: 20-way 1-shot, meta-batch 16, 5 inner steps α=0.1 "
                    + "(10 at evaluation), Adam 0.001, 60,000 iterations",
                algorithm: .maml, family: .omniglot(ways: 20, shots: 1, queries: 1, directory: omniglot),
                architecture: .omniglotCNN(ways: 20), inner: InnerLoop(steps: 5, evaluationSteps: 10, learningRate: 0.1),
                metaBatchSize: 16, outerOptimizer: .adam(learningRate: 0.001), iterations: 60_000, validationInterval: 500),
            RunConfiguration(
                name: "sine-pretrain",
                source: "Finn et al. 2017 §5.1 'pretrained' baseline: one network regressed on all tasks jointly, "
                    + "fine-tuned at evaluation with α=0.01; meta-batch 25, Adam 0.001, 70,000 iterations",
                algorithm: .pretrain, family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
                inner: InnerLoop(steps: 0, evaluationSteps: 10, learningRate: 0.01),
                metaBatchSize: 25, outerOptimizer: .adam(learningRate: 0.001), iterations: 70_000),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }
}
