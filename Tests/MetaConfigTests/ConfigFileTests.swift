import Testing
import MetaAlgorithms
import MetaConfig

/// YAML run configurations: presets round-trip, every mistake names its key.
@Suite struct ConfigFileTests {
    @Test(arguments: RunConfiguration.presets.keys.sorted())
    func presetWrittenAsYAMLParsesBackToTheSameConfiguration(_ name: String) throws {
        let preset = RunConfiguration.presets[name]!
        #expect(try ConfigFile.parse(ConfigFile.yaml(preset)) == preset)
    }

    @Test func theEvolutionStrategySectionIsReadWrittenOnlyWhenSetAndChecked() throws {
        let c = try ConfigFile.parse("preset: sine-es-maml\nes: {sigma: 0.05, reduce: workers}\n")
        #expect(c.perturbationScale == 0.05 && c.perturbationSumOnWorkers)
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
        // Learners that do not perturb write no such section (their files and job hashes are unchanged).
        #expect(!ConfigFile.yaml(RunConfiguration.presets["sine-maml"]!).contains("\nes:"))
        #expect(ConfigFile.yaml(c).contains("\nes:\n  sigma: 0.05\n  reduce: workers\n"))
        for (text, key) in [("es: {sigma: 0}", "es.sigma"), ("es: {reduce: somewhere}", "es.reduce"), ("es: {rate: 1}", "rate")] {
            let error = #expect(throws: ConfigError.self) { try ConfigFile.parse("preset: sine-es-maml\n" + text) }
            #expect(error?.description.contains(key) == true, "\(String(describing: error))")
        }
        // ES-MAML without a scale is refused, naming the key.
        let missing = #expect(throws: ConfigError.self) {
            try ConfigFile.parse("preset: sine-maml\nalgorithm: es-maml\n")
        }
        #expect(missing?.description.contains("es.sigma") == true, "\(String(describing: missing))")
    }

    @Test func esMAMLTrainsOnNavigationAndSupportQueryTasksButNotOnSequences() throws {
        let c = try ConfigFile.parse("preset: navigation-es-maml\ninner: {steps: 0}\n")
        #expect(c.algorithm == .esMAML && c.family.name == "navigation" && c.inner.steps == 0)
        let error = #expect(throws: ConfigError.self) {
            try ConfigFile.parse("preset: omniglot-5class-mann\nalgorithm: es-maml\nes: {sigma: 0.1}\n")
        }
        #expect(error?.description.contains("es-maml trains on support/query or environment tasks; omniglot-sequences tasks are sequence") == true,
                "\(String(describing: error))")
    }

    /// The Bayesian keys are written only when set, so other runs' YAML (and job hash) is unchanged.
    @Test func samplesAndKLWeightAreReadAndWrittenOnlyWhenSet() throws {
        let maml = ConfigFile.yaml(RunConfiguration.presets["sine-maml"]!)
        #expect(!maml.contains("samples:") && !maml.contains("kl_weight:"))
        let c = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  samples: 7\n  kl_weight: 0.25\n")
        #expect(c.inner.samples == 7 && c.inner.klWeight == 0.25)
        let yaml = ConfigFile.yaml(c)
        #expect(yaml.contains("  samples: 7\n") && yaml.contains("  kl_weight: 0.25\n"))
    }

    /// ABML's prior log σ, learned noise and objective: read, written back only when set.
    @Test func priorLogSigmaLearnedNoiseAndObjectiveAreReadAndWrittenOnlyWhenSet() throws {
        let maml = ConfigFile.yaml(RunConfiguration.presets["sine-maml"]!)
        #expect(!maml.contains("prior_log_sigma:") && !maml.contains("learned_noise:") && !maml.contains("objective:"))
        let c = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  prior_log_sigma: -3.5\n  learned_noise: 0.7\n  objective: expected\n"
                                     + "  noise_dof: gaussian\n  leverage_noise: false\n")
        #expect(c.inner.priorLogSigma == -3.5 && c.inner.learnedNoise == 0.7 && !c.inner.predictiveObjective)
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
        let d = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  objective: predictive\n")
        #expect(d.inner.predictiveObjective && ConfigFile.yaml(d).contains("  objective: predictive\n"))
        // Keys not set are not written (the Omniglot preset sets none of the noise keys).
        let plain = ConfigFile.yaml(RunConfiguration.presets["omniglot-5w1s-abml"]!)
        #expect(!plain.contains("residual_noise:") && !plain.contains("leverage_noise:") && !plain.contains("noise_dof:"))
        let r = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  residual_noise: true\n")
        #expect(r.inner.residualNoise && ConfigFile.yaml(r).contains("  residual_noise: true\n"))
        #expect(try ConfigFile.parse(ConfigFile.yaml(r)) == r)
        #expect(!r.inner.preconditionedKL && !ConfigFile.yaml(r).contains("precondition_kl:"))
        let h = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  leverage_noise: true\n")
        #expect(h.inner.leverageNoise && ConfigFile.yaml(h).contains("  leverage_noise: true\n"))
        #expect(try ConfigFile.parse(ConfigFile.yaml(h)) == h)
        let k = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  precondition_kl: true\n")
        #expect(k.inner.preconditionedKL && ConfigFile.yaml(k).contains("  precondition_kl: true\n"))
        #expect(try ConfigFile.parse(ConfigFile.yaml(k)) == k)
        let t = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  noise_dof: 5\n")
        #expect(t.inner.noiseDegreesOfFreedom == 5 && ConfigFile.yaml(t).contains("  noise_dof: 5.0\n"))
        #expect(try ConfigFile.parse(ConfigFile.yaml(t)) == t)
        let g = try ConfigFile.parse("preset: ambiguous-abml\ninner:\n  noise_dof: gaussian\n")
        #expect(g.inner.noiseDegreesOfFreedom == nil && !ConfigFile.yaml(g).contains("noise_dof:"))
    }

    @Test func writingIsDeterministic() {
        let c = RunConfiguration.presets["omniglot-5w1s-maml"]!
        #expect(ConfigFile.yaml(c) == ConfigFile.yaml(c))
    }

    @Test func aFileCanStartFromAPresetAndOverrideKeys() throws {
        let c = try ConfigFile.parse("""
            preset: omniglot-5w1s-maml
            iterations: 500
            inner:
              learning_rate: 0.2
              first_order: true
            outer:
              learning_rate: 0.003
            """)
        var expected = RunConfiguration.presets["omniglot-5w1s-maml"]!
        expected.iterations = 500
        expected.inner.learningRate = 0.2
        expected.inner.firstOrder = true
        expected.outerOptimizer = .adam(learningRate: 0.003)
        #expect(c == expected)
    }

    @Test func aCompleteFileWithoutPresetIsRead() throws {
        let c = try ConfigFile.parse("""
            name: tiny
            algorithm: reptile
            iterations: 10
            meta_batch: 4
            tasks: {family: synthetic-images, ways: 3, shots: 2, queries: 2, size: 16}
            model: {architecture: omniglot-cnn}
            inner: {steps: 3, learning_rate: 0.1}
            outer: {optimizer: sgd, learning_rate: 1.0}
            """)
        #expect(c.algorithm == .reptile)
        #expect(c.family == .syntheticImages(ways: 3, shots: 2, queries: 2, size: 16))
        #expect(c.architecture == .omniglotCNN(ways: 3))
        #expect(c.outerOptimizer == .sgd(learningRate: 1.0))
        #expect(c.inner.steps == 3)
    }

    /// (YAML, a fragment the error message must contain.)
    @Test(arguments: [
        ("preset: sine-maml\nitertions: 5", "'itertions'"),
        ("preset: sine-maml\ninner:\n  stepz: 2", "'inner.stepz'"),
        ("preset: sine-maml\ninner:\n  learning_rate: fast", "'inner.learning_rate'"),
        ("preset: sine-maml\niterations: 0", "'iterations' must be between 1 and 100000000, got 0"),
        ("preset: sine-maml\nmeta_batch: -3", "'meta_batch'"),
        ("preset: sine-maml\nalgorithm: magic", "'algorithm'"),
        ("preset: no-such-preset", "'preset'"),
        ("preset: sine-maml\ntasks:\n  family: imagenet", "'tasks.family'"),
        ("preset: sine-maml\ntasks:\n  ways: 5", "'tasks.ways'"),
        ("preset: sine-maml\nouter:\n  optimizer: rmsprop", "'outer.optimizer'"),
        ("preset: sine-maml\ninner:\n  first_order: maybe", "'inner.first_order'"),
        ("preset: sine-maml\ninner:\n  batch_norm: running", "'inner.batch_norm'"),
        ("preset: omniglot-5w1s-maml\ntasks:\n  shots: 15\n  queries: 10", "'tasks.shots'"),
        ("preset: sine-maml\nmodel:\n  architecture: omniglot-cnn", "do not fit together"),
        ("algorithm: maml", "'tasks' is missing"),
        ("preset: sine-maml\ninner: 3", "'inner'"),
        ("preset: ambiguous-abml\ninner:\n  samples: 0", "'inner.samples'"),
        ("preset: ambiguous-abml\ninner:\n  kl_weight: -1", "'inner.kl_weight'"),
        ("preset: ambiguous-abml\ninner:\n  prior_log_sigma: 9", "'inner.prior_log_sigma'"),
        ("preset: ambiguous-abml\ninner:\n  learned_noise: 0", "'inner.learned_noise'"),
        ("preset: ambiguous-abml\ninner:\n  objective: elbo", "'inner.objective'"),
        ("preset: ambiguous-abml\ninner:\n  residual_noise: 2", "'inner.residual_noise'"),
        ("preset: ambiguous-abml\ninner:\n  precondition_kl: 1", "'inner.precondition_kl'"),
        ("preset: ambiguous-abml\ninner:\n  noise_dof: 0.5", "'inner.noise_dof'"),
        ("preset: ambiguous-abml\ninner:\n  noise_dof: 5\n  objective: expected", "inner.noise_dof makes the predictive's learned noise"),
        ("preset: omniglot-5w1s-abml\ninner:\n  residual_noise: true", "inner.residual_noise widens the learned observation noise"),
        ("preset: ambiguous-abml\ninner:\n  leverage_noise: 1", "'inner.leverage_noise'"),
        ("preset: omniglot-5w1s-abml\ninner:\n  leverage_noise: true", "inner.leverage_noise widens the learned noise away"),
        ("[1, 2, 3]", "mapping"),
        ("preset: sine-maml\npreset: sine-maml", "YAML"),
    ])
    func invalidConfigurationIsRejectedNamingTheKey(_ yaml: String, _ fragment: String) {
        do {
            _ = try ConfigFile.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }
}
