import Testing
import MetaAlgorithms
import MetaConfig

/// `inner.optimizer`, `inner.beta1`, `inner.batch` and `outer.final_learning_rate`: written only
/// when set (other runs' YAML and job hashes are unchanged), read back, and refused, naming the
/// key, where a learner would ignore them.
@Suite struct InnerOptimizerConfigTests {
    @Test func reptileKeysAreReadAndWrittenOnlyWhenSet() throws {
        let maml = ConfigFile.yaml(RunConfiguration.presets["omniglot-5w1s-maml"]!)
        #expect(!maml.contains("beta1:") && !maml.contains("  batch:") && !maml.contains("final_learning_rate:"))
        let c = try ConfigFile.parse("preset: sine-maml\nalgorithm: reptile\ninner: {optimizer: adam, beta1: 0.5, batch: 3}\n"
                                     + "outer: {optimizer: sgd, learning_rate: 1, final_learning_rate: 0.1}\n")
        #expect(c.inner.optimizer == .adam(beta1: 0.5) && c.inner.batchSize == 3 && c.finalOuterLearningRate == 0.1)
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
        #expect(try ConfigFile.parse("preset: sine-maml\nalgorithm: reptile\ninner: {optimizer: adam}\n").inner.optimizer == .adam(beta1: 0.9))
    }

    @Test(arguments: [
        ("preset: sine-maml\ninner: {optimizer: adam}\n", "inner.optimizer"),
        ("preset: sine-maml\ninner: {batch: 4}\n", "inner.batch"),
        ("preset: sine-maml\nalgorithm: reptile\ninner: {beta1: 0}\n", "inner.beta1"),
        ("preset: sine-maml\nalgorithm: reptile\ninner: {optimizer: rmsprop}\n", "inner.optimizer"),
        ("preset: sine-maml\nalgorithm: reptile\ninner: {optimizer: adam, beta1: 1}\n", "inner.beta1"),
        ("preset: sine-maml\nalgorithm: reptile\ninner: {batch: 0}\n", "inner.batch"),
    ])
    func innerOptimizerKeysAreRefusedWhereTheyDoNotApply(_ text: String, _ key: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigFile.parse(text) }
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
    }
}
