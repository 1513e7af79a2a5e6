import Testing
import MetaTasks
import MetaAlgorithms
import MetaConfig

/// The registries behind a configuration file: learners, task families and architectures each
/// read and check their own keys, and each registered name is reachable from YAML.
@Suite struct ComponentRegistryTests {
    @Test func registeredNamesAreUnique() {
        for names in [Learners.all.map(\.id.rawValue), TaskFamilies.all.map { $0.name }, Architectures.all.map { $0.name },
                      Learners.all.flatMap(\.presets).map(\.name)] {
            #expect(Set(names).count == names.count, "\(names)")
        }
    }

    @Test func everyLearnerHasAPresetThatValidates() throws {
        for learner in Learners.all {
            let presets = learner.presets
            #expect(!presets.isEmpty, "\(learner.id) has no preset")
            for p in presets {
                #expect(p.algorithm == learner.id, "\(p.name)")
                #expect(try ConfigFile.parse(ConfigFile.yaml(p)) == p, "\(p.name)")
            }
        }
    }

    /// One file per family and architecture: each reads its own keys and writes them back.
    @Test(arguments: [
        "algorithm: maml\ntasks: {family: sinusoid, shots: 5, queries: 7}\nmodel: {architecture: sine-mlp, hidden: [8, 8]}",
        "algorithm: abml\ntasks: {family: ambiguous, shots: 5, queries: 9}\nmodel: {architecture: sine-mlp, hidden: [8, 8]}",
        "algorithm: reptile\ntasks: {family: synthetic-images, ways: 3, shots: 2, queries: 2, size: 16}\nmodel: {architecture: omniglot-cnn}",
        "algorithm: protonet\ntasks: {family: synthetic-images, ways: 4, shots: 1, queries: 3, size: 16}\nmodel: {architecture: protonet-encoder}",
        "algorithm: metalstm\ntasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}\nmodel: {architecture: maxpool-cnn, filters: 8}",
        "algorithm: relationnet\ntasks: {family: synthetic-images, ways: 3, shots: 2, queries: 2, size: 16}\nmodel: {architecture: relation-network}",
        "algorithm: anil\ntasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}\n"
            + "model: {architecture: conv-encoder, blocks: 5, filters: 8, kernel: 5, downsampling: max-pool, normalization: none}",
        "algorithm: mann\ntasks: {family: synthetic-sequences, ways: 3, shots: 4, size: 6}\nmodel: {architecture: mann, units: 16}",
        "algorithm: mann\ntasks: {family: synthetic-sequences, ways: 3, shots: 4, size: 6}\nmodel: {architecture: lstm, units: 16}",
        "algorithm: mann\ntasks: {family: omniglot-sequences, ways: 5, shots: 10, size: 20}\nmodel: {architecture: mann}",
        "algorithm: baseline\ntasks: {family: omniglot-classes, batch: 8}\nevaluation_tasks: {family: omniglot, ways: 20, shots: 1, queries: 2}\n"
            + "model: {architecture: omniglot-cnn}",
        "algorithm: mann\ntasks: {family: omniglot-sequences, ways: 5, size: 20, data_sha256: \(String(repeating: "0a", count: 32))}\n"
            + "model: {architecture: mann}",
    ])
    func aComponentReadsItsKeysAndWritesThemBack(_ head: String) throws {
        let yaml = head + "\niterations: 3\nmeta_batch: 2\ninner: {steps: 2, learning_rate: 0.1}\nouter: {optimizer: adam, learning_rate: 0.001}"
        let c = try ConfigFile.parse(yaml)
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
    }

    @Test func sequenceArchitecturesAreSizedByTheirTasks() throws {
        let c = try ConfigFile.parse("""
            algorithm: mann
            iterations: 3
            meta_batch: 2
            tasks: {family: synthetic-sequences, ways: 3, shots: 4, size: 6}
            model: {architecture: mann, units: 16}
            inner: {steps: 0, learning_rate: 0}
            outer: {optimizer: adam, learning_rate: 0.001}
            """)
        #expect(c.architecture == .mann(units: 16, inputs: 6 * 6 + 3, classes: 3))
        #expect(c.family.spec.shape == .sequence)
        #expect(c.metric == .accuracy)
    }

    /// (YAML, a fragment the error message must contain.)
    @Test(arguments: [
        ("preset: sine-maml\ntasks: {ways: 5}", "'tasks.ways' does not apply to sinusoid tasks"),
        ("preset: omniglot-5w1s-maml\ntasks: {size: 20}", "'tasks.size' does not apply to omniglot tasks"),
        ("preset: sine-maml\nmodel: {filters: 8}", "'model.filters' applies only to architecture maxpool-cnn"),
        ("preset: omniglot-5w1s-maml\nmodel: {architecture: conv-encoder, kernel: 4}", "'model.kernel': the kernel side must be odd"),
        ("preset: omniglot-5w1s-maml\nmodel: {architecture: conv-encoder, normalization: layer}", "expected batch-statistics or none"),
        ("preset: sine-maml\nmodel: {architecture: transformer}", "unknown architecture 'transformer'; expected sine-mlp, omniglot-cnn"),
        ("preset: sine-maml\ntasks: {family: imagenet}", "expected sinusoid, omniglot, synthetic-images, omniglot-sequences, synthetic-sequences, navigation, ambiguous or omniglot-classes"),
        ("preset: omniglot-5w1s-maml\nalgorithm: baseline\ntasks: {family: omniglot-classes}",
         "config key 'tasks.family': omniglot-classes tasks are for pretraining only; set evaluation_tasks"),
        ("preset: omniglot-5w1s-baseline\ntasks: {batch: 0}", "'tasks.batch'"),
        ("preset: omniglot-5w1s-maml\ntasks: {family: omniglot-classes}\nevaluation_tasks: {family: omniglot, ways: 5, shots: 1, queries: 1}",
         "maml trains on support/query tasks; omniglot-classes tasks are class-batch"),
        ("preset: omniglot-5w1s-protonet\ntasks: {family: omniglot-classes}\nevaluation_tasks: {family: omniglot, ways: 5, shots: 1, queries: 1}",
         "protonet trains on support/query tasks; omniglot-classes tasks are class-batch"),
        ("preset: omniglot-5w1s-maml\nalgorithm: mann", "mann trains on sequence tasks; omniglot tasks are support/query"),
        ("preset: omniglot-5class-mann\nalgorithm: maml", "maml trains on support/query tasks; omniglot-sequences tasks are sequence"),
        ("preset: omniglot-5w1s-maml\nalgorithm: relationnet", "relationnet needs the relation-network architecture"),
        ("preset: omniglot-5class-mann\nmodel: {architecture: omniglot-cnn}", "do not fit together"),
        ("preset: omniglot-5w1s-relationnet\ntasks: {family: sinusoid}", "do not fit together"),
        ("preset: omniglot-5class-mann\ntasks: {shots: 21}", "Omniglot has 20 drawings per character"),
        ("preset: omniglot-5class-mann\ntasks: {size: 40}", "only downscaled"),
        ("preset: omniglot-5w1s-metalstm\ninner: {steps: 0}", "metalstm needs at least one inner step"),
    ])
    func aComponentRejectsWhatItCannotUseNamingTheKey(_ yaml: String, _ fragment: String) {
        do {
            _ = try ConfigFile.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }
}
